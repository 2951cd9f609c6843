// graphc_difftest: a random-program differential tester, in the manner of
// ggml's test-backend-ops. Each seed gives a graph program mixing the
// dialect's ops over dynamic and static shapes (Program.cpp). It is compiled
// as `graphc FILE [--batch=N] --train --loss=mse --optimizer=sgd` compiles it
// (SpecializeBatch, addTrainingFunctions, the JIT's CPU pipeline), and its
// `forward` and `loss_grad` entry points are called through the generated C
// ABI (the model table's `_call` functions) with buffers sized from the
// table and guarded by canaries, for several batches and thread counts.
// Forward values are compared with a double-precision evaluation by the
// reference loops of Reference.h, gradients with central finite differences
// of that evaluation: no code is shared with graphc's shape rules, gradient
// rules or lowering.
//
//   graphc_difftest [--seed=S] [--programs=N] [--ops=K] [--verbose]
//
// prints a line per failing check (with the program, to reproduce it with
// graphc) and ends with "N passed, M failed".
#include "Program.h"

#include "graphc/Builder.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"

#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <random>

namespace g = graphc;
using namespace difftest;

namespace {

llvm::cl::opt<uint64_t> firstSeed("seed", llvm::cl::desc("The first program's seed"),
                                  llvm::cl::init(1));
llvm::cl::opt<int> programs("programs", llvm::cl::desc("How many programs"), llvm::cl::init(40));
llvm::cl::opt<int> opsPerProgram("ops", llvm::cl::desc("Ops per program (about)"),
                                 llvm::cl::init(8));
llvm::cl::opt<bool> emulateGpu(
    "emulate-gpu",
    llvm::cl::desc("Compile the programs as the CUDA target's kernels (one per loop nest, over "
                   "blocks and threads), emulated on the CPU"),
    llvm::cl::init(false));
llvm::cl::opt<bool> verbose("verbose", llvm::cl::desc("Print every program"),
                            llvm::cl::init(false));

constexpr uint8_t kCanary = 0xA5;
constexpr size_t kCanaryBytes = 256;

/// One program's checks, with the first failure's description.
struct Outcome {
  bool failed = false;
  std::string why;
  int gradientsSkipped = 0;
  void fail(const std::string &message) {
    if (!failed)
      why = message;
    failed = true;
  }
};

struct Buffer {
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes; // the data, then kCanaryBytes of canary
  float *data() { return reinterpret_cast<float *>(bytes.data()); }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  bool canaryIntact() const {
    for (size_t i = bytes.size() - kCanaryBytes; i < bytes.size(); ++i)
      if (bytes[i] != kCanary)
        return false;
    return true;
  }
};

Buffer bufferOf(const std::vector<int64_t> &shape) {
  Buffer b;
  b.shape = shape;
  b.bytes.assign(b.numel() * sizeof(float) + kCanaryBytes, kCanary);
  return b;
}

ref::Array arrayOf(Buffer &b) {
  ref::Array a{b.shape, {}};
  for (int64_t i = 0; i < b.numel(); ++i)
    a.data.push_back(b.data()[i]);
  return a;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Calls entry point `name` through the model table: arguments by name
/// (their table shapes must be what the program says, with -k = k*batch),
/// results into canary-guarded buffers sized from the table.
std::vector<Buffer> callEntry(const graphc_model_t *model, const std::string &name,
                              int64_t batch, std::map<std::string, Buffer> &arguments,
                              Outcome &outcome) {
  const graphc_model_entry_t *entry = nullptr;
  for (int32_t e = 0; e < model->num_entries; ++e)
    if (name == model->entries[e].name)
      entry = &model->entries[e];
  if (!entry) {
    outcome.fail("no entry point '" + name + "'");
    return {};
  }
  auto sizesOf = [&](const graphc_model_tensor_t &t) {
    std::vector<int64_t> shape;
    for (int32_t d = 0; d < t.rank; ++d)
      shape.push_back(t.shape[d] < 0 ? -t.shape[d] * batch : t.shape[d]);
    return shape;
  };
  std::vector<void *> argumentPointers;
  for (int32_t i = 0; i < entry->num_arguments; ++i) {
    const graphc_model_tensor_t &t = entry->arguments[i];
    auto it = arguments.find(t.name);
    if (it == arguments.end()) {
      outcome.fail(name + ": unexpected argument '" + t.name + "'");
      return {};
    }
    if (sizesOf(t) != it->second.shape) {
      outcome.fail(name + ": the table gives '" + t.name + "' the sizes " +
                   shapeText(sizesOf(t)) + " at batch " + std::to_string(batch) +
                   ", the program " + shapeText(it->second.shape));
      return {};
    }
    argumentPointers.push_back(it->second.data());
  }
  std::vector<Buffer> results;
  std::vector<void *> resultPointers;
  for (int32_t i = 0; i < entry->num_results; ++i)
    results.push_back(bufferOf(sizesOf(entry->results[i])));
  for (Buffer &b : results)
    resultPointers.push_back(b.data());
  int32_t status = entry->call(nullptr, batch, argumentPointers.data(), resultPointers.data());
  if (status != 0)
    outcome.fail(name + " returned " + std::to_string(status));
  for (size_t i = 0; i < results.size(); ++i)
    if (!results[i].canaryIntact())
      outcome.fail(name + " wrote past the end of result " + std::to_string(i) + " " +
                   shapeText(results[i].shape));
  for (auto &[argName, b] : arguments)
    if (!b.canaryIntact())
      outcome.fail(name + " wrote past the end of argument " + argName);
  return results;
}

/// |got - want| within tolerance, relative to the tensor's largest value.
bool close(const ref::Array &got, const ref::Array &want, double rtol, double atol,
           std::string &why) {
  if (got.shape != want.shape) {
    why = "shape " + shapeText(got.shape) + ", expected " + shapeText(want.shape);
    return false;
  }
  double scale = 0;
  for (double w : want.data)
    scale = std::max(scale, std::fabs(w));
  for (size_t i = 0; i < want.data.size(); ++i) {
    double g = got.data[i], w = want.data[i];
    if (!(std::fabs(g - w) <= atol + rtol * (std::fabs(w) + scale))) {
      why = "element " + std::to_string(i) + " is " + std::to_string(g) + ", expected " +
            std::to_string(w);
      return false;
    }
  }
  return true;
}

double mseLoss(const ref::Array &out, const ref::Array &target) {
  double s = 0;
  for (size_t i = 0; i < out.data.size(); ++i)
    s += (out.data[i] - target.data[i]) * (out.data[i] - target.data[i]);
  return s / std::max<size_t>(out.data.size(), 1);
}

/// Compiles and checks `program` dynamically (batch 0) or specialized to a
/// static `staticBatch`.
void check(const Program &program, const std::string &text, int64_t staticBatch, uint64_t seed,
           Outcome &outcome) {
  auto context = g::createContext();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(context.get(), [&](mlir::Diagnostic &d) {
    llvm::raw_string_ostream os(diagnostics);
    os << d.getLocation() << ": " << d << "\n";
    return mlir::success();
  });
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, context.get());
  if (!module)
    return outcome.fail("the program does not parse or verify:\n" + diagnostics);
  mlir::PassManager pm(context.get());
  pm.addPass(g::createVerifyBatchMultiples());
  if (staticBatch) {
    g::SpecializeBatchOptions options;
    options.batch = staticBatch;
    pm.addPass(g::createSpecializeBatch(options));
  }
  if (mlir::failed(pm.run(*module)))
    return outcome.fail("--graphc-verify-batch-multiples/--batch refused it:\n" + diagnostics);
  if (mlir::failed(g::addTrainingFunctions(*module, "forward", g::LossKind::MSE,
                                           g::OptimizerConfig::sgd())))
    return outcome.fail("--train failed:\n" + diagnostics);
  // The gradients' names, in the order loss_grad returns them.
  std::vector<std::string> gradientOf;
  auto lossGrad = module->lookupSymbol<mlir::func::FuncOp>("loss_grad");
  for (unsigned i = 1; lossGrad && i < lossGrad.getNumResults(); ++i) {
    auto n = lossGrad.getResultAttrOfType<mlir::StringAttr>(i, "graph.name");
    gradientOf.push_back(n ? n.str().substr(std::strlen("grad.")) : "?");
  }
  std::unique_ptr<g::JitModule> jit;
  try {
    g::JitOptions options;
    options.emulateGpuKernels = emulateGpu;
    jit = g::JitModule::compile(*module, options);
  } catch (const std::exception &e) {
    return outcome.fail(std::string("compilation failed: ") + e.what());
  }
  const graphc_model_t *model = jit->model();

  std::vector<int64_t> batches = staticBatch ? std::vector<int64_t>{staticBatch}
                                             : std::vector<int64_t>{1, 3};
  std::mt19937_64 rng(seed * 7919 + staticBatch);
  std::normal_distribution<float> normal(0, 1);
  for (int64_t batch : batches) {
    // Arguments: the program's, then the loss's target.
    std::map<std::string, Buffer> arguments;
    std::vector<std::pair<int, ref::Array>> values;
    for (size_t i = 0; i < program.nodes.size(); ++i) {
      const Node &n = program.nodes[i];
      if (n.op != "arg")
        continue;
      Buffer b = bufferOf(concrete(n.shape, batch));
      for (int64_t k = 0; k < b.numel(); ++k)
        b.data()[k] = normal(rng) * (n.parameter ? 0.5f : 0.8f);
      values.push_back({static_cast<int>(i), arrayOf(b)});
      arguments[n.name] = std::move(b);
    }
    Buffer target = bufferOf(concrete(program.nodes[program.result].shape, batch));
    for (int64_t k = 0; k < target.numel(); ++k)
      target.data()[k] = normal(rng);
    ref::Array targetValue = arrayOf(target);

    std::vector<ref::Array> reference = program.evaluate(batch, values);
    const ref::Array &want = reference[program.result];
    bool compareForward = program.kinkDistance(reference, /*comparesOnly=*/true) > 1e-3;
    bool compareGradients = program.kinkDistance(reference) > 1e-3;

    std::vector<float> firstRun;
    for (int threads : {1, 2}) {
      g::setNumThreads(threads);
      std::string where = (staticBatch ? "--batch=" + std::to_string(staticBatch) : "dynamic") +
                          ", B = " + std::to_string(batch) + ", " + std::to_string(threads) +
                          " thread(s): ";
      std::map<std::string, Buffer> forwardArguments;
      for (auto &[name, b] : arguments)
        forwardArguments[name] = b;
      std::vector<Buffer> out = callEntry(model, "forward", batch, forwardArguments, outcome);
      if (outcome.failed) {
        outcome.why = where + outcome.why;
        return;
      }
      if (out.size() != (program.extra < 0 ? 1u : 2u))
        return outcome.fail(where + "forward has " + std::to_string(out.size()) + " results");
      std::string why;
      if (compareForward && !close(arrayOf(out[0]), want, 1e-3, 1e-4, why))
        return outcome.fail(where + "forward: " + why);
      // The k*B-sized second result: its table sizes, buffer and values.
      if (program.extra >= 0 && compareForward &&
          !close(arrayOf(out[1]), reference[program.extra], 1e-3, 1e-4, why))
        return outcome.fail(where + "forward's second result: " + why);

      std::map<std::string, Buffer> lossArguments = forwardArguments;
      lossArguments["target"] = target;
      std::vector<Buffer> grads = callEntry(model, "loss_grad", batch, lossArguments, outcome);
      if (outcome.failed) {
        outcome.why = where + outcome.why;
        return;
      }
      if (grads.size() != gradientOf.size() + 1)
        return outcome.fail(where + "loss_grad returned " + std::to_string(grads.size()) +
                            " results");
      double loss = mseLoss(want, targetValue);
      if (compareForward &&
          !close(arrayOf(grads[0]), ref::Array{{}, {loss}}, 1e-3, 1e-5, why))
        return outcome.fail(where + "loss: " + why);

      // Bit-identical for any thread count.
      std::vector<float> all;
      for (Buffer &b : out)
        all.insert(all.end(), b.data(), b.data() + b.numel());
      for (Buffer &b : grads)
        all.insert(all.end(), b.data(), b.data() + b.numel());
      if (threads == 1)
        firstRun = all;
      else if (std::memcmp(all.data(), firstRun.data(), all.size() * sizeof(float)) != 0)
        return outcome.fail(where + "results differ from the 1-thread run");
      if (threads != 1)
        continue;
      if (!compareGradients) {
        ++outcome.gradientsSkipped;
        continue;
      }
      // Central differences of the reference loss, parameter by parameter.
      for (size_t k = 0; k < gradientOf.size(); ++k) {
        auto arg = std::find_if(values.begin(), values.end(), [&](auto &v) {
          return program.nodes[v.first].name == gradientOf[k];
        });
        if (arg == values.end())
          return outcome.fail(where + "a gradient of unknown '" + gradientOf[k] + "'");
        ref::Array fd{arg->second.shape, {}};
        for (size_t e = 0; e < arg->second.data.size(); ++e) {
          double saved = arg->second.data[e], eps = 1e-6;
          arg->second.data[e] = saved + eps;
          double up = mseLoss(program.evaluate(batch, values)[program.result], targetValue);
          arg->second.data[e] = saved - eps;
          double down = mseLoss(program.evaluate(batch, values)[program.result], targetValue);
          arg->second.data[e] = saved;
          fd.data.push_back((up - down) / (2 * eps));
        }
        if (!close(arrayOf(grads[k + 1]), fd, 2e-3, 1e-4, why))
          return outcome.fail(where + "gradient of " + gradientOf[k] + ": " + why);
      }
    }
  }
}

} // namespace

int main(int argc, char **argv) {
  llvm::cl::ParseCommandLineOptions(argc, argv, "graphc's random-program differential tester\n");
  int passed = 0, failed = 0, skipped = 0;
  for (int i = 0; i < programs; ++i) {
    uint64_t seed = firstSeed + i;
    Program program = generate(seed, opsPerProgram);
    std::string text = program.toMlir();
    if (verbose)
      std::cout << "seed " << seed << ": " << program.description << "\n" << text;
    // The dynamic program, and the same one at a static batch of 1 to 4.
    for (int64_t staticBatch : {int64_t(0), int64_t(1 + seed % 4)}) {
      Outcome outcome;
      check(program, text, staticBatch, seed, outcome);
      skipped += outcome.gradientsSkipped;
      if (!outcome.failed) {
        ++passed;
        continue;
      }
      ++failed;
      std::cout << "FAIL seed " << seed << " ("
                << (staticBatch ? "--batch=" + std::to_string(staticBatch) : "dynamic batch")
                << "; ops: " << program.description << "): " << outcome.why << "\n"
                << text << "\n";
    }
  }
  std::cout << "gradient checks skipped near a kink: " << skipped << "\n";
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed ? 1 : 0;
}
