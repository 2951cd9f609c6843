//===- GraphToLinalgPass.cpp - --graphc-convert-graph-to-linalg -----------===//
//
// Gathers the per-family patterns and runs a partial conversion with the
// graph dialect illegal, so that an op without a lowering fails the pass
// with an error naming it instead of slipping through.
//
// Each graph op's location is first wrapped in a name, `graph.relu %7`: the op
// and its result as `--emit=graph` prints it. The ops a lowering creates take
// that location, and graphc-fuse-elementwise fuses the locations of what it
// fuses, so that every loop nest down to the LLVM dialect says which graph ops
// it computes (`graphc --emit=fusion-report`).
//
//===----------------------------------------------------------------------===//

#include "graphc/Conversion/GraphToLinalg/GraphToLinalg.h"
#include "graphc/Conversion/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/Support/FormatVariadic.h"

namespace graphc {
#define GEN_PASS_DEF_CONVERTGRAPHTOLINALG
#include "graphc/Conversion/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// Names each graph op's location after the op and its first result's SSA
/// number in the printed function (results are numbered in order, from %0;
/// graph ops print no result names of their own).
void nameGraphOpLocations(func::FuncOp func) {
  if (func.isExternal())
    return;
  MLIRContext *ctx = func.getContext();
  unsigned resultNumber = 0;
  func.walk([&](Operation *op) {
    if (op == func.getOperation())
      return;
    if (isa<graphc::graph::GraphDialect>(op->getDialect()) && op->getNumResults() > 0) {
      std::string name =
          llvm::formatv("{0} %{1}", op->getName().getStringRef(), resultNumber).str();
      op->setLoc(NameLoc::get(StringAttr::get(ctx, name), op->getLoc()));
    }
    resultNumber += op->getNumResults();
  });
}

struct ConvertGraphToLinalgPass
    : graphc::impl::ConvertGraphToLinalgBase<ConvertGraphToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    getOperation()->walk(nameGraphOpLocations);
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
    graphc::populateGraphToLinalgRandomPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
