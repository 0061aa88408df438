//! Linear algebra: explicit thread counts, matrix products over faer, and the vector maths
//! (exp, tanh, sums) that the layers use.
//!
//! All tensors in sideways are plain row-major `f32` slices; this module turns them into faer
//! views for products. Nothing here sets a global: parallelism is a [`faer::Par`] value that
//! the caller passes down, obtained from a [`Threads`].

mod disjoint;
mod gemm;
pub mod peak;
mod threads;
pub mod vecmath;

pub use disjoint::{for_each_rows, Disjoint};
pub use faer::{Accum, Par};
pub use gemm::{matmul, matmul_naive, rows, rows_mut, strided, strided_mut};
pub use threads::{for_each_block, Threads};
