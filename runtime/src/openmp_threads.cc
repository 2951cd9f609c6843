// graphc runtime: the thread pool of standalone executables, behind the five
// entry points of LLVM's OpenMP runtime ABI and the two omp_* queries that
// graphc's generated code calls, plus omp_set_num_threads /
// omp_get_max_threads.
//
// Why by hand: MLIR lowers graphc's parallel loops to OpenMP, and LLVM's
// OpenMP translation calls libomp's __kmpc_* functions. Debian ships libomp
// only as a shared library inside the LLVM installation
// (/usr/lib/llvm-19/lib/libomp.so.5), with no static archive, and GCC's
// libgomp implements another ABI (GOMP_*). A standalone executable must run
// on machines without LLVM, so it links this file instead (libgraphc_threads.a,
// only into --emit=exe). The JIT and --emit=obj/lib keep libomp.
//
// The subset is exactly what the CPU pipeline emits (checked by
// test: e2e.standalone_exe_is_self_contained, which also lists the
// object's undefined __kmpc_ symbols): fork a team over an outlined region,
// static worksharing of a loop's iterations, a team barrier, and the thread
// number and team size. Loops with reductions are never parallelized by the
// pipeline, so no __kmpc_reduce. Nested regions (a fork inside a worker) run
// on the calling thread alone, as libomp does with nesting disabled (its
// default).
//
// Workers spin for a while before sleeping (as libomp's KMP_BLOCKTIME), so
// that the hundreds of short regions of a training step do not each pay a
// futex wake-up.

#include <omp.h>  // the declarations this file defines

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace {

// The outlined region: `void f(int32_t *gtid, int32_t *btid, args...)`.
using Microtask = void (*)(int32_t*, int32_t*, ...);

// The most shared arguments a region takes; LLVM's OpenMPIRBuilder passes
// them in one aggregate, so 1 in practice.
constexpr int kMaxArguments = 15;

// The team the calling thread is working in (a thread outside any region
// is a team of one).
thread_local int32_t threadIndex = 0;
thread_local int32_t teamSize = 1;
thread_local bool inRegion = false;

void invoke(Microtask task, int32_t* gtid, int32_t* btid, int argc, void* const* a) {
  switch (argc) {
    case 0: return task(gtid, btid);
    case 1: return task(gtid, btid, a[0]);
    case 2: return task(gtid, btid, a[0], a[1]);
    case 3: return task(gtid, btid, a[0], a[1], a[2]);
    case 4: return task(gtid, btid, a[0], a[1], a[2], a[3]);
    case 5: return task(gtid, btid, a[0], a[1], a[2], a[3], a[4]);
    case 6: return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7: return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8: return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    case 9: return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
    case 10: return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
    case 11:
      return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10]);
    case 12:
      return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10],
                  a[11]);
    case 13:
      return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10],
                  a[11], a[12]);
    case 14:
      return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10],
                  a[11], a[12], a[13]);
    default:
      return task(gtid, btid, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10],
                  a[11], a[12], a[13], a[14]);
  }
}

// A sense-reversing barrier for the current team, spinning then yielding.
class Barrier {
 public:
  void reset(int32_t count) {
    count_ = count;
    waiting_.store(0, std::memory_order_relaxed);
  }
  void wait() {
    uint32_t generation = generation_.load(std::memory_order_acquire);
    if (waiting_.fetch_add(1, std::memory_order_acq_rel) + 1 == count_) {
      waiting_.store(0, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
      return;
    }
    for (int spins = 0; generation_.load(std::memory_order_acquire) == generation; ++spins)
      if (spins > 1000) std::this_thread::yield();
  }

 private:
  int32_t count_ = 1;
  std::atomic<int32_t> waiting_{0};
  std::atomic<uint32_t> generation_{0};
};

class Pool {
 public:
  static Pool& get() {
    // Never destroyed: workers may still be parked when the process exits.
    static Pool* pool = new Pool();
    return *pool;
  }

  int32_t maxThreads() const { return requested_.load(std::memory_order_relaxed); }
  void setMaxThreads(int32_t n) {
    if (n > 0) requested_.store(n, std::memory_order_relaxed);
  }

  void run(Microtask task, int argc, void* const* args) {
    int32_t size = maxThreads();
    if (size <= 1 || inRegion) {
      runAlone(task, argc, args);
      return;
    }
    std::lock_guard<std::mutex> oneRegionAtATime(regionMutex_);
    grow(size - 1);
    task_ = task;
    argc_ = argc;
    for (int i = 0; i < argc; ++i) args_[i] = args[i];
    size_ = size;
    barrier.reset(size);
    finished_.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(sleepMutex_);
      region_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work(0, size);
    // Every worker of the team has left the region before the next one.
    for (int spins = 0; finished_.load(std::memory_order_acquire) != size - 1; ++spins)
      if (spins > 1000) std::this_thread::yield();
  }

  Barrier barrier;

 private:
  Pool() {
    int32_t threads = static_cast<int32_t>(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("OMP_NUM_THREADS")) threads = std::atoi(env);
    requested_.store(threads > 0 ? threads : 1, std::memory_order_relaxed);
  }

  static void runAlone(Microtask task, int argc, void* const* args) {
    int32_t savedIndex = threadIndex, savedSize = teamSize;
    bool savedInRegion = inRegion;
    threadIndex = 0;
    teamSize = 1;
    inRegion = true;
    int32_t gtid = 0, btid = 0;
    invoke(task, &gtid, &btid, argc, args);
    threadIndex = savedIndex;
    teamSize = savedSize;
    inRegion = savedInRegion;
  }

  void work(int32_t index, int32_t size) {
    threadIndex = index;
    teamSize = size;
    inRegion = true;
    int32_t gtid = index, btid = index;
    invoke(task_, &gtid, &btid, argc_, args_);
    inRegion = false;
    threadIndex = 0;
    teamSize = 1;
  }

  void grow(int32_t workers) {
    while (static_cast<int32_t>(workers_) < workers) {
      int32_t index = static_cast<int32_t>(++workers_);
      // The region count before this region's, so the new worker joins it.
      uint64_t seen = region_.load(std::memory_order_acquire);
      std::thread([this, index, seen] { workerLoop(index, seen); }).detach();
    }
  }

  void workerLoop(int32_t index, uint64_t seen) {
    for (;;) {
      // Spin about a millisecond, then sleep until the next region.
      auto start = std::chrono::steady_clock::now();
      uint64_t now;
      for (int spins = 0; (now = region_.load(std::memory_order_acquire)) == seen; ++spins) {
        if (spins % 1024 == 1023 &&
            std::chrono::steady_clock::now() - start > std::chrono::milliseconds(1)) {
          std::unique_lock<std::mutex> lock(sleepMutex_);
          wake_.wait(lock, [&] { return region_.load(std::memory_order_acquire) != seen; });
          start = std::chrono::steady_clock::now();
        }
      }
      seen = now;
      if (index < size_) {
        work(index, size_);
        finished_.fetch_add(1, std::memory_order_acq_rel);
      }
    }
  }

  std::atomic<int32_t> requested_{1};
  std::mutex regionMutex_;
  std::mutex sleepMutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> region_{0};
  std::atomic<int32_t> finished_{0};
  uint32_t workers_ = 0;
  // The region being run; written before region_ is bumped (release), read
  // by workers after they see it (acquire).
  Microtask task_ = nullptr;
  int argc_ = 0;
  void* args_[kMaxArguments] = {};
  int32_t size_ = 1;
};

}  // namespace

extern "C" {

struct ident_t;

int32_t __kmpc_global_thread_num(ident_t*) { return threadIndex; }

void __kmpc_fork_call(ident_t*, int32_t argc, Microtask task, ...) {
  void* args[kMaxArguments] = {};
  if (argc > kMaxArguments) std::abort();  // the pipeline passes one aggregate
  va_list list;
  va_start(list, task);
  for (int32_t i = 0; i < argc; ++i) args[i] = va_arg(list, void*);
  va_end(list);
  Pool::get().run(task, argc, args);
}

// Static schedule without chunks (the only one the pipeline asks for): the
// iterations [*lower, *upper] split into contiguous blocks, the first
// `trip % threads` threads taking one more, as libomp's balanced static.
void __kmpc_for_static_init_8u(ident_t*, int32_t, int32_t, int32_t* isLast, uint64_t* lower,
                               uint64_t* upper, int64_t* stride, int64_t increment, int64_t) {
  uint64_t trip = (*upper - *lower) / static_cast<uint64_t>(increment) + 1;
  uint64_t threads = static_cast<uint64_t>(teamSize), index = static_cast<uint64_t>(threadIndex);
  uint64_t base = trip / threads, extra = trip % threads;
  uint64_t first = index * base + (index < extra ? index : extra);
  uint64_t count = base + (index < extra ? 1 : 0);
  uint64_t start = *lower;
  if (count == 0) {
    // No iterations: an empty range, as libomp gives (upper below lower).
    *lower = start + trip * static_cast<uint64_t>(increment);
    *upper = *lower - static_cast<uint64_t>(increment);
  } else {
    *lower = start + first * static_cast<uint64_t>(increment);
    *upper = *lower + (count - 1) * static_cast<uint64_t>(increment);
  }
  if (isLast) *isLast = count > 0 && first + count == trip;
  if (stride) *stride = static_cast<int64_t>(trip) * increment;
}

void __kmpc_for_static_fini(ident_t*, int32_t) {}

void __kmpc_barrier(ident_t*, int32_t) {
  if (inRegion && teamSize > 1) Pool::get().barrier.wait();
}

// The calling thread's number in its team and the team's size: the CPU
// pipeline partitions static loops itself with them
// (graphc-partition-worksharing-loops).
int omp_get_thread_num(void) { return threadIndex; }
int omp_get_num_threads(void) { return teamSize; }

void omp_set_num_threads(int threads) { Pool::get().setMaxThreads(threads); }
int omp_get_max_threads(void) { return Pool::get().maxThreads(); }

}  // extern "C"
