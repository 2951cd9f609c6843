// ONNX's backend tests (Debian's libonnx-testdata) through graphc: each
// test's model.onnx is imported (compiler/lib/Import/Onnx), compiled by the
// CPU pipeline (the JIT, the same code graphc emits), run on the test's
// inputs, and compared with its expected outputs, with the tolerances of
// ONNX's backend runner (rtol 1e-3, atol 1e-7; integers and bools exact).
//
//   onnx_backend_test DATA_DIR UNSUPPORTED_LIST [--only PREFIX]... [--verbose]
//
// Every test of DATA_DIR (one folder per test) must pass unless
// UNSUPPORTED_LIST names it (a line "test_name  # reason", or a prefix
// ending in *); a listed test that passes is an error too, so the list stays
// true. Prints the pass count per op (the op type of the model's nodes, the
// first one that is not Constant) and ends with "N passed, N failed".
//
// Integer inputs are given to the importer as known values: in these tests
// they are shapes, axes and indices, which graphc folds at compile time
// (docs/onnx.md).

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Import/Onnx.h"
#include "graphc/Transforms/GraphOpBuilder.h"
#include "graphc/Transforms/Passes.h"
#include "graphc/JIT/Jit.h"
#include "graphc/Pipelines/Pipelines.h"
#include "graphc/runtime/program.hpp"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace rt = graphc::rt;

namespace {

std::string readFile(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

onnx::TensorProto readTensor(const fs::path &path) {
  onnx::TensorProto t;
  std::string bytes = readFile(path);
  if (!t.ParseFromString(bytes))
    throw std::runtime_error(path.string() + ": not a TensorProto");
  return t;
}

/// A TensorProto's values as a runtime tensor (float32/64, int32/64, bool).
rt::Tensor toTensor(const onnx::TensorProto &t) {
  std::vector<int64_t> shape(t.dims().begin(), t.dims().end());
  graphc_dtype_t dtype;
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT: dtype = GRAPHC_DTYPE_F32; break;
  case onnx::TensorProto::DOUBLE: dtype = GRAPHC_DTYPE_F64; break;
  case onnx::TensorProto::INT32: dtype = GRAPHC_DTYPE_I32; break;
  case onnx::TensorProto::INT64: dtype = GRAPHC_DTYPE_I64; break;
  case onnx::TensorProto::BOOL: dtype = GRAPHC_DTYPE_BOOL; break;
  default: throw std::runtime_error("a tensor of ONNX type " + std::to_string(t.data_type()));
  }
  // The size the file declares, checked before anything is allocated (a
  // test's input of another kind read as a tensor has dims of any size).
  int64_t declared = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d > 0 && declared > (int64_t(1) << 31) / d))
      throw std::runtime_error("a tensor file declaring dims past 2^31 elements");
    declared *= d;
  }
  rt::Tensor out = rt::Tensor::zeros(shape, dtype);
  char *dst = static_cast<char *>(out.rawData());
  if (t.has_raw_data()) {
    if (t.raw_data().size() != out.nbytes())
      throw std::runtime_error("raw data of the wrong size");
    std::memcpy(dst, t.raw_data().data(), out.nbytes());
    return out;
  }
  int64_t n = out.numel();
  int64_t have = dtype == GRAPHC_DTYPE_F32   ? t.float_data_size()
                 : dtype == GRAPHC_DTYPE_F64 ? t.double_data_size()
                 : dtype == GRAPHC_DTYPE_I64 ? t.int64_data_size()
                                             : t.int32_data_size();
  if (have != n)
    throw std::runtime_error("a tensor file with " + std::to_string(have) + " values for " +
                             std::to_string(n) + " elements");
  for (int64_t i = 0; i < n; ++i) {
    switch (dtype) {
    case GRAPHC_DTYPE_F32: reinterpret_cast<float *>(dst)[i] = t.float_data(i); break;
    case GRAPHC_DTYPE_F64: reinterpret_cast<double *>(dst)[i] = t.double_data(i); break;
    case GRAPHC_DTYPE_I64: reinterpret_cast<int64_t *>(dst)[i] = t.int64_data(i); break;
    case GRAPHC_DTYPE_I32: reinterpret_cast<int32_t *>(dst)[i] = t.int32_data(i); break;
    default: dst[i] = t.int32_data(i) != 0; break;
    }
  }
  return out;
}

double valueAt(const rt::Tensor &t, int64_t i) {
  const char *p = static_cast<const char *>(t.rawData());
  switch (t.dtype()) {
  case GRAPHC_DTYPE_F32: return reinterpret_cast<const float *>(p)[i];
  case GRAPHC_DTYPE_F64: return reinterpret_cast<const double *>(p)[i];
  case GRAPHC_DTYPE_I64: return (double)reinterpret_cast<const int64_t *>(p)[i];
  case GRAPHC_DTYPE_I32: return reinterpret_cast<const int32_t *>(p)[i];
  default: return p[i] != 0;
  }
}

/// Empty when `got` matches `want` within ONNX's tolerances.
std::string compare(const rt::Tensor &got, const rt::Tensor &want, const std::string &name) {
  if (got.dtype() != want.dtype())
    return name + ": dtype " + graphc_dtype_name(got.dtype()) + ", expected " +
           graphc_dtype_name(want.dtype());
  if (got.shape() != want.shape()) {
    auto text = [](const std::vector<int64_t> &s) {
      std::string r = "[";
      for (size_t i = 0; i < s.size(); ++i)
        r += (i ? ", " : "") + std::to_string(s[i]);
      return r + "]";
    };
    return name + ": shape " + text(got.shape()) + ", expected " + text(want.shape());
  }
  bool exact = got.dtype() != GRAPHC_DTYPE_F32 && got.dtype() != GRAPHC_DTYPE_F64;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double a = valueAt(got, i), b = valueAt(want, i);
    bool ok = exact ? a == b
                    : (std::isnan(a) && std::isnan(b)) || a == b ||
                          std::abs(a - b) <= 1e-7 + 1e-3 * std::abs(b);
    if (!ok) {
      char text[160];
      std::snprintf(text, sizeof text, ": element %lld is %.9g, expected %.9g", (long long)i, a, b);
      return name + text;
    }
  }
  return "";
}

struct Listed {
  std::string pattern, reason;
  bool prefix;
};

std::vector<Listed> readList(const fs::path &path) {
  std::vector<Listed> list;
  std::ifstream in(path);
  std::string reason;
  for (std::string line; std::getline(in, line);) {
    size_t hash = line.find('#');
    std::string comment = hash == std::string::npos ? "" : line.substr(hash + 1);
    std::string name = line.substr(0, hash);
    name.erase(std::remove_if(name.begin(), name.end(), ::isspace), name.end());
    // A comment line sets the reason for the names below it (a group);
    // a comment on the name's own line overrides it.
    if (name.empty()) {
      if (!comment.empty())
        reason = comment;
      continue;
    }
    bool prefix = name.back() == '*';
    if (prefix)
      name.pop_back();
    list.push_back({name, comment.empty() ? reason : comment, prefix});
  }
  return list;
}

const Listed *findListed(const std::vector<Listed> &list, const std::string &test) {
  for (const Listed &l : list)
    if (l.prefix ? test.rfind(l.pattern, 0) == 0 : test == l.pattern)
      return &l;
  return nullptr;
}

/// The op a node test is about: its first node that is not a Constant.
std::string opOf(const onnx::ModelProto &model) {
  for (const onnx::NodeProto &node : model.graph().node())
    if (node.op_type() != "Constant")
      return node.op_type();
  return "Constant";
}

/// One test folder: its model, its inputs (integer ones as known values
/// for the importer, the others as runtime tensors) and expected outputs.
struct LoadedTest {
  std::string bytes, path;
  onnx::ModelProto model;
  std::vector<onnx::TensorProto> outputs;
  llvm::StringMap<std::string> known;
  std::vector<rt::Tensor> runtimeInputs;
};

/// Empty when loaded, else why not.
std::string loadTest(const fs::path &dir, LoadedTest &test) {
  test.path = (dir / "model.onnx").string();
  test.bytes = readFile(dir / "model.onnx");
  if (!test.model.ParseFromString(test.bytes))
    return "model.onnx does not parse";
  fs::path data = dir / "test_data_set_0";
  std::vector<onnx::TensorProto> inputs;
  for (int i = 0; fs::exists(data / ("input_" + std::to_string(i) + ".pb")); ++i)
    inputs.push_back(readTensor(data / ("input_" + std::to_string(i) + ".pb")));
  for (int i = 0; fs::exists(data / ("output_" + std::to_string(i) + ".pb")); ++i)
    test.outputs.push_back(readTensor(data / ("output_" + std::to_string(i) + ".pb")));
  // The graph's inputs that are not initializers, in order, matched to the
  // input files; integer ones are known at compile time.
  std::vector<std::string> names;
  std::map<std::string, bool> initializers;
  for (const auto &init : test.model.graph().initializer())
    initializers[init.name()] = true;
  for (const auto &input : test.model.graph().input())
    if (!initializers.count(input.name()))
      names.push_back(input.name());
  if (names.size() < inputs.size())
    return "more input files than graph inputs";
  for (size_t i = 0; i < inputs.size(); ++i) {
    int type = inputs[i].data_type();
    if (type == onnx::TensorProto::INT64 || type == onnx::TensorProto::INT32 ||
        type == onnx::TensorProto::BOOL)
      test.known[names[i]] = inputs[i].SerializeAsString();
    else
      test.runtimeInputs.push_back(toTensor(inputs[i]));
  }
  return "";
}

/// A context that collects diagnostics into `text`.
struct CollectingContext {
  std::shared_ptr<mlir::MLIRContext> context = graphc::createContext();
  std::string text;
  mlir::ScopedDiagnosticHandler handler{context.get(), [this](mlir::Diagnostic &d) {
                                          llvm::raw_string_ostream os(text);
                                          os << d << "\n";
                                          return mlir::success();
                                        }};
};

/// The test's model imported into `module`; empty when imported, else why not.
std::string import(const LoadedTest &test, CollectingContext &ctx,
                   mlir::OwningOpRef<mlir::ModuleOp> &module) {
  std::string error;
  module = graphc::importOnnx(ctx.context.get(), test.bytes, test.path, error, "forward",
                              &test.known);
  return module ? "" : "import: " + error;
}

/// `module` compiled by the JIT into `jit`; empty when compiled, else why not.
std::string compile(mlir::ModuleOp module, CollectingContext &ctx,
                    std::unique_ptr<graphc::JitModule> &jit) {
  try {
    jit = graphc::JitModule::compile(module);
  } catch (const std::exception &e) {
    return std::string("compile: ") + e.what() + " " + ctx.text;
  }
  return "";
}

/// Runs one test; empty when it passes, else why not.
std::string runTest(const fs::path &dir, std::string &op) {
  LoadedTest test;
  if (std::string why = loadTest(dir, test); !why.empty())
    return why;
  op = opOf(test.model);
  CollectingContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (std::string why = import(test, ctx, module); !why.empty())
    return why;
  std::unique_ptr<graphc::JitModule> jit;
  if (std::string why = compile(*module, ctx, jit); !why.empty())
    return why;
  rt::Program program(jit->model());
  program.init(0);
  std::vector<rt::Tensor> results;
  try {
    results = program.run("forward", test.runtimeInputs);
  } catch (const std::exception &e) {
    return std::string("run: ") + e.what();
  }
  if (results.size() != test.outputs.size())
    return std::to_string(results.size()) + " results, expected " +
           std::to_string(test.outputs.size());
  for (size_t i = 0; i < test.outputs.size(); ++i) {
    std::string why = compare(results[i], toTensor(test.outputs[i]), "output #" + std::to_string(i));
    if (!why.empty())
      return why;
  }
  return "";
}

/// The gradient of an imported model against central finite differences:
/// its first output weighted by fixed random values and summed is the loss,
/// --graphc-autodiff differentiates it with respect to every float input,
/// and each gradient element (up to 8 per input) is compared with
/// (L(x + h) - L(x - h)) / 2h, in float32 (h = 1e-2 max(1, |x|); allowed
/// error 2e-2 relative plus 2e-3). Empty when it holds, else why not.
std::string gradCheck(const fs::path &dir) {
  LoadedTest test;
  if (std::string why = loadTest(dir, test); !why.empty())
    return why;
  CollectingContext ctx;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  if (std::string why = import(test, ctx, module); !why.empty())
    return why;
  auto forward = module->lookupSymbol<mlir::func::FuncOp>("forward");
  // Every float input differentiable; the loss sum(out * R).
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    if (mlir::isa<mlir::FloatType>(
            mlir::cast<mlir::RankedTensorType>(forward.getArgument(i).getType()).getElementType()))
      forward.setArgAttr(i, graphc::graph::GraphDialect::getRequiresGradAttrName(),
                         mlir::UnitAttr::get(ctx.context.get()));
  auto ret = mlir::cast<mlir::func::ReturnOp>(forward.front().getTerminator());
  mlir::OpBuilder b(ret);
  mlir::Value out = ret.getOperand(0);
  auto type = mlir::cast<mlir::RankedTensorType>(out.getType());
  if (!type.hasStaticShape() || !mlir::isa<mlir::FloatType>(type.getElementType()))
    return "the first output is not a static float tensor";
  std::vector<float> weights(type.getNumElements());
  uint64_t state = 12345;
  for (float &w : weights) { // a fixed LCG: weights in [-1, 1)
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    w = static_cast<float>((state >> 40) * (1.0 / (1ull << 24))) * 2 - 1;
  }
  mlir::Value r = b.create<graphc::graph::ConstantOp>(
      ret.getLoc(), mlir::DenseElementsAttr::get(type.clone(b.getF32Type()), llvm::ArrayRef<float>(weights)));
  graphc::GraphOpBuilder ops(b, ret.getLoc());
  mlir::Value weighted = ops.mul(out, ops.to(r, type.getElementType()));
  mlir::Value loss = type.getRank() == 0 ? weighted : ops.sumAll(weighted);
  b.create<mlir::func::ReturnOp>(ret.getLoc(), loss);
  ret.erase();
  forward.setType(b.getFunctionType(forward.getArgumentTypes(), {loss.getType()}));
  forward.setAllResultAttrs(llvm::ArrayRef<mlir::DictionaryAttr>{});
  mlir::PassManager pm(ctx.context.get());
  pm.addPass(graphc::createAutodiff());
  if (mlir::failed(pm.run(*module)))
    return "autodiff: " + ctx.text;
  std::unique_ptr<graphc::JitModule> jit;
  if (std::string why = compile(*module, ctx, jit); !why.empty())
    return why;
  rt::Program program(jit->model());
  program.init(0);
  std::vector<rt::Tensor> grads = program.run("forward_grad", test.runtimeInputs);
  auto lossAt = [&](const std::vector<rt::Tensor> &inputs) {
    return valueAt(program.run("forward", inputs)[0], 0);
  };
  size_t next = 1;
  for (size_t k = 0; k < test.runtimeInputs.size(); ++k) {
    rt::Tensor &x = test.runtimeInputs[k];
    if (x.dtype() != GRAPHC_DTYPE_F32)
      continue;
    if (next >= grads.size())
      return "fewer gradients than float inputs";
    const rt::Tensor &g = grads[next++];
    int64_t count = x.numel(), stride = std::max<int64_t>(1, count / 8);
    for (int64_t e = 0; e < count; e += stride) {
      float *value = x.data<float>() + e;
      float saved = *value, h = 1e-2f * std::max(1.0f, std::abs(saved));
      std::vector<rt::Tensor> inputs = test.runtimeInputs;
      *value = saved + h;
      double up = lossAt(inputs);
      *value = saved - h;
      double down = lossAt(inputs);
      *value = saved;
      double fd = (up - down) / (2 * h), analytic = valueAt(g, e);
      if (std::abs(fd - analytic) > 2e-2 * (std::abs(fd) + std::abs(analytic)) + 2e-3) {
        char text[160];
        std::snprintf(text, sizeof text, "input #%zu element %lld: gradient %.6g, finite difference %.6g",
                      k, (long long)e, analytic, fd);
        return text;
      }
    }
  }
  return "";
}

} // namespace

int main(int argc, char **argv) {
  // --gradcheck DATA_DIR TEST...: the gradient of each named test's model
  // against finite differences (gradCheck above).
  if (argc >= 3 && std::strcmp(argv[1], "--gradcheck") == 0) {
    int passed = 0, failed = 0;
    for (int i = 3; i < argc; ++i) {
      std::string why;
      try {
        why = gradCheck(fs::path(argv[2]) / argv[i]);
      } catch (const std::exception &e) {
        why = e.what();
      }
      if (why.empty()) {
        ++passed;
        std::printf("pass %s\n", argv[i]);
      } else {
        ++failed;
        std::printf("FAIL %s: %s\n", argv[i], why.c_str());
      }
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATA_DIR UNSUPPORTED_LIST [--only PREFIX]... [--verbose]\n", argv[0]);
    return 2;
  }
  fs::path root = argv[1];
  std::vector<Listed> list = readList(argv[2]);
  std::vector<std::string> only; // name prefixes; none: every test
  bool verbose = false;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only.push_back(argv[++i]);
    else if (std::strcmp(argv[i], "--verbose") == 0)
      verbose = true;
  }
  std::vector<fs::path> tests;
  auto selected = [&](const std::string &name) {
    if (only.empty())
      return true;
    for (const std::string &prefix : only)
      if (name.rfind(prefix, 0) == 0)
        return true;
    return false;
  };
  for (const auto &entry : fs::directory_iterator(root))
    if (fs::exists(entry.path() / "model.onnx") && selected(entry.path().filename().string()))
      tests.push_back(entry.path());
  std::sort(tests.begin(), tests.end());
  int passed = 0, failed = 0, listed = 0;
  std::map<std::string, std::pair<int, int>> byOp; // op -> (passed, run)
  for (const fs::path &dir : tests) {
    std::string name = dir.filename().string(), op = "?";
    std::fflush(stdout);
    if (verbose) std::fprintf(stderr, "running %s\n", name.c_str());
    std::string why;
    try {
      why = runTest(dir, op);
    } catch (const std::exception &e) {
      why = e.what();
    }
    const Listed *l = findListed(list, name);
    auto &[opPassed, opRun] = byOp[op];
    ++opRun;
    if (why.empty())
      ++opPassed;
    if (l) {
      ++listed;
      if (why.empty()) {
        std::printf("FAIL %s: passes, but the unsupported list names it (%s): remove it\n",
                    name.c_str(), l->reason.c_str());
        ++failed;
      } else if (verbose) {
        std::printf("skip %s (%s): %s\n", name.c_str(), l->reason.c_str(), why.c_str());
      }
      continue;
    }
    if (why.empty()) {
      ++passed;
      if (verbose)
        std::printf("pass %s\n", name.c_str());
    } else {
      ++failed;
      std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
    }
  }
  std::printf("\nby op (passing / run):\n");
  for (auto &[op, counts] : byOp)
    std::printf("  %-28s %d / %d\n", op.c_str(), counts.first, counts.second);
  std::printf("\n%s: %zu tests, %d pass, %d listed as unsupported\n", root.string().c_str(),
              tests.size(), passed, listed);
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
