//===- graphc.cpp - the graphc driver -------------------------------------===//
//
// graphc GRAPH.mlir [options]: reads a traced graph (MLIR text or bytecode,
// as --emit-graph writes it), optionally appends a training step (--train),
// and emits it at the depth --emit names, like toyc's -emit:
//   graph < linalg < llvm-mlir < llvm < asm < obj   (and dot, a picture)
// Diagnostics carry FILE:LINE:COL; every error exits non-zero.
//
//===----------------------------------------------------------------------===//

#include "graphc/Import/Onnx.h"
#include "graphc/Codegen/CInterface.h"
#include "DotEmitter.h"
#include "FusionReport.h"

#include "graphc/Codegen/Lowering.h"
#include "graphc/Codegen/ParallelCodegen.h"
#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Pipelines/Pipelines.h"
#include "graphc/Support/InputLimits.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/AsmState.h"
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
#include "llvm/Support/Format.h"
#include "llvm/Support/Program.h"

#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include "llvm/Support/Path.h"
#include "llvm/IR/Constants.h"
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

enum class Emit { Graph, Linalg, LLVMMLIR, LLVM, Asm, Obj, Header, Lib, Exe, Dot, FusionReport, Ptx };

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
               clEnumValN(Emit::Exe, "exe", "a standalone training executable (with --train)"),
               clEnumValN(Emit::Dot, "dot", "Graphviz DOT of the graph"),
               clEnumValN(Emit::FusionReport, "fusion-report",
                          "each loop nest after fusion and the graph ops it computes"),
               clEnumValN(Emit::Ptx, "ptx", "the CUDA kernels as PTX (with --target=cuda)")));
cl::opt<std::string> modelName("name", cl::desc("Prefix of the C functions and header "
                                                "(default: the output or input file's stem)"),
                               cl::init(""), cl::cat(category));
cl::opt<char> optLevel("O", cl::desc("Optimization level: -O0, -O1, -O2 (default) or -O3"),
                       cl::Prefix, cl::init('2'), cl::cat(category));
cl::opt<std::string> target("target", cl::desc("cpu (default) or cuda"), cl::init("cpu"),
                            cl::cat(category));
cl::opt<std::string> gpuArch("gpu-arch",
                             cl::desc("The GPU of --target=cuda: sm_50 .. sm_90a (default sm_90, "
                                      "which newer GPUs run through the driver's PTX JIT)"),
                             cl::init("sm_90"), cl::cat(category));
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
cl::opt<std::string> lossName("loss", cl::desc("mse, cross_entropy (default, or the graph's), nll "
                                               "or bce_with_logits"),
                              cl::init("cross_entropy"), cl::cat(category));
cl::opt<std::string> optimizerName("optimizer",
                                   cl::desc("sgd (default, or the graph's), adam, adamw, "
                                            "rmsprop or adagrad"),
                                   cl::init("sgd"), cl::cat(category));
cl::opt<double> momentum("momentum", cl::desc("SGD and RMSprop momentum"), cl::init(0.0),
                         cl::cat(category));
cl::opt<double> dampening("dampening", cl::desc("SGD dampening"), cl::init(0.0),
                          cl::cat(category));
cl::opt<bool> nesterov("nesterov", cl::desc("SGD Nesterov momentum"), cl::cat(category));
cl::opt<double> weightDecay("weight-decay", cl::desc("Weight decay (default: 0; 0.01 for adamw)"),
                            cl::init(-1.0), cl::cat(category));
cl::opt<double> beta1("beta1", cl::desc("Adam beta1"), cl::init(0.9), cl::cat(category));
cl::opt<double> beta2("beta2", cl::desc("Adam beta2"), cl::init(0.999), cl::cat(category));
cl::opt<double> eps("eps", cl::desc("Epsilon of adam, adamw, rmsprop and adagrad (default: 1e-8; "
                                    "1e-10 for adagrad)"),
                    cl::init(-1.0), cl::cat(category));
cl::opt<double> alpha("alpha", cl::desc("RMSprop smoothing constant"), cl::init(0.99),
                      cl::cat(category));
cl::opt<bool> centered("centered", cl::desc("RMSprop: normalize by the gradient's variance"),
                       cl::cat(category));
cl::opt<double> lrDecay("lr-decay", cl::desc("Adagrad learning-rate decay"), cl::init(0.0),
                        cl::cat(category));
cl::opt<double> initialAccumulatorValue("initial-accumulator-value",
                                        cl::desc("Adagrad: the sum's starting value"),
                                        cl::init(0.0), cl::cat(category));
cl::opt<unsigned> codegenParts(
    "codegen-parts",
    cl::desc("LLVM optimization and code generation of --emit=exe and --emit=lib in up to N "
             "parts, on parallel threads (default 2; 1: the module whole; --emit=obj and asm "
             "are always one part)"),
    cl::init(2), cl::cat(category));
cl::opt<bool> dataParallel(
    "data-parallel",
    cl::desc("With --train: also compile the step's two halves (train_step_gradients, "
             "train_step_apply) that data-parallel training runs under MPI (default: on for "
             "--emit=exe, off otherwise; a CPU executable then holds them instead of "
             "train_step, and runs them on one process too; docs/distributed.md)"),
    cl::cat(category));

cl::opt<int64_t> microBatch(
    "micro-batch",
    cl::desc("With --train, on the CPU, a dynamic batch: compute a step's gradients in parts "
             "of N rows, added up weighted by rows (the batch's mean), so that a large batch's "
             "activations fit the caches (implies --data-parallel; docs/performance.md)"),
    cl::init(0), cl::cat(category));

int fail(const llvm::Twine &message) {
  llvm::errs() << "graphc: error: " << message << "\n";
  return 1;
}

/// Flags left unset take the settings the graph records (the DSL's
/// setTrainingDefaults); a flag given on the command line wins, and says so
/// when the graph recorded something else. The recorded hyperparameters
/// belong to the recorded optimizer: an --optimizer that names another one
/// starts from that optimizer's own defaults.
void applyGraphDefaults(ModuleOp module) {
  auto recordedOptimizer =
      module->getAttrOfType<StringAttr>(graphc::graph::GraphDialect::getOptimizerAttrName());
  bool otherOptimizer = optimizerName.getNumOccurrences() && recordedOptimizer &&
                        recordedOptimizer.getValue() != optimizerName.getValue();
  graphc::TrainingPipelineOptions recorded;
  graphc::readTrainingSettings(module, recorded, [&](StringRef setting, StringRef value) {
    if (otherOptimizer && setting != "loss" && setting != "optimizer")
      return false;
    cl::Option *flag = llvm::StringSwitch<cl::Option *>(setting)
                           .Case("loss", &lossName)
                           .Case("optimizer", &optimizerName)
                           .Case("momentum", &momentum)
                           .Case("dampening", &dampening)
                           .Case("nesterov", &nesterov)
                           .Case("weight-decay", &weightDecay)
                           .Case("beta1", &beta1)
                           .Case("beta2", &beta2)
                           .Case("eps", &eps)
                           .Case("alpha", &alpha)
                           .Case("centered", &centered)
                           .Case("lr-decay", &lrDecay)
                           .Case("initial-accumulator-value", &initialAccumulatorValue)
                           .Default(nullptr);
    if (!flag || flag->getNumOccurrences() == 0)
      return true;
    std::string given;
    llvm::raw_string_ostream os(given);
    if (auto *text = dynamic_cast<cl::opt<std::string> *>(flag))
      os << text->getValue();
    else if (auto *number = dynamic_cast<cl::opt<double> *>(flag))
      os << number->getValue();
    else if (auto *boolean = dynamic_cast<cl::opt<bool> *>(flag))
      os << (boolean->getValue() ? "true" : "false");
    if (given != value)
      llvm::errs() << "graphc: note: --" << setting << "=" << given
                   << " overrides the graph's recorded " << setting << " " << value << "\n";
    return false;
  });
  if (lossName.getNumOccurrences() == 0)
    lossName = recorded.loss;
  if (optimizerName.getNumOccurrences() == 0)
    optimizerName = recorded.optimizer;
  if (otherOptimizer)
    return;
  auto take = [](cl::opt<double> &flag, double value) {
    if (flag.getNumOccurrences() == 0)
      flag = value;
  };
  take(momentum, recorded.momentum);
  take(dampening, recorded.dampening);
  take(weightDecay, recorded.weightDecay);
  take(beta1, recorded.beta1);
  take(beta2, recorded.beta2);
  take(eps, recorded.eps);
  take(alpha, recorded.alpha);
  take(lrDecay, recorded.lrDecay);
  take(initialAccumulatorValue, recorded.initialAccumulatorValue);
  if (nesterov.getNumOccurrences() == 0)
    nesterov = recorded.nesterov;
  if (centered.getNumOccurrences() == 0)
    centered = recorded.centered;
}

/// The hyperparameters' ranges, as PyTorch's optimizers check them ("Invalid
/// beta parameter at index 0: nan"): a failure names the flag and its value.
/// A value recorded in the graph is checked the same way.
LogicalResult checkHyperparameters(ModuleOp module) {
  struct Range {
    cl::opt<double> &flag;
    const char *name;
    double low, high;
    bool highIncluded;
  };
  const double inf = std::numeric_limits<double>::infinity();
  Range ranges[] = {{momentum, "momentum", 0, inf, false},
                    {dampening, "dampening", 0, 1, true},
                    {beta1, "beta1", 0, 1, false},
                    {beta2, "beta2", 0, 1, false},
                    {eps, "eps", 0, inf, false},
                    {alpha, "alpha", 0, inf, false},
                    {lrDecay, "lr-decay", 0, inf, false},
                    {initialAccumulatorValue, "initial-accumulator-value", 0, inf, false}};
  for (Range &r : ranges) {
    double v = r.flag;
    bool inside = std::isfinite(v) && v >= r.low && (r.highIncluded ? v <= r.high : v < r.high);
    if (!inside) {
      std::ostringstream message; // plain numbers: -1, 0.5, nan
      message << "--" << r.name << "=" << v << " is out of range: it must be in [" << r.low
              << ", " << r.high << (r.highIncluded ? "]" : ")")
              << (r.flag.getNumOccurrences() ? "" : " (the value the graph recorded)");
      return emitError(module.getLoc()) << message.str();
    }
  }
  // -1 stands for the optimizer's own default.
  double decay = weightDecay;
  if (!std::isfinite(decay) || (decay < 0 && decay != -1.0)) {
    std::ostringstream message;
    message << "--weight-decay=" << decay << " is out of range: it must be in [0, inf)";
    return emitError(module.getLoc()) << message.str();
  }
  return success();
}

/// The loss, its gradient and the optimizer step, as train_step: the
/// registered training pipeline with the flags' (or the graph's) settings.
LogicalResult addTrainStep(ModuleOp module) {
  applyGraphDefaults(module);
  if (!llvm::is_contained(graphc::optimizerNames(), optimizerName.getValue()))
    return emitError(module.getLoc()) << "unknown --optimizer '" << optimizerName << "' ("
                                      << graphc::optimizerNameList() << ")";
  // An eps left at -1 (not given, or recorded so) is the optimizer's
  // default: resolved before the range check, which then refuses a user's
  // --eps=-1 like any negative value, and so that --help states the value.
  if (eps == -1.0 && eps.getNumOccurrences() == 0)
    eps = graphc::defaultOptimizerEps(optimizerName);
  if (failed(checkHyperparameters(module)))
    return failure();
  if (weightDecay == -1.0)
    weightDecay = graphc::defaultOptimizerWeightDecay(optimizerName);
  if (!llvm::is_contained({"mse", "cross_entropy", "nll", "bce_with_logits"}, lossName.getValue()))
    return emitError(module.getLoc())
           << "unknown --loss '" << lossName << "' (mse, cross_entropy, nll or bce_with_logits)";
  graphc::TrainingPipelineOptions options;
  options.function = function.getValue();
  options.loss = lossName.getValue();
  options.optimizer = optimizerName.getValue();
  options.momentum = momentum.getValue();
  options.dampening = dampening.getValue();
  options.nesterov = nesterov.getValue();
  options.weightDecay = weightDecay.getValue();
  options.beta1 = beta1.getValue();
  options.beta2 = beta2.getValue();
  options.eps = eps.getValue();
  options.alpha = alpha.getValue();
  options.centered = centered.getValue();
  options.lrDecay = lrDecay.getValue();
  options.initialAccumulatorValue = initialAccumulatorValue.getValue();
  // A standalone executable trains data-parallel when mpirun starts it.
  options.dataParallel = dataParallel.getNumOccurrences() ? dataParallel.getValue()
                                                          : emit == Emit::Exe || microBatch > 0;
  options.microBatch = microBatch.getValue();
  PassManager pm(module.getContext());
  (void)applyPassManagerCLOptions(pm);
  graphc::buildTrainingPipeline(pm, options);
  return pm.run(module);
}

/// The optimizer and its settings as compiled, for the standalone
/// executable's --help: "adam (beta1 0.9, beta2 0.999, eps 1e-08, weight decay 0)".
std::string optimizerDescription() {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto number = [](double value) { return llvm::format("%g", value); };
  os << optimizerName.getValue() << " (";
  if (optimizerName == "sgd")
    os << "momentum " << number(momentum) << ", dampening " << number(dampening)
       << ", nesterov " << (nesterov ? "true" : "false") << ", ";
  else if (optimizerName == "rmsprop")
    os << "alpha " << number(alpha) << ", eps " << number(eps) << ", momentum "
       << number(momentum) << ", centered " << (centered ? "true" : "false") << ", ";
  else if (optimizerName == "adagrad")
    os << "lr decay " << number(lrDecay) << ", initial accumulator value "
       << number(initialAccumulatorValue) << ", eps " << number(eps) << ", ";
  else
    os << "beta1 " << number(beta1) << ", beta2 " << number(beta2) << ", eps " << number(eps)
       << ", ";
  os << "weight decay " << number(weightDecay) << ")";
  return text;
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

/// Whether every gradient train_step_gradients returns is float32, as the
/// runtime's flat gradient buffer is.
bool gradientsAreFloat32(func::FuncOp gradients) {
  for (unsigned r = 0; r < gradients.getNumResults(); ++r) {
    auto role = gradients.getResultAttrOfType<graphc::graph::ArgumentRoleAttr>(
        r, graphc::graph::GraphDialect::getRoleAttrName());
    if (role && role.getValue() == graphc::graph::ArgumentRole::Gradient &&
        !getElementTypeOrSelf(gradients.getResultTypes()[r]).isF32())
      return false;
  }
  return true;
}

/// Whether the runtime's generic main can train this model: train_step (or
/// its gradient half) and eval taking one input (the images) and the target.
bool checkStandaloneModel(const llvm::StringMap<graphc::FunctionSignature> &signatures) {
  // A CPU executable's step is its two halves; the gradient half takes the
  // step's input and target.
  const char *step = !signatures.count("train_step") && signatures.count("train_step_gradients")
                         ? "train_step_gradients"
                         : "train_step";
  for (const char *name : {step, "eval"}) {
    if (!signatures.count(name)) {
      llvm::errs() << "graphc: error: the module lacks " << name << "\n";
      return false;
    }
    const graphc::FunctionSignature &sig = signatures.find(name)->second;
    auto count = [&](graphc_model_role_t role) {
      return llvm::count_if(sig.arguments, [&](const graphc::TensorSignature &t) { return t.role == role; });
    };
    if (count(GRAPHC_ROLE_INPUT) != 1 || count(GRAPHC_ROLE_TARGET) != 1) {
      llvm::errs() << "graphc: error: a standalone executable trains a model with one input "
                      "(the images) and a target; '"
                   << name << "' has " << count(GRAPHC_ROLE_INPUT) << " inputs\n";
      return false;
    }
    // What the executable's data loader gives: float32 images, batch first,
    // and int64 class labels [B].
    for (const graphc::TensorSignature &tensor : sig.arguments) {
      graphc_model_role_t role = tensor.role;
      if (role == GRAPHC_ROLE_INPUT && (tensor.dtype != GRAPHC_DTYPE_F32 || tensor.shape.size() < 2)) {
        llvm::errs() << "graphc: error: a standalone executable feeds the model float32 images "
                        "[B, ...]; its input '"
                     << tensor.name << "' is " << graphc_dtype_name(tensor.dtype) << " of rank "
                     << tensor.shape.size() << "\n";
        return false;
      }
      if (role == GRAPHC_ROLE_TARGET && (tensor.dtype != GRAPHC_DTYPE_I64 || tensor.shape.size() != 1)) {
        llvm::errs() << "graphc: error: a standalone executable trains from class labels (int64 "
                        "[B]); the loss takes a target of "
                     << graphc_dtype_name(tensor.dtype) << " of rank " << tensor.shape.size()
                     << " (--loss=" << lossName << "); use --loss=cross_entropy or --loss=nll\n";
        return false;
      }
    }
  }
  return true;
}

/// Runs `program` with `args`; false (after a message) if it fails.
bool runTool(llvm::StringRef program, llvm::ArrayRef<std::string> args) {
  auto path = llvm::sys::findProgramByName(program);
  if (!path) {
    llvm::errs() << "graphc: error: cannot find '" << program << "' to build the executable\n";
    return false;
  }
  std::vector<llvm::StringRef> argv{*path};
  for (const std::string &a : args)
    argv.push_back(a);
  std::string message;
  int status = llvm::sys::ExecuteAndWait(*path, argv, std::nullopt, {}, 0, 0, &message);
  if (status != 0) {
    llvm::errs() << "graphc: error: " << program << " failed" << (message.empty() ? "" : ": ")
                 << message << "\n";
    return false;
  }
  return true;
}

/// A file graphc needs at build time: beside an installed graphc
/// (BIN/../RELATIVE) if it is there, else where the build tree put it.
std::string resource(llvm::StringRef relative, llvm::StringRef buildPath) {
  std::string self = llvm::sys::fs::getMainExecutable(nullptr, (void *)&resource);
  llvm::SmallString<256> installed(llvm::sys::path::parent_path(llvm::sys::path::parent_path(self)));
  llvm::sys::path::append(installed, relative);
  return llvm::sys::fs::exists(installed) ? std::string(installed) : buildPath.str();
}

/// --emit=exe: the model's object (with its graphc_model_t and what the
/// generic main reads, graphc_standalone) linked with the
/// runtime's generic main by the system compiler.
int linkExecutable(llvm::ArrayRef<llvm::SmallString<0>> objects) {
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("graphc-exe", dir))
    return fail("cannot create a temporary directory: " + ec.message());
  std::vector<std::string> command;
  bool ok = true;
  for (size_t part = 0; part < objects.size() && ok; ++part) {
    llvm::SmallString<128> object(dir);
    llvm::sys::path::append(object, "model" + std::to_string(part) + ".o");
    std::error_code ec;
    llvm::raw_fd_ostream os(object, ec);
    if (!ec) {
      os << objects[part];
      os.close();
    }
    ok = !ec && !os.has_error();
    command.push_back(std::string(object));
  }
  const char *cxx = std::getenv("CXX") ? std::getenv("CXX") : "c++";
  // Temporary files go whatever happens; the output appears only when linked.
  std::string partial = outputFile + ".partial";
  for (std::string archive :
       {resource("lib/libgraphc_standalone.a", GRAPHC_STANDALONE_ARCHIVE),
        resource("lib/libgraphc_tooling.a", GRAPHC_TOOLING_ARCHIVE),
        resource("lib/libgraphc_runtime.a", GRAPHC_RUNTIME_ARCHIVE)})
    command.push_back(archive);
  // The MPI library the tooling was built with: the executable trains
  // data-parallel when mpirun starts it (docs/distributed.md).
  llvm::SmallVector<llvm::StringRef> mpiLibraries;
  llvm::StringRef(GRAPHC_MPI_LIBRARIES).split(mpiLibraries, ';', -1, false);
  for (llvm::StringRef library : mpiLibraries)
    command.push_back(library.str());
  // The standalone archive's thread pool serves the generated code's OpenMP
  // calls: no libomp, so the executable runs without an LLVM installation.
  for (const char *flag : {"-lz", "-lm", "-lpthread", "-o"})
    command.push_back(flag);
  command.push_back(partial);
  ok = ok && runTool(cxx, command);
  llvm::sys::fs::remove_directories(dir);
  if (!ok) {
    llvm::sys::fs::remove(partial);
    return 1;
  }
  if (std::error_code ec = llvm::sys::fs::rename(partial, outputFile))
    return fail("cannot write " + outputFile + ": " + ec.message());
  return 0;
}

/// An output file, kept in memory and written at the end with
/// llvm::writeToOutput (a temporary file beside the target, renamed over it),
/// so that a failed compile leaves an existing file as it was and a reader
/// never sees half of one. "-" is standard output.
class PendingOutput {
public:
  explicit PendingOutput(std::string path) : path_(std::move(path)), os_(text_) {}
  llvm::raw_ostream &os() { return os_; }
  int commit() {
    // Not a regular file (a FIFO, /dev/stdout, a terminal): written as it is,
    // there is nothing to replace. A link to a file: the file it names is
    // replaced and the link stays. An existing file keeps its permissions.
    llvm::sys::fs::file_status status;
    bool exists = path_ != "-" && !llvm::sys::fs::status(path_, status);
    if (exists && status.type() != llvm::sys::fs::file_type::regular_file) {
      std::error_code ec;
      llvm::raw_fd_ostream out(path_, ec);
      if (!ec)
        out << text_;
      if (ec || out.has_error())
        return fail("cannot write " + path_ + ": " + (ec ? ec : out.error()).message());
      return 0;
    }
    std::string target = path_;
    llvm::SmallString<256> real;
    if (exists && !llvm::sys::fs::real_path(path_, real))
      target = real.str().str();
    llvm::Error error = llvm::writeToOutput(target, [&](llvm::raw_ostream &out) {
      out << text_;
      return llvm::Error::success();
    });
    if (error)
      return fail("cannot write " + path_ + ": " + llvm::toString(std::move(error)));
    if (exists)
      (void)llvm::sys::fs::setPermissions(target, status.permissions());
    return 0;
  }

private:
  std::string path_, text_;
  llvm::raw_string_ostream os_;
};

/// Whether `output` names the same file as the input (through any path or
/// link): writing it would destroy the graph being compiled.
bool isTheInput(llvm::StringRef output) {
  bool same = false;
  return output != "-" && inputFile != "-" && llvm::sys::fs::exists(output) &&
         !llvm::sys::fs::equivalent(inputFile, output, same) && same;
}

/// Whether LLVM 19's NVPTX backend knows `arch` (sm_50 .. sm_90, sm_90a).
bool isKnownGpuArch(llvm::StringRef arch) {
  unsigned number = 0;
  if (!arch.consume_front("sm_"))
    return false;
  bool accelerated = arch.consume_back("a");
  if (arch.getAsInteger(10, number))
    return false;
  return accelerated ? number == 90 : number >= 50 && number <= 90;
}

/// The kernels of a program lowered by the CUDA pipeline, as PTX: the
/// text of each gpu.binary (one per program: graphc-merge-gpu-modules).
int emitPtx(ModuleOp module, llvm::raw_ostream &os) {
  int modules = 0;
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute object : binary.getObjects())
      if (auto ptx = dyn_cast<gpu::ObjectAttr>(object)) {
        // The serializer ends the text with the NUL that cuModuleLoadData
        // wants; a .ptx file for ptxas does not have it.
        os << ptx.getObject().getValue().rtrim('\0');
        ++modules;
      }
  });
  return modules;
}

int run() {
  if (target != "cpu" && target != "cuda")
    return fail("unknown --target '" + target + "' (cpu or cuda)");
  if (target == "cuda") {
    if (!isKnownGpuArch(gpuArch))
      return fail("--gpu-arch '" + gpuArch + "': expected sm_50 .. sm_90 or sm_90a (LLVM 19 "
                  "generates PTX for no later chip; sm_90 PTX runs on newer GPUs through the "
                  "driver's JIT)");
  } else if (emit == Emit::Ptx) {
    return fail("--emit=ptx needs --target=cuda");
  }
  if (optLevel < '0' || optLevel > '3')
    return fail("-O takes 0, 1, 2 or 3");
  unsigned level = optLevel - '0';
  if (emit == Emit::Exe && !train)
    return fail("--emit=exe builds a training executable: add --train");
  if (microBatch.getNumOccurrences()) {
    if (microBatch < 1)
      return fail("--micro-batch must be at least 1, got " + llvm::Twine(microBatch.getValue()));
    if (!train)
      return fail("--micro-batch splits a training step: add --train");
    if (batch != 0)
      return fail("--micro-batch splits a dynamic batch; --batch makes it static");
    if (target != "cpu")
      return fail("--micro-batch is for --target=cpu (a GPU step keeps its whole batch)");
  }
  if ((emit == Emit::Lib || emit == Emit::Exe) && outputFile == "-")
    return fail("--emit=lib and --emit=exe need -o FILE");
  if (isTheInput(outputFile))
    return fail("-o " + outputFile + " is the input file; write the output elsewhere");

  auto context = graphc::createContext();
  // Errors name the op and its place in the user's file; a dump of the op in
  // generic form (MLIR's "see current operation" note) helps no user.
  context->printOpOnDiagnostic(false);
  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file)
    return fail(error);
  llvm::SourceMgr sourceMgr;
  OwningOpRef<ModuleOp> module;
  if (graphc::isOnnxPath(inputFile)) {
#ifdef GRAPHC_HAVE_ONNX
    // A model exported from PyTorch (docs/onnx.md).
    std::string onnxError;
    module = graphc::importOnnx(context.get(), file->getBuffer(), inputFile, onnxError, function);
    if (!module)
      return fail(onnxError);
#else
    return fail(inputFile + ": this graphc was built without ONNX support (libonnx-dev was not "
                            "found when it was configured; scripts/bootstrap.sh installs it)");
#endif
  }
  unsigned buffer = sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, context.get());
  if (!module) {
    std::string bytecodeError;
    if (!graphc::prepareGraphBuffer(sourceMgr, buffer, inputFile, context.get(), bytecodeError))
      return bytecodeError.empty() ? 1 : fail(bytecodeError);
    module = parseSourceFile<ModuleOp>(sourceMgr, context.get());
    if (!module)
      return 1;
  }
  if (!module->lookupSymbol<func::FuncOp>(function))
    return fail("'" + inputFile + "' has no function '" + function + "' (--function)");

  {
    // Before anything else, so that a program outside the dynamic-size
    // model is refused at its op, not in the training pipeline's ops.
    PassManager pm(context.get());
    (void)applyPassManagerCLOptions(pm);
    pm.addPass(graphc::createVerifyBatchMultiples());
    if (failed(pm.run(*module)))
      return 1;
  }
  if (train && failed(addTrainStep(*module)))
    return 1;
  if (batch != 0) {
    // The model at the static batch, and with --train its loss, gradients
    // and train_step; `eval` keeps a dynamic batch, so that a fixed-batch
    // executable still evaluates every test image (the last batch of a test
    // set is usually smaller).
    PassManager pm(context.get());
    (void)applyPassManagerCLOptions(pm);
    for (func::FuncOp f : module->getOps<func::FuncOp>()) {
      if (f.isExternal() || (train && f.getName() == "eval"))
        continue;
      if (!train && f.getName() != function)
        continue;
      graphc::SpecializeBatchOptions specialize;
      specialize.function = f.getName().str();
      specialize.batch = batch;
      pm.addPass(graphc::createSpecializeBatch(specialize));
    }
    if (failed(pm.run(*module)))
      return 1;
  }
  // A standalone executable runs its step and eval only: no code for the
  // other entry points. The classes it checks labels against come from the
  // model's prediction [B, C] before its function is dropped.
  int64_t standaloneClasses = 0;
  if (emit == Emit::Exe) {
    auto model = module->lookupSymbol<func::FuncOp>(function);
    if (model.getNumResults() > 0)
      if (auto prediction = dyn_cast<RankedTensorType>(model.getResultTypes()[0]))
        if (prediction.getRank() == 2 && !prediction.isDynamicDim(1))
          standaloneClasses = prediction.getDimSize(1);
    PassManager pm(context.get());
    (void)applyPassManagerCLOptions(pm);
    // The options hold an ArrayRef: the names must outlive the pass's
    // creation (a braced list would die with the statement; ASan's
    // stack-use-after-scope in make test-sanitize).
    std::vector<std::string> entryPoints = {"eval"};
    // With the halves data-parallel training runs under mpirun, a single
    // process runs them too (graphc_program_train_step), rather than a
    // whole train_step as well: the step's code is generated once, which
    // saves 40 % of the build. The runtime's flat gradient buffer is
    // float32 and in host memory: a GPU executable keeps its whole step,
    // so that one process copies no gradients to the host and back.
    auto gradients = module->lookupSymbol<func::FuncOp>("train_step_gradients");
    if (gradients)
      entryPoints.insert(entryPoints.end(), {"train_step_gradients", "train_step_apply"});
    if (module->lookupSymbol<func::FuncOp>("train_step_micro_gradients"))
      entryPoints.push_back("train_step_micro_gradients");
    if (!gradients || target != "cpu" || !gradientsAreFloat32(gradients))
      entryPoints.push_back("train_step");
    graphc::KeepEntryPointsOptions keep;
    keep.functions = entryPoints;
    pm.addPass(graphc::createKeepEntryPoints(keep));
    if (failed(pm.run(*module)))
      return 1;
  }

  PendingOutput output(outputFile);
  switch (emit) {
  case Emit::Graph:
    module->print(output.os());
    return output.commit();
  case Emit::Dot:
    graphc::emitDot(*module, output.os());
    return output.commit();
  case Emit::Linalg: {
    PassManager pm(context.get());
    (void)applyPassManagerCLOptions(pm);
    // As the target's pipeline (only the CPU target unfolds a convolution's
    // input for its weight gradient).
    graphc::buildGraphToLinalgPipeline(pm, /*unfoldForWeightGradients=*/target == "cpu");
    if (failed(pm.run(*module)))
      return 1;
    module->print(output.os());
    return output.commit();
  }
  case Emit::Ptx: {
    PassManager pm(context.get());
    (void)applyPassManagerCLOptions(pm);
    graphc::CudaPipelineOptions cuda;
    cuda.gpuArch = gpuArch.getValue();
    cuda.optLevel = level;
    graphc::buildCudaPipeline(pm, cuda);
    if (failed(pm.run(*module)))
      return 1;
    if (emitPtx(*module, output.os()) == 0)
      return fail("'" + inputFile + "' has no loop to run on the GPU: no kernels to emit");
    return output.commit();
  }
  case Emit::FusionReport: {
    PassManager pm(context.get());
    (void)applyPassManagerCLOptions(pm);
    // As the target's pipeline: the CPU target also unfolds a convolution's
    // input for its weight gradient, and its register tiling computes each
    // matmul's and convolution's epilogue in its tiles (a convolution's once
    // it reads the flat rows).
    bool cpu = target == "cpu";
    graphc::buildGraphToLinalgPipeline(pm, /*unfoldForWeightGradients=*/cpu);
    graphc::buildFusionPipeline(pm);
    if (cpu)
      pm.addNestedPass<func::FuncOp>(graphc::createApplyEpiloguesBeforeCrop());
    if (failed(pm.run(*module)))
      return 1;
    graphc::emitFusionReport(*module, output.os(), cpu);
    return output.commit();
  }
  default:
    break;
  }

  std::string prefix = modelName;
  if (prefix.empty())
    prefix = llvm::sys::path::stem(outputFile != "-" ? outputFile : inputFile).str();
  prefix = graphc::cIdentifier(prefix);

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  graphc::configureLLVMCodegen();
  // The host code's target (--cpu, --mattr): its vector registers size the
  // CPU pipeline's register tiles, and it compiles the result.
  std::unique_ptr<llvm::TargetMachine> machine = hostTargetMachine(level);
  if (!machine)
    return 1;
  llvm::StringMap<graphc::FunctionSignature> signatures;
  if (target == "cuda") {
    // The kernels' PTX embedded in the object, the entry points launching
    // them through the runtime (docs/gpu.md).
    graphc::CudaPipelineOptions cuda;
    cuda.gpuArch = gpuArch.getValue();
    cuda.optLevel = level;
    graphc::lowerToLLVMDialectForCuda(*module, cuda, &signatures);
  } else {
    graphc::lowerToLLVMDialect(*module, level, graphc::vectorBitsOf(*machine), &signatures);
  }
  if (emit == Emit::Header) {
    graphc::emitCHeader(output.os(), prefix, signatures, function);
    // The JSON manifest goes beside a header file (NAME.h -> NAME.json).
    if (outputFile != "-") {
      llvm::SmallString<128> manifest(outputFile.getValue());
      llvm::sys::path::replace_extension(manifest, "json");
      if (isTheInput(manifest))
        return fail("the manifest " + manifest.str().str() + " beside -o " + outputFile +
                    " is the input file; write the header elsewhere");
      PendingOutput json(manifest.str().str());
      graphc::emitJsonManifest(json.os(), prefix, signatures);
      if (int rc = json.commit())
        return rc;
    }
    return output.commit();
  }
  if (emit == Emit::LLVMMLIR) {
    module->print(output.os());
    return output.commit();
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(*module, llvmContext);
  if (!llvmModule)
    return fail("translation to LLVM IR failed");
  graphc::addCWrappers(*llvmModule, prefix, signatures);
  graphc::addModelTable(*llvmModule, prefix, signatures);
  graphc::addInitFunction(*llvmModule, prefix, signatures, function);
  if (emit == Emit::Exe) {
    if (!checkStandaloneModel(signatures))
      return 1;
    // What the generic main (runtime/include/graphc/runtime/standalone.h)
    // runs and describes: graphc_standalone_t {model, num_classes, loss,
    // optimizer}.
    llvm::GlobalVariable *model = llvmModule->getNamedGlobal(prefix + "_model");
    llvm::Type *i64 = llvm::Type::getInt64Ty(llvmContext);
    llvm::Type *ptr = llvm::PointerType::get(llvmContext, 0);
    auto text = [&](llvm::StringRef value, llvm::StringRef name) {
      llvm::Constant *chars = llvm::ConstantDataArray::getString(llvmContext, value);
      return new llvm::GlobalVariable(*llvmModule, chars->getType(), true,
                                      llvm::GlobalValue::PrivateLinkage, chars, name);
    };
    auto *infoType = llvm::StructType::get(llvmContext, {ptr, i64, ptr, ptr});
    new llvm::GlobalVariable(
        *llvmModule, infoType, true, llvm::GlobalValue::ExternalLinkage,
        llvm::ConstantStruct::get(infoType, {model, llvm::ConstantInt::get(i64, standaloneClasses),
                                             text(lossName.getValue(), "graphc_standalone_loss"),
                                             text(optimizerDescription(),
                                                  "graphc_standalone_optimizer")}),
        "graphc_standalone");
  }
  graphc::hideInternalSymbols(*llvmModule, prefix, {"graphc_standalone"});
  llvmModule->setTargetTriple(machine->getTargetTriple().str());
  llvmModule->setDataLayout(machine->createDataLayout());
  if (emit == Emit::LLVM) {
    if (llvm::Error err = makeOptimizingTransformer(level, 0, machine.get())(llvmModule.get()))
      return fail("LLVM optimization failed: " + llvm::toString(std::move(err)));
    llvmModule->print(output.os(), nullptr);
    return output.commit();
  }
  if (codegenParts == 0)
    return fail("--codegen-parts must be at least 1");
  // An object file or assembly is one output: one part. An executable or a
  // library links its parts (docs/cli.md).
  unsigned maxParts = emit == Emit::Exe || emit == Emit::Lib ? codegenParts.getValue() : 1;
  auto kind = emit == Emit::Asm ? llvm::CodeGenFileType::AssemblyFile
                                : llvm::CodeGenFileType::ObjectFile;
  auto objects = graphc::generateCodeInParts(*llvmModule, level, maxParts, prefix, kind,
                                             [&] { return hostTargetMachine(level); });
  if (!objects)
    return fail(llvm::toString(objects.takeError()));
  if (emit == Emit::Exe)
    return linkExecutable(*objects);
  if (emit != Emit::Lib) {
    output.os() << objects->front();
    return output.commit();
  }
  // The library: the model's object plus every member of the runtime archive,
  // so a C program links one file (and the system libraries the header lists).
  std::vector<llvm::NewArchiveMember> members;
  // MemoryBufferRef keeps references: the member's name must outlive writeArchive.
  std::vector<std::string> memberNames;
  for (size_t part = 0; part < objects->size(); ++part)
    memberNames.push_back(prefix + (part ? "." + std::to_string(part) : "") + ".o");
  for (size_t part = 0; part < objects->size(); ++part)
    members.emplace_back(llvm::MemoryBufferRef((*objects)[part], memberNames[part]));
  std::string runtimeArchive = resource("lib/libgraphc_runtime.a", GRAPHC_RUNTIME_ARCHIVE);
  auto runtime = llvm::MemoryBuffer::getFile(runtimeArchive);
  if (!runtime)
    return fail("cannot read the graphc runtime " + runtimeArchive);
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
  // writeArchive writes the file itself, atomically.
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
  // MLIR's --mlir-print-ir-after-all and friends, on the pipeline graphc
  // really runs (hidden from --help, listed by --help-hidden).
  mlir::registerPassManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "graphc: compile a traced graph\n");
  try {
    return run();
  } catch (const std::exception &e) {
    llvm::errs() << "graphc: error: " << e.what() << "\n";
    return 1;
  }
}
