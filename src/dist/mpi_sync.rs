//! The MPI side: start and end MPI, sum gradients with one all-reduce, agree on a fingerprint.

use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::topology::{Communicator, SimpleCommunicator};
use mpi::traits::*;
use mpi::Threading;

use crate::error::{Error, Result};
use crate::train::GradientSync;

/// MPI, started once for the process and ended (`MPI_Finalize`) when this is dropped.
pub struct Mpi {
    universe: Universe,
}

impl Mpi {
    /// Start MPI. The trainer may call it from any one thread at a time (`MPI_THREAD_SERIALIZED`):
    /// a run's steps are sequential, but not always on the thread that started it.
    pub fn start() -> Result<Mpi> {
        let started = mpi::initialize_with_threading(Threading::Serialized);
        let (universe, threading) =
            started.ok_or_else(|| Error::distributed("MPI was already started", "start it once per process"))?;
        if threading < Threading::Serialized {
            return Err(Error::distributed(
                format!("this MPI library offers threading {threading:?}"),
                "the trainer calls MPI from its own thread: use an MPI with MPI_THREAD_SERIALIZED (Open MPI 4 does)",
            ));
        }
        Ok(Mpi { universe })
    }

    pub fn rank(&self) -> usize {
        self.universe.world().rank() as usize
    }

    pub fn size(&self) -> usize {
        self.universe.world().size() as usize
    }

    /// The gradient sum for a trainer.
    pub fn sync(&self) -> MpiSync {
        MpiSync { rank: self.rank(), size: self.size(), send: Vec::new() }
    }

    /// Stop every process of the run, now (after an error on this one, so that the others do not
    /// wait for it in their next all-reduce).
    pub fn abort(&self, code: i32) -> ! {
        self.universe.world().abort(code)
    }
}

/// The gradient sum over `MPI_COMM_WORLD`. It holds no MPI handle (the world communicator is
/// looked up at each call), so it can move with the trainer to another thread.
pub struct MpiSync {
    rank: usize,
    size: usize,
    /// rsmpi has no `MPI_IN_PLACE`: the all-reduce reads from this copy.
    send: Vec<f32>,
}

impl GradientSync for MpiSync {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.size
    }

    fn sum(&mut self, values: &mut [f32]) {
        self.send.clear();
        self.send.extend_from_slice(values);
        SimpleCommunicator::world().all_reduce_into(&self.send[..], values, SystemOperation::sum());
    }

    fn sum_f64(&mut self, value: f64) -> f64 {
        let mut sum = 0.0f64;
        SimpleCommunicator::world().all_reduce_into(&value, &mut sum, SystemOperation::sum());
        sum
    }

    fn agree(&mut self, fingerprint: u64) -> Result<()> {
        let mut first = fingerprint;
        SimpleCommunicator::world().process_at_rank(0).broadcast_into(&mut first);
        if first == fingerprint {
            return Ok(());
        }
        Err(Error::distributed(
            format!(
                "process {} of {} starts from another configuration, vocabulary or weights than process 0",
                self.rank, self.size
            ),
            "run the same sideways with the same options and corpus on every process",
        ))
    }
}
