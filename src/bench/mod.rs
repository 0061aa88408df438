//! Measurements and the arithmetic that connects them to the article's claims: training speed
//! on this machine, the compute calculator, and (in `race`) the lanes raced side by side.

pub mod amdahl;
pub mod compute;
pub mod plot;
mod speed;
pub mod sweep;

pub use speed::{measure, measure_batch, peak_gflops, Machine, SpeedPoint, TIMED_STEPS, WARMUP_STEPS};
