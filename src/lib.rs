//! webtoonme: people in front of a camera become webtoon characters, live.
//!
//! The frame's journey: [`source`] (capture thread) -> [`ring`] -> [`perception`] + [`track`]
//! (perception worker) -> sinks ([`pipeline`] for live, bench, CLI). See ARCHITECTURE.md.

pub mod app;
pub mod bench;
pub mod character;
pub mod characters_cmd;
pub mod cli;
pub mod compose;
pub mod config;
pub mod detect;
pub mod devices;
pub mod draw;
pub mod frame;
pub mod live;
pub mod media;
pub mod one_euro;
pub mod overlay;
pub mod paths;
pub mod perception;
pub mod pipeline;
pub mod priority;
pub mod quiet_panic;
pub mod record;
pub mod render;
pub mod ring;
pub mod setup;
pub mod skin_ramp;
pub mod source;
pub mod stability;
pub mod stylize;
pub mod track;
