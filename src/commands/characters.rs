//! `webtoonme characters [--json]`: the installed character packs with their provenance (id, name,
//! author, licence, built-in or user, folder, each model file with its size and SHA-256), then
//! every pack that was skipped, as `file:line: reason` on stderr. A pack is listed only when it
//! passes every check the app makes before offering it, its models loaded in ONNX Runtime (CPU),
//! held against their descriptors and tried once ([`crate::character::trial`]).
//!
//! In: the packs under [`crate::paths::characters_dirs`]. Out: text, or with `--json` one JSON
//! object on stdout (stable, see [`CharactersReport`]):
//! `{ "characters": [ { "id", "name", "author", "licence", "description", "builtin", "dir",
//! "thumbnail", "face": model | null, "background": model | null } ], "problems": [ { "file",
//! "line": n | null, "reason" } ] }` where model is `{ "file", "path", "bytes", "sha256" }`
//! (`sha256`: 64 hex digits, null when the file could not be read again).
//! Skipped packs are not an error: the command succeeds. Thread: main.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::character::{CharacterPack, CharacterSet, PackModel, PackProblem, escape_controls};
use crate::perception::runtime::{ExecutionChoice, SessionOptions};

/// Arguments of `webtoonme characters`.
#[derive(Debug, clap::Args)]
pub struct CharactersArgs {
    /// Print JSON (stable: `{ "characters": [...], "problems": [...] }`).
    #[arg(long)]
    pub json: bool,
}

/// What `characters --json` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CharactersReport {
    pub characters: Vec<CharacterEntry>,
    pub problems: Vec<ProblemEntry>,
}

/// One installed pack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CharacterEntry {
    pub id: String,
    pub name: String,
    pub author: String,
    pub licence: String,
    pub description: String,
    /// From the built-in folder (`true`) or a user folder (`false`).
    pub builtin: bool,
    pub dir: String,
    pub thumbnail: String,
    pub face: Option<ModelEntry>,
    pub background: Option<ModelEntry>,
}

/// A pack's model file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelEntry {
    /// The name the pack gives.
    pub file: String,
    /// Canonical path.
    pub path: String,
    pub bytes: u64,
    /// Lower-case hex; `None` when the file could not be read (then a problem says why).
    pub sha256: Option<String>,
}

/// A skipped pack.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemEntry {
    pub file: String,
    pub line: Option<usize>,
    pub reason: String,
}

impl From<&PackProblem> for ProblemEntry {
    fn from(p: &PackProblem) -> Self {
        Self { file: p.file.to_string_lossy().into_owned(), line: p.line, reason: p.reason.clone() }
    }
}

pub fn run(args: &CharactersArgs) -> anyhow::Result<()> {
    let dirs = crate::paths::characters_dirs();
    let mut set = CharacterSet::load(&dirs);
    // every model loaded, checked against its descriptor and tried once, as the app would
    let cpu = SessionOptions { provider: ExecutionChoice::Cpu, ..Default::default() };
    crate::render::check_models(&mut set, &cpu);
    let (report, read_problems) = report(&set);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_text(&report, &dirs));
    }
    for p in set.problems.iter().chain(&read_problems) {
        eprintln!("{p}");
    }
    Ok(())
}

/// The report for `set`, hashing every model file. A model that cannot be read again gets
/// `sha256: None` and a problem, returned apart and also listed in the report's problems.
pub fn report(set: &CharacterSet) -> (CharactersReport, Vec<PackProblem>) {
    let mut read_problems = Vec::new();
    let characters = set.packs.iter().map(|p| entry(p, &mut read_problems)).collect();
    let problems = set.problems.iter().chain(&read_problems).map(ProblemEntry::from).collect();
    (CharactersReport { characters, problems }, read_problems)
}

fn entry(pack: &CharacterPack, read_problems: &mut Vec<PackProblem>) -> CharacterEntry {
    let mut model = |m: &Option<PackModel>| {
        m.as_ref().map(|m| {
            let sha256 = match sha256_file(&m.path) {
                Ok(h) => Some(h),
                Err(e) => {
                    read_problems.push(PackProblem {
                        file: m.path.clone(),
                        line: None,
                        reason: format!("cannot read model for its checksum: {e}"),
                    });
                    None
                }
            };
            ModelEntry {
                file: m.descriptor.model.clone(),
                path: m.path.to_string_lossy().into_owned(),
                bytes: m.bytes,
                sha256,
            }
        })
    };
    let face = model(&pack.face);
    let background = model(&pack.background);
    CharacterEntry {
        id: pack.id.clone(),
        name: pack.name.clone(),
        author: pack.author.clone(),
        licence: pack.licence.clone(),
        description: pack.description.clone(),
        builtin: pack.builtin,
        dir: pack.dir.to_string_lossy().into_owned(),
        thumbnail: pack.thumbnail.to_string_lossy().into_owned(),
        face,
        background,
    }
}

/// The text form: one block per pack.
pub fn render_text(report: &CharactersReport, searched: &[std::path::PathBuf]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let searched: Vec<String> = searched.iter().map(|d| escape_controls(&d.to_string_lossy())).collect();
    if report.characters.is_empty() {
        let _ = writeln!(out, "no character packs found (searched: {})", searched.join(", "));
    } else {
        let _ = writeln!(out, "{} character pack(s) (searched: {})", report.characters.len(), searched.join(", "));
    }
    for c in &report.characters {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{}  {}  by {}  licence {}  {}",
            c.id,
            c.name,
            c.author,
            c.licence,
            if c.builtin { "builtin" } else { "user" }
        );
        let _ = writeln!(out, "  folder      {}", escape_controls(&c.dir));
        for (label, model, absent) in [
            ("face", &c.face, "(none: faces are not stylized)"),
            ("background", &c.background, "(none: the background passes through)"),
        ] {
            match model {
                Some(m) => {
                    let hash = m.sha256.as_deref().map_or("unreadable", |h| &h[..12.min(h.len())]);
                    let _ = writeln!(
                        out,
                        "  {label:<10}  {}  {}  sha256 {hash}",
                        escape_controls(&m.file),
                        human_bytes(m.bytes)
                    );
                }
                None => {
                    let _ = writeln!(out, "  {label:<10}  {absent}");
                }
            }
        }
    }
    if !report.problems.is_empty() {
        let _ = writeln!(out, "\n{} problem(s): those packs were skipped (details on stderr)", report.problems.len());
    }
    out
}

fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hasher.finish().iter().map(|b| format!("{b:02x}")).collect())
}

/// SHA-256 of `data`, lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(data);
    hasher.finish().iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 (FIPS 180-4), streaming. Small enough to keep here rather than add a dependency.
struct Sha256 {
    state: [u32; 8],
    block: [u8; 64],
    filled: usize,
    length: u64,
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];

impl Sha256 {
    fn new() -> Self {
        Self {
            state: [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19],
            block: [0; 64],
            filled: 0,
            length: 0,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let take = (64 - self.filled).min(data.len());
            self.block[self.filled..self.filled + take].copy_from_slice(&data[..take]);
            self.filled += take;
            data = &data[take..];
            if self.filled == 64 {
                let block = self.block;
                self.compress(&block);
                self.filled = 0;
            }
        }
    }

    fn finish(mut self) -> [u8; 32] {
        let bits = self.length.wrapping_mul(8);
        let mut pad = vec![0x80u8];
        let zeros = (64 + 56 - (self.filled + 1) % 64) % 64;
        pad.resize(1 + zeros, 0);
        pad.extend_from_slice(&bits.to_be_bytes());
        let length = self.length;
        self.update(&pad);
        self.length = length;
        debug_assert_eq!(self.filled, 0);
        let mut out = [0u8; 32];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    fn compress(&mut self, block: &[u8; 64]) {
        let mut w = [0u32; 64];
        for (i, chunk) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = self.state;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = h.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (s, v) in self.state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *s = s.wrapping_add(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(data: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(data);
        h.finish().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn sha256_known_answers() {
        assert_eq!(hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(
            hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        assert_eq!(hex(&[b'a'; 1_000_000]), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        // split updates give the same answer
        let mut h = Sha256::new();
        for piece in b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".chunks(7) {
            h.update(piece);
        }
        let split: String = h.finish().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(split, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }
}
