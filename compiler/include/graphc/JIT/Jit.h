//===- Jit.h - compile graph modules in process and call them ---*- C++ -*-===//
//
// The in-process path for tests and DSL programs: the CPU pipeline, then
// MLIR's ExecutionEngine (LLVM ORC) for the host CPU, with the same C
// interface and model table (`NAME_model`) an object file gets. Compiled
// code runs through the runtime's program object over that table
// (graphc/runtime/program.hpp), as an object file's does.
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
#include <stdexcept>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
class MLIRContext;
class ScopedDiagnosticHandler;
}

namespace graphc {

/// A call of a compiled graph (graphc/Builder/Compiled.h) did not match
/// its signature (argument count, dtype, shape, entry point).
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
  /// Run the loops as the CUDA target's kernels (one per loop nest, over
  /// blocks and threads), emulated on the CPU: how the GPU path's mapping
  /// and kernel bodies are tested on machines without a GPU.
  bool emulateGpuKernels = false;
};

class JitModule {
public:
  /// Compiles every public function of `module` (graph dialect). The module
  /// is cloned; the caller's copy is left untouched.
  static std::unique_ptr<JitModule> compile(mlir::ModuleOp module,
                                            const JitOptions &options = {});
  ~JitModule();

  /// The compiled model's description, as an object file graphc emits
  /// exports it (`NAME_model`): the entry points of the same generated C
  /// interface, for graphc_program_create. Lives as long as this module.
  const graphc_model_t *model() const { return model_; }

private:
  JitModule() = default;
  std::unique_ptr<mlir::ExecutionEngine> engine_;
  const graphc_model_t *model_ = nullptr;
};

/// Threads the generated code runs on (its OpenMP thread pool), like
/// torch.set_num_threads. 0 leaves OpenMP's default (all cores, or OMP_NUM_THREADS).
void setNumThreads(int threads);
int getNumThreads();

} // namespace graphc

#endif // GRAPHC_JIT_JIT_H
