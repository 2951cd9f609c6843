//===- Jit.cpp - compile graph modules in process and call them -----------===//

#include "graphc/JIT/Jit.h"
#include "graphc/Codegen/CInterface.h"
#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <omp.h> // the OpenMP runtime generated code uses for its loops

#include <cstdlib>
#include <functional>
#include <mutex>

using namespace mlir;

namespace graphc {

namespace {

void initializeLLVMTargetsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    configureLLVMCodegen();
  });
}

} // namespace

void setNumThreads(int threads) {
  if (threads > 0)
    omp_set_num_threads(threads);
}

int getNumThreads() { return omp_get_max_threads(); }

JitModule::~JitModule() = default;

std::unique_ptr<JitModule> JitModule::compile(ModuleOp source, const JitOptions &options) {
  initializeLLVMTargetsOnce();
  std::unique_ptr<JitModule> jit(new JitModule());

  OwningOpRef<ModuleOp> module(cast<ModuleOp>(source->clone()));
  // The signatures serve only the C interface and model table built below,
  // while the engine is created; the model table carries them afterwards.
  llvm::StringMap<FunctionSignature> signatures;
  // The optimizer needs the host TargetMachine: without it LLVM's vectorizer
  // knows no vector width and the loops stay scalar; the register tiles are
  // sized for its vector registers.
  auto machineBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machineBuilder)
    throw CompileError("cannot target the host CPU: " + llvm::toString(machineBuilder.takeError()));
  machineBuilder->setCodeGenOptLevel(static_cast<llvm::CodeGenOptLevel>(options.optLevel));
  auto machine = machineBuilder->createTargetMachine();
  if (!machine)
    throw CompileError("cannot target the host CPU: " + llvm::toString(machine.takeError()));
  lowerToLLVMDialect(*module, options.optLevel, vectorBitsOf(**machine), &signatures,
                     options.emulateGpuKernels);
  if (const char *dump = std::getenv("GRAPHC_DUMP_LLVM_DIALECT")) {
    // A debugging aid: the module exactly as the JIT translates it.
    std::error_code ec;
    llvm::raw_fd_ostream os(dump, ec);
    if (!ec)
      module->print(os);
  }

  DiagnosticCollector diagnostics(module->getContext());
  // ExecutionEngineOptions::transformer is a function_ref: the std::function
  // it refers to must outlive create().
  std::function<llvm::Error(llvm::Module *)> optimize =
      makeOptimizingTransformer(options.optLevel, 0, machine->get());
  // The same C interface and model table an object file gets, so program
  // objects run JIT code and AOT code alike.
  std::string prefix = cIdentifier(options.name);
  auto buildModule = [&](Operation *op, llvm::LLVMContext &llvmContext) {
    std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(op, llvmContext);
    if (llvmModule) {
      addCWrappers(*llvmModule, prefix, signatures);
      addModelTable(*llvmModule, prefix, signatures);
    }
    return llvmModule;
  };
  ExecutionEngineOptions engineOptions;
  engineOptions.llvmModuleBuilder = buildModule;
  engineOptions.transformer = optimize;
  engineOptions.jitCodeGenOptLevel = static_cast<llvm::CodeGenOptLevel>(options.optLevel);
  // GRAPHC_PERF_JIT=1: the generated functions are written to perf's jitdump
  // (under $JITDUMPDIR, else $HOME/.debug/jit), so that `perf record -k 1`
  // then `perf inject --jit` name them (train_step..omp_par.N) in profiles
  // of train_bench and op_bench (docs/performance.md, "Profiling generated
  // code").
  engineOptions.enablePerfNotificationListener = std::getenv("GRAPHC_PERF_JIT") != nullptr;
  auto engine = ExecutionEngine::create(*module, engineOptions, std::move(*machine));
  if (!engine) {
    std::string message = llvm::toString(engine.takeError());
    throw CompileError("JIT compilation failed: " + message + "\n" + diagnostics.text());
  }
  jit->engine_ = std::move(*engine);
  auto model = jit->engine_->lookup(prefix + "_model");
  if (!model)
    throw CompileError("JIT compilation failed: no model table: " +
                       llvm::toString(model.takeError()));
  jit->model_ = static_cast<const graphc_model_t *>(*model);
  return jit;
}

} // namespace graphc
