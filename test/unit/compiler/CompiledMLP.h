// The seed-003 MLP traced with a dynamic batch, its training functions added
// as `graphc --train` adds them (NLL loss, `optimizer`; with `dataParallel`
// also the step's two halves, with `microBatch` the first at that batch),
// compiled by the JIT. The program tests run
// the runtime's program object over it.
#ifndef GRAPHC_TEST_UNIT_COMPILER_COMPILEDMLP_H
#define GRAPHC_TEST_UNIT_COMPILER_COMPILEDMLP_H

#include "MLP.h"

#include "graphc/Builder.h"

#include <gtest/gtest.h>

namespace testutil {

struct CompiledMLP {
  std::shared_ptr<graphc::nn::Sequential> model;
  std::unique_ptr<graphc::JitModule> jit;

  explicit CompiledMLP(const graphc::OptimizerConfig &optimizer, bool dataParallel = false,
                       int64_t microBatch = 0) {
    graphc::manualSeed(0);
    model = makeMLP();
    graphc::Graph graph = graphc::trace(*model, {{"images", {64, 784}}},
                                        [&](const std::vector<graphc::Tensor> &xs) {
                                          return std::vector<graphc::Tensor>{(*model)(xs[0])};
                                        });
    EXPECT_TRUE(mlir::succeeded(graphc::addTrainingFunctions(
        graph.module(), "forward", graphc::LossKind::NLL, optimizer, dataParallel, microBatch)));
    jit = graphc::JitModule::compile(graph.module());
  }
};

} // namespace testutil

#endif // GRAPHC_TEST_UNIT_COMPILER_COMPILEDMLP_H
