// The builder DSL as a user meets it: module printing like PyTorch, state
// dicts, trace-time errors at the user's call site, and saved graphs.
#include "LeNet.h"
#include "MLP.h"
#include "TestUtil.h"

#include <cstdio>
#include <fstream>
#include <sstream>

using namespace testutil;
namespace g = graphc;

TEST(ModuleRepr, LeNetPrintsLikePyTorch) {
  Net net;
  EXPECT_EQ(net.str(), "Net(\n"
                       "  (conv1): Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1))\n"
                       "  (conv2): Conv2d(6, 16, kernel_size=(3, 3), stride=(1, 1))\n"
                       "  (fc1): Linear(in_features=576, out_features=120, bias=True)\n"
                       "  (fc2): Linear(in_features=120, out_features=84, bias=True)\n"
                       "  (fc3): Linear(in_features=84, out_features=10, bias=True)\n"
                       ")");
  // 6*1*3*3+6 + 16*6*3*3+16 + 576*120+120 + 120*84+84 + 84*10+10
  EXPECT_EQ(net.numParameters(), 81194);
  EXPECT_EQ(net.parameters().size(), 10u);
}

TEST(ModuleRepr, SequentialAndOptionalFields) {
  auto mlp = makeMLP();
  EXPECT_EQ(mlp->str(), "Sequential(\n"
                        "  (0): Linear(in_features=784, out_features=128, bias=True)\n"
                        "  (1): ReLU()\n"
                        "  (2): Linear(in_features=128, out_features=64, bias=True)\n"
                        "  (3): ReLU()\n"
                        "  (4): Linear(in_features=64, out_features=10, bias=True)\n"
                        "  (5): LogSoftmax(dim=1)\n"
                        ")");
  g::nn::Conv2d conv(4, 8, {3, 5}, 2, {1, 2}, 1, 2, false);
  EXPECT_EQ(conv.str(),
            "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), groups=2, bias=False)");
  EXPECT_EQ(g::nn::MaxPool2d(2).str(),
            "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  EXPECT_EQ(g::nn::Flatten().str(), "Flatten(start_dim=1, end_dim=-1)");
}

TEST(ModuleState, NamesFollowStateDict) {
  auto mlp = makeMLP();
  std::vector<std::string> names;
  for (auto &[name, p] : mlp->namedParameters())
    names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias",
                                             "4.weight", "4.bias"}));
  EXPECT_EQ(mlp->stateDict().at("2.weight").shape(), (std::vector<int64_t>{64, 128}));
}

TEST(ModuleState, LoadStateDictRejectsMissingExtraAndMismatched) {
  Net net;
  auto state = net.stateDict();
  auto missing = state;
  missing.erase("fc1.bias");
  try {
    net.loadStateDict(missing);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("missing key(s): \"fc1.bias\""), std::string::npos)
        << e.what();
  }
  auto extra = state;
  extra.emplace("fc4.weight", Tensor::zeros({1}));
  EXPECT_THROW(net.loadStateDict(extra), std::invalid_argument);
  auto wrong = state;
  wrong["conv1.weight"] = Tensor::zeros({6, 1, 5, 5});
  try {
    net.loadStateDict(wrong);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("size mismatch for conv1.weight: copying a param with "
                                         "shape [6, 1, 5, 5]"),
              std::string::npos)
        << e.what();
  }
  // A failed load leaves the module as it was.
  EXPECT_EQ(net.stateDict().at("conv1.weight").shape(), (std::vector<int64_t>{6, 1, 3, 3}));
}

TEST(TraceErrors, ShapeErrorNamesOpShapesAndCallSite) {
  g::nn::Module none;
  int line = 0;
  try {
    g::trace(none, {{"a", {1, 576}}, {"b", {400, 120}}}, [&](const std::vector<g::Tensor> &xs) {
      line = __LINE__ + 1;
      return std::vector<g::Tensor>{g::matmul(xs[0], xs[1])};
    }, {"forward", false});
    FAIL() << "expected a TraceError";
  } catch (const g::TraceError &e) {
    std::string what = e.what();
    EXPECT_EQ(e.op(), "matmul");
    EXPECT_EQ(e.line(), line);
    EXPECT_NE(what.find("DslTest.cpp:" + std::to_string(line) + ": error: in matmul: matmul "
                        "inner dimensions differ: [1, 576] x [400, 120] (576 vs 400)"),
              std::string::npos)
        << what;
  }
}

TEST(TraceErrors, OperatorsReportTheirCallSite) {
  g::nn::Module none;
  int line = 0;
  try {
    g::trace(none, {{"a", {4, 3}}, {"b", {5}}}, [&](const std::vector<g::Tensor> &xs) {
      line = __LINE__ + 1;
      return std::vector<g::Tensor>{xs[0] + xs[1]};
    }, {"forward", false});
    FAIL() << "expected a TraceError";
  } catch (const g::TraceError &e) {
    EXPECT_EQ(e.line(), line);
    EXPECT_NE(std::string(e.what()).find("shapes [4, 3] and [5] cannot be broadcast together"),
              std::string::npos)
        << e.what();
  }
}

TEST(TraceErrors, ModuleMisuseIsCatchable) {
  // The seed's mistake: a Linear sized for 32x32 input fed 28x28 images.
  Net net;
  EXPECT_THROW(g::trace(net, Tensor::zeros({1, 1, 28, 28})), g::TraceError);
  EXPECT_THROW(g::trace(net, Tensor::zeros({1, 3, 32, 32})), g::TraceError);
  EXPECT_THROW(g::reshape(g::Tensor(), {1}), g::TraceError);  // outside trace()
}

TEST(Tracing, GraphNamesArgumentsAndRoundTrips) {
  g::manualSeed(3);
  Net net;
  g::Graph graph = g::trace(net, Tensor::zeros({1, 1, 32, 32}));
  std::string text = graph.str();
  EXPECT_NE(text.find("func.func @forward(%arg0: tensor<?x1x32x32xf32> {graph.name = \"input\", "
                      "graph.role = #graph.role<input>}"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("{graph.init_bound = 0.10910894511799619 : f64, graph.name = \"fc3.bias\", "
                      "graph.requires_grad, graph.role = #graph.role<parameter>}) -> tensor<?x10xf32>"),
            std::string::npos);

  std::string path = ::testing::TempDir() + "lenet_roundtrip.mlir";
  graph.save(path);
  g::Graph loaded = g::Graph::load(path);
  EXPECT_EQ(loaded.str(), text);
  // The loaded graph runs with the parameters passed explicitly, in state_dict order.
  Tensor x = random({2, 1, 32, 32});
  std::vector<Tensor> args{x};
  for (auto &[name, p] : net.namedParameters())
    args.push_back(p.value());
  Tensor fromFile = loaded.compile().run(args).at(0);
  Tensor direct = graph.compile()(x);
  expectClose(fromFile, toRef(direct), 0, 0);
  std::remove(path.c_str());
}

TEST(Tracing, LoadReportsFileLineColumn) {
  std::string path = ::testing::TempDir() + "bad_graph.mlir";
  std::ofstream(path) << "func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {\n"
                         "  %0 = graph.add %a, %a : tensor<2xf32>, tensor<3xf32> -> tensor<2xf32>\n"
                         "  return %0 : tensor<2xf32>\n}\n";
  try {
    g::Graph::load(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("bad_graph.mlir:2:"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Execution, CallChecksShapesAndDtypes) {
  Net net;
  g::CompiledModule program = g::trace(net, Tensor::zeros({1, 1, 32, 32})).compile();
  EXPECT_THROW(program(Tensor::zeros({1, 1, 28, 28})), g::CallError);
  EXPECT_THROW(program(Tensor::zeros({1, 1, 32, 32}, GRAPHC_DTYPE_F64)), g::CallError);
  try {
    program(Tensor::zeros({1, 1, 28, 28}));
  } catch (const g::CallError &e) {
    // The runtime program object's check, as for a compiled object file.
    EXPECT_NE(std::string(e.what()).find("input expects float32 [B, 1, 32, 32] with B = 1 (the "
                                         "input's batch), got float32 [1, 1, 28, 28]"),
              std::string::npos)
        << e.what();
  }
  // Any batch size runs through the same compiled code.
  EXPECT_EQ(program(Tensor::zeros({7, 1, 32, 32})).shape(), (std::vector<int64_t>{7, 10}));
}

TEST(Random, MatchesTorchManualSeedAndRand) {
  // torch.manual_seed(0); torch.rand(3) -> tensor([0.4963, 0.7682, 0.0885])
  g::manualSeed(0);
  Tensor r = g::rand({3});
  EXPECT_EQ(r.str(), "tensor([0.4963, 0.7682, 0.0885])");
}

namespace {
/// A user module whose Linear gets the wrong input width.
struct Tiny : g::nn::Module {
  Tiny() { fc = registerModule("fc", std::make_shared<g::nn::Linear>(3, 2)); }
  g::Tensor forward(const g::Tensor &x) override {
    line = __LINE__ + 1;
    return (*fc)(x);
  }
  std::shared_ptr<g::nn::Linear> fc;
  int line = 0;
};
} // namespace

TEST(TraceErrors, BuiltInModulesReportTheUsersCallSite) {
  Tiny tiny;
  try {
    g::trace(tiny, Tensor::zeros({1, 5}));
    FAIL() << "expected a TraceError";
  } catch (const g::TraceError &e) {
    // The failing matmul is inside Linear; the error points at `(*fc)(x)`.
    EXPECT_EQ(e.line(), tiny.line) << e.what();
    EXPECT_NE(std::string(e.file()).find("DslTest.cpp"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[?, 5] x [3, 2]"), std::string::npos) << e.what();
  }
}
