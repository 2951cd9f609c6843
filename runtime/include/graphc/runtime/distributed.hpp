// graphc runtime: data-parallel training across processes (docs/distributed.md).
//
// Several processes, started by an MPI launcher (mpirun, srun), train one
// model: each runs the compiled gradient half of the training step
// (train_step_gradients) on its part of every global batch, the gradients
// are summed across processes, and each applies the same optimizer update
// (train_step_apply), so every process holds the same model after every
// step. The collectives are MPI's, behind ProcessGroup so that the step's
// arithmetic does not depend on MPI and a build without MPI still runs one
// process.
#ifndef GRAPHC_RUNTIME_DISTRIBUTED_HPP_
#define GRAPHC_RUNTIME_DISTRIBUTED_HPP_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "graphc/runtime/program.hpp"
#include "graphc/runtime/runtime.hpp"

namespace graphc::rt {

// The processes of one training job and the collectives the training loop
// uses. Every call is collective: each process makes the same calls in the
// same order. A failure throws Error naming the operation.
class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Element-wise sum across processes, in place, every process getting it.
  virtual void sum(float* values, int64_t count, const char* what) = 0;
  virtual void sum(double* values, int64_t count, const char* what) = 0;
  virtual int max(int value, const char* what) = 0;
  // Every process's `count` values, in rank order, into `all` (size * count).
  virtual void gather(const float* mine, int64_t count, float* all, const char* what) = 0;
  // Rank 0's `bytes` bytes at `data` into every process's.
  virtual void broadcast(void* data, int64_t bytes, const char* what) = 0;
  // Ends every process of the job with `code` (after a process's error, so
  // that no other waits forever on a collective it will never join).
  [[noreturn]] virtual void abort(int code) = 0;
};

// Whether an MPI launcher started this process (Open MPI's, MPICH's or
// PMIx's environment, or Slurm's srun with an MPI plugin).
bool startedByMpiLauncher();
// Whether this runtime was built with MPI (found when graphc was configured).
bool builtWithMpi();
// MPI_Init and the world communicator, for a process that an MPI launcher
// started; a watchdog ends the job when one collective waits longer than
// `timeoutSeconds` (a process died or hangs). Throws Error when this build
// has no MPI or MPI does not start.
std::unique_ptr<ProcessGroup> joinMpiProcessGroup(double timeoutSeconds);
// The number of processes of the job on this machine (OMPI_COMM_WORLD_LOCAL_SIZE
// and the like), for dividing the machine's cores; 1 when not known.
int processesOnThisMachine();

// How gradients are summed.
enum class GradientReduction {
  // MPI_Allreduce: fastest; runs are the same bit for bit for a fixed number
  // of processes, and within float rounding (about 1e-6 relative per step)
  // of one process with the same global batch.
  Sum,
  // Each global batch is cut into `shards` parts, each part's gradient is
  // computed on its own, and the parts are added in part order: the result
  // depends on the number of parts only, so N processes give the same
  // model bit for bit as one process (or any divisor of `shards`).
  Ordered,
};

struct DataParallelOptions {
  GradientReduction reduction = GradientReduction::Sum;
  int64_t shards = 0; // Ordered: the parts of each batch (0: one per process)
};

// One data-parallel training step over a program that has the split step
// (graphc --data-parallel). `group` is null for a single process (then only
// Ordered makes sense: it emulates `shards` processes).
class DataParallelStep {
 public:
  DataParallelStep(Program& program, ProcessGroup* group, const DataParallelOptions& options);

  // This process's part of every global batch: rows [B * begin / parts,
  // B * end / parts) of a batch of B rows (the loader's shard).
  int64_t partBegin() const { return partBegin_; }
  int64_t partEnd() const { return partEnd_; }
  int64_t parts() const { return parts_; }
  ProcessGroup* group() const { return group_; }

  // Rank 0's parameters, buffers and optimizer state into every process
  // (at the start, and after a resume).
  void broadcastModel();

  // One optimizer step: `images` and `labels` are this process's rows of a
  // global batch of `globalBatch` rows. Returns the global batch's mean loss.
  double step(const Tensor& images, const Tensor& labels, int64_t globalBatch, double lr);

 private:
  Program& program_;
  ProcessGroup* group_;
  DataParallelOptions options_;
  int64_t partBegin_ = 0, partEnd_ = 1, parts_ = 1;
  int64_t gradientElements_ = 0;
  // Per local part: its gradients scaled by its rows, then rows * loss and
  // rows (what the parts add up).
  std::vector<float> local_, all_;
  // The buffers and generator state the gradient half updates: taken from
  // the first part (rank 0's) and broadcast, as DistributedDataParallel
  // broadcasts rank 0's buffers. Looked up once, here: the program's own
  // tensors (borrowed).
  std::vector<Tensor> carriedState_;
  std::string carriedName_;  // one of them, looked up before they are written
};

}  // namespace graphc::rt

#endif  // GRAPHC_RUNTIME_DISTRIBUTED_HPP_
