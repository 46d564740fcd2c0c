//! The likeness meter: does a stylized face still look like the person? A face-recognition
//! descriptor compares each face of a photo with the same region of its stylized picture.
//!
//! In: the original picture, the stylized picture (same size), and each face's 478 landmarks
//! found in the original by [`crate::perception`]. Out: per face the cosine similarity between
//! original and stylized, whether the stylized face is identified as its own person (top-1 among
//! the original's faces, its own doubles aside: [`SAME_PERSON`]), the reference the target is set against (the original against
//! itself after a JPEG quality-30 round trip) and a summary ([`Measurement`]). Both pictures are
//! cut with the SAME alignment ([`align`]), the original's, so a stylizer cannot score by moving
//! the face. Runs on the caller's thread (`webtoonme likeness`, tests); owns one ONNX Runtime
//! session ([`embed`]).

pub mod align;
pub mod embed;

use std::path::Path;

use image::RgbImage;
use serde::Serialize;

use crate::paths;
use crate::perception::runtime::{self, ActiveProvider, ModelSession, RuntimeError, SessionOptions};
use align::RecognizerCrop;
use embed::{Descriptor, FaceEmbedder, INPUT_SIZE};

/// JPEG quality of the reference round trip (the "quality 30").
pub const REFERENCE_JPEG_QUALITY: u8 = 30;

/// One face of the original against the stylized picture.
#[derive(Debug, Clone, Serialize)]
pub struct FaceLikeness {
    /// Cosine similarity of the original face and the same region of the stylized picture.
    pub cosine: f32,
    /// 1 when the stylized face is nearer to its own original than to any other person's face
    /// in the original; else 1 + the number of those it is nearer to. Faces of the original that
    /// are the same person as this one ([`SAME_PERSON`]) are not counted.
    pub rank: usize,
    /// `rank == 1`: identified as its own person.
    pub identified: bool,
    /// Highest cosine of the stylized face to another person's face in the original (`None`:
    /// nobody else there).
    pub nearest_other: Option<f32>,
    /// The original face against itself after a JPEG quality-30 round trip of the whole picture:
    /// what the meter gives a faithful copy of this face.
    pub reference: f32,
    /// `cosine / reference`.
    pub ratio: f32,
}

/// All faces of one picture pair.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub faces: usize,
    /// Faces identified as their own person.
    pub identified: usize,
    pub mean_cosine: Option<f32>,
    pub min_cosine: Option<f32>,
    pub mean_reference: Option<f32>,
    /// `mean_cosine / mean_reference`.
    pub ratio: Option<f32>,
    /// The lowest per-face `ratio`.
    pub min_ratio: Option<f32>,
}

impl Summary {
    pub fn of(faces: &[FaceLikeness]) -> Self {
        let n = faces.len();
        let mean = |f: fn(&FaceLikeness) -> f32| (n > 0).then(|| faces.iter().map(f).sum::<f32>() / n as f32);
        let min = |f: fn(&FaceLikeness) -> f32| faces.iter().map(f).reduce(f32::min);
        let (mean_cosine, mean_reference) = (mean(|f| f.cosine), mean(|f| f.reference));
        Self {
            faces: n,
            identified: faces.iter().filter(|f| f.identified).count(),
            mean_cosine,
            min_cosine: min(|f| f.cosine),
            mean_reference,
            ratio: mean_cosine.zip(mean_reference).map(|(c, r)| c / r),
            min_ratio: min(|f| f.ratio),
        }
    }
}

/// The faces of one picture pair, in the order their landmarks were given, and the summary.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    pub faces: Vec<FaceLikeness>,
    pub summary: Summary,
}

/// Problems of a measurement, each naming what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum LikenessError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(
        "the stylized picture is {stylized_w}x{stylized_h}, the original {original_w}x{original_h}: they must be the same size (the faces are cut from both at the same place)"
    )]
    SizeMismatch { original_w: u32, original_h: u32, stylized_w: u32, stylized_h: u32 },
    #[error(
        "face {index}: its landmarks give no usable alignment (fewer than 478 points, or not finite, or no extent)"
    )]
    NoAlignment { index: usize },
    #[error("JPEG round trip for the reference: {0}")]
    Jpeg(String),
}

/// The descriptor model with the crop buffers it reuses.
#[derive(Debug)]
pub struct LikenessMeter {
    embedder: FaceEmbedder,
    crop: Vec<u8>,
    scratch: Vec<u8>,
}

impl LikenessMeter {
    /// Load ONNX Runtime (once per process) and `faceres.onnx` from the models folder.
    pub fn load(opts: &SessionOptions) -> Result<Self, RuntimeError> {
        Self::load_from(&paths::models_dir(), opts)
    }

    pub fn load_from(models_dir: &Path, opts: &SessionOptions) -> Result<Self, RuntimeError> {
        let env = runtime::init(&paths::onnxruntime_library())?;
        let session = ModelSession::load(&env, "face_embedding", &models_dir.join(paths::FACE_EMBEDDING_FILE), opts)?;
        Ok(Self { embedder: FaceEmbedder::new(session)?, crop: Vec::new(), scratch: Vec::new() })
    }

    pub fn provider(&self) -> ActiveProvider {
        self.embedder.session().provider
    }

    /// The recognizer's crop of a face, or an error naming the face (`index`, 1-based in messages).
    pub fn align(landmarks: &[[f32; 3]], index: usize) -> Result<RecognizerCrop, LikenessError> {
        RecognizerCrop::from_landmarks(landmarks, INPUT_SIZE).ok_or(LikenessError::NoAlignment { index })
    }

    /// The descriptor of the region `crop` of `picture`.
    pub fn describe(&mut self, picture: &RgbImage, crop: &RecognizerCrop) -> Result<Descriptor, RuntimeError> {
        crop.cut(picture.as_raw(), picture.width(), picture.height(), &mut self.crop, &mut self.scratch);
        self.embedder.embed(&self.crop)
    }

    /// Every face (given by its landmarks in `original`) against the same region of `stylized`.
    pub fn measure(
        &mut self,
        original: &RgbImage,
        stylized: &RgbImage,
        faces: &[&[[f32; 3]]],
    ) -> Result<Measurement, LikenessError> {
        if original.dimensions() != stylized.dimensions() {
            return Err(LikenessError::SizeMismatch {
                original_w: original.width(),
                original_h: original.height(),
                stylized_w: stylized.width(),
                stylized_h: stylized.height(),
            });
        }
        let crops = faces.iter().enumerate().map(|(i, lm)| Self::align(lm, i + 1)).collect::<Result<Vec<_>, _>>()?;
        let reference_picture = jpeg_round_trip(original, REFERENCE_JPEG_QUALITY)?;
        let mut originals = Vec::with_capacity(crops.len());
        let mut stylized_faces = Vec::with_capacity(crops.len());
        let mut references = Vec::with_capacity(crops.len());
        for crop in &crops {
            let o = self.describe(original, crop)?;
            references.push(o.cosine(&self.describe(&reference_picture, crop)?));
            stylized_faces.push(self.describe(stylized, crop)?);
            originals.push(o);
        }
        let faces: Vec<FaceLikeness> = stylized_faces
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (m, reference) = (identify(s, &originals, i), references[i]);
                FaceLikeness {
                    cosine: m.cosine,
                    rank: m.rank,
                    identified: m.rank == 1,
                    nearest_other: m.nearest_other,
                    reference,
                    ratio: m.cosine / reference,
                }
            })
            .collect();
        let summary = Summary::of(&faces);
        Ok(Measurement { faces, summary })
    }
}

/// Two faces of the original whose descriptors are at least this close are taken for the same
/// person (a mirrored copy, twins, one person in two frames of a collage): neither counts against
/// the other's identification. Far above any two different people seen on the test photos (their
/// highest is printed by tests/likeness.rs), far below the same face after JPEG or blur.
pub const SAME_PERSON: f32 = 0.8;

/// How a probe descriptor meets a gallery in which `own` is its own face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Identification {
    /// Cosine to its own face.
    pub cosine: f32,
    /// 1 + the number of other people's faces nearer than its own.
    pub rank: usize,
    /// Highest cosine to another person's face.
    pub nearest_other: Option<f32>,
}

/// Where `probe` ranks its own face `gallery[own]` among the other people of `gallery` (faces at
/// least [`SAME_PERSON`] close to `gallery[own]` are the same person and left out).
pub fn identify(probe: &Descriptor, gallery: &[Descriptor], own: usize) -> Identification {
    let cosine = probe.cosine(&gallery[own]);
    let others = gallery
        .iter()
        .enumerate()
        .filter(|&(j, g)| j != own && g.cosine(&gallery[own]) < SAME_PERSON)
        .map(|(_, g)| probe.cosine(g));
    let (mut rank, mut nearest_other) = (1, None::<f32>);
    for c in others {
        if c >= cosine {
            rank += 1;
        }
        nearest_other = Some(nearest_other.map_or(c, |n| n.max(c)));
    }
    Identification { cosine, rank, nearest_other }
}

/// `picture` encoded as baseline JPEG at `quality` (the `image` crate's encoder) and decoded.
pub fn jpeg_round_trip(picture: &RgbImage, quality: u8) -> Result<RgbImage, LikenessError> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(picture)
        .map_err(|e| LikenessError::Jpeg(e.to_string()))?;
    image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .map(|i| i.into_rgb8())
        .map_err(|e| LikenessError::Jpeg(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Descriptor {
        Descriptor::normalized(v.to_vec()).unwrap()
    }

    #[test]
    fn identification_ranks_its_own_face_and_skips_its_own_doubles() {
        let gallery = [unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 1.0, 0.0]), unit(&[0.0, 0.0, 1.0])];
        let probe = unit(&[0.2, 1.0, 0.5]);
        let near = identify(&probe, &gallery, 1);
        assert_eq!(near.rank, 1);
        let far = identify(&probe, &gallery, 0);
        assert_eq!(far.rank, 3);
        assert!((far.nearest_other.unwrap() - near.cosine).abs() < 1e-6);
        assert_eq!(identify(&probe, &gallery[..1], 0).nearest_other, None);
        // a double of face 1 in the gallery (a mirrored copy) does not outrank face 1
        let doubled = [unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 1.0, 0.0]), unit(&[0.0, 1.0, 0.1])];
        let probe = unit(&[0.0, 1.0, 0.12]);
        let m = identify(&probe, &doubled, 1);
        assert_eq!((m.rank, m.nearest_other), (1, Some(0.0)));
    }

    #[test]
    fn summary_of_nothing_has_no_numbers() {
        let s = Summary::of(&[]);
        assert_eq!((s.faces, s.identified, s.mean_cosine, s.ratio, s.min_ratio), (0, 0, None, None, None));
    }

    #[test]
    fn jpeg_round_trip_keeps_the_size() {
        let img = RgbImage::from_fn(37, 21, |x, y| image::Rgb([(x * 7) as u8, (y * 11) as u8, 90]));
        let back = jpeg_round_trip(&img, REFERENCE_JPEG_QUALITY).unwrap();
        assert_eq!(back.dimensions(), (37, 21));
    }
}
