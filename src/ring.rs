//! `FrameRing`: the bounded, latest-wins hand-off between the capture thread and the perception
//! worker.
//!
//! In: frames published by the capture thread. Out: the newest frame, taken by one consumer
//! thread. A frame that is replaced before anyone took it is dropped and counted, never silently
//! lost. Pixel buffers circulate through a small fixed pool, so once the pool is warm nothing is
//! allocated per frame.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::frame::Frame;

/// Counters a sink reports (`bench --json`, the live status line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RingStats {
    /// Frames the producer published.
    pub published: u64,
    /// Frames replaced by a newer one before a consumer took them.
    pub dropped: u64,
    /// Frames a consumer took.
    pub taken: u64,
}

struct Slots {
    latest: Option<Frame>,
    /// Recycled buffers; bounded by `capacity`.
    free: Vec<Frame>,
    /// Buffers that exist in total (in the slot, in the pool, or lent out).
    allocated: usize,
    /// Consumers waiting in [`FrameRing::take`] right now (lock-step producers make a frame
    /// only when one is asked for, so a frame's age is the pipeline's latency, not its queue).
    waiting: usize,
}

/// Latest-wins single-slot ring with a buffer pool of `capacity` frames.
pub struct FrameRing {
    slots: Mutex<Slots>,
    ready: Condvar,
    /// Signalled when the waiting frame was taken (lock-step producers wait on it).
    space: Condvar,
    capacity: usize,
    closed: AtomicBool,
    published: AtomicU64,
    dropped: AtomicU64,
    taken: AtomicU64,
}

impl std::fmt::Debug for FrameRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameRing").field("capacity", &self.capacity).field("stats", &self.stats()).finish()
    }
}

impl FrameRing {
    /// `capacity` buffers circulate: one being filled, one waiting, the rest held by consumers.
    /// Three or four is enough for one producer and one consumer.
    pub fn new(capacity: usize) -> Self {
        assert!(capacity >= 2, "a ring needs at least two buffers");
        Self {
            slots: Mutex::new(Slots { latest: None, free: Vec::with_capacity(capacity), allocated: 0, waiting: 0 }),
            ready: Condvar::new(),
            space: Condvar::new(),
            capacity,
            closed: AtomicBool::new(false),
            published: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            taken: AtomicU64::new(0),
        }
    }

    /// A buffer for the producer to fill: a recycled one, a new one while the pool is not full,
    /// or, when every buffer is lent out, the waiting (not yet taken) frame, which then counts as
    /// dropped. Never blocks.
    pub fn acquire(&self) -> Frame {
        let mut s = self.slots.lock().expect("ring lock");
        if let Some(f) = s.free.pop() {
            return f;
        }
        if s.allocated < self.capacity {
            s.allocated += 1;
            return Frame::empty();
        }
        if let Some(f) = s.latest.take() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return f;
        }
        // Every buffer is held by consumers that did not recycle: grow rather than stall capture.
        s.allocated += 1;
        Frame::empty()
    }

    /// A buffer for a lock-step producer: recycled or new, never the waiting frame (lock step
    /// must not drop). The pipeline's bounded stages keep the number of buffers bounded.
    pub fn acquire_lockstep(&self) -> Frame {
        let mut s = self.slots.lock().expect("ring lock");
        if let Some(f) = s.free.pop() {
            return f;
        }
        s.allocated += 1;
        Frame::empty()
    }

    /// Publish a filled frame; an older frame still waiting is dropped (counted) and recycled.
    pub fn publish(&self, frame: Frame) {
        let mut s = self.slots.lock().expect("ring lock");
        if let Some(old) = s.latest.replace(frame) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            s.free.push(old);
        }
        self.published.fetch_add(1, Ordering::Relaxed);
        drop(s);
        self.ready.notify_one();
    }

    /// Lock-step producers call this before making a frame: waits until the previous frame was
    /// taken and a consumer is waiting for the next one (or the ring is closed). A frame is then
    /// made on demand, like a camera's freshest frame, instead of ageing in the slot while the
    /// pipeline is busy.
    pub fn wait_for_demand(&self) {
        let mut s = self.slots.lock().expect("ring lock");
        while (s.latest.is_some() || s.waiting == 0) && !self.closed.load(Ordering::Acquire) {
            s = self.space.wait_timeout(s, Duration::from_millis(50)).expect("ring lock").0;
        }
    }

    /// Lock-step publish (video files, benchmarks): wait until the previous frame was taken, so
    /// no frame is dropped. Gives up waiting when the ring is closed.
    pub fn publish_lockstep(&self, frame: Frame) {
        let mut s = self.slots.lock().expect("ring lock");
        while s.latest.is_some() && !self.closed.load(Ordering::Acquire) {
            s = self.space.wait_timeout(s, Duration::from_millis(50)).expect("ring lock").0;
        }
        drop(s);
        self.publish(frame);
    }

    /// Take the newest frame, waiting up to `timeout`. `None` on timeout or when the ring is
    /// closed and empty.
    pub fn take(&self, timeout: Duration) -> Option<Frame> {
        let mut s = self.slots.lock().expect("ring lock");
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(f) = s.latest.take() {
                self.taken.fetch_add(1, Ordering::Relaxed);
                self.space.notify_all();
                return Some(f);
            }
            if self.closed.load(Ordering::Acquire) {
                return None;
            }
            let now = std::time::Instant::now();
            if now >= deadline {
                return None;
            }
            s.waiting += 1;
            self.space.notify_all();
            s = self.ready.wait_timeout(s, deadline - now).expect("ring lock").0;
            s.waiting -= 1;
        }
    }

    /// Give a consumed frame's buffer back to the pool.
    pub fn recycle(&self, frame: Frame) {
        let mut s = self.slots.lock().expect("ring lock");
        if s.free.len() < s.allocated.max(self.capacity) {
            s.free.push(frame);
        } else {
            s.allocated = s.allocated.saturating_sub(1);
        }
    }

    /// Mark the end of the stream: consumers drain the last frame, then `take` returns `None`.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.ready.notify_all();
        self.space.notify_all();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> RingStats {
        RingStats {
            published: self.published.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            taken: self.taken.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_consumer_gets_latest_and_drops_are_counted() {
        let ring = FrameRing::new(3);
        for seq in 0..10 {
            let mut f = ring.acquire();
            f.seq = seq;
            ring.publish(f);
        }
        let f = ring.take(Duration::from_millis(10)).unwrap();
        assert_eq!(f.seq, 9, "consumer sees the newest frame");
        let st = ring.stats();
        assert_eq!(st.published, 10);
        assert_eq!(st.dropped, 9);
        assert_eq!(st.taken, 1);
        assert_eq!(st.published, st.dropped + st.taken);
    }

    #[test]
    fn buffers_are_reused_not_reallocated() {
        let ring = FrameRing::new(3);
        let mut ptrs = std::collections::HashSet::new();
        for seq in 0..100u64 {
            let mut f = ring.acquire();
            f.ensure_size(64, 48);
            f.seq = seq;
            ptrs.insert(f.rgb.as_ptr() as usize);
            ring.publish(f);
            if seq % 3 == 0 {
                let got = ring.take(Duration::ZERO).unwrap();
                ring.recycle(got);
            }
        }
        assert!(ptrs.len() <= 3, "{} distinct buffers for a ring of 3", ptrs.len());
    }

    #[test]
    fn lockstep_never_drops_even_with_every_buffer_lent() {
        let ring = FrameRing::new(2);
        let mut held = Vec::new();
        for seq in 0..5u64 {
            let mut f = ring.acquire_lockstep();
            f.seq = seq;
            ring.publish(f);
            held.push(ring.take(Duration::ZERO).unwrap());
        }
        assert_eq!(held.iter().map(|f| f.seq).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
        assert_eq!(ring.stats().dropped, 0);
    }

    #[test]
    fn close_wakes_consumer_and_drains_last_frame() {
        let ring = std::sync::Arc::new(FrameRing::new(2));
        let mut f = ring.acquire();
        f.seq = 7;
        ring.publish(f);
        ring.close();
        assert_eq!(ring.take(Duration::from_secs(1)).unwrap().seq, 7);
        assert!(ring.take(Duration::from_secs(1)).is_none());
    }
}
