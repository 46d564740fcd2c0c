//! Take it home: what a visitor leaves the booth with. Kept photos, strips, clips and
//! boomerangs are published in the output folder's store ([`store`]) under unguessable tokens
//! ([`token`]); the share server ([`server`]) answers phones on the booth's own network with a
//! small page per keepsake ([`page`]); the window shows the link as a QR code ([`qr`]) naming the
//! address phones can reach ([`address`]); strips (and photos, as a setting) print through the
//! system's print service ([`print`]). No cloud service: the booth is often offline.
//!
//! In: kept files, the sharing and printing settings. Out: links, pages, files over HTTP, print
//! jobs. Threads: the window's "keeper" publishes, sweeps and prints; the server runs on
//! "share-server" (+ "share-files"); `webtoonme serve` and `webtoonme share` use the same store.

pub mod address;
pub mod page;
pub mod print;
pub mod publish;
pub mod qr;
pub mod server;
pub mod store;
pub mod token;
