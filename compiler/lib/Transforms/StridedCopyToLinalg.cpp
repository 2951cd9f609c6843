//===- StridedCopyToLinalg.cpp - --graphc-strided-copy-to-linalg ----------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace graphc {
#define GEN_PASS_DEF_STRIDEDCOPYTOLINALG
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

bool isContiguous(Value v) {
  auto type = cast<MemRefType>(v.getType());
  return type.getLayout().isIdentity();
}

struct StridedCopyToLinalgCopy : OpRewritePattern<memref::CopyOp> {
  StridedCopyToLinalgCopy(MLIRContext *context, bool allCopies)
      : OpRewritePattern(context), allCopies(allCopies) {}
  bool allCopies;
  LogicalResult matchAndRewrite(memref::CopyOp op, PatternRewriter &rewriter) const override {
    if (!allCopies && isContiguous(op.getSource()) && isContiguous(op.getTarget()))
      return rewriter.notifyMatchFailure(op, "contiguous copies lower to llvm.memcpy");
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(), op.getTarget());
    return success();
  }
};

struct StridedCopyToLinalgPass
    : graphc::impl::StridedCopyToLinalgBase<StridedCopyToLinalgPass> {
  using StridedCopyToLinalgBase::StridedCopyToLinalgBase;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<StridedCopyToLinalgCopy>(&getContext(), allCopies);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
