//===- Lowering.cpp - graph modules to the LLVM dialect for the CPU -------===//
//
// What ahead-of-time compilation and the JIT share: the graph-level calling
// signatures of a module's public functions, and the registered CPU pipeline
// run on it (--graphc-cpu-pipeline), in one pass manager.
//
//===----------------------------------------------------------------------===//

#include "graphc/Codegen/Lowering.h"
#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <mutex>

using namespace mlir;

namespace graphc {

namespace {

/// `multiples` (BatchMultiples.h) gives each dynamic dim's size k*B, which
/// the signature records as -k.
TensorSignature signatureOf(Type type, std::string name, ArrayRef<int64_t> multiples) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    throw CompileError("cannot call a function taking or returning " +
                       [&] { std::string s; llvm::raw_string_ostream os(s); os << type; return s; }() +
                       " (only ranked tensors)");
  if (tensor.getRank() > GRAPHC_TENSOR_MAX_RANK)
    throw CompileError("'" + name + "' has rank " + std::to_string(tensor.getRank()) +
                       "; the C interface and the runtime take tensors of rank up to " +
                       std::to_string(GRAPHC_TENSOR_MAX_RANK));
  std::vector<int64_t> shape;
  for (auto [i, d] : llvm::enumerate(tensor.getShape()))
    shape.push_back(ShapedType::isDynamic(d) ? -(i < multiples.size() ? multiples[i] : 1) : d);
  return {std::move(name), dtypeOf(tensor.getElementType()), std::move(shape)};
}

/// The runtime's name for a graph argument role (the same list; the dialect
/// does not depend on the runtime's headers).
graphc_model_role_t modelRole(graph::ArgumentRole role) {
  switch (role) {
  case graph::ArgumentRole::Input:
    return GRAPHC_ROLE_INPUT;
  case graph::ArgumentRole::Target:
    return GRAPHC_ROLE_TARGET;
  case graph::ArgumentRole::Parameter:
    return GRAPHC_ROLE_PARAMETER;
  case graph::ArgumentRole::OptimizerState:
    return GRAPHC_ROLE_STATE;
  case graph::ArgumentRole::Step:
    return GRAPHC_ROLE_STEP;
  case graph::ArgumentRole::LearningRate:
    return GRAPHC_ROLE_LR;
  case graph::ArgumentRole::Buffer:
    return GRAPHC_ROLE_BUFFER;
  case graph::ArgumentRole::RngState:
    return GRAPHC_ROLE_RNG_STATE;
  case graph::ArgumentRole::Gradient:
    return GRAPHC_ROLE_GRADIENT;
  }
  llvm_unreachable("every role is listed");
}

/// `value`'s elements as the runtime stores them: dense, row-major, one byte
/// per bool (MLIR packs bools into bits and keeps a splat as one element).
std::vector<char> rowMajorBytes(DenseElementsAttr value) {
  std::vector<char> bytes;
  if (value.getElementType().isInteger(1)) {
    for (bool b : value.getValues<bool>())
      bytes.push_back(b ? 1 : 0);
    return bytes;
  }
  ArrayRef<char> raw = value.getRawData();
  int64_t count = value.getNumElements();
  if (!value.isSplat())
    return std::vector<char>(raw.begin(), raw.end());
  for (int64_t i = 0; i < count; ++i)
    bytes.insert(bytes.end(), raw.begin(), raw.end());
  return bytes;
}

} // namespace

DiagnosticCollector::DiagnosticCollector(MLIRContext *ctx)
    : handler_(std::make_unique<ScopedDiagnosticHandler>(ctx, [this](Diagnostic &diag) {
        llvm::raw_string_ostream os(text_);
        os << diag.getLocation() << ": " << diag << "\n";
        for (Diagnostic &note : diag.getNotes())
          os << "  note: " << note << "\n";
        return success();
      })) {}

DiagnosticCollector::~DiagnosticCollector() = default;

graphc_dtype_t dtypeOf(Type t) {
  if (t.isF32())
    return GRAPHC_DTYPE_F32;
  if (t.isF64())
    return GRAPHC_DTYPE_F64;
  if (t.isInteger(32))
    return GRAPHC_DTYPE_I32;
  if (t.isInteger(64))
    return GRAPHC_DTYPE_I64;
  if (t.isInteger(1))
    return GRAPHC_DTYPE_BOOL;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  throw CompileError("element type " + s + " has no runtime dtype");
}

/// Each public function's arguments and results at the graph level.
static llvm::StringMap<FunctionSignature> graphSignatures(ModuleOp module) {
  llvm::StringMap<FunctionSignature> signatures;
  module.walk([&](func::FuncOp func) {
    if (func.isPrivate() || func.isExternal())
      return;
    FailureOr<graph::BatchMultipleAnalysis> multiples = graph::BatchMultipleAnalysis::run(func);
    if (failed(multiples))
      throw CompileError("'" + func.getName().str() +
                         "' has dynamic sizes that are not multiples of the batch");
    FunctionSignature signature;
    for (unsigned i = 0; i < func.getNumArguments(); ++i) {
      auto name = func.getArgAttrOfType<StringAttr>(i, graph::GraphDialect::getNameAttrName());
      signature.arguments.push_back(signatureOf(
          func.getArgument(i).getType(), name ? name.str() : "argument #" + std::to_string(i),
          multiples->of(func.getArgument(i))));
      TensorSignature &argument = signature.arguments.back();
      argument.role = modelRole(graph::argumentRole(func, i));
      if (auto bound = func.getArgAttrOfType<FloatAttr>(i, graph::GraphDialect::getInitBoundAttrName()))
        argument.initBound = bound.getValueAsDouble();
      if (auto value = func.getArgAttrOfType<DenseElementsAttr>(
              i, graph::GraphDialect::getInitValueAttrName()))
        argument.initData = rowMajorBytes(value);
    }
    for (unsigned i = 0; i < func.getNumResults(); ++i) {
      if (auto target = func.getResultAttrOfType<IntegerAttr>(i, graph::GraphDialect::getUpdatesArgumentAttrName())) {
        signature.updatedArguments.push_back(target.getInt());
        continue;
      }
      // A result with a role (a gradient, a buffer's new value) is named by
      // what it belongs to; the others by position.
      auto role = func.getResultAttrOfType<graph::ArgumentRoleAttr>(i, graph::GraphDialect::getRoleAttrName());
      auto name = func.getResultAttrOfType<StringAttr>(i, graph::GraphDialect::getNameAttrName());
      signature.results.push_back(signatureOf(func.getResultTypes()[i],
                                              role && name ? name.str()
                                                           : "result #" + std::to_string(i),
                                              multiples->results()[i]));
      if (role)
        signature.results.back().role = modelRole(role.getValue());
    }
    signatures[func.getName()] = std::move(signature);
  });
  return signatures;
}

/// Runs `pm` on `module` and fills `signatures` from the graph-level types
/// and the arenas the planning pass recorded.
static void runLowering(ModuleOp module, PassManager &pm, graphc_device_t device,
                        llvm::StringMap<FunctionSignature> *signatures) {
  DiagnosticCollector diagnostics(module.getContext());
  llvm::StringMap<FunctionSignature> expected = graphSignatures(module);
#ifdef NDEBUG
  // A release build verifies the module once, after the whole pipeline,
  // instead of after each of its ~70 passes: that was a fifth of the LeNet
  // training executable's build (5.0-5.6 s -> 3.8-4.6 s; docs/performance.md).
  // IR a pass broke is still refused before it is translated. Debug builds,
  // and graphc-opt (which the lit tests run), verify after every pass.
  pm.enableVerifier(false);
#endif
  if (failed(pm.run(module)) || failed(verify(module)))
    throw CompileError("lowering to LLVM failed:\n" + diagnostics.text());
  // Which functions take their temporaries' arena from the caller
  // (--graphc-plan-temporary-arena's function attribute survives the
  // conversion to llvm.func).
  module.walk([&](LLVM::LLVMFuncOp func) {
    auto it = expected.find(func.getName());
    auto bytes = func->getAttrOfType<DenseI64ArrayAttr>(graph::GraphDialect::getArenaBytesAttrName());
    if (it == expected.end() || !bytes)
      return;
    it->second.takesArena = true;
    it->second.arenaBytesPerBatch = bytes[0];
    it->second.arenaBytesFixed = bytes[1];
  });
  for (auto &entry : expected)
    entry.second.device = device;
  if (signatures)
    *signatures = std::move(expected);
}

unsigned vectorBitsOf(const llvm::TargetMachine &machine) {
  // Another architecture's feature table has no x86 names (checking one
  // prints a warning): its 128-bit registers (NEON, SSE) are the floor.
  if (!machine.getTargetTriple().isX86())
    return 128;
  const llvm::MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  if (subtarget->checkFeatures("+avx512f"))
    return 512;
  if (subtarget->checkFeatures("+avx"))
    return 256;
  return 128;
}

void lowerToLLVMDialect(ModuleOp module, unsigned optLevel, unsigned vectorBits,
                        llvm::StringMap<FunctionSignature> *signatures, bool emulateGpuKernels) {
  // The registered pipeline (graphc-opt --graphc-cpu-pipeline), and MLIR's
  // pass-manager flags where the tool registered them (graphc's
  // --mlir-print-ir-after-all and friends).
  PassManager pm(module.getContext());
  (void)applyPassManagerCLOptions(pm);
  CpuPipelineOptions cpu;
  cpu.optLevel = optLevel;
  cpu.emulateGpuKernels = emulateGpuKernels;
  cpu.vectorBits = vectorBits;
  buildCpuPipeline(pm, cpu);
  runLowering(module, pm, GRAPHC_DEVICE_CPU, signatures);
}

void lowerToLLVMDialectForCuda(ModuleOp module, const CudaPipelineOptions &options,
                               llvm::StringMap<FunctionSignature> *signatures) {
  PassManager pm(module.getContext());
  (void)applyPassManagerCLOptions(pm);
  buildCudaPipeline(pm, options);
  runLowering(module, pm, GRAPHC_DEVICE_CUDA, signatures);
}

void configureLLVMCodegen() {
  static std::once_flag once;
  std::call_once(once, [] {
    // LLVM's own option (TargetPassConfig.cpp, a cl::opt<bool>; what
    // `-mllvm -disable-lsr` sets in clang): TargetOptions has no field for
    // it. Set as a default, not an occurrence, so that a host process that
    // parses its own command line later may still give it.
    llvm::StringMap<llvm::cl::Option *> &options = llvm::cl::getRegisteredOptions();
    auto lsr = options.find("disable-lsr");
    if (lsr != options.end() && lsr->second->getNumOccurrences() == 0)
      static_cast<llvm::cl::opt<bool> *>(lsr->second)->setValue(true);
  });
}

} // namespace graphc
