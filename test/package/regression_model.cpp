// An outside project's model, written in C++ with the installed DSL
// (graphc::dsl). graphc_add_dsl_model builds this tracer and runs it at build
// time as `regression_tracer GRAPH.mlir` (graphc::tracerMain); graphc then
// compiles the graph (with TRAIN, a training step) into the library
// use_regression links.
#include "graphc/Builder.h"

namespace {

using namespace graphc;

/// y = fc2(relu(fc1(x) * scale)), with a per-feature scale set by hand to
/// ones (its value must survive compilation, unlike a parameter initialised
/// to zero).
class Regression : public nn::Module {
public:
  Regression()
      : fc1(registerModule("fc1", std::make_shared<nn::Linear>(3, 16))),
        scale(registerParameter("scale", rt::Tensor::ones({16}))),
        fc2(registerModule("fc2", std::make_shared<nn::Linear>(16, 1))) {}

  Tensor forward(const Tensor &x) override {
    return (*fc2)(relu((*fc1)(x) * Tensor(scale)));
  }

private:
  std::shared_ptr<nn::Linear> fc1;
  Parameter scale;
  std::shared_ptr<nn::Linear> fc2;
};

} // namespace

int main(int argc, char **argv) {
  return graphc::tracerMain(argc, argv, [] {
    manualSeed(0);
    Regression model;
    Graph graph = trace(model, rt::Tensor::zeros({1, 3})); // one sample; the batch is dynamic
    graph.setTrainingDefaults("mse", OptimizerConfig::sgd(/*momentum=*/0.9));
    return graph;
  });
}
