//! The GPU the tests run on, and comparing its numbers with the CPU's.

use std::sync::Arc;

use sideways::gpu::{adapters, Gpu};

/// The first adapter (hardware first), or `None` with a message.
pub fn gpu() -> Option<Arc<Gpu>> {
    let all = adapters();
    let pick = all.iter().find(|a| a.is_hardware()).or(all.first());
    match pick {
        Some(a) => Some(Gpu::open(a.index).expect("the adapter opens")),
        None if std::env::var("SIDEWAYS_GPU").is_ok_and(|v| v == "required") => {
            panic!("SIDEWAYS_GPU=required but no GPU adapter was found (install mesa-vulkan-drivers)")
        }
        None => {
            eprintln!("skipped: no GPU adapter (install mesa-vulkan-drivers and libvulkan1 for the software one)");
            None
        }
    }
}

/// Largest difference relative to the largest magnitude, which must be below `tol`.
pub fn close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(1e-3f32, |m, x| m.max(x.abs()));
    let (worst, at) =
        got.iter().zip(want).map(|(a, b)| (a - b).abs()).enumerate().fold((0.0f32, 0), |(w, wi), (i, d)| {
            if d > w {
                (d, i)
            } else {
                (w, wi)
            }
        });
    assert!(
        worst <= tol * scale && got.iter().all(|x| x.is_finite()),
        "{what}: largest difference {worst:e} at [{at}] (gpu {} vs cpu {}), scale {scale}",
        got[at],
        want[at]
    );
}
