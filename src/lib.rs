//! webtoonme: people in front of a camera become webtoon characters, live.
//!
//! The frame's journey: [`source`] (capture thread) -> [`ring`] -> [`perception`] (perception worker:
//! detection, mesh, tracking) -> sinks ([`pipeline`] for live, bench, CLI). See ARCHITECTURE.md.

pub mod app;
pub mod character;
pub mod cli;
pub mod commands;
pub mod compose;
pub mod config;
pub mod draw;
pub mod frame;
pub mod likeness;
pub mod paths;
pub mod perception;
pub mod pipeline;
pub mod priority;
pub mod quiet_panic;
pub mod record;
pub mod render;
pub mod ring;
pub mod share;
pub mod source;
pub mod stylize;
