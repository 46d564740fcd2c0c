//! The live pipeline: capture thread -> frame ring -> perception worker -> the caller.
//!
//! In: a source and a perception configuration. Out: [`PipelineOutput`]s (frame + analysis) on a
//! bounded channel, read by one sink thread (terminal reporter, bench, CLI). Threads: "capture"
//! and "perception". The sink gives outputs back with [`Pipeline::recycle`] so buffers circulate
//! instead of being allocated per frame. `Drop` signals both threads and never blocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::draw::FaceLook;
use crate::frame::Frame;
use crate::perception::runtime::{ActiveProvider, RuntimeError};
use crate::perception::{FrameAnalysis, Perception, PerceptionConfig};
use crate::ring::{FrameRing, RingStats};
use crate::source::capture::{CaptureMode, CaptureThread, Reopen, SourceHealth};
use crate::source::{FrameSource, SourceError, SourceInfo};
use crate::stylize::assign::AssignMode;
use crate::stylize::people::CharacterLook;
use crate::stylize::stage::CharacterModels;
use crate::stylize::{StylizeStage, StylizedFrame};

/// Buffers in the frame ring: one being captured, one waiting, the rest held downstream
/// (perception, the stylize hand-off, the output queue, the sink).
const RING_BUFFERS: usize = 6;
/// Outputs waiting for the sink. Small: a slow sink makes the ring drop frames instead of lagging.
const OUTPUT_DEPTH: usize = 2;

/// Frames between the ring and the sink at once: one per stage (perception, stylize, the sink's
/// compositing), so every stage has work while nothing queues. Perception takes a frame from the
/// ring only while a place is free; a frame waiting for one stays in the ring, where a newer frame
/// replaces it (live) or where it is made on demand (lock step), so latency is the stages' time,
/// not a queue's.
const IN_FLIGHT_STYLIZED: usize = 3;
const IN_FLIGHT_PERCEPTION_ONLY: usize = 2;

/// Perception never delays a frame longer than this for pacing.
const PACE_MAX_WAIT: Duration = Duration::from_millis(60);

/// A frame's place in the pipeline: taken by perception before it takes a frame, given back when
/// the sink recycles or drops the [`PipelineOutput`] holding it.
#[derive(Debug)]
pub struct InFlight {
    places: Sender<()>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let _ = self.places.try_send(());
    }
}

/// A frame, what perception found in it and, when the pipeline stylizes, its stylized parts.
#[derive(Debug)]
pub struct PipelineOutput {
    pub frame: Frame,
    pub analysis: FrameAnalysis,
    pub stylized: StylizedFrame,
    /// When perception finished with the frame.
    pub analysed_at: Instant,
    /// When stylization finished (equals `analysed_at` without a stylize stage).
    pub stylized_at: Instant,
    /// This frame's place in the pipeline, free again when the output is recycled or dropped.
    pub place: InFlight,
}

/// A choice from the UI for the stylize thread (applied before the next frame it stylizes).
#[derive(Debug)]
pub enum StylizeCommand {
    /// New people wear this character, and so does everyone in view now.
    SetDefault(usize),
    /// The next character for this track (a click on a face).
    CycleTrack(u32),
    /// "Everyone different" on (round robin: the people in view get distinct characters now) or off.
    SetMode(AssignMode),
    /// A tuned character's new models (the character panel moved a knob of its style).
    Replace(usize, Box<CharacterModels>),
    /// A tuned character's painting and face look (skin, eyes, iris): its models stay.
    SetLook(usize, Box<(CharacterLook, Option<FaceLook>, f32)>),
}

/// Commands waiting for the stylize thread; a full queue drops the newest (the UI never waits).
const COMMAND_DEPTH: usize = 8;

/// The per-frame products whose buffers circulate back to the workers.
#[derive(Debug, Default)]
struct Products {
    analysis: FrameAnalysis,
    stylized: StylizedFrame,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("cannot start thread: {0}")]
    Thread(#[from] std::io::Error),
}

pub struct Pipeline {
    ring: Arc<FrameRing>,
    capture: Option<CaptureThread>,
    workers: Vec<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
    outputs: Receiver<Result<PipelineOutput, RuntimeError>>,
    spare: Sender<Products>,
    provider: ActiveProvider,
    source: SourceInfo,
    /// To the stylize thread, when there is one.
    commands: Option<Sender<StylizeCommand>>,
    /// Whether a reopening source is lost ([`Pipeline::start_reopening`]).
    health: Option<Arc<SourceHealth>>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline").field("source", &self.source).field("provider", &self.provider).finish()
    }
}

impl Pipeline {
    /// Load the models, then start capture and perception. Model and source errors surface here.
    pub fn start<F>(
        open: F,
        mode: CaptureMode,
        max_frames: Option<u64>,
        config: PerceptionConfig,
    ) -> Result<Self, PipelineError>
    where
        F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
    {
        let perception = Perception::load(config)?;
        Self::start_with(open, mode, max_frames, perception, None)
    }

    /// Start with an already loaded [`Perception`] and, optionally, a stylize stage (its own
    /// thread "stylize" between perception and the sink).
    pub fn start_with<F>(
        open: F,
        mode: CaptureMode,
        max_frames: Option<u64>,
        perception: Perception,
        stylize: Option<StylizeStage>,
    ) -> Result<Self, PipelineError>
    where
        F: FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
    {
        let capture = move |ring| CaptureThread::start(open, ring, mode, max_frames);
        Self::start_impl(capture, perception, stylize, None, None)
    }

    /// The window's live pipeline: like [`Pipeline::start_with`] (real time, no frame limit),
    /// but a source that fails later is reopened (see [`CaptureThread::start_reopening`]);
    /// [`Pipeline::source_health`] tells the UI while it is lost. The inference threads yield
    /// the CPU to the UI ([`crate::priority::INFERENCE_NICE`]).
    pub fn start_reopening(
        reopen: Reopen,
        perception: Perception,
        stylize: Option<StylizeStage>,
    ) -> Result<Self, PipelineError> {
        let health = reopen.health.clone();
        let capture = move |ring| CaptureThread::start_reopening(reopen, ring, CaptureMode::Realtime, None);
        Self::start_impl(capture, perception, stylize, Some(health), Some(crate::priority::INFERENCE_NICE))
    }

    fn start_impl(
        capture: impl FnOnce(Arc<FrameRing>) -> Result<CaptureThread, SourceError>,
        mut perception: Perception,
        stylize: Option<StylizeStage>,
        health: Option<Arc<SourceHealth>>,
        nice: Option<i32>,
    ) -> Result<Self, PipelineError> {
        // `nice` for every stage (the window's), else the stage's own
        let lower_priority = move |stage_nice: i32| {
            if !crate::priority::set_current_thread_nice(nice.unwrap_or(stage_nice)) {
                log::warn!("could not lower the priority of the inference threads");
            }
        };
        let provider = perception.provider();
        let ring = Arc::new(FrameRing::new(RING_BUFFERS));
        let stop = Arc::new(AtomicBool::new(false));
        let (out_tx, outputs) = bounded(OUTPUT_DEPTH);
        let (spare, spare_rx) = bounded::<Products>(OUTPUT_DEPTH + 4);
        // perception sends to the stylize thread when there is one, else straight to the sink
        let (perceived_tx, stylize_rx) = match stylize {
            Some(_) => {
                let (tx, rx) = bounded(1);
                (tx, Some(rx))
            }
            None => (out_tx.clone(), None),
        };
        // with a stylize stage, perception starts on a frame only once the stylize thread took
        // the last one: a frame perceived earlier would wait for it, so it is taken that much
        // later instead, and fresher (lower latency, the same throughput while perception is
        // the faster of the two)
        // ... and, as far as the two threads' recent times tell, only so early that it finishes
        // when the stylize thread does: a frame perceived earlier waits for it (latency), one
        // perceived later leaves it idle (throughput). Measured with `bench` on the demo (2 cores,
        // 300 frames, two rounds each), aiming this many ms early: -8: p95 latency 115-119 ms at
        // 17.6-17.8 fps; 0: 119-120 ms at 19.0-19.4; 2: 120-121 at 19.6-20.0; 4: 123 at
        // 20.2-20.4; 10: 132-133 at 20.6-21.5
        let (stylize_ready_tx, stylize_ready) = bounded::<()>(1);
        let _ = stylize_ready_tx.try_send(());
        let pace = stylize.is_some();
        let stylize_us = Arc::new(AtomicU64::new(0));
        let stylize_us_writer = stylize_us.clone();
        let in_flight = if stylize.is_some() { IN_FLIGHT_STYLIZED } else { IN_FLIGHT_PERCEPTION_ONLY };
        let (places, free_places) = bounded::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = places.try_send(());
        }
        let mut workers = Vec::new();
        workers.push({
            let (ring, stop) = (ring.clone(), stop.clone());
            std::thread::Builder::new().name("perception".into()).spawn(move || {
                lower_priority(crate::priority::PERCEPTION_NICE);
                let (mut place, mut ready) = (None, false);
                // when to take the next frame, and perception's recent time per frame (µs)
                let (mut take_at, mut perceive_us) = (None::<Instant>, 0.0f64);
                while !stop.load(Ordering::Acquire) {
                    if place.is_none() {
                        match free_places.recv_timeout(Duration::from_millis(100)) {
                            Ok(()) => place = Some(InFlight { places: places.clone() }),
                            // every place is busy downstream; the last frames of a closed
                            // ring still wait here for one
                            Err(_) => continue,
                        }
                    }
                    if pace && !ready {
                        ready = stylize_ready.recv_timeout(Duration::from_millis(100)).is_ok();
                        if ready {
                            let lead_us = stylize_us.load(Ordering::Acquire) as f64 - perceive_us;
                            let lead = Duration::from_micros(lead_us.max(0.0) as u64);
                            take_at = Some(Instant::now() + lead.min(PACE_MAX_WAIT));
                        }
                        continue;
                    }
                    if let Some(at) = take_at {
                        let now = Instant::now();
                        if now < at {
                            std::thread::sleep((at - now).min(Duration::from_millis(10)));
                            continue;
                        }
                        take_at = None;
                    }
                    let Some(frame) = ring.take(Duration::from_millis(100)) else {
                        if ring.is_closed() {
                            break;
                        }
                        continue;
                    };
                    let Products { mut analysis, stylized } = spare_rx.try_recv().unwrap_or_default();
                    let place = place.take().expect("a place was taken above");
                    ready = false;
                    let started = Instant::now();
                    let processed = perception.process(&frame, &mut analysis);
                    perceive_us = 0.8 * perceive_us + 0.2 * started.elapsed().as_micros() as f64;
                    let result = processed.map(|()| {
                        let now = Instant::now();
                        PipelineOutput { frame, analysis, stylized, analysed_at: now, stylized_at: now, place }
                    });
                    let failed = result.is_err();
                    if perceived_tx.send(result).is_err() || failed {
                        break;
                    }
                }
                ring.close();
            })?
        });
        let mut commands = None;
        if let (Some(mut stage), Some(rx)) = (stylize, stylize_rx) {
            let stop = stop.clone();
            let (command_tx, command_rx) = bounded::<StylizeCommand>(COMMAND_DEPTH);
            commands = Some(command_tx);
            workers.push(std::thread::Builder::new().name("stylize".into()).spawn(move || {
                lower_priority(crate::priority::STYLIZE_NICE);
                while let Ok(item) = rx.recv() {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let _ = stylize_ready_tx.try_send(());
                    let started = Instant::now();
                    let result = item.and_then(|mut out| {
                        for command in command_rx.try_iter() {
                            apply_command(&mut stage, command, &out.analysis);
                        }
                        stage.process(&out.frame, &out.analysis, &mut out.stylized)?;
                        out.stylized_at = Instant::now();
                        Ok(out)
                    });
                    let took = started.elapsed().as_micros() as u64;
                    let ema = stylize_us_writer.load(Ordering::Acquire);
                    stylize_us_writer.store(if ema == 0 { took } else { (4 * ema + took) / 5 }, Ordering::Release);
                    let failed = result.is_err();
                    if out_tx.send(result).is_err() || failed {
                        break;
                    }
                }
            })?);
        }
        let capture = match capture(ring.clone()) {
            Ok(c) => c,
            Err(e) => {
                stop.store(true, Ordering::Release);
                ring.close();
                for w in workers {
                    let _ = w.join();
                }
                return Err(e.into());
            }
        };
        let source_info = capture.info().clone();
        Ok(Self {
            ring,
            capture: Some(capture),
            workers,
            stop,
            outputs,
            spare,
            provider,
            source: source_info,
            commands,
            health,
        })
    }

    /// Sends a choice to the stylize thread without waiting. False when there is no stylize
    /// stage, it has stopped, or its queue is full.
    pub fn send_stylize(&self, command: StylizeCommand) -> bool {
        self.commands.as_ref().is_some_and(|tx| tx.try_send(command).is_ok())
    }

    /// New people, and everyone in view now, wear character `index`.
    pub fn set_character(&self, index: usize) -> bool {
        self.send_stylize(StylizeCommand::SetDefault(index))
    }

    /// The next character for one tracked person.
    pub fn cycle_track(&self, track_id: u32) -> bool {
        self.send_stylize(StylizeCommand::CycleTrack(track_id))
    }

    pub fn provider(&self) -> ActiveProvider {
        self.provider
    }

    pub fn source(&self) -> &SourceInfo {
        &self.source
    }

    /// Lost / reopened state of the source (only for [`Pipeline::start_reopening`]).
    pub fn source_health(&self) -> Option<&SourceHealth> {
        self.health.as_deref()
    }

    /// Next output, waiting up to `timeout`. A perception error ends the stream and is returned.
    pub fn recv(&self, timeout: Duration) -> Result<Next, RuntimeError> {
        match self.outputs.recv_timeout(timeout) {
            Ok(Ok(out)) => Ok(Next::Frame(out)),
            Ok(Err(e)) => Err(e),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => Ok(Next::Waiting),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => Ok(Next::Ended),
        }
    }

    /// Whether the stream ended (source finished and every output was read).
    pub fn is_finished(&self) -> bool {
        self.ring.is_closed() && self.outputs.is_empty() && self.workers.iter().all(|w| w.is_finished())
    }

    /// Give an output's buffers back.
    pub fn recycle(&self, out: PipelineOutput) {
        self.ring.recycle(out.frame);
        let _ = self.spare.try_send(Products { analysis: out.analysis, stylized: out.stylized });
    }

    pub fn ring_stats(&self) -> RingStats {
        self.ring.stats()
    }

    /// Stop both threads and wait for them; returns the source's error if capture failed.
    pub fn shutdown(mut self) -> Result<u64, SourceError> {
        self.stop.store(true, Ordering::Release);
        self.ring.close();
        // drain so a worker blocked on a full output channel can exit
        while self.outputs.try_recv().is_ok() {}
        let frames = self.capture.take().map(|c| {
            c.stop();
            c.join()
        });
        while self.outputs.recv_timeout(Duration::from_millis(20)).is_ok() {}
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        frames.unwrap_or(Ok(0))
    }
}

/// Applies a UI choice on the stylize thread; `analysis` names the people in view now.
fn apply_command(stage: &mut StylizeStage, command: StylizeCommand, analysis: &FrameAnalysis) {
    let assigner = &mut stage.assigner;
    match command {
        StylizeCommand::SetDefault(index) => {
            assigner.set_default(index);
            spread(assigner, analysis);
        }
        StylizeCommand::CycleTrack(track) => assigner.cycle(track),
        StylizeCommand::SetMode(mode) => {
            assigner.mode = mode;
            spread(assigner, analysis);
        }
        StylizeCommand::Replace(index, models) => stage.replace(index, *models),
        StylizeCommand::SetLook(index, look) => {
            let (paint, look, tones) = *look;
            stage.set_look(index, paint, look, tones);
        }
    }
}

/// Everyone wears the default again (one after the other from the default when everyone is
/// different): the people in this frame first, then those just out of view.
fn spread(assigner: &mut crate::stylize::assign::CharacterAssigner, analysis: &FrameAnalysis) {
    assigner.respread(analysis.faces.iter().map(|f| f.track_id));
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        self.ring.close();
    }
}

/// What [`Pipeline::recv`] found.
// Moved once per frame; boxing the big variant would allocate per frame instead.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Next {
    Frame(PipelineOutput),
    /// Nothing within the timeout; the stream goes on.
    Waiting,
    /// The source ended (or failed: [`Pipeline::shutdown`] returns its error).
    Ended,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perception::FaceObservation;
    use crate::stylize::assign::CharacterAssigner;

    fn stage(characters: usize) -> StylizeStage {
        StylizeStage::new((0..characters).map(|_| Default::default()).collect(), CharacterAssigner::new(characters, 0))
    }

    fn people(ids: &[u32]) -> FrameAnalysis {
        let faces = ids
            .iter()
            .map(|&id| FaceObservation {
                track_id: id,
                box_px: [id as f32 * 100.0, 0.0, id as f32 * 100.0 + 50.0, 50.0],
                ..Default::default()
            })
            .collect();
        FrameAnalysis { faces, ..Default::default() }
    }

    #[test]
    fn ui_choices_reach_the_assigner() {
        let mut s = stage(4);
        let a = people(&[1, 2]);
        s.assigner.update(a.faces.iter().map(|f| (f.track_id, [f.box_px[0], 0.0])), 0.0);
        apply_command(&mut s, StylizeCommand::SetDefault(2), &a);
        assert_eq!(s.assigner.default, 2);
        assert_eq!((s.assigner.character_of(1), s.assigner.character_of(2)), (2, 2), "everyone in view switches");
        apply_command(&mut s, StylizeCommand::CycleTrack(1), &a);
        assert_eq!((s.assigner.character_of(1), s.assigner.character_of(2)), (3, 2), "only the clicked face cycles");
        apply_command(&mut s, StylizeCommand::SetDefault(99), &a);
        assert_eq!(s.assigner.default, 3, "out of range is clamped");
    }

    #[test]
    fn everyone_different_spreads_the_people_in_view_and_newcomers_continue() {
        let mut s = stage(4);
        let a = people(&[1, 2]);
        s.assigner.update(a.faces.iter().map(|f| (f.track_id, [f.box_px[0], 0.0])), 0.0);
        apply_command(&mut s, StylizeCommand::SetDefault(1), &a);
        apply_command(&mut s, StylizeCommand::SetMode(AssignMode::RoundRobin), &a);
        assert_eq!((s.assigner.character_of(1), s.assigner.character_of(2)), (1, 2));
        let b = people(&[1, 2, 3]);
        s.assigner.update(b.faces.iter().map(|f| (f.track_id, [f.box_px[0], 0.0])), 0.1);
        assert_eq!(s.assigner.character_of(3), 3, "a newcomer gets the next one, not a duplicate");
        apply_command(&mut s, StylizeCommand::SetMode(AssignMode::Default), &b);
        let all: Vec<usize> = (1..=3).map(|t| s.assigner.character_of(t)).collect();
        assert_eq!(all, vec![1, 1, 1], "off: everyone wears the default again");
    }
}
