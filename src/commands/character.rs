//! `webtoonme character new ID --from DIR [--name NAME] [--base haru] [-o FOLDER] [--replace]
//! [--json]`: a new character from a studio's pictures.
//!
//! In: a folder of the webtoon's pictures (PNG/JPEG: panels, character sheets, faces, full
//! bodies; files that are not pictures, cannot be decoded, or are larger than
//! [`MAX_PICTURE_BYTES`] / [`MAX_PICTURE_PIXELS`] are skipped with a line each), and a base
//! character (default `haru`) for every value the art cannot tell. Out: a complete pack in the
//! user characters folder ([`crate::paths::user_characters_dir`], or `-o FOLDER`): its
//! character.toml with every value's origin as a comment, its face and background graphs and
//! thumbnail made by the built-in generator ([`crate::character::generator`], the code that
//! makes the built-in characters'), loaded and tried before the command says it is done; a
//! report of what was measured, from how many pictures, how sure (`--json`: one object, see
//! [`NewReport`]). Thread: main.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Serialize;

use crate::character::fit::{self, FitPicture};
use crate::character::writer::{PackDraft, write_pack_folder};
use crate::character::{CharacterSet, valid_id};
use crate::perception::{Perception, PerceptionConfig};

/// Largest picture file read.
pub const MAX_PICTURE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest picture (width x height) decoded.
pub const MAX_PICTURE_PIXELS: u64 = 50_000_000;
/// Pictures are measured at most this long a side (larger ones are scaled down).
pub const WORK_SIDE: u32 = 1280;
/// Palette pull for art drawn in a palette the measurement is this sure of.
const PALETTE_CONFIDENT: f32 = 0.8;
const ART_PALETTE_PULL: f64 = 0.6;
/// Pictures read at most (the rest are skipped with a line).
pub const MAX_PICTURES: usize = 400;

/// Arguments of `webtoonme character`.
#[derive(Debug, clap::Args)]
pub struct CharacterArgs {
    #[command(subcommand)]
    pub command: CharacterCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum CharacterCommand {
    /// Make a character from a folder of a webtoon's pictures (palette, skin, ink, tone steps,
    /// eyes measured on the art; the rest from --base).
    New(NewArgs),
}

#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The new character's id: 1 to 32 of a-z, 0-9, '_', '-'.
    pub id: String,
    /// Folder of the webtoon's pictures (PNG or JPEG).
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    /// Its name in the carousel (default: the id).
    #[arg(long)]
    pub name: Option<String>,
    /// The character whose values are kept where the art cannot tell.
    #[arg(long, default_value = "haru")]
    pub base: String,
    /// Characters folder to write the pack into (as FOLDER/ID); default: the user characters
    /// folder (the first of WEBTOONME_CHARACTERS, else ~/.local/share/webtoonme/characters).
    #[arg(short = 'o', long = "out", value_name = "FOLDER")]
    pub out: Option<PathBuf>,
    /// Replace a character of this id made before (never a built-in one).
    #[arg(long)]
    pub replace: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What `character new --json` prints.
#[derive(Debug, Serialize)]
pub struct NewReport {
    pub id: String,
    pub name: String,
    pub base: String,
    /// The pack folder written.
    pub dir: PathBuf,
    /// Pictures measured.
    pub pictures: usize,
    /// Files skipped, with why.
    pub skipped: Vec<Skipped>,
    /// The keys written from the measurements, with their origins.
    pub measured_keys: Vec<KeyReport>,
    /// Everything measured.
    pub fit: fit::Fit,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub file: PathBuf,
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct KeyReport {
    pub section: String,
    pub key: String,
    pub value: serde_json::Value,
    pub origin: String,
}

pub fn run(args: &CharacterArgs) -> anyhow::Result<()> {
    match &args.command {
        CharacterCommand::New(a) => new(a),
    }
}

fn new(args: &NewArgs) -> anyhow::Result<()> {
    if !valid_id(&args.id) {
        bail!("character id {:?} is not 1 to 32 characters of a-z, 0-9, '_', '-'", args.id);
    }
    let set = CharacterSet::load_default();
    let base = set.get(&args.base).with_context(|| {
        let ids: Vec<&str> = set.packs.iter().map(|p| p.id.as_str()).collect();
        format!("--base {}: no such character (installed: {})", args.base, ids.join(", "))
    })?;
    if base.style.is_empty() {
        bail!(
            "--base {}: it brings its own models; choose a character made by the built-in generator (e.g. haru)",
            base.id
        );
    }
    if let Some(existing) = set.get(&args.id)
        && (existing.builtin || !args.replace)
    {
        let why = if existing.builtin {
            "a built-in character has this id"
        } else {
            "a character has this id (--replace replaces it)"
        };
        bail!("character id {:?}: {why} ({})", args.id, existing.dir.display());
    }
    let root = match &args.out {
        Some(o) => o.clone(),
        None => {
            crate::paths::user_characters_dir().context("no user characters folder (HOME is not set); use -o FOLDER")?
        }
    };
    let name = args.name.clone().unwrap_or_else(|| args.id.clone());

    let (pictures, skipped) = read_pictures(&args.from)?;
    for s in &skipped {
        eprintln!("character new: skipped {}: {}", s.file.display(), s.reason);
    }
    if pictures.is_empty() {
        bail!("{}: no picture could be read (PNG or JPEG)", args.from.display());
    }
    let pictures = with_faces(pictures);
    let measured = fit::fit(&pictures);

    let mut draft = PackDraft::from_base(base, &args.id, &name);
    draft.description = format!(
        "Made by `webtoonme character new` from {} pictures; values the art does not show come from {}.",
        pictures.len(),
        base.name
    );
    let mut keys = Vec::new();
    for k in measured.to_keys() {
        keys.push(KeyReport {
            section: k.section.to_string(),
            key: k.key.to_string(),
            value: serde_json::to_value(&k.value).unwrap_or(serde_json::Value::Null),
            origin: k.comment.clone(),
        });
        let origin = if k.comment.starts_with("measured") { k.comment } else { format!("measured: {}", k.comment) };
        draft.set(k.section, k.key, k.value, origin);
    }
    // art drawn in its own palette gets a strong pull toward it on the background and clothes;
    // faces keep the base's pull (the person's own colours: likeness)
    if let Some(p) = measured.palette.as_ref().filter(|p| p.confidence >= PALETTE_CONFIDENT) {
        let cover: f32 = p.value.iter().map(|c| c.share).sum();
        let base_pull = base.style.get("palette_strength").cloned().unwrap_or(toml::Value::Float(0.0));
        let origin = format!(
            "measured: the art is drawn in its palette (it covers {:.0}% of the flat colour): a strong pull",
            cover * 100.0
        );
        draft.set("style", "palette_strength", toml::Value::Float(ART_PALETTE_PULL), origin);
        draft.set(
            "style.face",
            "palette_strength",
            base_pull,
            format!("from {}: faces keep the person's colours", base.id),
        );
    }
    let builtin = crate::paths::characters_dirs().into_iter().next();
    let dir = write_pack_folder(&root, &draft, args.replace, builtin.as_deref(), |dir| {
        crate::character::generator::write_pack_models(dir)?;
        crate::character::generator::make_thumbnail(dir).map(|_| ())
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;

    // the pack must load and its models run, as the app will use them
    let check = CharacterSet::load(std::slice::from_ref(&root));
    let pack = check.get(&args.id).with_context(|| {
        let problem = check.problems.iter().find(|p| p.file.starts_with(&dir)).map(|p| p.to_string());
        format!("{}: written but it does not load: {}", dir.display(), problem.unwrap_or_default())
    })?;
    crate::render::load_models(pack, &crate::perception::runtime::SessionOptions::default())
        .map_err(|p| anyhow::anyhow!("{}: written but its models do not run: {p}", dir.display()))?;

    if args.json {
        let report = NewReport {
            id: args.id.clone(),
            name,
            base: base.id.clone(),
            dir,
            pictures: pictures.len(),
            skipped,
            measured_keys: keys,
            fit: measured,
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("character new: {} ({}) from {} pictures, base {}", name, args.id, pictures.len(), base.id);
        print!("{measured}");
        println!("{} keys measured, the rest from {}; wrote {}", keys.len(), base.id, dir.display());
    }
    Ok(())
}

/// The pictures of `dir` (sorted by name), scaled to at most [`WORK_SIDE`] a side, and the files
/// skipped with why. Only an unreadable folder is an error.
pub fn read_pictures(dir: &Path) -> anyhow::Result<(Vec<FitPicture>, Vec<Skipped>)> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("{}: cannot read the folder", dir.display()))?;
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| !is_hidden(p)).collect();
    files.sort();
    let mut pictures = Vec::new();
    let mut skipped = Vec::new();
    for file in files {
        if file.is_dir() {
            continue;
        }
        if pictures.len() >= MAX_PICTURES {
            skipped.push(Skipped { file, reason: format!("more than {MAX_PICTURES} pictures") });
            continue;
        }
        match read_picture(&file) {
            Ok(image) => {
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                pictures.push(FitPicture { name, image, faces: Vec::new() });
            }
            Err(reason) => skipped.push(Skipped { file, reason }),
        }
    }
    Ok((pictures, skipped))
}

fn is_hidden(p: &Path) -> bool {
    p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// One picture, or why not.
fn read_picture(file: &Path) -> Result<image::RgbImage, String> {
    let bytes = std::fs::metadata(file).map_err(|e| format!("cannot read: {e}"))?.len();
    if bytes > MAX_PICTURE_BYTES {
        return Err(format!("{} MiB, more than {} MiB", bytes >> 20, MAX_PICTURE_BYTES >> 20));
    }
    let reader = image::ImageReader::open(file)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| format!("cannot read: {e}"))?;
    match reader.format() {
        Some(image::ImageFormat::Png | image::ImageFormat::Jpeg) => {}
        _ => return Err("not a PNG or JPEG picture".into()),
    }
    let (w, h) = reader.into_dimensions().map_err(|e| format!("not a readable picture: {e}"))?;
    if (w as u64) * (h as u64) > MAX_PICTURE_PIXELS {
        return Err(format!("{w}x{h} pixels, more than {} megapixels", MAX_PICTURE_PIXELS / 1_000_000));
    }
    let mut reader = image::ImageReader::open(file)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| format!("cannot read: {e}"))?;
    reader.no_limits();
    let img = crate::quiet_panic::catch_quietly(|| reader.decode())
        .map_err(|p| format!("not a readable picture: {p}"))?
        .map_err(|e| format!("not a readable picture: {e}"))?
        .into_rgb8();
    if img.width() < 8 || img.height() < 8 {
        return Err(format!("{}x{} pixels, too small to measure", img.width(), img.height()));
    }
    let long = img.width().max(img.height());
    if long <= WORK_SIDE {
        return Ok(img);
    }
    let k = WORK_SIDE as f32 / long as f32;
    let (nw, nh) =
        (((img.width() as f32 * k).round() as u32).max(1), ((img.height() as f32 * k).round() as u32).max(1));
    Ok(image::imageops::resize(&img, nw, nh, image::imageops::FilterType::Triangle))
}

/// The faces the project's detector and mesh find in each picture (none when the models are
/// not installed: then every face value comes from the base, said in the report).
fn with_faces(mut pictures: Vec<FitPicture>) -> Vec<FitPicture> {
    let mut perception = match Perception::load(PerceptionConfig::for_photos()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("character new: no face finding ({e}); face values come from the base");
            return pictures;
        }
    };
    for p in &mut pictures {
        match fit::find_faces(&mut perception, &p.image) {
            Ok(faces) => p.faces = faces,
            Err(e) => eprintln!("character new: {}: faces not found: {e}", p.name),
        }
    }
    pictures
}
