//! The commands of the `webtoonme` binary, each with its own arguments ([`crate::cli`] only
//! collects them). In: parsed arguments. Out: files, reports and windows; errors as one line.
//! Every command runs on the main thread and starts the workers it needs.

pub mod autostart;
pub mod bench;
pub mod character;
pub mod characters;
pub mod detect;
pub mod devices;
pub mod likeness;
pub mod live;
pub mod media;
pub mod overlay;
pub mod serve;
pub mod setup;
pub mod share;
pub mod stability;
