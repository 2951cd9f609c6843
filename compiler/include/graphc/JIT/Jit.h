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

/// Compilation failed; what() holds the diagnostics, each with its location.
class CompileError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Collects the diagnostics of a context while alive (each with its
/// location and notes), so that a failed pass can be reported as text in a
/// CompileError.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext *ctx);
  ~DiagnosticCollector();
  const std::string &text() const { return text_; }

private:
  std::string text_;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler_;
};

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

/// What a compiled function takes and returns. A dynamic dim of k times the
/// batch is -k (BatchMultiples.h; -1 is the batch).
struct TensorSignature {
  std::string name;
  graphc_dtype_t dtype;
  std::vector<int64_t> shape;
  /// What the argument is to a caller (graph.role); results are RESULT.
  graphc_model_role_t role = GRAPHC_ROLE_RESULT;
  /// The U(-b, b) default initialization of a parameter (graph.init_bound; 0: none).
  double initBound = 0;
  /// A parameter's initial value (graph.init_value), row-major bytes of its
  /// dtype; empty: none (then initBound, or zero).
  std::vector<char> initData;
};

struct FunctionSignature {
  std::vector<TensorSignature> arguments;
  /// The results the call returns (updated arguments excluded).
  std::vector<TensorSignature> results;
  /// Arguments the call updates in place (graph.updates_argument results):
  /// their tensors hold the new values after the call.
  std::vector<size_t> updatedArguments;
  /// The compiled function takes the arena of its temporaries as a trailing
  /// argument (--graphc-plan-temporary-arena's arena-argument), of
  /// arenaBytes(batch) bytes, 64-byte aligned. Not in `arguments`.
  bool takesArena = false;
  int64_t arenaBytesPerBatch = 0, arenaBytesFixed = 0;
  int64_t arenaBytes(int64_t batch) const {
    return takesArena ? arenaBytesPerBatch * batch + arenaBytesFixed : 0;
  }
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

/// The runtime dtype of an MLIR element type; throws CompileError for others.
graphc_dtype_t dtypeOf(mlir::Type elementType);

/// Runs the CPU pipeline on `module` in place (graph dialect -> LLVM dialect),
/// throwing CompileError with the collected diagnostics if it fails. Fills
/// `signatures` (when given) with each public function's calling signature.
void lowerToLLVMDialect(mlir::ModuleOp module, const JitOptions &options,
                        llvm::StringMap<FunctionSignature> *signatures = nullptr);

} // namespace graphc

#endif // GRAPHC_JIT_JIT_H
