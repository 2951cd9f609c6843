// libFuzzer target for the C ABI graphc generates (compiler/lib/Codegen):
// a small model compiled with its training step (tinyfz.h, built from
// test/package/tiny.mlir by this directory's CMakeLists) is called through
// its `_call` entry points and `_arena_bytes` with a batch and buffers the
// input chooses. A batch the functions refuse (negative, or too large for
// its sizes to be addressed) must give -1 from `_arena_bytes` and error 1
// from the function without touching any buffer (they are NULL then); any
// other batch up to kMaxBatch runs on buffers of exactly the documented
// sizes, each ending at a page that cannot be touched, so that an access
// past a buffer by the (uninstrumented) generated code crashes.
//
//   build/bin/c_abi_fuzzer -max_total_time=600 CORPUS_DIR
#include "tinyfz.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace {

constexpr int64_t kMaxBatch = 64;

struct Entry {
  const graphc_model_function_info *info;
  int (*call)(void *, int64_t, void *const *, void *const *);
  int64_t (*arenaBytes)(int64_t);
};

const graphc_model_function_info *infoOf(const char *name) {
  for (int32_t i = 0; i < tinyfz_num_functions; ++i)
    if (std::strcmp(tinyfz_functions[i].name, name) == 0)
      return &tinyfz_functions[i];
  std::abort();
}

const std::vector<Entry> &entries() {
  static const std::vector<Entry> all = {
      {infoOf("forward"), &tinyfz_forward_call, &tinyfz_forward_arena_bytes},
      {infoOf("loss"), &tinyfz_loss_call, &tinyfz_loss_arena_bytes},
      {infoOf("loss_grad"), &tinyfz_loss_grad_call, &tinyfz_loss_grad_arena_bytes},
      {infoOf("train_step"), &tinyfz_train_step_call, &tinyfz_train_step_arena_bytes},
      {infoOf("eval"), &tinyfz_eval_call, &tinyfz_eval_arena_bytes}};
  return all;
}

/// A buffer of exactly `bytes` (aligned to `alignment`) whose end touches a
/// PROT_NONE page; freed by release().
struct GuardedBuffer {
  void *map = nullptr;
  size_t mapBytes = 0;
  void *data = nullptr;

  GuardedBuffer(size_t bytes, size_t alignment) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t dataPages = (bytes + alignment + page - 1) / page;
    mapBytes = (dataPages + 1) * page;
    map = mmap(nullptr, mapBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
      std::abort();
    char *guard = static_cast<char *>(map) + dataPages * page;
    mprotect(guard, page, PROT_NONE);
    uintptr_t start = reinterpret_cast<uintptr_t>(guard) - bytes;
    start -= start % alignment;
    data = reinterpret_cast<void *>(start);
  }
  ~GuardedBuffer() { munmap(map, mapBytes); }
  GuardedBuffer(const GuardedBuffer &) = delete;
  GuardedBuffer &operator=(const GuardedBuffer &) = delete;
};

size_t elementSize(int32_t dtype) { return dtype == 1 || dtype == 3 ? 8 : dtype == 4 ? 1 : 4; }

/// Bytes of `tensor` at `batch` (a dimension -k is k * batch).
size_t bytesOf(const graphc_model_tensor_info &tensor, int64_t batch) {
  size_t n = elementSize(tensor.dtype);
  for (int32_t d = 0; d < tensor.rank; ++d)
    n *= static_cast<size_t>(tensor.shape[d] < 0 ? -tensor.shape[d] * batch : tensor.shape[d]);
  return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 10)
    return 0;
  const Entry &entry = entries()[data[0] % entries().size()];
  int64_t batch;
  std::memcpy(&batch, data + 1, sizeof batch);
  // Half the inputs get a small batch, so that most calls run.
  if (data[9] & 1)
    batch = static_cast<int64_t>(static_cast<uint64_t>(batch) % (kMaxBatch + 1));
  const bool withArena = data[9] & 2;
  data += 10;
  size -= 10;

  int64_t arenaBytes = entry.arenaBytes(batch);
  if (batch < 0 && arenaBytes != -1) {
    std::fprintf(stderr, "%s_arena_bytes(%lld) = %lld, not -1\n", entry.info->name,
                 static_cast<long long>(batch), static_cast<long long>(arenaBytes));
    std::abort();
  }
  if (arenaBytes < 0) {
    // Refused: the function must say so before reading any pointer.
    std::vector<void *> none(entry.info->num_arguments + entry.info->num_results, nullptr);
    int code = entry.call(nullptr, batch, none.data(), none.data() + entry.info->num_arguments);
    if (code != 1) {
      std::fprintf(stderr, "%s(batch %lld) returned %d for a batch its _arena_bytes refuses\n",
                   entry.info->name, static_cast<long long>(batch), code);
      std::abort();
    }
    return 0;
  }
  if (batch > kMaxBatch)
    return 0;

  std::vector<std::unique_ptr<GuardedBuffer>> buffers;
  std::vector<void *> arguments, results;
  size_t consumed = 0;
  for (int32_t i = 0; i < entry.info->num_arguments; ++i) {
    const graphc_model_tensor_info &t = entry.info->arguments[i];
    size_t bytes = bytesOf(t, batch);
    buffers.push_back(std::make_unique<GuardedBuffer>(bytes, elementSize(t.dtype)));
    auto *b = static_cast<uint8_t *>(buffers.back()->data);
    // Inputs from the fuzz data (floats of any bit pattern, NaN included).
    for (size_t k = 0; k < bytes; ++k)
      b[k] = size ? data[consumed++ % size] : 0;
    arguments.push_back(b);
  }
  for (int32_t i = 0; i < entry.info->num_results; ++i) {
    const graphc_model_tensor_info &t = entry.info->results[i];
    buffers.push_back(std::make_unique<GuardedBuffer>(bytesOf(t, batch), elementSize(t.dtype)));
    results.push_back(buffers.back()->data);
  }
  std::unique_ptr<GuardedBuffer> arena;
  if (withArena)
    arena = std::make_unique<GuardedBuffer>(static_cast<size_t>(arenaBytes), 64);
  int code = entry.call(arena ? arena->data : nullptr, batch, arguments.data(), results.data());
  if (code != 0) {
    std::fprintf(stderr, "%s(batch %lld) returned %d for a batch it accepts\n", entry.info->name,
                 static_cast<long long>(batch), code);
    std::abort();
  }
  return 0;
}
