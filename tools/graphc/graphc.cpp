//===- graphc.cpp - the graphc driver -------------------------------------===//
//
// graphc GRAPH.mlir [options]: reads a traced graph (MLIR text or bytecode,
// as --emit-graph writes it), optionally appends a training step (--train),
// and emits it at the depth --emit names, like toyc's -emit:
//   graph < linalg < llvm-mlir < llvm < asm < obj   (and dot, a picture)
// Diagnostics carry FILE:LINE:COL; every error exits non-zero.
//
//===----------------------------------------------------------------------===//

#include "CInterface.h"
#include "DotEmitter.h"

#include "graphc/Builder/Trace.h"
#include "graphc/JIT/Jit.h"
#include "graphc/Pipelines/Pipelines.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {

enum class Emit { Graph, Linalg, LLVMMLIR, LLVM, Asm, Obj, Header, Lib, Exe, Dot };

cl::OptionCategory category("graphc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<graph.mlir>"), cl::init("-"),
                               cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                cl::value_desc("FILE"), cl::init("-"), cl::cat(category));
cl::opt<Emit> emit(
    "emit", cl::desc("What to emit"), cl::init(Emit::Obj), cl::cat(category),
    cl::values(clEnumValN(Emit::Graph, "graph", "the graph dialect (after --train, with train_step)"),
               clEnumValN(Emit::Linalg, "linalg", "linalg on tensors"),
               clEnumValN(Emit::LLVMMLIR, "llvm-mlir", "the LLVM dialect"),
               clEnumValN(Emit::LLVM, "llvm", "LLVM IR, optimized at -O"),
               clEnumValN(Emit::Asm, "asm", "assembly for the target"),
               clEnumValN(Emit::Obj, "obj", "an object file (default)"),
               clEnumValN(Emit::Header, "header", "the C header of the object's C interface"),
               clEnumValN(Emit::Lib, "lib", "a static library: the object and the graphc runtime"),
               clEnumValN(Emit::Exe, "exe", "a standalone training executable (not yet)"),
               clEnumValN(Emit::Dot, "dot", "Graphviz DOT of the graph")));
cl::opt<std::string> modelName("name", cl::desc("Prefix of the C functions and header "
                                                "(default: the output or input file's stem)"),
                               cl::init(""), cl::cat(category));
cl::opt<char> optLevel("O", cl::desc("Optimization level: -O0, -O1, -O2 (default) or -O3"),
                       cl::Prefix, cl::init('2'), cl::cat(category));
cl::opt<std::string> target("target", cl::desc("cpu (default) or cuda"), cl::init("cpu"),
                            cl::cat(category));
cl::opt<std::string> cpu("cpu", cl::desc("Target CPU (default: the host's)"), cl::init(""),
                         cl::cat(category));
cl::opt<std::string> mattr("mattr", cl::desc("Target features, e.g. +avx2,-avx512f "
                                             "(default: the host's)"),
                           cl::init(""), cl::cat(category));
cl::opt<int64_t> batch("batch", cl::desc("Static batch size (default: dynamic)"), cl::init(0),
                       cl::cat(category));
cl::opt<std::string> function("function", cl::desc("The traced function (default: forward)"),
                              cl::init("forward"), cl::cat(category));
cl::opt<bool> train("train", cl::desc("Append the loss, its gradients and the optimizer update "
                                      "as train_step"),
                    cl::cat(category));
cl::opt<std::string> lossName("loss", cl::desc("mse, cross_entropy (default), nll or "
                                               "bce_with_logits"),
                              cl::init("cross_entropy"), cl::cat(category));
cl::opt<std::string> optimizerName("optimizer", cl::desc("sgd (default), adam or adamw"),
                                   cl::init("sgd"), cl::cat(category));
cl::opt<double> momentum("momentum", cl::desc("SGD momentum"), cl::init(0.0), cl::cat(category));
cl::opt<double> dampening("dampening", cl::desc("SGD dampening"), cl::init(0.0),
                          cl::cat(category));
cl::opt<bool> nesterov("nesterov", cl::desc("SGD Nesterov momentum"), cl::cat(category));
cl::opt<double> weightDecay("weight-decay", cl::desc("Weight decay (default: 0; 0.01 for adamw)"),
                            cl::init(-1.0), cl::cat(category));
cl::opt<double> beta1("beta1", cl::desc("Adam beta1"), cl::init(0.9), cl::cat(category));
cl::opt<double> beta2("beta2", cl::desc("Adam beta2"), cl::init(0.999), cl::cat(category));
cl::opt<double> eps("eps", cl::desc("Adam epsilon"), cl::init(1e-8), cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::errs() << "graphc: error: " << message << "\n";
  return 1;
}

std::optional<graphc::LossKind> parseLoss(StringRef name) {
  return llvm::StringSwitch<std::optional<graphc::LossKind>>(name)
      .Case("mse", graphc::LossKind::MSE)
      .Case("cross_entropy", graphc::LossKind::CrossEntropy)
      .Case("nll", graphc::LossKind::NLL)
      .Case("bce_with_logits", graphc::LossKind::BCEWithLogits)
      .Default(std::nullopt);
}

/// The loss, its gradient and the optimizer step, as train_step.
LogicalResult addTrainStep(ModuleOp module) {
  auto loss = parseLoss(lossName);
  if (!loss)
    return emitError(module.getLoc())
           << "unknown --loss '" << lossName << "' (mse, cross_entropy, nll or bce_with_logits)";
  graphc::appendLossFunction(module, function, *loss, "loss");
  // Only the loss is differentiated; the model stays an inference function.
  auto forward = module.lookupSymbol<func::FuncOp>(function);
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    forward.removeArgAttr(i, "graph.requires_grad");
  PassManager pm(module.getContext());
  pm.addPass(createInlinerPass());
  pm.addPass(graphc::createAutodiff());
  graphc::OptimizerOptions options;
  options.function = "loss";
  options.optimizer = optimizerName;
  options.momentum = momentum;
  options.dampening = dampening;
  options.nesterov = nesterov;
  options.weightDecay = weightDecay;
  options.beta1 = beta1;
  options.beta2 = beta2;
  options.eps = eps;
  pm.addPass(graphc::createOptimizer(options));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  return pm.run(module);
}

std::unique_ptr<llvm::TargetMachine> hostTargetMachine(unsigned level) {
  std::string triple = llvm::sys::getDefaultTargetTriple();
  std::string error;
  const llvm::Target *t = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!t) {
    llvm::errs() << "graphc: error: no target for " << triple << ": " << error << "\n";
    return nullptr;
  }
  std::string features = mattr;
  if (features.empty()) {
    llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
    for (auto &f : host)
        features += (features.empty() ? "" : ",") + std::string(f.second ? "+" : "-") +
                    f.first().str();
  }
  std::string cpuName = cpu.empty() ? llvm::sys::getHostCPUName().str() : cpu.getValue();
  llvm::TargetOptions options;
  return std::unique_ptr<llvm::TargetMachine>(t->createTargetMachine(
      triple, cpuName, features, options, llvm::Reloc::PIC_, std::nullopt,
      static_cast<llvm::CodeGenOptLevel>(level)));
}

int run() {
  if (target != "cpu")
    return fail(target == "cuda" ? "--target=cuda is not available yet (it comes with the CUDA "
                                   "issue); use --target=cpu"
                                 : "unknown --target '" + target + "' (cpu or cuda)");
  if (optLevel < '0' || optLevel > '3')
    return fail("-O takes 0, 1, 2 or 3");
  unsigned level = optLevel - '0';
  if (batch != 0)
    return fail("--batch (a static batch) is not supported yet; the batch is dynamic");
  if (emit == Emit::Exe)
    return fail("--emit=exe is not available yet (standalone executables come with the "
                "program object); use --emit=lib or --emit=obj with --emit=header");
  if (emit == Emit::Lib && outputFile == "-")
    return fail("--emit=lib needs -o FILE.a");

  auto context = graphc::createContext();
  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, context.get());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, context.get());
  if (!module)
    return 1;
  if (!module->lookupSymbol<func::FuncOp>(function))
    return fail("'" + inputFile + "' has no function '" + function + "' (--function)");

  if (train && failed(addTrainStep(*module)))
    return 1;

  auto output = openOutputFile(outputFile, &error);
  if (!output)
    return fail(error);
  switch (emit) {
  case Emit::Graph:
    module->print(output->os());
    output->keep();
    return 0;
  case Emit::Dot:
    graphc::emitDot(*module, output->os());
    output->keep();
    return 0;
  case Emit::Linalg: {
    graphc::prepareForCpuCompilation(*module);
    PassManager pm(context.get());
    graphc::buildGraphToLinalgPipeline(pm);
    if (failed(pm.run(*module)))
      return 1;
    module->print(output->os());
    output->keep();
    return 0;
  }
  default:
    break;
  }

  std::string prefix = modelName;
  if (prefix.empty())
    prefix = llvm::sys::path::stem(outputFile != "-" ? outputFile : inputFile).str();
  prefix = graphc::cIdentifier(prefix);

  graphc::JitOptions options;
  options.optLevel = level;
  llvm::StringMap<graphc::FunctionSignature> signatures;
  graphc::lowerToLLVMDialect(*module, options, &signatures);
  if (emit == Emit::Header) {
    graphc::emitCHeader(output->os(), prefix, signatures);
    output->keep();
    return 0;
  }
  if (emit == Emit::LLVMMLIR) {
    module->print(output->os());
    output->keep();
    return 0;
  }

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::unique_ptr<llvm::TargetMachine> machine = hostTargetMachine(level);
  if (!machine)
    return 1;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(*module, llvmContext);
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  graphc::addCWrappers(*llvmModule, prefix, signatures);
  llvmModule->setTargetTriple(machine->getTargetTriple().str());
  llvmModule->setDataLayout(machine->createDataLayout());
  if (llvm::Error err = makeOptimizingTransformer(level, 0, machine.get())(llvmModule.get()))
    return fail("LLVM optimization failed: " + llvm::toString(std::move(err)));
  if (emit == Emit::LLVM) {
    llvmModule->print(output->os(), nullptr);
    output->keep();
    return 0;
  }
  llvm::legacy::PassManager codegen;
  auto kind = emit == Emit::Asm ? llvm::CodeGenFileType::AssemblyFile
                                : llvm::CodeGenFileType::ObjectFile;
  llvm::SmallString<0> objectBytes;
  llvm::raw_svector_ostream objectStream(objectBytes);
  if (machine->addPassesToEmitFile(codegen, objectStream, nullptr, kind))
    return fail("the target cannot emit this file type");
  codegen.run(*llvmModule);
  if (emit != Emit::Lib) {
    output->os() << objectBytes;
    output->keep();
    return 0;
  }
  // The library: the model's object plus every member of the runtime archive,
  // so a C program links one file (and the system libraries the header lists).
  std::vector<llvm::NewArchiveMember> members;
  // MemoryBufferRef keeps references: the member's name must outlive writeArchive.
  std::string memberName = prefix + ".o";
  members.emplace_back(llvm::MemoryBufferRef(objectBytes, memberName));
  auto runtime = llvm::MemoryBuffer::getFile(GRAPHC_RUNTIME_ARCHIVE);
  if (!runtime)
    return fail(llvm::Twine("cannot read the graphc runtime ") + GRAPHC_RUNTIME_ARCHIVE);
  llvm::Error archiveError = llvm::Error::success();
  llvm::object::Archive archive((*runtime)->getMemBufferRef(), archiveError);
  if (archiveError)
    return fail("corrupt runtime archive: " + llvm::toString(std::move(archiveError)));
  llvm::Error childError = llvm::Error::success();
  for (const llvm::object::Archive::Child &child : archive.children(childError)) {
    auto member = llvm::NewArchiveMember::getOldMember(child, /*Deterministic=*/true);
    if (!member)
      return fail("runtime archive member: " + llvm::toString(member.takeError()));
    members.push_back(std::move(*member));
  }
  if (childError)
    return fail("runtime archive: " + llvm::toString(std::move(childError)));
  output.reset(); // writeArchive writes the file itself, atomically
  if (llvm::Error err = llvm::writeArchive(outputFile, members, llvm::SymtabWritingMode::NormalSymtab,
                                           llvm::object::Archive::K_GNU, /*Deterministic=*/true,
                                           /*Thin=*/false))
    return fail("cannot write " + outputFile + ": " + llvm::toString(std::move(err)));
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "graphc 0.1.0 (graph compiler on LLVM/MLIR " << LLVM_VERSION_STRING << ")\n";
  });
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "graphc: compile a traced graph\n");
  try {
    return run();
  } catch (const std::exception &e) {
    llvm::errs() << "graphc: error: " << e.what() << "\n";
    return 1;
  }
}
