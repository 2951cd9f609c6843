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

#include "graphc/Import/Onnx.h"
#include "graphc/JIT/Jit.h"
#include "graphc/Pipelines/Pipelines.h"
#include "graphc/runtime/program.hpp"

#include "mlir/IR/Diagnostics.h"

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

/// Runs one test; empty when it passes, else why not.
std::string runTest(const fs::path &dir, std::string &op) {
  std::string bytes = readFile(dir / "model.onnx");
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes))
    return "model.onnx does not parse";
  op = opOf(model);
  fs::path data = dir / "test_data_set_0";
  std::vector<onnx::TensorProto> inputs, outputs;
  for (int i = 0; fs::exists(data / ("input_" + std::to_string(i) + ".pb")); ++i)
    inputs.push_back(readTensor(data / ("input_" + std::to_string(i) + ".pb")));
  for (int i = 0; fs::exists(data / ("output_" + std::to_string(i) + ".pb")); ++i)
    outputs.push_back(readTensor(data / ("output_" + std::to_string(i) + ".pb")));
  // The graph's inputs that are not initializers, in order, matched to the
  // input files; integer ones are known at compile time.
  std::vector<std::string> names;
  std::map<std::string, bool> initializers;
  for (const auto &init : model.graph().initializer())
    initializers[init.name()] = true;
  for (const auto &input : model.graph().input())
    if (!initializers.count(input.name()))
      names.push_back(input.name());
  if (names.size() < inputs.size())
    return "more input files than graph inputs";
  llvm::StringMap<std::string> known;
  std::vector<rt::Tensor> runtimeInputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    int type = inputs[i].data_type();
    if (type == onnx::TensorProto::INT64 || type == onnx::TensorProto::INT32 ||
        type == onnx::TensorProto::BOOL)
      known[names[i]] = inputs[i].SerializeAsString();
    else
      runtimeInputs.push_back(toTensor(inputs[i]));
  }
  auto context = graphc::createContext();
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(context.get(), [&](mlir::Diagnostic &d) {
    llvm::raw_string_ostream os(diagnostics);
    os << d << "\n";
    return mlir::success();
  });
  std::string error;
  auto module = graphc::importOnnx(context.get(), bytes, (dir / "model.onnx").string(), error,
                                   "forward", &known);
  if (!module)
    return "import: " + error;
  std::unique_ptr<graphc::JitModule> jit;
  try {
    jit = graphc::JitModule::compile(*module);
  } catch (const std::exception &e) {
    return std::string("compile: ") + e.what() + " " + diagnostics;
  }
  rt::Program program(jit->model());
  program.init(0);
  std::vector<rt::Tensor> results;
  try {
    results = program.run("forward", runtimeInputs);
  } catch (const std::exception &e) {
    return std::string("run: ") + e.what();
  }
  if (results.size() != outputs.size())
    return std::to_string(results.size()) + " results, expected " + std::to_string(outputs.size());
  for (size_t i = 0; i < outputs.size(); ++i) {
    std::string why = compare(results[i], toTensor(outputs[i]), "output #" + std::to_string(i));
    if (!why.empty())
      return why;
  }
  return "";
}

} // namespace

int main(int argc, char **argv) {
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
