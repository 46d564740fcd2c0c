//! Stylization: each person's face through their character's face model, the frame through the
//! scene character's background model.
//!
//! In: a frame, its [`crate::perception::FrameAnalysis`] and the characters assigned to tracks.
//! Out: a [`StylizedFrame`] (stylized background at a working resolution, one aligned, stylized,
//! feather-masked face crop per person) for the compositor. Runs on the stylize worker thread,
//! which owns the models.

pub mod assign;
pub mod descriptor;
pub mod face_align;
pub mod face_tones;
pub mod model;
pub mod people;
pub mod stage;

pub use model::{RgbBuffer, StylizerModel};
pub use stage::{CharacterFailure, FaceLayerBuf, StylizeStage, StylizedFrame};
