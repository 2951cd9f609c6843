// graphc runtime tooling: the MPI process group (distributed.hpp).
//
// MPI is found when graphc is configured (GRAPHC_HAVE_MPI): Debian's Open MPI,
// the engine clusters start jobs with (mpirun, srun). A build without it
// still trains one process, and says so when a launcher starts it.

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include <unistd.h>

#include "graphc/runtime/distributed.hpp"

#ifdef GRAPHC_HAVE_MPI
#include <mpi.h>
#endif

namespace graphc::rt {

bool startedByMpiLauncher() {
  // Open MPI's mpirun, PMIx (Open MPI 5, Slurm), PMI-1/2 (MPICH's hydra, srun).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", "PMI_RANK"})
    if (std::getenv(name)) return true;
  return false;
}

int processesOnThisMachine() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "PMIX_LOCAL_SIZE"})
    if (const char* value = std::getenv(name)) {
      int n = std::atoi(value);
      if (n >= 1) return n;
    }
  return 1;
}

#ifdef GRAPHC_HAVE_MPI

bool builtWithMpi() { return true; }

namespace {

class MpiProcessGroup final : public ProcessGroup {
 public:
  explicit MpiProcessGroup(double timeoutSeconds) : timeoutSeconds_(timeoutSeconds) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      // Collectives come from the training thread only; the watchdog calls
      // nothing but MPI_Abort.
      if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        throw Error(GRAPHC_UNAVAILABLE, "MPI_Init failed: cannot join the training job");
      ownsMpi_ = true;
    }
    // Errors come back as codes, turned into messages here, instead of
    // MPI's default of ending the job without saying where.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    if (timeoutSeconds_ > 0) watchdog_ = std::thread([this] { watch(); });
  }

  ~MpiProcessGroup() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (watchdog_.joinable()) watchdog_.join();
    if (ownsMpi_) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void sum(float* values, int64_t count, const char* what) override {
    Waiting wait(*this, "summing", what);
    check(MPI_Allreduce(MPI_IN_PLACE, values, intCount(count, what), MPI_FLOAT, MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce", what);
  }
  void sum(double* values, int64_t count, const char* what) override {
    Waiting wait(*this, "summing", what);
    check(MPI_Allreduce(MPI_IN_PLACE, values, intCount(count, what), MPI_DOUBLE, MPI_SUM,
                        MPI_COMM_WORLD),
          "MPI_Allreduce", what);
  }
  int max(int value, const char* what) override {
    Waiting wait(*this, "agreeing on", what);
    int result = value;
    check(MPI_Allreduce(&value, &result, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce",
          what);
    return result;
  }
  void gather(const float* mine, int64_t count, float* all, const char* what) override {
    Waiting wait(*this, "gathering", what);
    int n = intCount(count, what);
    check(MPI_Allgather(mine, n, MPI_FLOAT, all, n, MPI_FLOAT, MPI_COMM_WORLD), "MPI_Allgather",
          what);
  }
  void broadcast(void* data, int64_t bytes, const char* what) override {
    Waiting wait(*this, "receiving", what);
    check(MPI_Bcast(data, intCount(bytes, what), MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast", what);
  }
  [[noreturn]] void abort(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    _exit(code);  // MPI_Abort does not return; should it, the launcher sees the exit
  }

 private:
  // Marks a collective in progress for the watchdog.
  class Waiting {
   public:
    Waiting(MpiProcessGroup& group, const char* verb, const char* what) : group_(group) {
      std::lock_guard<std::mutex> lock(group_.mutex_);
      group_.verb_ = verb;
      group_.what_ = what;
      group_.since_ = std::chrono::steady_clock::now();
      group_.waiting_ = true;
    }
    ~Waiting() {
      std::lock_guard<std::mutex> lock(group_.mutex_);
      group_.waiting_ = false;
    }

   private:
    MpiProcessGroup& group_;
  };

  // The watchdog: a collective that waits longer than the timeout means a
  // process died without the launcher noticing, or hangs (stopped,
  // deadlocked, its machine unreachable). MPI itself waits forever, so the
  // job is ended here, saying which collective waited and for how long.
  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(250));
      if (stopping_ || !waiting_) continue;
      double waited =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
      if (waited < timeoutSeconds_) continue;
      std::fprintf(stderr,
                   "graphc: process %d of %d has waited %.0f s %s %s with the other processes "
                   "(--collective-timeout %g): one of them has died or hangs; ending the job\n",
                   rank_, size_, waited, verb_, what_, timeoutSeconds_);
      std::fflush(stderr);
      MPI_Abort(MPI_COMM_WORLD, 3);
      _exit(3);
    }
  }

  static int intCount(int64_t count, const char* what) {
    if (count < 0 || count > INT_MAX)
      throw Error(GRAPHC_OUT_OF_RANGE, std::string("MPI: ") + what + " has " +
                                           std::to_string(count) +
                                           " values, more than one MPI call takes");
    return static_cast<int>(count);
  }

  void check(int rc, const char* call, const char* what) const {
    if (rc == MPI_SUCCESS) return;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(rc, text, &length);
    throw Error(GRAPHC_UNAVAILABLE, "process " + std::to_string(rank_) + " of " +
                                        std::to_string(size_) + ": " + call + " of " + what +
                                        " failed: " + std::string(text, length));
  }

  int rank_ = 0, size_ = 1;
  bool ownsMpi_ = false;
  double timeoutSeconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false, waiting_ = false;
  const char *verb_ = "", *what_ = "";
  std::chrono::steady_clock::time_point since_;
  std::thread watchdog_;
};

}  // namespace

std::unique_ptr<ProcessGroup> joinMpiProcessGroup(double timeoutSeconds) {
  return std::make_unique<MpiProcessGroup>(timeoutSeconds);
}

#else  // !GRAPHC_HAVE_MPI

bool builtWithMpi() { return false; }

std::unique_ptr<ProcessGroup> joinMpiProcessGroup(double) {
  throw Error(GRAPHC_UNAVAILABLE,
              "an MPI launcher started this process, but this graphc runtime was built without "
              "MPI (no MPI library was found when graphc was configured: install "
              "libopenmpi-dev and rebuild); it cannot train data-parallel");
}

#endif  // GRAPHC_HAVE_MPI

}  // namespace graphc::rt
