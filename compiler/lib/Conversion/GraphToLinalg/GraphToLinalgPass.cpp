//===- GraphToLinalgPass.cpp - --graphc-convert-graph-to-linalg -----------===//
//
// Gathers the per-family patterns and runs a partial conversion with the
// graph dialect illegal, so that an op without a lowering fails the pass
// with an error naming it instead of slipping through.
//
//===----------------------------------------------------------------------===//

#include "graphc/Conversion/GraphToLinalg/GraphToLinalg.h"
#include "graphc/Conversion/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace graphc {
#define GEN_PASS_DEF_CONVERTGRAPHTOLINALG
#include "graphc/Conversion/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

struct ConvertGraphToLinalgPass
    : graphc::impl::ConvertGraphToLinalgBase<ConvertGraphToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<graphc::graph::GraphDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect, math::MathDialect,
                           tensor::TensorDialect, func::FuncDialect>();
    target.addLegalOp<ModuleOp>();

    RewritePatternSet patterns(ctx);
    graphc::populateGraphToLinalgElementwisePatterns(patterns);
    graphc::populateGraphToLinalgLinearPatterns(patterns);
    graphc::populateGraphToLinalgPoolingPatterns(patterns);
    graphc::populateGraphToLinalgReductionPatterns(patterns);
    graphc::populateGraphToLinalgDataMovementPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
