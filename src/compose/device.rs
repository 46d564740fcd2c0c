//! A wgpu device without a window, for the CLI, `bench` and tests.
//!
//! In: an [`AdapterPreference`] (and wgpu's `WGPU_BACKEND` environment variable, if set). Out: a
//! device, its queue and the adapter's description. Runs on the thread that builds the
//! compositor. On machines without a GPU the Vulkan software rasterizer (lavapipe, Debian package
//! `mesa-vulkan-drivers`) is the adapter; with a GPU, the GPU is preferred.

use super::ComposeError;

/// Which kind of adapter [`super::Compositor::new_headless_with`] picks when several exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AdapterPreference {
    /// A GPU (discrete, then integrated, then virtual), falling back to a software rasterizer.
    #[default]
    Hardware,
    /// A software rasterizer (lavapipe / llvmpipe) when there is one: deterministic results for
    /// tests and CI whatever GPU the machine has.
    Software,
}

/// Opens a device on the best adapter for `preference`: primary backends (Vulkan, Metal, DX12)
/// first, the GL backend only when those have no adapter. `WGPU_BACKEND` restricts the backends.
pub(super) fn open_headless(
    preference: AdapterPreference,
) -> Result<(wgpu::Device, wgpu::Queue, wgpu::AdapterInfo), ComposeError> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let tries = match wgpu::Backends::from_env() {
        Some(backends) => vec![backends],
        None => vec![wgpu::Backends::PRIMARY, wgpu::Backends::SECONDARY],
    };
    let mut adapters = Vec::new();
    for backends in &tries {
        adapters = pollster::block_on(instance.enumerate_adapters(*backends));
        if !adapters.is_empty() {
            break;
        }
    }
    let adapter = adapters
        .into_iter()
        .min_by_key(|adapter| rank(&adapter.get_info(), preference))
        .ok_or_else(|| ComposeError::NoAdapter { backends: format!("{tries:?}") })?;
    let info = adapter.get_info();
    log::info!(
        "compositor adapter: {} ({:?}, {:?}, driver {})",
        info.name,
        info.device_type,
        info.backend,
        info.driver
    );

    // All the adapter offers: on the GL backend the defaults would be WebGL2's limits.
    let descriptor = wgpu::DeviceDescriptor {
        label: Some("compositor"),
        required_features: wgpu::Features::empty(),
        required_limits: adapter.limits(),
        ..Default::default()
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&descriptor))
        .map_err(|source| ComposeError::RequestDevice { adapter: info.name.clone(), source })?;
    // Errors the compositor does not catch in an error scope are logged, never a panic.
    device.on_uncaptured_error(std::sync::Arc::new(|error: wgpu::Error| log::error!("wgpu: {error}")));
    Ok((device, queue, info))
}

/// Lower is better.
fn rank(info: &wgpu::AdapterInfo, preference: AdapterPreference) -> (u8, u8) {
    use wgpu::DeviceType::{Cpu, DiscreteGpu, IntegratedGpu, Other, VirtualGpu};
    let device = match (preference, info.device_type) {
        (AdapterPreference::Hardware, DiscreteGpu) => 0,
        (AdapterPreference::Hardware, IntegratedGpu) => 1,
        (AdapterPreference::Hardware, VirtualGpu) => 2,
        (AdapterPreference::Hardware, Other) => 3,
        (AdapterPreference::Hardware, Cpu) => 4,
        (AdapterPreference::Software, Cpu) => 0,
        (AdapterPreference::Software, _) => 1,
    };
    let backend = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (device, backend)
}
