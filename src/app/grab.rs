//! Reading composed frames back from the GPU without waiting: for the clip being recorded, the
//! photo, the strip's shots and the boomerang's frames. A frame is copied into one of a few
//! mappable buffers right after it was composed (queued behind the compose, so the next compose
//! cannot overwrite it) and mapped asynchronously; later repaints collect the buffers whose
//! mapping finished. When every buffer is busy the frame is not grabbed (a clip counts it as
//! dropped): the UI never waits.
//!
//! In: the compositor's output texture and what the frame is for. Out: packed RGB8 frames, in the
//! order they were grabbed. UI thread (eframe's device).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use eframe::egui_wgpu::wgpu;

/// Buffers in flight: at 30 frames a second a mapping may take up to this many frames.
const SLOTS: usize = 4;

const IDLE: u8 = 0;
const COPYING: u8 = 1;
const MAPPED: u8 = 2;
const FAILED: u8 = 3;

/// What a grabbed frame is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Clip,
    Photo,
    /// Shot k (0..4) of a four-cut strip.
    StripShot(usize),
    /// A frame of a boomerang.
    Boomerang,
    /// The picture of a character saved from the character panel (its thumbnail).
    Thumbnail,
}

/// A grabbed frame's purpose and capture time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrabTag {
    pub purpose: Purpose,
    pub captured_at: Instant,
}

struct Slot {
    buffer: wgpu::Buffer,
    size: [u32; 2],
    padded_row: u32,
    state: Arc<AtomicU8>,
    tag: Option<GrabTag>,
    /// Order of the grab (collected oldest first).
    order: u64,
}

#[derive(Default)]
pub struct FrameGrab {
    slots: Vec<Slot>,
    next_order: u64,
}

impl std::fmt::Debug for FrameGrab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameGrab").field("slots", &self.slots.len()).finish()
    }
}

impl FrameGrab {
    /// Whether a grab has not been collected yet.
    pub fn busy(&self) -> bool {
        self.slots.iter().any(|s| s.tag.is_some())
    }

    /// Queues the copy of `texture` (RGBA8, just composed) for `tag`. False when every buffer is
    /// in flight (nothing was queued).
    pub fn request(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        texture: &wgpu::Texture,
        tag: GrabTag,
    ) -> bool {
        let size = [texture.width(), texture.height()];
        let padded_row = (size[0] * 4).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let make = || Slot {
            buffer: device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("frame grab"),
                size: u64::from(padded_row) * u64::from(size[1]),
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }),
            size,
            padded_row,
            state: Arc::new(AtomicU8::new(IDLE)),
            tag: None,
            order: 0,
        };
        // a free buffer of this size; else a new one (buffers are made only when sizes change)
        let index = match self.slots.iter().position(|s| s.tag.is_none() && s.size == size) {
            Some(i) => i,
            None if self.slots.len() < SLOTS => {
                self.slots.push(make());
                self.slots.len() - 1
            }
            None => match self.slots.iter().position(|s| s.tag.is_none()) {
                Some(i) => {
                    self.slots[i] = make();
                    i
                }
                None => return false,
            },
        };
        let slot = &mut self.slots[index];
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame grab") });
        encoder.copy_texture_to_buffer(
            texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &slot.buffer,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(slot.padded_row),
                    rows_per_image: Some(size[1]),
                },
            },
            texture.size(),
        );
        queue.submit([encoder.finish()]);
        slot.state.store(COPYING, Ordering::Release);
        let state = slot.state.clone();
        slot.buffer.map_async(wgpu::MapMode::Read, .., move |result| {
            state.store(if result.is_ok() { MAPPED } else { FAILED }, Ordering::Release);
        });
        slot.tag = Some(tag);
        slot.order = self.next_order;
        self.next_order += 1;
        true
    }

    /// Collects the grabs whose mapping finished, oldest first: each is converted to RGB8 into the
    /// buffer `buffer_for` gives, then handed to `done` with its size. Never waits.
    pub fn collect(
        &mut self,
        device: &wgpu::Device,
        mut buffer_for: impl FnMut(&GrabTag) -> Vec<u8>,
        mut done: impl FnMut(GrabTag, Vec<u8>, [u32; 2]),
    ) {
        if !self.busy() {
            return;
        }
        let _ = device.poll(wgpu::PollType::Poll);
        loop {
            // in the order they were grabbed (clip frames stay in order): the oldest, once mapped
            let Some(slot) = self.slots.iter_mut().filter(|s| s.tag.is_some()).min_by_key(|s| s.order) else {
                return;
            };
            if slot.state.load(Ordering::Acquire) < MAPPED {
                return;
            }
            let tag = slot.tag.take().expect("filtered on tag");
            let state = slot.state.swap(IDLE, Ordering::AcqRel);
            if state == MAPPED {
                let mut rgb = buffer_for(&tag);
                let [w, h] = slot.size;
                let row = w as usize * 3;
                rgb.resize(row * h as usize, 0);
                if let Ok(mapped) = slot.buffer.get_mapped_range(..) {
                    for (out, padded) in rgb.chunks_exact_mut(row).zip(mapped.chunks(slot.padded_row as usize)) {
                        for (o, p) in out.chunks_exact_mut(3).zip(padded.chunks_exact(4)) {
                            o.copy_from_slice(&p[..3]);
                        }
                    }
                }
                slot.buffer.unmap();
                done(tag, rgb, [w, h]);
            } else {
                log::warn!("a frame read back from the GPU could not be mapped ({:?})", tag.purpose);
            }
        }
    }
}
