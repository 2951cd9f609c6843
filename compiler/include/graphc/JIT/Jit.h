//===- Jit.h - compile graph modules in process and call them ---*- C++ -*-===//
//
// The in-process path for tests and DSL programs: the CPU pipeline, then
// MLIR's ExecutionEngine (LLVM ORC) for the host CPU. Functions are called
// through their C interface with runtime tensors; results are owned by the
// caller (each is a fresh buffer from the generated code, freed with it).
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_JIT_JIT_H
#define GRAPHC_JIT_JIT_H

#include "graphc/Codegen/Lowering.h"
#include "graphc/runtime/program.h"
#include "graphc/runtime/runtime.hpp"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
class MLIRContext;
class ScopedDiagnosticHandler;
}

namespace graphc {

/// A call did not match the compiled signature (argument count, dtype, shape).
class CallError : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

struct JitOptions {
  /// LLVM optimization level, 0..3.
  unsigned optLevel = 2;
  /// The model's name: the prefix of its C entry points and its
  /// graphc_model_t (`NAME_model`), as the driver's --name.
  std::string name = "model";
  /// The function whose parameters graph.init_bound describes (--function).
  std::string modelFunction = "forward";
};

/// The arena for the temporaries of JitModule::call, kept across calls: it is
/// allocated by the first call that needs one and grown only when a larger
/// batch needs more (as a program object keeps its own). A call that finds it
/// in use by another thread allocates one for itself instead.
class CallArena {
public:
  CallArena() = default;
  CallArena(const CallArena &) = delete;
  CallArena &operator=(const CallArena &) = delete;
  ~CallArena();
  /// At least `bytes` bytes, 64-byte aligned; throws std::bad_alloc.
  void *reserve(int64_t bytes);
  int64_t bytes() const { return bytes_; }
  int64_t allocations() const { return allocations_; }

private:
  friend class JitModule;
  std::mutex mutex_; // held by the call using the arena
  void *data_ = nullptr;
  int64_t bytes_ = 0, allocations_ = 0;
};

class JitModule {
public:
  /// Compiles every public function of `module` (graph dialect). The module
  /// is cloned; the caller's copy is left untouched.
  static std::unique_ptr<JitModule> compile(mlir::ModuleOp module,
                                            const JitOptions &options = {});
  ~JitModule();

  const FunctionSignature &signature(const std::string &function) const;

  /// Runs `function` on `arguments` and returns its results. The
  /// temporaries live in `arena` (kept by the caller across calls), or in one
  /// allocated for this call when it is null.
  std::vector<rt::Tensor> call(const std::string &function,
                               const std::vector<rt::Tensor> &arguments,
                               CallArena *arena = nullptr) const;

  /// The compiled model's description, as an object file graphc emits
  /// exports it (`NAME_model`): the entry points of the same generated C
  /// interface, for graphc_program_create. Lives as long as this module.
  const graphc_model_t *model() const { return model_; }

private:
  JitModule() = default;
  std::unique_ptr<mlir::ExecutionEngine> engine_;
  llvm::StringMap<FunctionSignature> signatures_;
  const graphc_model_t *model_ = nullptr;
};

/// Threads the generated code runs on (its OpenMP thread pool), like
/// torch.set_num_threads. 0 leaves OpenMP's default (all cores, or OMP_NUM_THREADS).
void setNumThreads(int threads);
int getNumThreads();

} // namespace graphc

#endif // GRAPHC_JIT_JIT_H
