//! Thread priorities: in the window, the inference threads yield the CPU to the UI thread and the
//! renderer, so the screen keeps repainting smoothly when the machine is busy; the pipeline drops
//! frames instead (its ring is latest-wins). Elsewhere (bench, video, recording) the later a stage,
//! the higher its priority, so the oldest frame in the pipeline gets the CPU first.
//!
//! In: the calling thread. Out: its niceness raised (Linux, where niceness is per thread; a no-op
//! elsewhere). Called at the start of the pipeline's perception and stylize threads.

/// Niceness of the window's inference threads (0 = normal, 19 = lowest). Measured on the 2-core
/// machine under Xvfb with lavapipe, a 1280x720 window on the demo: at 0 the window repainted 19
/// to 29 times a second (the pipeline at 25 to 30 frames per second); at 10, 34 to 35 a second
/// on average; at 19, 37 to 38 (the pipeline at 21 to 23 either way). The UI asks for at most
/// 60 repaints a second, which bounds what it takes.
pub const INFERENCE_NICE: i32 = 19;

/// Niceness of the perception and stylize threads outside the window (the sink, which composes,
/// stays at 0). The three stages hold three different frames; with equal priorities the newest
/// frame's perception took CPU from the oldest frame's compositing. Measured with `bench` on the
/// demo (2 cores, 300 frames): equal priorities, latency p50 128 ms and p95 167 ms at 18.5 fps;
/// perception 10 and stylize 5, p50 104 ms and p95 155 ms at 19.5 fps (the same work, done in a
/// better order).
pub const PERCEPTION_NICE: i32 = 10;
pub const STYLIZE_NICE: i32 = 5;

/// Sets the calling thread's niceness to `nice`. Returns whether the system allowed it.
pub fn set_current_thread_nice(nice: i32) -> bool {
    #[cfg(target_os = "linux")]
    {
        // PRIO_PROCESS with no pid: on Linux, the calling thread only
        rustix::process::setpriority_process(None, nice).is_ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = nice;
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn a_thread_lowers_its_own_priority_only() {
        let before = rustix::process::getpriority_process(None).unwrap();
        let inside = std::thread::Builder::new()
            .name("nice-test".into())
            .spawn(|| {
                assert!(super::set_current_thread_nice(super::INFERENCE_NICE));
                rustix::process::getpriority_process(None).unwrap()
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(inside, super::INFERENCE_NICE);
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), before, "the caller's priority is unchanged");
    }
}
