// An outside project's image classifier in the DSL, built by
// graphc_add_dsl_model(... EXE) into a standalone training executable.
#include "graphc/Builder.h"

namespace {

using namespace graphc;

/// Logistic regression over a 28x28 image: log-probabilities of 10 classes.
class Classifier : public nn::Module {
public:
  Classifier() : fc(registerModule("fc", std::make_shared<nn::Linear>(784, 10))) {}
  Tensor forward(const Tensor &x) override {
    return log_softmax((*fc)(x.reshape({-1, 784})), 1);
  }

private:
  std::shared_ptr<nn::Linear> fc;
};

} // namespace

int main(int argc, char **argv) {
  return graphc::tracerMain(argc, argv, [] {
    manualSeed(0);
    Classifier model;
    Graph graph = trace(model, rt::Tensor::zeros({1, 1, 28, 28})); // one image; dynamic batch
    graph.setTrainingDefaults("nll", OptimizerConfig::adam());
    return graph;
  });
}
