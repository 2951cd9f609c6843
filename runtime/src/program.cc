// graphc runtime: program objects (graphc/runtime/program.h, program.hpp).

#include "graphc/runtime/program.h"

#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <atomic>
#include <map>
#include <memory>
#include <memory_resource>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "graphc/runtime/random.h"
#include "graphc/runtime/shape_text.hpp"
#include "graphc/runtime/safetensors.h"
#include "graphc/runtime/program.hpp"
#include "program_cuda.h"
#include "status_internal.h"
#include "tensor_internal.h"

using graphc::rt::detail::make_status;
using graphc::rt::detail::printable;

// The temporaries' memory of the generated code: planned by the compiler,
// allocated here, grown only for a larger batch.
struct ArenaBuffer {
  void* data = nullptr;
  int64_t bytes = 0;
  int64_t allocations = 0;
};

struct graphc_program_s {
  // One tensor the program owns (or was bound to): a parameter, an optimizer
  // state tensor or the step count, under its checkpoint name.
  struct Slot {
    std::string name;                  // checkpoint name: state_dict name, optimizer.<name>
    const graphc_model_tensor_t* spec; // its first row in the model's tables
    graphc_tensor_t* tensor;
  };

  std::atomic<int> references{1};
  const graphc_model_t* model = nullptr;
  std::vector<Slot> slots;
  // For each entry point and argument, the index of the slot it reads (-1
  // for inputs, targets and the learning rate): resolved once at creation,
  // so a call looks nothing up by name.
  std::vector<std::vector<int32_t>> argumentSlots;
  ArenaBuffer arena;
  // GRAPHC_DEBUG_POISON_ARENA=BYTE, read once at creation: a debugging aid
  // that fills the temporaries with BYTE before every call, so that
  // generated code reading memory it never wrote gives results that depend
  // on BYTE (test/CMakeLists.txt compares two bytes). -1: off.
  int arenaPoison = -1;
  // Data-parallel training: where each parameter's gradient lies in the
  // caller's flat buffer, in train_step_apply's order (which the gradients
  // half returns too), each at a 64-byte boundary. Empty when the model has
  // no split step; `gradientLayoutError` says why when it cannot have one.
  struct GradientSlot {
    int64_t offset, count;
  };
  std::vector<GradientSlot> gradientLayout;
  int64_t gradientElements = 0;
  std::string gradientLayoutError;
  // The two halves, and the slot each of train_step_gradients' buffer and
  // generator-state results updates (in result order), resolved once at
  // creation so that a step looks nothing up by name.
  const graphc_model_entry_t *gradientsEntry = nullptr, *applyEntry = nullptr;
  std::vector<int32_t> carriedSlots;
  // graphc --micro-batch=M: the first half at a static batch of M rows
  // (train_step_micro_gradients), which graphc_program_gradients runs on
  // each M-row part of a larger batch; `microGradients` holds one part's
  // gradients while they are added up. No entry: microBatch is 0.
  const graphc_model_entry_t* microGradientsEntry = nullptr;
  int64_t microBatch = 0;
  std::vector<float> microGradients;
  // The arenas of the threads that compute parts beside the calling thread
  // (which uses `arena`): one each, kept between steps.
  std::vector<ArenaBuffer> partArenas;
  // graphc_program_train_step's flat gradients when the model's step is its
  // two halves only (a standalone executable's: graphc compiles the step
  // once, not also whole).
  std::vector<float> stepGradients;
  // A model compiled with --target=cuda: the slots' device copies, the
  // device arena and the call's transfers (program_cuda.h). The slots'
  // tensors above are then the host copies.
  std::unique_ptr<graphc::rt::cuda::DeviceProgram> device;
  // The slots' tensors in slot order (what the device side copies to and
  // from), kept with `slots` at creation and by graphc_program_bind.
  std::vector<graphc_tensor_t*> slotTensors;
  bool hasBoundSlots = false;  // the caller's memory: kept up to date after every call

  ~graphc_program_s() {
    for (Slot& slot : slots) graphc_tensor_release(slot.tensor);
    std::free(arena.data);
    for (ArenaBuffer& own : partArenas) std::free(own.data);
  }
};

namespace {

// x86-64's and AArch64's (4 KB base pages) transparent huge page.
constexpr int64_t kHugePageBytes = 2 << 20;

// The size of a table dimension for `batch` (-k: k * batch).
int64_t sizeFor(int64_t size, int64_t batch) { return size < 0 ? -size * batch : size; }

std::string describe(const graphc_model_tensor_t& t) {
  return std::string(graphc_dtype_name(static_cast<graphc_dtype_t>(t.dtype))) + " " +
         graphc::rt::batchShapeText(t.shape, t.rank);
}

// A caller's tensor has sizes, not multiples of the batch.
std::string describe(const graphc_tensor_t* t) {
  return std::string(graphc_dtype_name(graphc_tensor_dtype(t))) + " " +
         graphc::rt::shapeText(graphc_tensor_shape(t), graphc_tensor_rank(t));
}

bool sameLayout(const graphc_model_tensor_t& expected, const graphc_tensor_t* t) {
  if (graphc_tensor_dtype(t) != expected.dtype || graphc_tensor_rank(t) != expected.rank)
    return false;
  return std::memcmp(graphc_tensor_shape(t), expected.shape, sizeof(int64_t) * expected.rank) == 0;
}

bool sameLayout(const graphc_model_tensor_t& a, const graphc_model_tensor_t& b) {
  return a.dtype == b.dtype && a.rank == b.rank &&
         std::memcmp(a.shape, b.shape, sizeof(int64_t) * a.rank) == 0;
}

// Parameters and buffers: the model's own state (its state_dict), which a
// checkpoint holds without a prefix and --load restores.
bool isModelState(int32_t role) { return role == GRAPHC_ROLE_PARAMETER || role == GRAPHC_ROLE_BUFFER; }

std::string slotName(const graphc_model_tensor_t& t) {
  switch (t.role) {
    case GRAPHC_ROLE_STATE: return std::string(GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX) + t.name;
    case GRAPHC_ROLE_STEP: return GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX "step";
    case GRAPHC_ROLE_RNG_STATE: return GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX "rng_state";
    default: return t.name;
  }
}

graphc_program_s::Slot* findSlot(graphc_program_t* program, const std::string& name) {
  for (auto& slot : program->slots)
    if (slot.name == name) return &slot;
  return nullptr;
}

// Before the host reads the slots' tensors (`willWrite`: or writes them):
// for a program on the GPU, brings them up to date from the device, and
// when they may be written, has them uploaded before the next call.
graphc_status_t hostAccess(const graphc_program_t* program, bool willWrite) {
  if (!program->device) return nullptr;
  if (graphc_status_t status = program->device->syncToHost(program->slotTensors)) return status;
  if (willWrite) program->device->hostChanged();
  return nullptr;
}

// The model's entry point `name`, or NULL.
const graphc_model_entry_t* entryNamed(const graphc_model_t* model, const char* name) {
  for (int32_t e = 0; e < model->num_entries; ++e)
    if (std::strcmp(model->entries[e].name, name) == 0) return &model->entries[e];
  return nullptr;
}

// The same, or NULL with `status` saying which is missing.
const graphc_model_entry_t* findEntry(const graphc_program_t* program, const char* name,
                                      graphc_status_t* status) {
  const graphc_model_t* model = program->model;
  if (const graphc_model_entry_t* entry = entryNamed(model, name)) return entry;
  *status = make_status(GRAPHC_NOT_FOUND, std::string("model '") + model->name +
                                              "' has no entry point '" + name + "'");
  return nullptr;
}

// Checks a caller's tensor against the entry point's table; every dimension
// of -k must be k times the batch. Returns the status to report, or NULL.
graphc_status_t checkArgument(const graphc_model_entry_t& entry, const graphc_model_tensor_t& spec,
                              const graphc_tensor_t* tensor, int64_t batch) {
  // The message is built only on failure: a call's checks allocate nothing.
  bool ok = tensor && graphc_tensor_dtype(tensor) == spec.dtype &&
            graphc_tensor_rank(tensor) == spec.rank;
  for (int32_t d = 0; ok && d < spec.rank; ++d)
    ok = graphc_tensor_shape(tensor)[d] == sizeFor(spec.shape[d], batch);
  if (ok) return nullptr;
  std::string where = std::string("'") + entry.name + "': " + spec.name;
  if (!tensor) return make_status(GRAPHC_INVALID_ARGUMENT, where + " is NULL");
  return make_status(GRAPHC_INVALID_ARGUMENT,
                     where + " expects " + describe(spec) + " with B = " + std::to_string(batch) +
                         " (the input's batch), got " + describe(tensor));
}

// Whether the caller's input is the model's input flattened the way PyTorch's
// seeds flatten it with `view` outside the model: the model takes [B, F] and
// the caller has [B, ...] with F values per sample (images [B, 1, 28, 28] for
// [B, 784]), or the shapes are equal but for sizes of 1. Dense row-major data
// is then the same bytes in the same order, so the entry point reads it as it
// is. Anything else (NHWC for NCHW, say) stays a shape error.
bool viewsAs(const graphc_model_tensor_t& spec, const graphc_tensor_t* tensor, int64_t batch) {
  if (!tensor || graphc_tensor_dtype(tensor) != spec.dtype || graphc_tensor_rank(tensor) < 1 ||
      spec.rank < 1 || sizeFor(spec.shape[0], batch) != graphc_tensor_shape(tensor)[0])
    return false;
  if (spec.rank == 2) {
    int64_t expected = sizeFor(spec.shape[0], batch) * sizeFor(spec.shape[1], batch);
    return graphc_tensor_numel(tensor) == expected;
  }
  std::vector<int64_t> want, got;
  for (int32_t d = 0; d < spec.rank; ++d)
    if (sizeFor(spec.shape[d], batch) != 1) want.push_back(sizeFor(spec.shape[d], batch));
  for (int32_t d = 0; d < graphc_tensor_rank(tensor); ++d)
    if (graphc_tensor_shape(tensor)[d] != 1) got.push_back(graphc_tensor_shape(tensor)[d]);
  return want == got;
}

// The input's batch: its first dynamic dimension divided by its multiple (1
// when it has none; 0 when the size is no multiple, which the caller refuses).
int64_t batchOf(const graphc_model_tensor_t& spec, const graphc_tensor_t* input) {
  if (!input) return 1;
  for (int32_t d = 0; d < spec.rank && d < graphc_tensor_rank(input); ++d)
    if (spec.shape[d] < 0) {
      int64_t size = graphc_tensor_shape(input)[d], multiple = -spec.shape[d];
      return size % multiple == 0 ? size / multiple : 0;
    }
  return 1;
}

// The tensors an entry point fills: new ones, released with this object
// unless taken (space is reserved before any tensor is created, so adding one
// cannot throw and leak it), or the caller's (`given`, one per result, for
// graphc_program_run_into), which stay the caller's.
class Results {
 public:
  explicit Results(size_t count, graphc_tensor_t* const* given = nullptr) : given_(given) {
    if (!given) tensors_.reserve(count);
  }
  Results(const Results&) = delete;
  Results& operator=(const Results&) = delete;
  ~Results() {
    for (graphc_tensor_t* t : tensors_) graphc_tensor_release(t);
  }
  void add(graphc_tensor_t* tensor) { tensors_.push_back(tensor); }
  size_t size() const { return tensors_.size(); }
  const graphc_tensor_t* operator[](size_t i) const { return tensors_[i]; }
  graphc_tensor_t* take(size_t i) { return std::exchange(tensors_[i], nullptr); }
  bool given() const { return given_ != nullptr; }
  graphc_tensor_t* given(size_t i) const { return given_[i]; }

 private:
  std::vector<graphc_tensor_t*> tensors_;
  graphc_tensor_t* const* given_;
};

// Whether the caller's result tensors (graphc_program_run_into) fit
// `entry` at `batch`: each of its table's dtype and shape, and apart from
// every tensor the entry point reads and from each other, since generated
// code may write a result before it has read all of its arguments (a result
// over the input would then be computed from partly overwritten data).
// Returns the status to report, or NULL.
graphc_status_t checkGivenResults(const graphc_program_t* program,
                                  const graphc_model_entry_t& entry,
                                  const graphc_tensor_t* const* data, int64_t batch,
                                  const Results& results) {
  auto overlap = [](const graphc_tensor_t* a, const graphc_tensor_t* b) {
    const char* x = static_cast<const char*>(graphc_tensor_data(a));
    const char* y = static_cast<const char*>(graphc_tensor_data(b));
    return x < y + graphc_tensor_nbytes(b) && y < x + graphc_tensor_nbytes(a);
  };
  auto sharing = [&](const graphc_model_tensor_t& result, const char* kind,
                     const graphc_model_tensor_t& other) {
    return make_status(GRAPHC_INVALID_ARGUMENT,
                       std::string("'") + entry.name + "': result " + result.name +
                           " shares memory with " + kind + " " + other.name +
                           ", which the entry point reads or writes; give it a buffer of its own");
  };
  const std::vector<int32_t>& slots = program->argumentSlots[&entry - program->model->entries];
  for (int32_t r = 0; r < entry.num_results; ++r) {
    const graphc_model_tensor_t& spec = entry.results[r];
    const graphc_tensor_t* given = results.given(r);
    if (graphc_status_t status = checkArgument(entry, spec, given, batch)) return status;
    int32_t next = 0;
    for (int32_t i = 0; i < entry.num_arguments; ++i) {
      const graphc_model_tensor_t& argument = entry.arguments[i];
      if (argument.role == GRAPHC_ROLE_LR || argument.role == GRAPHC_ROLE_GRADIENT) continue;
      bool isData = argument.role == GRAPHC_ROLE_INPUT || argument.role == GRAPHC_ROLE_TARGET;
      const graphc_tensor_t* read = isData ? data[next++] : program->slots[slots[i]].tensor;
      if (overlap(given, read))
        return sharing(spec, isData ? "data tensor" : "the program's tensor", argument);
    }
    for (int32_t earlier = 0; earlier < r; ++earlier)
      if (overlap(given, results.given(earlier)))
        return sharing(spec, "result", entry.results[earlier]);
  }
  return nullptr;
}

// Runs `entry` with the caller's data tensors (its input and target
// arguments, in the order of its table), the program's slots, the learning
// rate, and the program's arena; fills `results` with new tensors.
// `gradients`, for the halves of a data-parallel step, holds one pointer per
// GRAPHC_ROLE_GRADIENT argument or result, in table order: into the caller's
// flat gradient buffer; such results are written there, not into `results`.
graphc_status_t runEntry(graphc_program_t* program, const graphc_model_entry_t& entry,
                         const graphc_tensor_t* const* data, int32_t numData, double lr,
                         Results& results, const std::vector<void*>* gradients = nullptr,
                         ArenaBuffer* ownArena = nullptr) {
  // The batch is the first input's (the first target's when there is none).
  int32_t dataArguments = 0, batchFrom = -1, batchSpec = -1;
  for (int32_t i = 0; i < entry.num_arguments; ++i) {
    int32_t role = entry.arguments[i].role;
    if (role != GRAPHC_ROLE_INPUT && role != GRAPHC_ROLE_TARGET) continue;
    if (batchFrom < 0 || (role == GRAPHC_ROLE_INPUT &&
                          entry.arguments[batchSpec].role != GRAPHC_ROLE_INPUT)) {
      batchFrom = dataArguments;
      batchSpec = i;
    }
    ++dataArguments;
  }
  if (dataArguments != numData)
    return make_status(GRAPHC_INVALID_ARGUMENT,
                       std::string("'") + entry.name + "' takes " +
                           std::to_string(dataArguments) +
                           " data tensors (its inputs and targets), got " +
                           std::to_string(numData));
  int64_t batch = batchFrom < 0 ? 1 : batchOf(entry.arguments[batchSpec], data[batchFrom]);
  if (batch < 1)
    return make_status(GRAPHC_INVALID_ARGUMENT,
                       std::string("'") + entry.name + "': the batch is empty");

  const std::vector<int32_t>& slots = program->argumentSlots[&entry - program->model->entries];
  // The pointer lists live on the stack up to a few dozen tensors (the heap
  // past that), so that a call through graphc_program_run_into allocates
  // nothing: a small entry point runs in a fraction of a microsecond.
  std::array<std::byte, 1024> listBytes;
  std::pmr::monotonic_buffer_resource lists(listBytes.data(), listBytes.size());
  std::pmr::vector<void*> arguments(&lists);
  arguments.reserve(entry.num_arguments);
  int32_t next = 0;
  size_t nextGradient = 0;
  auto gradientPointer = [&]() -> void* {
    return gradients && nextGradient < gradients->size() ? (*gradients)[nextGradient++] : nullptr;
  };
  // The bytes of a tensor of the table at this batch.
  auto bytesOf = [&](const graphc_model_tensor_t& spec) {
    size_t bytes = graphc_dtype_size(static_cast<graphc_dtype_t>(spec.dtype));
    for (int32_t d = 0; d < spec.rank; ++d) bytes *= static_cast<size_t>(sizeFor(spec.shape[d], batch));
    return bytes;
  };
  std::vector<graphc::rt::cuda::HostBuffer> deviceArguments, deviceResults;
  for (int32_t i = 0; i < entry.num_arguments; ++i) {
    const graphc_model_tensor_t& spec = entry.arguments[i];
    if (program->device) {
      bool slot = spec.role != GRAPHC_ROLE_LR && spec.role != GRAPHC_ROLE_GRADIENT &&
                  spec.role != GRAPHC_ROLE_INPUT && spec.role != GRAPHC_ROLE_TARGET;
      deviceArguments.push_back({slot ? slots[i] : -1, nullptr, bytesOf(spec)});
    }
    if (spec.role == GRAPHC_ROLE_LR) {
      arguments.push_back(&lr);
      continue;
    }
    if (spec.role == GRAPHC_ROLE_GRADIENT) {
      void* pointer = gradientPointer();
      if (!pointer)
        return make_status(GRAPHC_INVALID_ARGUMENT, std::string("'") + entry.name +
                                                        "' takes gradients; call it through "
                                                        "graphc_program_apply_gradients");
      arguments.push_back(pointer);
      continue;
    }
    if (spec.role != GRAPHC_ROLE_INPUT && spec.role != GRAPHC_ROLE_TARGET) {
      arguments.push_back(graphc_tensor_data(program->slots[slots[i]].tensor));
      continue;
    }
    const graphc_tensor_t* given = data[next++];
    if (spec.role != GRAPHC_ROLE_INPUT || !viewsAs(spec, given, batch))
      if (graphc_status_t status = checkArgument(entry, spec, given, batch)) return status;
    arguments.push_back(graphc_tensor_data(given));
  }
  if (results.given())
    if (graphc_status_t status = checkGivenResults(program, entry, data, batch, results))
      return status;

  std::pmr::vector<void*> resultData(&lists);
  resultData.reserve(entry.num_results);
  for (int32_t i = 0; i < entry.num_results; ++i) {
    const graphc_model_tensor_t& spec = entry.results[i];
    if (spec.role == GRAPHC_ROLE_GRADIENT && gradients) {
      void* pointer = gradientPointer();
      if (!pointer)
        return make_status(GRAPHC_INTERNAL, std::string("'") + entry.name +
                                                "': more gradients than the layout holds");
      resultData.push_back(pointer);
      continue;
    }
    if (results.given()) {
      resultData.push_back(graphc_tensor_data(results.given(i)));
      continue;
    }
    int64_t shape[GRAPHC_TENSOR_MAX_RANK]; // rank checked by graphc_program_create
    for (int32_t d = 0; d < spec.rank; ++d) shape[d] = sizeFor(spec.shape[d], batch);
    // Not zeroed: the entry point writes every element.
    graphc_tensor_t* result = nullptr;
    if (graphc_status_t status = graphc::rt::detail::allocate_tensor(
            "graphc_program_run", static_cast<graphc_dtype_t>(spec.dtype), spec.rank, shape,
            nullptr, /*zeroed=*/false, &result))
      return status;
    results.add(result);
    resultData.push_back(graphc_tensor_data(result));
  }
  if (program->device) {
    for (int32_t i = 0; i < entry.num_arguments; ++i)
      if (deviceArguments[i].slot < 0) deviceArguments[i].data = arguments[i];
    for (int32_t i = 0; i < entry.num_results; ++i)
      deviceResults.push_back({-1, resultData[i], bytesOf(entry.results[i])});
    if (graphc_status_t status = program->device->call(*program->model, entry, batch,
                                                       deviceArguments, deviceResults,
                                                       program->slotTensors, program->arenaPoison))
      return status;
    // A DSL module's parameters bound to the program see every step.
    return program->hasBoundSlots ? hostAccess(program, false) : nullptr;
  }

  // The arena: planned by the compiler, allocated here once, grown only for
  // a larger batch.
  ArenaBuffer& arenaBuffer = ownArena ? *ownArena : program->arena;
  int64_t bytes = entry.arena_bytes_per_batch * batch + entry.arena_bytes_fixed;
  if (bytes > arenaBuffer.bytes) {
    // An arena of huge pages where it is large enough for them: a step's
    // loops walk tens of MB of temporaries (LeNet at batch 256: 51 MB, over
    // 12,000 pages of 4 KB; its executable trained about 4 % faster with
    // them, docs/runtime.md). Linux gives huge pages to a 2 MB-aligned range advised
    // MADV_HUGEPAGE (transparent_hugepage=madvise, the default); where it
    // does not, the advice is ignored and the arena works the same.
    int64_t alignment = bytes >= kHugePageBytes ? kHugePageBytes : GRAPHC_TENSOR_ALIGNMENT;
    int64_t capacity = (bytes + alignment - 1) / alignment * alignment;
    void* arena = std::aligned_alloc(static_cast<size_t>(alignment), static_cast<size_t>(capacity));
    if (!arena) return graphc::rt::detail::out_of_memory_status();
#ifdef MADV_HUGEPAGE
    if (alignment == kHugePageBytes)
      (void)madvise(arena, static_cast<size_t>(capacity), MADV_HUGEPAGE);
#endif
    std::free(arenaBuffer.data);
    arenaBuffer.data = arena;
    arenaBuffer.bytes = capacity;
    ++arenaBuffer.allocations;
  }
  if (program->arenaPoison >= 0)
    std::memset(arenaBuffer.data, program->arenaPoison, static_cast<size_t>(bytes));

  // The entry points' codes (the generated header lists them): 1 a batch
  // too large to address, 2 out of memory, 3 a result of another size than
  // the table says.
  switch (entry.call(arenaBuffer.data, batch, arguments.data(), resultData.data())) {
    case 0: return nullptr;
    case 1:
      return make_status(GRAPHC_INVALID_ARGUMENT, std::string("'") + entry.name +
                                                      "': a batch of " + std::to_string(batch) +
                                                      " is too large for its sizes to be addressed");
    case 3:
      return make_status(GRAPHC_INTERNAL, std::string("'") + entry.name +
                                              "': a result came out of another size than the "
                                              "model's table says (a compiler bug)");
    default: return graphc::rt::detail::out_of_memory_status();
  }
}

// The argument checks graphc_program_run and graphc_program_run_into (`api`)
// share: no NULL or negative argument, `entry_name` an entry point of the
// program's model, `num_results` its results. Sets `entry`; returns the
// status to report, or NULL.
graphc_status_t findCalledEntry(const char* api, graphc_program_t* program,
                                const char* entry_name, const graphc_tensor_t* const* data,
                                int32_t num_data, const void* results, int32_t num_results,
                                const graphc_model_entry_t** entry) {
  if (!program || !entry_name || (num_data > 0 && !data) || num_data < 0 ||
      (num_results > 0 && !results) || num_results < 0)
    return make_status(GRAPHC_INVALID_ARGUMENT, std::string(api) + ": NULL or negative argument");
  try {
    graphc_status_t status = nullptr;
    *entry = findEntry(program, entry_name, &status);
    if (!*entry) return status;
    if (num_results == (*entry)->num_results) return nullptr;
    return make_status(GRAPHC_INVALID_ARGUMENT,
                       std::string("'") + (*entry)->name + "' returns " +
                           std::to_string((*entry)->num_results) + " results, " +
                           std::to_string(num_results) + " tensors were given for them");
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS(api)
}

// The entry points with one input and at most one target (forward,
// train_step, eval): anything else is for graphc_program_run. Sets
// `numData` to how many of {input, target} the entry takes.
graphc_status_t checkOneInput(const graphc_model_entry_t& entry, int32_t* numData) {
  int32_t inputs = 0, targets = 0;
  for (int32_t i = 0; i < entry.num_arguments; ++i) {
    inputs += entry.arguments[i].role == GRAPHC_ROLE_INPUT;
    targets += entry.arguments[i].role == GRAPHC_ROLE_TARGET;
  }
  *numData = inputs + targets;
  if (inputs == 1 && targets <= 1) return nullptr;
  return make_status(GRAPHC_UNIMPLEMENTED,
                     std::string("'") + entry.name + "' takes " + std::to_string(inputs) +
                         " inputs; a program runs entry points with one input and at most one "
                         "target here (graphc_program_run takes any number)");
}

// The data a gradient half takes: the batch's one or two tensors (an input
// and a target, or a loss function's two inputs as the DSL traces them,
// images and labels), in the order graphc_program_gradients passes them.
graphc_status_t checkGradientData(const graphc_model_entry_t& entry, int32_t* numData) {
  *numData = 0;
  for (int32_t i = 0; i < entry.num_arguments; ++i)
    *numData += entry.arguments[i].role == GRAPHC_ROLE_INPUT ||
                entry.arguments[i].role == GRAPHC_ROLE_TARGET;
  if (*numData == 1 || *numData == 2) return nullptr;
  return make_status(GRAPHC_UNIMPLEMENTED,
                     std::string("'") + entry.name + "' takes " + std::to_string(*numData) +
                         " inputs and targets; the data-parallel step passes one or two");
}

double scalarOf(const graphc_tensor_t* t) {
  switch (graphc_tensor_dtype(t)) {
    case GRAPHC_DTYPE_F64: return *static_cast<const double*>(graphc_tensor_data(t));
    case GRAPHC_DTYPE_I64:
      return static_cast<double>(*static_cast<const int64_t*>(graphc_tensor_data(t)));
    case GRAPHC_DTYPE_I32: return *static_cast<const int32_t*>(graphc_tensor_data(t));
    default: return *static_cast<const float*>(graphc_tensor_data(t));
  }
}

// The description is outside data (an object file's table): check what the
// program relies on before anything indexes with it.
graphc_status_t checkModel(const graphc_model_t& model) {
  std::string where = std::string("model '") + (model.name ? model.name : "?") + "'";
  if (!model.name || model.num_entries < 0 || (model.num_entries > 0 && !model.entries))
    return make_status(GRAPHC_INVALID_ARGUMENT, where + ": malformed description");
  for (int32_t e = 0; e < model.num_entries; ++e) {
    const graphc_model_entry_t& entry = model.entries[e];
    if (!entry.name || !entry.call || entry.num_arguments < 0 || entry.num_results < 0 ||
        (entry.num_arguments > 0 && !entry.arguments) || (entry.num_results > 0 && !entry.results))
      return make_status(GRAPHC_INVALID_ARGUMENT,
                         where + ": malformed entry point #" + std::to_string(e));
    auto checkRows = [&](const graphc_model_tensor_t* rows, int32_t count) -> graphc_status_t {
      for (int32_t i = 0; i < count; ++i) {
        const graphc_model_tensor_t& t = rows[i];
        bool scalarF64 = t.rank == 0 && t.dtype == GRAPHC_DTYPE_F64;
        bool ok = t.name && t.rank >= 0 && t.rank <= GRAPHC_TENSOR_MAX_RANK &&
                  graphc_dtype_size(static_cast<graphc_dtype_t>(t.dtype)) != 0 &&
                  ((t.role != GRAPHC_ROLE_STEP && t.role != GRAPHC_ROLE_LR) || scalarF64) &&
                  (t.role != GRAPHC_ROLE_RNG_STATE ||
                   (t.rank == 1 && t.shape[0] == 2 && t.dtype == GRAPHC_DTYPE_I64));
        if (!ok)
          return make_status(GRAPHC_INVALID_ARGUMENT,
                             where + ": '" + entry.name + "' has a malformed tensor '" +
                                 (t.name ? printable(t.name) : "?") + "' (rank " +
                                 std::to_string(t.rank) + ", dtype " + std::to_string(t.dtype) +
                                 ", role " + std::to_string(t.role) + ")");
      }
      return nullptr;
    };
    if (graphc_status_t status = checkRows(entry.arguments, entry.num_arguments)) return status;
    if (graphc_status_t status = checkRows(entry.results, entry.num_results)) return status;
  }
  return nullptr;
}

// The part size of a model compiled with --micro-batch: its
// train_step_micro_gradients must be train_step_gradients at a static batch
// (the same data and gradients, the batch dimension static), and carry no
// state (parts of a batch would each update it).
template <typename Refuse>
void planMicroBatches(graphc_program_t* program, const graphc_model_entry_t& gradients,
                      const Refuse& refuse) {
  const graphc_model_entry_t* micro = entryNamed(program->model, "train_step_micro_gradients");
  if (!micro) return;
  const std::string why = "train_step_micro_gradients is not train_step_gradients at a static batch";
  if (micro->num_arguments != gradients.num_arguments || micro->num_results != gradients.num_results)
    return refuse(why + " (another number of arguments or results)");
  if (!program->carriedSlots.empty())
    return refuse("train_step_micro_gradients: a step that carries buffers or generator state "
                  "cannot be computed in parts");
  int64_t rows = 0;
  for (int32_t i = 0; i < micro->num_arguments; ++i) {
    const graphc_model_tensor_t &part = micro->arguments[i], &whole = gradients.arguments[i];
    if (part.role != whole.role || part.rank != whole.rank || part.dtype != whole.dtype ||
        std::strcmp(part.name, whole.name) != 0)
      return refuse(why + " (argument " + printable(part.name) + ")");
    if (part.role != GRAPHC_ROLE_INPUT && part.role != GRAPHC_ROLE_TARGET) continue;
    if (part.rank < 1 || part.shape[0] < 1 || whole.shape[0] >= 0 ||
        (rows != 0 && part.shape[0] != rows))
      return refuse(why + " (argument " + printable(part.name) + "'s batch)");
    rows = part.shape[0];
  }
  for (int32_t i = 0; i < micro->num_results; ++i)
    if (micro->results[i].role == GRAPHC_ROLE_GRADIENT &&
        !sameLayout(micro->results[i], gradients.results[i]))
      return refuse(why + " (gradient " + printable(micro->results[i].name) + ")");
  if (rows == 0) return refuse(why + " (it takes no batch)");
  program->microGradientsEntry = micro;
  program->microBatch = rows;
}

// The flat gradient buffer's layout from the two halves' tables: their
// gradients, in the same order, float32 (one MPI datatype for the whole
// buffer), each rounded up to 16 elements so that every gradient starts at a
// 64-byte boundary as the generated code's own buffers do.
void planGradientLayout(graphc_program_t* program) {
  const graphc_model_t* model = program->model;
  const graphc_model_entry_t* gradients = entryNamed(model, "train_step_gradients");
  const graphc_model_entry_t* apply = entryNamed(model, "train_step_apply");
  if (!gradients || !apply) {
    program->gradientLayoutError =
        std::string("model '") + model->name +
        "' has no data-parallel step (train_step_gradients and train_step_apply); compile it "
        "with graphc --train --data-parallel";
    return;
  }
  std::vector<const graphc_model_tensor_t*> produced, taken;
  for (int32_t i = 0; i < gradients->num_results; ++i)
    if (gradients->results[i].role == GRAPHC_ROLE_GRADIENT) produced.push_back(&gradients->results[i]);
  for (int32_t i = 0; i < apply->num_arguments; ++i)
    if (apply->arguments[i].role == GRAPHC_ROLE_GRADIENT) taken.push_back(&apply->arguments[i]);
  auto refuse = [&](const std::string& why) {
    program->gradientLayout.clear();
    program->carriedSlots.clear();
    program->gradientElements = 0;
    program->gradientLayoutError = std::string("model '") + model->name + "': " + why;
  };
  if (produced.size() != taken.size() || produced.empty())
    return refuse("train_step_gradients returns " + std::to_string(produced.size()) +
                  " gradients, train_step_apply takes " + std::to_string(taken.size()));
  int64_t offset = 0;
  for (size_t k = 0; k < taken.size(); ++k) {
    const graphc_model_tensor_t& t = *taken[k];
    if (std::strcmp(t.name, produced[k]->name) != 0 || !sameLayout(t, *produced[k]))
      return refuse("gradient #" + std::to_string(k) + " is " + printable(produced[k]->name) +
                    " from train_step_gradients but " + printable(t.name) +
                    " in train_step_apply");
    if (t.dtype != GRAPHC_DTYPE_F32)
      return refuse(std::string("data-parallel training sums float32 gradients; ") +
                    printable(t.name) + " is " + describe(t));
    int64_t count = 1;
    for (int32_t d = 0; d < t.rank; ++d) count *= t.shape[d] < 0 ? 0 : t.shape[d];
    program->gradientLayout.push_back({offset, count});
    offset += (count + 15) / 16 * 16;
  }
  for (int32_t i = 0; i < gradients->num_results; ++i) {
    const graphc_model_tensor_t& spec = gradients->results[i];
    if (spec.role != GRAPHC_ROLE_BUFFER && spec.role != GRAPHC_ROLE_RNG_STATE) continue;
    graphc_program_s::Slot* slot = findSlot(program, slotName(spec));
    if (!slot)
      return refuse("train_step_gradients returns " + printable(spec.name) +
                    ", which the program does not hold");
    program->carriedSlots.push_back(static_cast<int32_t>(slot - program->slots.data()));
  }
  program->gradientElements = offset;
  program->gradientsEntry = gradients;
  program->applyEntry = apply;
  planMicroBatches(program, *gradients, refuse);
}

// One call of a gradient half (`entry`: train_step_gradients or its
// static-batch part, train_step_micro_gradients) on a batch, its gradients
// written to the flat buffer `gradients`.
graphc_status_t runGradients(graphc_program_t* program, const graphc_model_entry_t& entry,
                             const graphc_tensor_t* input, const graphc_tensor_t* target,
                             float* gradients, int32_t keep_state, double* out_loss,
                             ArenaBuffer* ownArena = nullptr) {
  graphc_status_t status = nullptr;
  int32_t numData = 0;
  if ((status = checkGradientData(entry, &numData))) return status;
  std::vector<void*> pointers;
  for (const auto& g : program->gradientLayout) pointers.push_back(gradients + g.offset);
  // The padding between gradients is part of what is summed: keep it zero.
  for (size_t k = 0; k < program->gradientLayout.size(); ++k) {
    const auto& g = program->gradientLayout[k];
    int64_t end = k + 1 < program->gradientLayout.size() ? program->gradientLayout[k + 1].offset
                                                         : program->gradientElements;
    std::memset(gradients + g.offset + g.count, 0, sizeof(float) * (end - g.offset - g.count));
  }
  Results results(entry.num_results);
  const graphc_tensor_t* data[] = {input, target};
  if ((status = runEntry(program, entry, data, numData, 0, results, &pointers, ownArena)))
    return status;
  *out_loss = scalarOf(results[0]);
  if (!keep_state) return nullptr;
  if ((status = hostAccess(program, true))) return status;
  // The new buffers and generator state: results after the loss, before
  // the gradients (written to the flat buffer, not to `results`).
  for (size_t k = 0; k < program->carriedSlots.size(); ++k) {
    graphc_tensor_t* slot = program->slots[program->carriedSlots[k]].tensor;
    std::memcpy(graphc_tensor_data(slot), graphc_tensor_data(results[1 + k]),
                graphc_tensor_nbytes(slot));
  }
  return nullptr;
}

// The parts of a micro-batched step (graphc_program_gradients): part p's
// gradients go to `gradients` (p = 0) or to others[(p - 1) * g ...].
struct PartsOfAStep {
  graphc_program_t* program = nullptr;
  int64_t part = 0, rows = 0, parts = 0;
  std::vector<graphc_tensor_t*> inputs, targets;  // each part's views
  float* gradients = nullptr;
  float* others = nullptr;
  std::vector<double> losses;
  std::vector<graphc_status_t> statuses;
};

// Thread `thread` of `threads` computes parts thread, thread + threads, ...
// in its own arena (the calling thread, 0, in the program's).
void computeParts(PartsOfAStep& work, int thread, int threads) {
  graphc_program_t* program = work.program;
  // A team larger than asked for (it is not, in libomp or the pool): the
  // threads with an arena share the parts, the others have none.
  threads = static_cast<int>(std::min<size_t>(threads, program->partArenas.size() + 1));
  if (thread >= threads) return;
  ArenaBuffer* arena = thread == 0 ? nullptr : &program->partArenas[thread - 1];
  for (int64_t p = thread; p < work.parts; p += threads) {
    const int64_t length = std::min(work.part, work.rows - p * work.part);
    float* values = p == 0 ? work.gradients : work.others + (p - 1) * program->gradientElements;
    try {
      work.statuses[p] = runGradients(
          program, length == work.part ? *program->microGradientsEntry : *program->gradientsEntry,
          work.inputs[p], work.targets[p], values, 0, &work.losses[p], arena);
    } catch (const std::bad_alloc&) {
      work.statuses[p] = graphc::rt::detail::out_of_memory_status();
    }
  }
}

}  // namespace

// The OpenMP runtime's ABI, as the generated code calls it: libomp's under
// the JIT and in a program linked with it, the thread pool of
// libgraphc_standalone in a standalone executable (openmp_threads.cc).
// Weak, so that a program that links the runtime without any generated
// code needs no OpenMP runtime: the parts then run one after the other.
// By hand rather than `#pragma omp parallel` for the same reason (the
// runtime is built without -fopenmp, and the pool implements exactly this).
extern "C" {
struct ident_t;
using GraphcMicrotask = void (*)(int32_t*, int32_t*, ...);
void __kmpc_fork_call(ident_t*, int32_t, GraphcMicrotask, ...) __attribute__((weak));
int omp_get_max_threads(void) __attribute__((weak));
int omp_get_thread_num(void) __attribute__((weak));
int omp_get_num_threads(void) __attribute__((weak));
}

namespace {

// libomp's ident_t: where a parallel region is, for its debugging output.
struct OpenMPLocation {
  int32_t reserved1 = 0;
  int32_t flags = 0x02;  // KMP_IDENT_KMPC: called from C, not Fortran
  int32_t reserved2 = 0, reserved3 = 0;
  const char* source = ";program.cc;graphc_program_gradients;0;0;;";
};

void computePartsInRegion(int32_t*, int32_t*, PartsOfAStep* work) {
  computeParts(*work, omp_get_thread_num(), omp_get_num_threads());
}

// The parts on the threads the generated code may use, when there are at
// least as many parts, each thread running its parts' kernels alone (one
// part at a time): the parallel regions
// of the generated code nest inside this one, which runs them on the
// calling thread (libomp with nesting off, its default; the pool always).
// LeNet's parts of 64 rows ran 35,000 images/s each as two one-thread
// processes, against 58,000 for one two-thread process splitting every
// kernel (docs/performance.md, session 28).
void runPartsOnThreads(PartsOfAStep& work) {
  int64_t threads = 1;
  if (__kmpc_fork_call && omp_get_max_threads && omp_get_thread_num && omp_get_num_threads &&
      !work.program->device)
    threads = omp_get_max_threads();
  // Fewer parts than threads would leave threads idle: the parts then run
  // one after the other, each kernel split between all the threads.
  if (threads <= 1 || work.parts < threads) {
    computeParts(work, 0, 1);
    return;
  }
  // Sized here, on the calling thread: the threads only use them.
  if (work.program->partArenas.size() < static_cast<size_t>(threads - 1))
    work.program->partArenas.resize(static_cast<size_t>(threads - 1));
  static OpenMPLocation location;
  __kmpc_fork_call(reinterpret_cast<ident_t*>(&location), 1,
                   reinterpret_cast<GraphcMicrotask>(&computePartsInRegion), &work);
}

}  // namespace

extern "C" {

graphc_status_t graphc_program_create(const graphc_model_t* model, graphc_program_t** out_program) {
  try {
    if (!model || !out_program)
      return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_create: NULL argument");
    *out_program = nullptr;
    if (model->abi_version != GRAPHC_MODEL_ABI_VERSION)
      return make_status(GRAPHC_INVALID_ARGUMENT,
                         "model description has ABI version " +
                             std::to_string(model->abi_version) + ", this runtime reads " +
                             std::to_string(GRAPHC_MODEL_ABI_VERSION) +
                             " (recompile the model with this graphc)");
    if (model->device != GRAPHC_DEVICE_CPU && model->device != GRAPHC_DEVICE_CUDA)
      return make_status(GRAPHC_INVALID_ARGUMENT, std::string("model '") +
                                                      printable(model->name ? model->name : "") +
                                                      "': unknown device " +
                                                      std::to_string(model->device));
    if (graphc_status_t status = checkModel(*model)) return status;
    auto program = std::make_unique<graphc_program_s>();
    program->model = model;
    if (const char* poison = std::getenv("GRAPHC_DEBUG_POISON_ARENA"))
      program->arenaPoison = std::atoi(poison) & 0xff;
    // Parameters and buffers first, in the entry points' (state_dict) order,
    // then the optimizer state and the step count.
    for (int pass = 0; pass < 2; ++pass)
      for (int32_t e = 0; e < model->num_entries; ++e) {
        const graphc_model_entry_t& entry = model->entries[e];
        for (int32_t i = 0; i < entry.num_arguments; ++i) {
          const graphc_model_tensor_t& t = entry.arguments[i];
          bool modelState = isModelState(t.role);
          bool state = t.role == GRAPHC_ROLE_STATE || t.role == GRAPHC_ROLE_STEP ||
                       t.role == GRAPHC_ROLE_RNG_STATE;
          if ((pass == 0 && !modelState) || (pass == 1 && !state)) continue;
          std::string name = slotName(t);
          if (auto* existing = findSlot(program.get(), name)) {
            if (!sameLayout(t, existing->tensor))
              return make_status(GRAPHC_INVALID_ARGUMENT,
                                 std::string("model '") + model->name + "': '" + entry.name +
                                     "' takes " + name + " as " + describe(t) +
                                     ", another entry point as " + describe(existing->tensor));
            continue;
          }
          for (int32_t d = 0; d < t.rank; ++d)
            if (t.shape[d] < 0)
              return make_status(GRAPHC_INVALID_ARGUMENT,
                                 std::string("model '") + model->name + "': " + name +
                                     " has a dynamic dimension; parameters and optimizer state "
                                     "need static shapes");
          graphc_tensor_t* tensor = nullptr;
          if (graphc_status_t status = graphc_tensor_create(static_cast<graphc_dtype_t>(t.dtype),
                                                            t.rank, t.shape, nullptr, &tensor))
            return status;
          // The generator state the graph recorded (the DSL draws its seed
          // when tracing); graphc_program_init replaces it with [seed, 0].
          if (t.role == GRAPHC_ROLE_RNG_STATE && t.init_data)
            std::memcpy(graphc_tensor_data(tensor), t.init_data, graphc_tensor_nbytes(tensor));
          program->slots.push_back({name, &t, tensor});
        }
      }
    for (int32_t e = 0; e < model->num_entries; ++e) {
      const graphc_model_entry_t& entry = model->entries[e];
      std::vector<int32_t>& slots = program->argumentSlots.emplace_back(entry.num_arguments, -1);
      for (int32_t i = 0; i < entry.num_arguments; ++i)
        if (auto* slot = findSlot(program.get(), slotName(entry.arguments[i])))
          slots[i] = static_cast<int32_t>(slot - program->slots.data());
    }
    for (const auto& slot : program->slots) program->slotTensors.push_back(slot.tensor);
    planGradientLayout(program.get());
    if (model->device == GRAPHC_DEVICE_CUDA) {
      if (graphc_status_t status = graphc::rt::cuda::DeviceProgram::create(
              *model, program->slotTensors, &program->device))
        return status;
    }
    *out_program = program.release();
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_create")
}

void graphc_program_retain(graphc_program_t* program) {
  if (program) program->references.fetch_add(1, std::memory_order_relaxed);
}

void graphc_program_release(graphc_program_t* program) {
  if (program && program->references.fetch_sub(1, std::memory_order_acq_rel) == 1) delete program;
}

const graphc_model_t* graphc_program_model(const graphc_program_t* program) {
  return program ? program->model : nullptr;
}

namespace {

// One tensor's initial value (graphc_model_tensor_t's rule), drawing from
// `generator` only for a bound, as torch's default init draws only for the
// modules that have one.
graphc_status_t initializeTensor(const graphc_model_tensor_t& spec, graphc_tensor_t* tensor,
                                 graphc_generator_t* generator, uint64_t seed) {
  if (spec.role == GRAPHC_ROLE_RNG_STATE && graphc_tensor_nbytes(tensor) == 2 * sizeof(int64_t)) {
    int64_t* state = static_cast<int64_t*>(graphc_tensor_data(tensor));
    state[0] = static_cast<int64_t>(seed);
    state[1] = 0;
    return nullptr;
  }
  if (spec.role == GRAPHC_ROLE_PARAMETER && spec.init_bound > 0)
    return graphc_tensor_uniform(tensor, generator, -spec.init_bound, spec.init_bound);
  if (isModelState(spec.role) && spec.init_data) {
    std::memcpy(graphc_tensor_data(tensor), spec.init_data, graphc_tensor_nbytes(tensor));
    return nullptr;
  }
  return graphc_tensor_fill(tensor, 0);
}

}  // namespace

graphc_status_t graphc_program_init(graphc_program_t* program, uint64_t seed) {
  if (!program) return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_init: NULL program");
  if (graphc_status_t status = hostAccess(program, true)) return status;
  graphc_generator_t* generator = nullptr;
  if (graphc_status_t status = graphc_generator_create(seed, &generator)) return status;
  graphc_status_t status = nullptr;
  // Slots are in state_dict order, so the draws are too.
  for (auto& slot : program->slots)
    if ((status = initializeTensor(*slot.spec, slot.tensor, generator, seed))) break;
  graphc_generator_release(generator);
  return status;
}

graphc_status_t graphc_model_init_parameters(const graphc_model_t* model, const char* entry,
                                             uint64_t seed, void* const* buffers) {
  if (!model || !entry || !buffers)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_model_init_parameters: NULL argument");
  const graphc_model_entry_t* found = nullptr;
  for (int32_t e = 0; e < model->num_entries && !found; ++e)
    if (std::strcmp(model->entries[e].name, entry) == 0) found = &model->entries[e];
  if (!found)
    return make_status(GRAPHC_NOT_FOUND, std::string("model '") + printable(model->name) +
                                             "' has no entry point '" + printable(entry) + "'");
  graphc_generator_t* generator = nullptr;
  if (graphc_status_t status = graphc_generator_create(seed, &generator)) return status;
  graphc_status_t status = nullptr;
  int32_t next = 0;
  for (int32_t i = 0; i < found->num_arguments && !status; ++i) {
    const graphc_model_tensor_t& spec = found->arguments[i];
    if (!isModelState(spec.role)) continue;
    graphc_tensor_t* tensor = nullptr;
    status = graphc_tensor_wrap(static_cast<graphc_dtype_t>(spec.dtype), spec.rank, spec.shape,
                                buffers[next++], nullptr, nullptr, &tensor);
    if (!status) status = initializeTensor(spec, tensor, generator, seed);
    graphc_tensor_release(tensor);
  }
  graphc_generator_release(generator);
  return status;
}

int32_t graphc_program_num_tensors(const graphc_program_t* program) {
  return program ? static_cast<int32_t>(program->slots.size()) : 0;
}

const char* graphc_program_tensor_name(const graphc_program_t* program, int32_t index) {
  if (!program || index < 0 || index >= graphc_program_num_tensors(program)) return nullptr;
  return program->slots[index].name.c_str();
}

graphc_tensor_t* graphc_program_tensor(const graphc_program_t* program, int32_t index) {
  if (!program || index < 0 || index >= graphc_program_num_tensors(program)) return nullptr;
  if (graphc_status_t status = hostAccess(program, true)) {
    graphc_status_free(status);  // the GPU failed: no tensor to give
    return nullptr;
  }
  return program->slots[index].tensor;
}

graphc_status_t graphc_program_find_tensor(const graphc_program_t* program, const char* name,
                                           graphc_tensor_t** out_borrowed) {
  if (!program || !name || !out_borrowed)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_find_tensor: NULL argument");
  *out_borrowed = nullptr;
  try {
    auto* slot = findSlot(const_cast<graphc_program_t*>(program), name);
    if (!slot)
      return make_status(GRAPHC_NOT_FOUND, std::string("model '") + program->model->name +
                                               "' has no tensor '" + printable(name) + "'");
    if (graphc_status_t status = hostAccess(program, true)) return status;
    *out_borrowed = slot->tensor;
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_find_tensor")
}

graphc_status_t graphc_program_bind(graphc_program_t* program, const char* name,
                                    graphc_tensor_t* tensor) {
  graphc_tensor_t* current = nullptr;
  if (graphc_status_t status = graphc_program_find_tensor(program, name, &current)) return status;
  try {
    auto* slot = findSlot(program, name);
    if (!tensor || !sameLayout(*slot->spec, tensor))
      return make_status(GRAPHC_INVALID_ARGUMENT,
                         std::string("cannot bind ") + name + ": the model's is " +
                             describe(current) + ", got " + (tensor ? describe(tensor) : "NULL"));
    graphc_tensor_retain(tensor);
    graphc_tensor_release(slot->tensor);
    slot->tensor = tensor;
    program->slotTensors[slot - program->slots.data()] = tensor;
    program->hasBoundSlots = true;
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_bind")
}

graphc_status_t graphc_program_load(graphc_program_t* program, const char* path,
                                    int32_t with_optimizer) {
  if (!program || !path)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_load: NULL argument");
  try {
    graphc_safetensors_t* loaded = nullptr;
    if (graphc_status_t status = graphc_safetensors_load(path, &loaded)) return status;
    std::unique_ptr<graphc_safetensors_t, void (*)(graphc_safetensors_t*)> file(
        loaded, &graphc_safetensors_release);
    std::map<std::string, graphc::rt::Tensor> tensors; // borrowed from `file`
    for (size_t i = 0; i < graphc_safetensors_count(file.get()); ++i)
      tensors.emplace(graphc_safetensors_name(file.get(), i),
                      graphc::rt::Tensor::borrow(graphc_safetensors_tensor_at(file.get(), i)));
    try {
      graphc::rt::restoreProgram(program, tensors, with_optimizer != 0,
                                 "checkpoint '" + printable(path) + "'");
    } catch (const graphc::rt::Error& e) {
      return make_status(e.code(), e.what());
    }
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_load")
}

graphc_status_t graphc_program_save(const graphc_program_t* program, const char* path) {
  if (!program || !path)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_save: NULL argument");
  if (graphc_status_t status = hostAccess(program, false)) return status;
  graphc_safetensors_writer_t* writer = nullptr;
  if (graphc_status_t status = graphc_safetensors_writer_create(&writer)) return status;
  graphc_status_t status = nullptr;
  for (auto& slot : program->slots)
    if ((status = graphc_safetensors_writer_add(writer, slot.name.c_str(), slot.tensor))) break;
  if (!status) status = graphc_safetensors_writer_save(writer, path);
  graphc_safetensors_writer_release(writer);
  return status;
}

graphc_status_t graphc_program_forward(graphc_program_t* program, const graphc_tensor_t* input,
                                       graphc_tensor_t** out_output) {
  if (!program || !out_output)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_forward: NULL argument");
  *out_output = nullptr;
  try {
    graphc_status_t status = nullptr;
    const graphc_model_entry_t* entry = findEntry(program, "forward", &status);
    if (!entry) return status;
    int32_t numData = 0;
    if ((status = checkOneInput(*entry, &numData))) return status;
    Results results(entry->num_results);
    const graphc_tensor_t* data[] = {input};
    if ((status = runEntry(program, *entry, data, numData, 0, results))) return status;
    if (results.size() == 0)
      return make_status(GRAPHC_INVALID_ARGUMENT, "'forward' returns nothing");
    *out_output = results.take(0);
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_forward")
}

graphc_status_t graphc_program_train_step(graphc_program_t* program, const graphc_tensor_t* input,
                                          const graphc_tensor_t* target, double learning_rate,
                                          double* out_loss) {
  if (!program || !out_loss)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_train_step: NULL argument");
  try {
    graphc_status_t status = nullptr;
    if (!entryNamed(program->model, "train_step") && program->gradientsEntry) {
      // The step as its two halves, which compute train_step's gradients
      // and update with the same operations, in the same order.
      program->stepGradients.resize(static_cast<size_t>(program->gradientElements));
      if ((status = graphc_program_gradients(program, input, target, program->stepGradients.data(),
                                             1, out_loss)))
        return status;
      return graphc_program_apply_gradients(program, program->stepGradients.data(), learning_rate);
    }
    const graphc_model_entry_t* entry = findEntry(program, "train_step", &status);
    if (!entry) return status;
    int32_t numData = 0; // the target is passed only if the entry takes one
    if ((status = checkOneInput(*entry, &numData))) return status;
    Results results(entry->num_results);
    const graphc_tensor_t* data[] = {input, target};
    if ((status = runEntry(program, *entry, data, numData, learning_rate, results))) return status;
    if (results.size() == 0)
      return make_status(GRAPHC_INVALID_ARGUMENT, "'train_step' returns no loss");
    *out_loss = scalarOf(results[0]);
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_train_step")
}

graphc_status_t graphc_program_eval(graphc_program_t* program, const graphc_tensor_t* input,
                                    const graphc_tensor_t* target, double* out_loss_sum,
                                    int64_t* out_correct) {
  if (!program || !out_loss_sum || !out_correct)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_eval: NULL argument");
  try {
    graphc_status_t status = nullptr;
    const graphc_model_entry_t* entry = findEntry(program, "eval", &status);
    if (!entry) return status;
    int32_t numData = 0; // the target is passed only if the entry takes one
    if ((status = checkOneInput(*entry, &numData))) return status;
    Results results(entry->num_results);
    const graphc_tensor_t* data[] = {input, target};
    if ((status = runEntry(program, *entry, data, numData, 0, results))) return status;
    if (results.size() < 2)
      return make_status(GRAPHC_INVALID_ARGUMENT,
                         "'eval' must return the summed loss and the correct count");
    *out_loss_sum = scalarOf(results[0]);
    // The count is a float32 sum of 0/1 values: exact below 2^24 samples.
    *out_correct = static_cast<int64_t>(scalarOf(results[1]) + 0.5);
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_eval")
}

graphc_status_t graphc_program_run(graphc_program_t* program, const char* entry_name,
                                   const graphc_tensor_t* const* data, int32_t num_data,
                                   double learning_rate, graphc_tensor_t** out_results,
                                   int32_t num_results) {
  const graphc_model_entry_t* entry = nullptr;
  if (graphc_status_t status = findCalledEntry("graphc_program_run", program, entry_name, data,
                                               num_data, out_results, num_results, &entry))
    return status;
  try {
    Results results(entry->num_results);
    if (graphc_status_t status =
            runEntry(program, *entry, data, num_data, learning_rate, results))
      return status;
    for (int32_t i = 0; i < num_results; ++i) out_results[i] = results.take(i);
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_run")
}

graphc_status_t graphc_program_run_into(graphc_program_t* program, const char* entry_name,
                                        const graphc_tensor_t* const* data, int32_t num_data,
                                        double learning_rate, graphc_tensor_t* const* results,
                                        int32_t num_results) {
  const graphc_model_entry_t* entry = nullptr;
  if (graphc_status_t status = findCalledEntry("graphc_program_run_into", program, entry_name,
                                               data, num_data, results, num_results, &entry))
    return status;
  try {
    Results given(entry->num_results, results);
    return runEntry(program, *entry, data, num_data, learning_rate, given);
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_run_into")
}

int64_t graphc_program_gradient_elements(const graphc_program_t* program) {
  return program ? program->gradientElements : 0;
}

graphc_status_t graphc_program_gradients(graphc_program_t* program, const graphc_tensor_t* input,
                                         const graphc_tensor_t* target, float* gradients,
                                         int32_t keep_state, double* out_loss) {
  if (!program || !gradients || !out_loss)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_gradients: NULL argument");
  try {
    if (program->gradientLayout.empty())
      return make_status(GRAPHC_UNIMPLEMENTED, program->gradientLayoutError);
    const int64_t part = program->microBatch;
    const int64_t rows =
        input && graphc_tensor_rank(input) > 0 ? graphc_tensor_shape(input)[0] : 0;
    // A target of other rows than the input: the whole batch's half names
    // the argument, as for a model without parts.
    const bool targetMatches =
        !target || (graphc_tensor_rank(target) > 0 && graphc_tensor_shape(target)[0] == rows);
    if (part == 0 || rows <= part || !targetMatches)
      return runGradients(program, part != 0 && rows == part ? *program->microGradientsEntry
                                                             : *program->gradientsEntry,
                          input, target, gradients, keep_state, out_loss);
    // Parts of `part` rows (the last one shorter, through the dynamic
    // half), each weighted by its rows as data-parallel training weights
    // its processes' parts (DataParallelStep::step): the batch's mean. No
    // state to keep: planMicroBatches refused a model that carries any.
    PartsOfAStep work;
    work.program = program;
    work.part = part;
    work.rows = rows;
    work.parts = (rows + part - 1) / part;
    const int64_t g = program->gradientElements;
    program->microGradients.resize(static_cast<size_t>((work.parts - 1) * g));
    work.gradients = gradients;
    work.others = program->microGradients.data();
    work.losses.assign(static_cast<size_t>(work.parts), 0.0);
    work.statuses.assign(static_cast<size_t>(work.parts), nullptr);
    // The views first, on this thread (a view counts references to its
    // tensor; the threads below only read them).
    struct Views {
      std::vector<graphc_tensor_t*> all;
      ~Views() {
        for (graphc_tensor_t* view : all) graphc_tensor_release(view);
      }
    } views;
    for (int64_t p = 0; p < work.parts; ++p) {
      const int64_t begin = p * part, length = std::min(part, rows - begin);
      for (const graphc_tensor_t* whole : {input, target}) {
        graphc_tensor_t* view = nullptr;
        if (whole) {
          if (graphc_status_t status =
                  graphc_tensor_narrow(const_cast<graphc_tensor_t*>(whole), begin, length, &view))
            return status;
          views.all.push_back(view);
        }
        (whole == input ? work.inputs : work.targets).push_back(view);
      }
    }
    runPartsOnThreads(work);
    graphc_status_t failed = nullptr;
    for (graphc_status_t status : work.statuses) {
      if (status && !failed) failed = status;
      else if (status) graphc_status_free(status);
    }
    if (failed) return failed;
    // Added in part order, whichever thread computed a part: the same bits
    // for any number of threads.
    double lossSum = 0;
    for (int64_t p = 0; p < work.parts; ++p) {
      const int64_t length = std::min(part, rows - p * part);
      const float weight = static_cast<float>(length);
      if (p == 0) {
        for (int64_t i = 0; i < g; ++i) gradients[i] *= weight;
      } else {
        const float* values = work.others + (p - 1) * g;
        for (int64_t i = 0; i < g; ++i) gradients[i] += weight * values[i];
      }
      lossSum += work.losses[p] * static_cast<double>(length);
    }
    const float total = static_cast<float>(rows);
    for (int64_t i = 0; i < g; ++i) gradients[i] /= total;
    *out_loss = lossSum / static_cast<double>(rows);
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_gradients")
}

int64_t graphc_program_micro_batch(const graphc_program_t* program) {
  return program ? program->microBatch : 0;
}

graphc_status_t graphc_program_apply_gradients(graphc_program_t* program, const float* gradients,
                                               double learning_rate) {
  if (!program || !gradients)
    return make_status(GRAPHC_INVALID_ARGUMENT, "graphc_program_apply_gradients: NULL argument");
  try {
    if (program->gradientLayout.empty())
      return make_status(GRAPHC_UNIMPLEMENTED, program->gradientLayoutError);
    const graphc_model_entry_t* entry = program->applyEntry;
    std::vector<void*> pointers;
    // The entry point only reads them (they are not updated in place).
    for (const auto& g : program->gradientLayout)
      pointers.push_back(const_cast<float*>(gradients) + g.offset);
    Results results(entry->num_results);
    return runEntry(program, *entry, nullptr, 0, learning_rate, results, &pointers);
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS("graphc_program_apply_gradients")
}

int64_t graphc_program_arena_bytes(const graphc_program_t* program) {
  if (program && program->device) return program->device->arenaBytes();
  return program ? program->arena.bytes : 0;
}

int64_t graphc_program_arena_allocations(const graphc_program_t* program) {
  if (program && program->device) return program->device->arenaAllocations();
  return program ? program->arena.allocations : 0;
}

int32_t graphc_program_device(const graphc_program_t* program) {
  return program ? program->model->device : GRAPHC_DEVICE_CPU;
}

void graphc_program_set_cuda_graphs(graphc_program_t* program, int32_t enabled) {
  if (program && program->device) program->device->setGraphs(enabled != 0);
}

int64_t graphc_program_cuda_graph_replays(const graphc_program_t* program) {
  return program && program->device ? program->device->graphReplays() : 0;
}

}  // extern "C"

namespace graphc::rt {

void restoreProgram(graphc_program_t* program, const std::map<std::string, Tensor>& tensors,
                    bool withOptimizer, const std::string& source) {
  check(hostAccess(program, true));
  // Check every tensor before writing any, so a bad checkpoint changes nothing.
  std::vector<std::pair<graphc_tensor_t*, const Tensor*>> copies;
  for (auto& slot : program->slots) {
    if (!isModelState(slot.spec->role) && !withOptimizer) continue;
    auto it = tensors.find(slot.name);
    if (it == tensors.end())
      throw Error(GRAPHC_NOT_FOUND, source + " has no tensor '" + slot.name + "' (expected " +
                                        describe(slot.tensor) + ")");
    if (!sameLayout(*slot.spec, it->second.get()))
      throw Error(GRAPHC_INVALID_ARGUMENT, source + ": tensor '" + slot.name + "' is " +
                                               describe(it->second.get()) + ", the model expects " +
                                               describe(slot.tensor));
    copies.emplace_back(slot.tensor, &it->second);
  }
  for (auto& [to, from] : copies)
    std::memcpy(graphc_tensor_data(to), from->rawData(), from->nbytes());
}

Program::Program(const graphc_model_t* model) { check(graphc_program_create(model, &program_)); }

std::map<std::string, Tensor> Program::tensors() const {
  std::map<std::string, Tensor> out;
  for (int32_t i = 0; i < graphc_program_num_tensors(program_); ++i)
    out.emplace(graphc_program_tensor_name(program_, i),
                Tensor::borrow(graphc_program_tensor(program_, i)));
  return out;
}

std::vector<Tensor> Program::run(const std::string& entry, const std::vector<Tensor>& data,
                                 double learningRate) {
  const graphc_model_t* model = graphc_program_model(program_);
  int32_t numResults = -1;
  for (int32_t e = 0; e < model->num_entries; ++e)
    if (entry == model->entries[e].name) numResults = model->entries[e].num_results;
  std::vector<const graphc_tensor_t*> inputs;
  for (const Tensor& t : data) inputs.push_back(t.get());
  std::vector<graphc_tensor_t*> results(numResults < 0 ? 0 : numResults, nullptr);
  // An unknown entry: graphc_program_run names it.
  check(graphc_program_run(program_, entry.c_str(), inputs.data(),
                           static_cast<int32_t>(inputs.size()), learningRate, results.data(),
                           static_cast<int32_t>(results.size())));
  std::vector<Tensor> out;
  for (graphc_tensor_t* t : results) out.push_back(Tensor::adopt(t));
  return out;
}

void Program::runInto(const std::string& entry, const std::vector<Tensor>& data,
                      const std::vector<Tensor>& results, double learningRate) {
  // On the stack for the usual few tensors, like runEntry's lists.
  std::array<std::byte, 512> listBytes;
  std::pmr::monotonic_buffer_resource lists(listBytes.data(), listBytes.size());
  std::pmr::vector<const graphc_tensor_t*> inputs(&lists);
  inputs.reserve(data.size());
  for (const Tensor& t : data) inputs.push_back(t.get());
  std::pmr::vector<graphc_tensor_t*> outputs(&lists);
  outputs.reserve(results.size());
  for (const Tensor& t : results) outputs.push_back(t.get());
  check(graphc_program_run_into(program_, entry.c_str(), inputs.data(),
                                static_cast<int32_t>(inputs.size()), learningRate, outputs.data(),
                                static_cast<int32_t>(outputs.size())));
}

}  // namespace graphc::rt
