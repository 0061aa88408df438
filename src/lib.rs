pub mod data;
pub mod embed;
pub mod error;
pub mod linalg;
pub mod model;
pub mod rng;
