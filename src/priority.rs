//! Thread priorities: in the window, the inference threads yield the CPU to the UI thread and the
//! renderer, so the screen keeps repainting smoothly when the machine is busy; the pipeline drops
//! frames instead (its ring is latest-wins).
//!
//! In: the calling thread. Out: its niceness raised (Linux, where niceness is per thread; a no-op
//! elsewhere). Called at the start of the perception and stylize threads of the window's pipeline.

/// Niceness of the window's inference threads (0 = normal, 19 = lowest). Measured on the 2-core
/// machine under Xvfb with lavapipe, a 1280x720 window on the demo: at 0 the window repainted 19
/// to 29 times a second (the pipeline at 25 to 30 frames per second); at 10, 34 to 35 a second
/// on average; at 19, 37 to 38 (the pipeline at 21 to 23 either way). The UI asks for at most
/// 60 repaints a second, which bounds what it takes.
pub const INFERENCE_NICE: i32 = 19;

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
