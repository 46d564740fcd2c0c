//! The character stylizer generator: a pack's `[style]` becomes its `face.onnx` and
//! `background.onnx`, and its thumbnail, in the app itself (no Python, no source tree), by a port
//! of `scripts/characters/make_stylizer.py` that writes the same bytes.
//!
//! In: a pack folder (its `character.toml`), or a parsed `character.toml` for a graph built in
//! memory (a studio regenerating a character while a slider moves: [`build_graph`] takes well
//! under a millisecond). Out: ONNX model bytes (opset 17, standard operators, input `image`,
//! output `toon`, float32 NCHW RGB in 0..1), the pack's model files written atomically, and a
//! 128x128 thumbnail PNG stamped with the face graph's style hash. Errors are one line naming the
//! file, table and key. Graph building is pure data on any thread; [`make_thumbnail`] runs ONNX
//! Runtime on the CPU on the calling thread.
//!
//! - [`params`]: `[style]` resolved for one graph (defaults, `[style.face]` /
//!   `[style.background]` overrides, checks) and its JSON and style hash;
//! - [`graph`]: the graph, node for node as the script builds it;
//! - [`onnx`]: the protobuf writer.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use toml::Value;

pub mod graph;
pub mod onnx;
pub mod params;

pub use params::StyleParams;

/// Written into every model (`producer_name`, metadata `generator`).
pub const GENERATOR: &str = "webtoonme.make_stylizer";
/// The script's `GENERATOR_VERSION`: bumped when a change alters the output for the same
/// parameters (part of the style hash).
pub const GENERATOR_VERSION: &str = "1.1.0";
/// ONNX opset of the graphs.
pub const OPSET: i64 = 17;
/// Side of the face graph's square input.
pub const FACE_SIZE: i64 = 256;
/// The background graph takes sides that are multiples of this ...
pub const BG_MULTIPLE: i64 = 8;
/// ... up to this long side.
pub const BG_MAX_SIDE: i64 = 640;
/// Side of the thumbnail.
pub const THUMBNAIL_SIDE: u32 = 128;
/// Centre x, centre y and side (px) of the face crop in the demo photo (the script's `DEMO_FACE`).
pub const DEMO_FACE: (usize, usize, usize) = (225, 125, 180);

/// Which of a pack's two graphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraphKind {
    /// `face.onnx`: input [1,3,256,256], a similarity-aligned face crop.
    Face,
    /// `background.onnx`: input [1,3,height,width], the whole frame.
    Background,
}

impl GraphKind {
    pub const ALL: [Self; 2] = [Self::Face, Self::Background];

    /// `"face"` / `"background"`: the `character.toml` table and `[style.*]` sub-table.
    pub fn name(self) -> &'static str {
        match self {
            Self::Face => "face",
            Self::Background => "background",
        }
    }
}

/// A generated graph: its model bytes and what they were made from.
#[derive(Debug, Clone)]
pub struct BuiltGraph {
    pub kind: GraphKind,
    /// ONNX `ModelProto` bytes.
    pub onnx: Vec<u8>,
    /// SHA-256 (hex) of the resolved parameters (the model's `style_hash` metadata).
    pub style_hash: String,
    /// Nodes in the graph.
    pub nodes: usize,
}

/// The graph of `kind` for `doc`, a parsed `character.toml` (its `[style]`, `[skin]` for the
/// face's skin pull, and `[character] id`, which names the graph): the ONNX bytes the script
/// writes for the same file.
pub fn build_graph(doc: &toml::Table, kind: GraphKind) -> Result<Vec<u8>, String> {
    build(doc, kind).map(|b| b.onnx)
}

/// [`build_graph`] with the style hash and node count.
pub fn build(doc: &toml::Table, kind: GraphKind) -> Result<BuiltGraph, String> {
    let id = doc.get("character").and_then(|c| c.get("id")).and_then(Value::as_str).ok_or("[character] id: missing")?;
    let p = StyleParams::resolve(doc, kind)?;
    Ok(build_from(&p, id))
}

/// The graph for resolved parameters, named after character `id`.
pub fn build_from(p: &StyleParams, id: &str) -> BuiltGraph {
    let mut model = graph::model(p, &format!("{id}_{}", p.kind.name()));
    let style_hash = p.style_hash();
    model.metadata = vec![
        ("generator".into(), GENERATOR.into()),
        ("generator_version".into(), GENERATOR_VERSION.into()),
        ("style_hash".into(), style_hash.clone()),
        ("character".into(), id.into()),
        ("graph".into(), p.kind.name().into()),
        ("params".into(), p.to_json(false)),
    ];
    BuiltGraph { kind: p.kind, nodes: model.graph.nodes.len(), onnx: model.encode(), style_hash }
}

/// A pack's `character.toml`, parsed, with the paths its two models go to (the script's
/// `load_pack` and `check_descriptors`: the descriptors must say what the generated graphs take).
pub fn read_pack(pack_dir: &Path) -> Result<(toml::Table, [PathBuf; 2]), String> {
    let file = pack_dir.join(super::PACK_FILE);
    let at = |reason: String| format!("{}: {reason}", file.display());
    let meta = std::fs::metadata(&file).map_err(|e| at(e.to_string()))?;
    if meta.len() > super::MAX_PACK_FILE_BYTES {
        return Err(at(format!("larger than {} bytes", super::MAX_PACK_FILE_BYTES)));
    }
    let text = std::fs::read_to_string(&file).map_err(|e| at(e.to_string()))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| at(format!("TOML syntax error: {e}")))?;
    let models = check_descriptors(&doc, pack_dir).map_err(at)?;
    Ok((doc, models))
}

fn check_descriptors(doc: &toml::Table, pack_dir: &Path) -> Result<[PathBuf; 2], String> {
    let same = |a: &Value, b: &Value| match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|(u, v)| match (number(u), number(v)) {
                    (Some(u), Some(v)) => u == v,
                    _ => u == v,
                })
        }
        _ => a == b,
    };
    let range = Value::Array(vec![Value::Float(0.0), Value::Float(1.0)]);
    let want = [
        ("layout", Value::String("nchw".into())),
        ("color", Value::String("rgb".into())),
        ("input_range", range.clone()),
        ("output_range", range),
    ];
    let mut out = Vec::new();
    for kind in GraphKind::ALL {
        let k = kind.name();
        let Some(Value::Table(d)) = doc.get(k) else {
            return Err(format!("missing [{k}] table"));
        };
        for (key, v) in &want {
            if let Some(got) = d.get(*key)
                && !same(got, v)
            {
                return Err(format!("[{k}] {key} = {got}, but the generated graph takes {v}"));
            }
        }
        match kind {
            GraphKind::Face => {
                let size = d.get("size").and_then(Value::as_array);
                if size.is_none_or(|s| s.len() != 2 || s.iter().any(|v| number(v) != Some(FACE_SIZE as f64))) {
                    return Err(format!("[face] size must be [{FACE_SIZE}, {FACE_SIZE}]"));
                }
            }
            GraphKind::Background => {
                let multiple = d.get("size_multiple").and_then(number);
                let max_side = d.get("max_side").map_or(Some(720.0), number);
                if multiple != Some(BG_MULTIPLE as f64) || max_side.is_none_or(|m| m > BG_MAX_SIDE as f64) {
                    return Err(format!(
                        "[background] needs size_multiple = {BG_MULTIPLE} and max_side <= {BG_MAX_SIDE}"
                    ));
                }
            }
        }
        let model = d.get("model").and_then(Value::as_str);
        match model.filter(|m| plain_file_name(m, ".onnx")) {
            Some(m) => out.push(pack_dir.join(m)),
            None => {
                let got = d.get("model").map_or("None".into(), Value::to_string);
                return Err(format!("[{k}] model must be a plain file name *.onnx inside the pack, got {got}"));
            }
        }
    }
    let id = doc.get("character").and_then(|c| c.get("id")).and_then(Value::as_str);
    let folder = pack_dir.file_name().and_then(|f| f.to_str());
    if id.is_none() || id != folder {
        return Err(format!(
            "[character] id = {} must equal the folder name {:?}",
            id.map_or("None".into(), |i| format!("{i:?}")),
            folder.unwrap_or("")
        ));
    }
    let [face, background]: [PathBuf; 2] = out.try_into().expect("two kinds");
    Ok([face, background])
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    }
}

/// A file name directly inside the pack: no separators, not hidden, ending in `ext`.
fn plain_file_name(name: &str, ext: &str) -> bool {
    name.ends_with(ext) && !name.contains(['/', '\\']) && !name.starts_with('.')
}

/// Write `bytes` to `path` atomically: a temporary file beside it, then a rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
}

/// Build a pack's two graphs from its `character.toml` and write them to the files its `[face]`
/// and `[background]` name (each atomically; nothing is written when either graph cannot be
/// built). Returns both graphs. The pack loader tries the models in ONNX Runtime before it offers
/// the pack ([`super::trial`]), so unlike the script this does not run them.
pub fn write_pack_models(pack_dir: &Path) -> Result<[BuiltGraph; 2], String> {
    let (doc, paths) = read_pack(pack_dir)?;
    let file = pack_dir.join(super::PACK_FILE);
    let face = build(&doc, GraphKind::Face).map_err(|e| format!("{}: {e}", file.display()))?;
    let background = build(&doc, GraphKind::Background).map_err(|e| format!("{}: {e}", file.display()))?;
    write_atomic(&paths[0], &face.onnx)?;
    write_atomic(&paths[1], &background.onnx)?;
    Ok([face, background])
}

/// The pack's thumbnail (the script's `make_thumbnail`): its face graph on the demo photo's face
/// crop, 128x128, written as a PNG (`[character] thumbnail`, default `thumbnail.png`) stamped
/// with the face graph's style hash (`tEXt webtoonme-style`). The face graph is built from
/// `character.toml` in memory (the script runs `face.onnx`, which is the same bytes when it is
/// up to date). Runs ONNX Runtime on the CPU, one thread, on the calling thread. Returns the
/// thumbnail's path.
pub fn make_thumbnail(pack_dir: &Path) -> Result<PathBuf, String> {
    let (doc, _) = read_pack(pack_dir)?;
    let file = pack_dir.join(super::PACK_FILE);
    let face = build(&doc, GraphKind::Face).map_err(|e| format!("{}: {e}", file.display()))?;
    let name = doc
        .get("character")
        .and_then(|c| c.get("thumbnail"))
        .map_or(Some("thumbnail.png"), Value::as_str)
        .filter(|n| plain_file_name(n, ".png"))
        .ok_or_else(|| format!("{}: [character] thumbnail must be a plain file name *.png", file.display()))?;
    let path = pack_dir.join(name);
    let rgb = thumbnail_pixels(&face.onnx, &path)?;
    let png = encode_png(
        &rgb,
        THUMBNAIL_SIDE,
        &[("Software", &format!("{GENERATOR} {GENERATOR_VERSION}")), ("webtoonme-style", &face.style_hash)],
    )?;
    write_atomic(&path, &png)?;
    Ok(path)
}

/// Bilinear resize of an HWC float picture (half-pixel centres, f64 like the script's `resize`).
fn resize_bilinear(img: &[f64], iw: usize, ih: usize, w: usize, h: usize) -> Vec<f64> {
    let coords = |n: usize, size: usize| -> Vec<(usize, usize, f64)> {
        (0..n)
            .map(|i| {
                let s = ((i as f64 + 0.5) * size as f64 / n as f64 - 0.5).clamp(0.0, (size - 1) as f64);
                let i0 = s.floor() as usize;
                (i0, (i0 + 1).min(size - 1), s - i0 as f64)
            })
            .collect()
    };
    let (ys, xs) = (coords(h, ih), coords(w, iw));
    let mut out = Vec::with_capacity(w * h * 3);
    for &(y0, y1, fy) in &ys {
        for &(x0, x1, fx) in &xs {
            for c in 0..3 {
                let at = |y: usize, x: usize| img[(y * iw + x) * 3 + c];
                let top = at(y0, x0) * (1.0 - fx) + at(y0, x1) * fx;
                let bot = at(y1, x0) * (1.0 - fx) + at(y1, x1) * fx;
                out.push(top * (1.0 - fy) + bot * fy);
            }
        }
    }
    out
}

/// The demo face crop (the script's `demo_face`) as the face graph's NCHW input in 0..1.
pub fn demo_face_tensor() -> Result<Vec<f32>, String> {
    let photo = image::load_from_memory(crate::source::demo::ASTRONAUT_PNG)
        .map_err(|e| format!("demo photo: {e}"))?
        .into_rgb8();
    let (cx, cy, side) = DEMO_FACE;
    let half = side / 2;
    let crop: Vec<f64> = (cy - half..cy + half)
        .flat_map(|y| (cx - half..cx + half).map(move |x| (x, y)))
        .flat_map(|(x, y)| photo.get_pixel(x as u32, y as u32).0.map(f64::from))
        .collect();
    let n = FACE_SIZE as usize;
    let face = resize_bilinear(&crop, side, side, n, n);
    let mut input = vec![0.0f32; 3 * n * n];
    for (i, px) in face.chunks_exact(3).enumerate() {
        for c in 0..3 {
            input[c * n * n + i] = px[c] as f32 / 255.0;
        }
    }
    Ok(input)
}

/// RGB8 128x128 thumbnail pixels from the face graph `onnx` (the script's `run_image`, the 2x
/// area shrink of `resize` and `to8`, in f32 like NumPy).
fn thumbnail_pixels(onnx: &[u8], label: &Path) -> Result<Vec<u8>, String> {
    use crate::perception::runtime::{ExecutionChoice, ModelSession, SessionOptions, init, output};
    let input = demo_face_tensor()?;
    let env = init(&crate::paths::onnxruntime_library()).map_err(|e| e.to_string())?;
    let opts = SessionOptions { provider: ExecutionChoice::Cpu, intra_threads: 1, trt_cache: None };
    let mut session = ModelSession::load_bytes(&env, "thumbnail", label, onnx, &opts).map_err(|e| e.to_string())?;
    let n = FACE_SIZE as usize;
    let toon = session
        .run_f32(&[1, 3, n, n], &input, |outs| output(outs, "toon").map(<[f32]>::to_vec))
        .map_err(|e| e.to_string())?;
    if toon.len() != 3 * n * n {
        return Err(format!("face graph gave {} values, expected {}", toon.len(), 3 * n * n));
    }
    let at = |c: usize, y: usize, x: usize| (toon[c * n * n + y * n + x] * 255.0).clamp(0.0, 255.0);
    let t = THUMBNAIL_SIDE as usize;
    let mut rgb = Vec::with_capacity(t * t * 3);
    for y in 0..t {
        for x in 0..t {
            for c in 0..3 {
                // NumPy's order for `.mean((1, 3))` of the 2x2 block (checked on every pixel)
                let sum = (at(c, 2 * y, 2 * x) + at(c, 2 * y, 2 * x + 1))
                    + (at(c, 2 * y + 1, 2 * x) + at(c, 2 * y + 1, 2 * x + 1));
                rgb.push((sum / 4.0 + 0.5).clamp(0.0, 255.0) as u8);
            }
        }
    }
    Ok(rgb)
}

/// An RGB8 square PNG with `tEXt` chunks.
fn encode_png(rgb: &[u8], side: u32, text: &[(&str, &str)]) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, side, side);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    for (k, v) in text {
        encoder.add_text_chunk((*k).into(), (*v).into()).map_err(|e| format!("PNG text {k}: {e}"))?;
    }
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// The `webtoonme-style` stamp of a thumbnail PNG (`None` when it has none or is unreadable).
pub fn thumbnail_style(path: &Path) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().ok()?;
    let text = &reader.info().uncompressed_latin1_text;
    text.iter().find(|t| t.keyword == "webtoonme-style").map(|t| t.text.clone())
}
