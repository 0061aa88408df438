//! Measurements and the arithmetic that connects them to the article's claims: training speed
//! on this machine, the compute calculator, and (in `race`) the lanes raced side by side.

pub mod amdahl;
pub mod compute;
mod speed;

pub use speed::{measure, peak_gflops, Machine, SpeedPoint, TIMED_STEPS, WARMUP_STEPS};
