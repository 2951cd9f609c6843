//===- Lowering.h - graph modules to the LLVM dialect for the CPU -*- C++ -*-===//
//
// What ahead-of-time compilation (the graphc driver) and the in-process JIT
// share: each public function's calling signature at the graph level, and
// the registered CPU pipeline (graphc-opt --graphc-cpu-pipeline) run on a
// module. The C interface and the model table built from the signatures are
// in CInterface.h.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_CODEGEN_LOWERING_H
#define GRAPHC_CODEGEN_LOWERING_H

#include "graphc/runtime/program.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class ScopedDiagnosticHandler;
}

namespace llvm {
class TargetMachine;
}

namespace graphc {

struct CudaPipelineOptions;

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
  /// Where the compiled function runs. GRAPHC_DEVICE_CUDA: every tensor and
  /// the arena are device memory, and the results are written into buffers
  /// the caller passes after the arguments (buffer-results-to-out-params)
  /// instead of returned in buffers the function allocated.
  graphc_device_t device = GRAPHC_DEVICE_CPU;
  int64_t arenaBytes(int64_t batch) const {
    return takesArena ? arenaBytesPerBatch * batch + arenaBytesFixed : 0;
  }
};

/// The runtime dtype of an MLIR element type; throws CompileError for others.
graphc_dtype_t dtypeOf(mlir::Type elementType);

/// Runs the CPU pipeline at LLVM optimization level `optLevel` (0..3) on
/// `module` in place (graph dialect -> LLVM dialect),
/// throwing CompileError with the collected diagnostics if it fails. Fills
/// `signatures` (when given) with each public function's calling signature.
/// With `emulateGpuKernels`, the loops are the CUDA target's kernels run on
/// the CPU (CpuPipelineOptions::emulateGpuKernels): a test of the GPU path.
/// `vectorBits` sizes the register tiles (CpuPipelineOptions::vectorBits;
/// vectorBitsOf the TargetMachine that compiles the result).
void lowerToLLVMDialect(mlir::ModuleOp module, unsigned optLevel, unsigned vectorBits,
                        llvm::StringMap<FunctionSignature> *signatures = nullptr,
                        bool emulateGpuKernels = false);

/// Bits of `machine`'s widest float vector registers, as its CPU and
/// features give them: on x86, 512 with AVX-512F, 256 with AVX, else 128;
/// 128 on other architectures.
unsigned vectorBitsOf(const llvm::TargetMachine &machine);

/// The same for the CUDA target (--graphc-cuda-pipeline with `options`):
/// kernels as PTX embedded in the module, host functions in the LLVM
/// dialect that launch them. The signatures say GRAPHC_DEVICE_CUDA.
void lowerToLLVMDialectForCuda(mlir::ModuleOp module, const CudaPipelineOptions &options,
                               llvm::StringMap<FunctionSignature> *signatures = nullptr);

/// Sets LLVM's code generator up for graphc's generated code, once per
/// process, before the first TargetMachine compiles a module (graphc and
/// the JIT call it): Loop Strength Reduction is off. On LeNet's training
/// executable it took 0.8 of the 2.5 s of LLVM code generation (over the
/// fully unrolled register tiles) and the code ran no slower without it
/// (docs/performance.md). An explicit `-disable-lsr=false` on graphc's
/// command line wins. The option is LLVM's, global to the process: a program
/// embedding the JIT has it off for its own LLVM code generation too.
void configureLLVMCodegen();

} // namespace graphc

#endif // GRAPHC_CODEGEN_LOWERING_H
