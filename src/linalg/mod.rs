//! Linear algebra: explicit thread counts, matrix products over faer, the vector maths
//! (exp, tanh, sums) that the layers use, and the measurements of the machine they run on.
//!
//! All tensors in sideways are plain row-major `f32` slices; this module turns them into faer
//! views for products. Nothing here sets a global: parallelism is an [`Exec`] value that the
//! caller passes down, obtained from a [`Threads`].

mod gemm;
pub mod machine;
mod rows;
mod threads;
pub mod vecmath;

pub use faer::{Accum, Par};
pub use gemm::{matmul, matmul_naive, rows, rows_mut, strided, strided_mut};
pub use machine::{Machine, Peaks};
pub use rows::{for_each_part, for_each_row_block, zero, Rows, SplitRows};
pub use threads::{Exec, Threads};
