//! Measurements and the arithmetic that connects them to the article's claims: training speed
//! over thread counts and window lengths ([`sweep`]), Amdahl's law and the work and span laws, the compute
//! calculator, and the charts of it all.

pub mod amdahl;
pub mod charts;
pub mod compute;
pub mod plot;
pub mod profile;
mod speed;
pub mod sweep;

pub use speed::{measure, Hardware, SpeedPoint, STEPS};
