pub mod error;
pub mod linalg;
pub mod rng;
pub mod data;
