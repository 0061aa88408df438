//! Many processes, one model: the transport of data-parallel training (see
//! [`crate::train::GradientSync`]) over MPI, the standard that llm.c and Horovod use, through
//! the `mpi` crate (rsmpi) and the system's Open MPI. Behind the cargo feature `mpi`: the default
//! build needs no MPI, and says how to get it.

#[cfg(feature = "mpi")]
mod mpi_sync;

#[cfg(feature = "mpi")]
pub use mpi_sync::{Mpi, MpiSync};

/// Whether an MPI launcher (`mpirun`, `srun`) started this process.
pub fn launched_by_mpi() -> bool {
    ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"].iter().any(|v| std::env::var_os(v).is_some())
}

/// The processes an MPI launcher started on this host (1 without one): they share its cores.
pub fn local_processes() -> usize {
    ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse().ok())
        .unwrap_or(1usize)
        .max(1)
}

/// The error of a build without MPI, with how to get one.
#[cfg(not(feature = "mpi"))]
pub fn not_built() -> crate::error::Error {
    crate::error::Error::distributed(
        "this sideways was built without MPI",
        "install Open MPI (on Debian: apt-get install libopenmpi-dev openmpi-bin libclang-dev) and build \
         with `cargo build --release --features mpi`",
    )
}
