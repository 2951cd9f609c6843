//===- FlatConvolutions.cpp - the lowering's flat convolution forms --------===//

#include "FlatConvolutions.h"

#include "graphc/Transforms/Epilogues.h"

using namespace mlir;

namespace graphc::flat_convolutions {
namespace {

using utils::IteratorType;

bool hasIterators(linalg::GenericOp generic, ArrayRef<IteratorType> expected) {
  return generic.getNumDpsInputs() == 2 && generic.getNumDpsInits() == 1 &&
         generic.getIteratorTypesArray() == SmallVector<IteratorType>(expected) &&
         isMultiplyAccumulate(generic);
}

/// The W of a flat window offset p + kh*W + kw (W a constant) for loops kh,
/// kw, p; none when `offset` is not one.
std::optional<int64_t> windowOffsetWidth(AffineExpr offset, unsigned kh, unsigned kw, unsigned p) {
  MLIRContext *ctx = offset.getContext();
  // The three terms of the sum, in any order.
  SmallVector<AffineExpr> terms;
  std::function<void(AffineExpr)> collect = [&](AffineExpr e) {
    auto add = dyn_cast<AffineBinaryOpExpr>(e);
    if (add && add.getKind() == AffineExprKind::Add) {
      collect(add.getLHS());
      collect(add.getRHS());
    } else {
      terms.push_back(e);
    }
  };
  collect(offset);
  if (terms.size() != 3)
    return std::nullopt;
  bool hasP = false, hasKw = false;
  std::optional<int64_t> width;
  for (AffineExpr term : terms) {
    if (term == getAffineDimExpr(p, ctx))
      hasP = true;
    else if (term == getAffineDimExpr(kw, ctx))
      hasKw = true;
    else if (auto mul = dyn_cast<AffineBinaryOpExpr>(term);
             mul && mul.getKind() == AffineExprKind::Mul &&
             mul.getLHS() == getAffineDimExpr(kh, ctx) && isa<AffineConstantExpr>(mul.getRHS()))
      width = cast<AffineConstantExpr>(mul.getRHS()).getValue();
  }
  if (!hasP || !hasKw)
    return std::nullopt;
  return width;
}

/// Whether `image` reads X[n, c, p + kh*W + kw] (loop positions kh, kw, p).
bool readsWindow(AffineMap image, AffineExpr n, AffineExpr c, unsigned kh, unsigned kw,
                 unsigned p) {
  return image.getNumResults() == 3 && image.getResult(0) == n && image.getResult(1) == c &&
         windowOffsetWidth(image.getResult(2), kh, kw, p).has_value();
}

} // namespace

bool isFlatConvolution(linalg::GenericOp generic) {
  using enum IteratorType;
  if (!hasIterators(generic, {parallel, parallel, reduction, reduction, reduction, parallel}))
    return false;
  MLIRContext *ctx = generic.getContext();
  AffineExpr n, f, c, kh, kw, p;
  bindDims(ctx, n, f, c, kh, kw, p);
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  return readsWindow(maps[0], n, c, 3, 4, 5) &&
         maps[1] == AffineMap::get(6, 0, {f, c, kh, kw}, ctx) &&
         maps[2] == AffineMap::get(6, 0, {n, f, p}, ctx);
}

bool isFlatWeightGradient(linalg::GenericOp generic) {
  using enum IteratorType;
  if (!hasIterators(generic, {parallel, parallel, parallel, parallel, reduction, parallel}))
    return false;
  MLIRContext *ctx = generic.getContext();
  AffineExpr o, c, kh, kw, n, p;
  bindDims(ctx, o, c, kh, kw, n, p);
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  return maps[0] == AffineMap::get(6, 0, {n, o, p}, ctx) && readsWindow(maps[1], n, c, 2, 3, 5) &&
         maps[2] == AffineMap::get(6, 0, {o, c, kh, kw, p}, ctx);
}

bool isFlatLaneWeightGradient(linalg::GenericOp generic) {
  using enum IteratorType;
  if (!hasIterators(generic,
                    {parallel, parallel, parallel, parallel, reduction, reduction, parallel}))
    return false;
  int64_t lanes = generic.getStaticLoopRanges()[6];
  if (ShapedType::isDynamic(lanes))
    return false;
  MLIRContext *ctx = generic.getContext();
  AffineExpr o, c, kh, kw, n, block, lane;
  bindDims(ctx, o, c, kh, kw, n, block, lane);
  AffineExpr position = block * lanes + lane;
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(7, 0, {n, o, block, lane}, ctx) ||
      maps[2] != AffineMap::get(7, 0, {o, c, kh, kw, lane}, ctx) ||
      maps[1].getNumResults() != 3 || maps[1].getResult(0) != n || maps[1].getResult(1) != c)
    return false;
  // What is left of the window offset once the position and kw are taken
  // out: kh * W.
  AffineExpr rest = simplifyAffineExpr(maps[1].getResult(2) - position - kw, 7, 0);
  auto mul = dyn_cast<AffineBinaryOpExpr>(rest);
  return mul && mul.getKind() == AffineExprKind::Mul && mul.getLHS() == kh &&
         isa<AffineConstantExpr>(mul.getRHS());
}

std::optional<int64_t> windowRowWidth(linalg::GenericOp flatConvolution) {
  if (!isFlatConvolution(flatConvolution))
    return std::nullopt;
  return windowOffsetWidth(flatConvolution.getIndexingMapsArray()[0].getResult(2), 3, 4, 5);
}

} // namespace graphc::flat_convolutions
