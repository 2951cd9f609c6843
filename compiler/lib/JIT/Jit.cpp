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
#include <cstring>
#include <mutex>
#include <set>

using namespace mlir;

namespace graphc {

namespace {

void initializeLLVMTargetsOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

/// A memref descriptor laid out as the C interface passes it: allocated and
/// aligned pointers, offset, then sizes and strides. Every field is 8 bytes,
/// so one int64 array holds any rank.
struct Descriptor {
  static size_t words(size_t rank) { return 3 + 2 * rank; }
};

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
  lowerToLLVMDialect(*module, options.optLevel, &jit->signatures_);
  if (const char *dump = std::getenv("GRAPHC_DUMP_LLVM_DIALECT")) {
    // A debugging aid: the module exactly as the JIT translates it.
    std::error_code ec;
    llvm::raw_fd_ostream os(dump, ec);
    if (!ec)
      module->print(os);
  }

  DiagnosticCollector diagnostics(module->getContext());
  // The optimizer needs the host TargetMachine: without it LLVM's vectorizer
  // knows no vector width and the loops stay scalar.
  auto machineBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machineBuilder)
    throw CompileError("cannot target the host CPU: " + llvm::toString(machineBuilder.takeError()));
  machineBuilder->setCodeGenOptLevel(static_cast<llvm::CodeGenOptLevel>(options.optLevel));
  auto machine = machineBuilder->createTargetMachine();
  if (!machine)
    throw CompileError("cannot target the host CPU: " + llvm::toString(machine.takeError()));
  // ExecutionEngineOptions::transformer is a function_ref: the std::function
  // it refers to must outlive create().
  std::function<llvm::Error(llvm::Module *)> optimize =
      makeOptimizingTransformer(options.optLevel, 0, machine->get());
  // The same C interface and model table an object file gets, so program
  // objects run JIT code and AOT code alike.
  std::string prefix = cIdentifier(options.name);
  const llvm::StringMap<FunctionSignature> &signatures = jit->signatures_;
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

const FunctionSignature &JitModule::signature(const std::string &function) const {
  auto it = signatures_.find(function);
  if (it == signatures_.end())
    throw CallError("no compiled function named '" + function + "'");
  return it->second;
}

CallArena::~CallArena() { std::free(data_); }

void *CallArena::reserve(int64_t bytes) {
  if (bytes <= bytes_ && data_)
    return data_;
  // aligned_alloc wants a non-zero multiple of the alignment.
  int64_t capacity = std::max<int64_t>(bytes, 1);
  capacity = (capacity + GRAPHC_TENSOR_ALIGNMENT - 1) / GRAPHC_TENSOR_ALIGNMENT *
             GRAPHC_TENSOR_ALIGNMENT;
  void *data = std::aligned_alloc(GRAPHC_TENSOR_ALIGNMENT, capacity);
  if (!data)
    throw std::bad_alloc();
  std::free(data_);
  data_ = data;
  bytes_ = capacity;
  ++allocations_;
  return data_;
}

std::vector<rt::Tensor> JitModule::call(const std::string &function,
                                        const std::vector<rt::Tensor> &arguments,
                                        CallArena *arena) const {
  const FunctionSignature &sig = signature(function);
  if (arguments.size() != sig.arguments.size())
    throw CallError("'" + function + "' takes " + std::to_string(sig.arguments.size()) +
                    " tensors, got " + std::to_string(arguments.size()));

  // The batch B: the first dynamic argument size over its multiple. Every
  // dynamic size of every argument must then be its multiple of B, so the
  // generated code, which sizes everything from B, never reads or writes
  // past a buffer.
  int64_t batch = 0;
  for (size_t i = 0; i < arguments.size() && !batch; ++i)
    for (size_t d = 0; d < sig.arguments[i].shape.size() && !batch; ++d)
      if (sig.arguments[i].shape[d] < 0 && arguments[i].get() &&
          d < arguments[i].shape().size())
        batch = arguments[i].shape()[d] / -sig.arguments[i].shape[d];
  std::vector<std::vector<int64_t>> argumentWords;
  for (size_t i = 0; i < arguments.size(); ++i) {
    const TensorSignature &expected = sig.arguments[i];
    const rt::Tensor &t = arguments[i];
    if (!t.get())
      throw CallError("'" + function + "': " + expected.name + " is a null tensor");
    std::vector<int64_t> shape = t.shape();
    bool shapeOk = shape.size() == expected.shape.size();
    for (size_t d = 0; shapeOk && d < shape.size(); ++d)
      shapeOk = shape[d] == (expected.shape[d] < 0 ? -expected.shape[d] * batch : expected.shape[d]);
    if (t.dtype() != expected.dtype || !shapeOk)
      throw CallError("'" + function + "': " + expected.name + " expects " +
                      graphc_dtype_name(expected.dtype) + " " + signatureShapeText(expected.shape) +
                      (batch > 0 ? " with B = " + std::to_string(batch) : std::string()) +
                      ", got " + graphc_dtype_name(t.dtype()) + " " + signatureShapeText(shape));
    std::vector<int64_t> words(Descriptor::words(shape.size()));
    words[0] = reinterpret_cast<int64_t>(t.rawData());
    words[1] = words[0];
    words[2] = 0;
    int64_t stride = 1;
    for (size_t d = shape.size(); d-- > 0;) {
      words[3 + d] = shape[d];
      words[3 + shape.size() + d] = stride;
      stride *= shape[d];
    }
    argumentWords.push_back(std::move(words));
  }

  size_t resultWordCount = 0;
  for (const TensorSignature &r : sig.results)
    resultWordCount += Descriptor::words(r.shape.size());
  std::vector<int64_t> resultWords(resultWordCount, 0);

  // invokePacked passes each argument by address: the C interface takes the
  // result struct and every descriptor by pointer, so we pass pointers to
  // those pointers.
  // The arena, sized for the batch the arguments were checked against.
  CallArena callArena;
  if (sig.takesArena) {
    // A caller's arena serves one call at a time; a concurrent call on the
    // same program gets one of its own.
    std::unique_lock<std::mutex> lock;
    if (arena)
      lock = std::unique_lock<std::mutex>(arena->mutex_, std::try_to_lock);
    CallArena &use = lock.owns_lock() ? *arena : callArena;
    int64_t bytes = sig.arenaBytes(batch);
    auto address = reinterpret_cast<int64_t>(use.reserve(bytes));
    argumentWords.push_back({address, address, 0, bytes, 1});
  }

  std::vector<void *> descriptorPointers;
  void *resultPointer = resultWords.data();
  for (auto &words : argumentWords)
    descriptorPointers.push_back(words.data());
  std::vector<void *> packed;
  if (!sig.results.empty())
    packed.push_back(&resultPointer);
  for (void *&p : descriptorPointers)
    packed.push_back(&p);
  if (llvm::Error error = engine_->invokePacked("_mlir_ciface_" + function, packed))
    throw CallError("calling '" + function + "' failed: " + llvm::toString(std::move(error)));

  std::vector<rt::Tensor> results;
  std::set<int64_t> adopted;
  size_t at = 0;
  for (const TensorSignature &r : sig.results) {
    size_t rank = r.shape.size();
    int64_t *words = &resultWords[at];
    at += Descriptor::words(rank);
    std::vector<int64_t> shape(words + 3, words + 3 + rank);
    char *data = reinterpret_cast<char *>(words[1]) + words[2] * graphc_dtype_size(r.dtype);
    void *allocation = reinterpret_cast<void *>(words[0]);
    graphc_tensor_t *tensor = nullptr;
    if (adopted.insert(words[0]).second) {
      rt::check(graphc_tensor_wrap(r.dtype, static_cast<int32_t>(rank), shape.data(), data,
                                   &std::free, allocation, &tensor));
    } else {
      // The same buffer returned twice: the second result gets its own copy.
      rt::check(graphc_tensor_create(r.dtype, static_cast<int32_t>(rank), shape.data(), data,
                                     &tensor));
    }
    results.push_back(rt::Tensor::adopt(tensor));
  }
  return results;
}

} // namespace graphc
