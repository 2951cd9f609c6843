//===- MaskPooledGradients.cpp - --graphc-mask-pooled-gradients ------------===//
//
// A ReLU before a max pooling (LeNet's conv -> relu -> pool) has autodiff
// write, per image, the pooling gradient at the input's resolution and then
// the ReLU's mask over it:
//   select(le(x, 0), 0, max_pool2d_grad(dy, x))      x = relu(...)
// A window's gradient goes to one position, the others get zero from it
// (overlapping windows sum their shares), and that position holds exactly
// the value the forward pass took as the window's maximum m = max_pool2d(x)
// (both lowerings take over by PyTorch's rule, GraphToLinalg/Pooling.cpp).
// So the mask can be decided
// per window, on m, before the gradient is scattered:
//   max_pool2d_grad(select(le(m, 0), 0, dy), x)
// The same values land in the same places, bitwise (a comparison with one
// threshold cannot tell -0 from +0, and a NaN maximum is a NaN in both), and
// the full-resolution mask is gone: for LeNet's conv1 at batch 256, a pass
// that read x and the gradient (4.8 MB each) and wrote the masked gradient
// becomes a select over the 1.2 MB of windows, which fusion then folds into
// the pooling gradient's loop.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Dialect/Graph/ShapeRules.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace graphc {
#define GEN_PASS_DEF_MASKPOOLEDGRADIENTS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
namespace graph = graphc::graph;

namespace {

/// Whether `value` is a rank-0 constant +0.0 (the sign matters: the
/// pooling gradient's other positions are +0.0; rank 0, so that it
/// broadcasts against the windows as against the input).
bool isPositiveZero(Value value) {
  return cast<RankedTensorType>(value.getType()).getRank() == 0 &&
         matchPattern(value, m_PosZeroFloat());
}

/// The comparison of `x` against one threshold for all elements (a rank-0
/// rhs), of any predicate: the op whose result `condition` is, else null.
Operation *thresholdComparisonOf(Value condition, Value x) {
  Operation *compare = condition.getDefiningOp();
  if (!compare ||
      !isa<graph::EqOp, graph::NeOp, graph::LtOp, graph::LeOp, graph::GtOp, graph::GeOp>(compare))
    return nullptr;
  auto threshold = dyn_cast<RankedTensorType>(compare->getOperand(1).getType());
  if (compare->getOperand(0) != x || !threshold || threshold.getRank() != 0)
    return nullptr;
  return compare;
}

/// The forward pass's max_pool2d of `grad`'s input: one with `grad`'s
/// attributes and dy's type that dominates `grad`; null when there is none.
Value forwardMaxima(graph::MaxPool2DGradOp grad, DominanceInfo &dominance) {
  for (Operation *user : grad.getInput().getUsers())
    if (auto pool = dyn_cast<graph::MaxPool2DOp>(user);
        pool && pool.getKernelSize() == grad.getKernelSize() &&
        pool.getStride() == grad.getStride() && pool.getPadding() == grad.getPadding() &&
        pool.getType() == grad.getGradOutput().getType() &&
        dominance.properlyDominates(pool.getOperation(), grad.getOperation()))
      return pool.getResult();
  return nullptr;
}

/// Whether a new max_pool2d of `grad`'s input, by the op's shape rule, has
/// dy's type: checked before anything is created.
bool newMaximaHaveDyType(graph::MaxPool2DGradOp grad) {
  auto input = cast<RankedTensorType>(grad.getInput().getType());
  auto dy = cast<RankedTensorType>(grad.getGradOutput().getType());
  std::string why;
  FailureOr<graph::Shape> shape = graph::pool2dShape(input.getShape(), grad.getKernelSize(),
                                                     grad.getStride(), grad.getPadding(), why);
  return succeeded(shape) && ArrayRef<int64_t>(*shape) == dy.getShape() &&
         input.getElementType() == dy.getElementType();
}

/// select(cmp(x, t), 0, max_pool2d_grad(dy, x)) (or the zero second) becomes
/// max_pool2d_grad(select(cmp(m, t), 0, dy), x), m the window maxima, when
/// the pooling gradient has no other use.
struct MaskBeforeScatter : OpRewritePattern<graph::SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(graph::SelectOp select, PatternRewriter &rewriter) const override {
    bool zeroWhenTrue = isPositiveZero(select.getTrueValue());
    Value gradient = zeroWhenTrue ? select.getFalseValue() : select.getTrueValue();
    if (!zeroWhenTrue && !isPositiveZero(select.getFalseValue()))
      return failure();
    auto grad = gradient.getDefiningOp<graph::MaxPool2DGradOp>();
    if (!grad || !grad->hasOneUse() || select.getType() != grad.getType())
      return failure();
    Operation *compare = thresholdComparisonOf(select.getCondition(), grad.getInput());
    if (!compare)
      return failure();
    // The new mask goes before the pooling gradient: its threshold must be
    // defined there already.
    DominanceInfo dominance(grad->getParentOp());
    if (!dominance.properlyDominates(compare->getOperand(1), grad))
      return rewriter.notifyMatchFailure(select, "the threshold is defined after the gradient");
    Value maxima = forwardMaxima(grad, dominance);
    if (!maxima && !newMaximaHaveDyType(grad))
      return rewriter.notifyMatchFailure(select, "the window maxima would not have dy's type");

    rewriter.setInsertionPoint(grad);
    if (!maxima)
      maxima = rewriter.create<graph::MaxPool2DOp>(grad.getLoc(), grad.getInput(),
                                                   grad.getKernelSizeAttr(), grad.getStrideAttr(),
                                                   grad.getPaddingAttr());
    IRMapping onMaxima;
    onMaxima.map(grad.getInput(), maxima);
    Operation *windowCompare = rewriter.clone(*compare, onMaxima);
    auto maximaType = cast<RankedTensorType>(maxima.getType());
    windowCompare->getResult(0).setType(
        RankedTensorType::get(maximaType.getShape(), rewriter.getI1Type()));
    // A copy of the zero constant, which may be defined after the gradient.
    Value zero =
        rewriter
            .clone(*(zeroWhenTrue ? select.getTrueValue() : select.getFalseValue()).getDefiningOp())
            ->getResult(0);
    Value dy = grad.getGradOutput();
    Value maskedDy =
        rewriter.create<graph::SelectOp>(select.getLoc(), dy.getType(), windowCompare->getResult(0),
                                         zeroWhenTrue ? zero : dy, zeroWhenTrue ? dy : zero);
    rewriter.replaceOpWithNewOp<graph::MaxPool2DGradOp>(
        select, grad.getType(), maskedDy, grad.getInput(), grad.getKernelSizeAttr(),
        grad.getStrideAttr(), grad.getPaddingAttr());
    rewriter.eraseOp(grad);
    return success();
  }
};

struct MaskPooledGradientsPass : graphc::impl::MaskPooledGradientsBase<MaskPooledGradientsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MaskBeforeScatter>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
