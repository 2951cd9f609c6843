//===- ApplyEpiloguesBeforeCrop.cpp - --graphc-apply-epilogues-before-crop -===//
//
// The lowering computes a stride-1 convolution over flattened image rows
// (GraphToLinalg/Linear.cpp): Y[n, f, oh*W + ow] for every column ow < W of
// the input's rows, then crops the OW valid columns out of the expanded
// result (tensor.expand_shape, then an extract_slice at offset 0). Its
// epilogue, the bias add and activation that graphc-fuse-elementwise merged
// into one generic, reads the cropped view, so graphc-tile-convolutions
// cannot compute it in the convolution's register tiles, which are tiles of
// the flat result.
//
// This pass applies such an epilogue to the flat result instead, and crops
// its result: the same values at the valid columns, and values past them
// that nothing reads. It applies when the epilogue reads the crop (of the
// columns only) through the identity map, its other inputs vary only along
// the image and channel dims (a bias: no spatial dim), its body reads no
// loop index, and its results start from tensor.empty, and not to a
// convolution graphc-band-convolution-rows computes in bands. Operands' unit dims read at index 0
// (a bias reshaped to [F, 1, 1]) are collapsed, so that every map of the new generic is a projected
// permutation, which tiling and vectorization take. The arithmetic of each valid element is
// unchanged.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "FlatConvolutions.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

#include "llvm/ADT/SetVector.h"

namespace graphc {
#define GEN_PASS_DEF_APPLYEPILOGUESBEFORECROP
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// The crop of a flat convolution's result that `value` is: an extract_slice
/// at offset 0 with unit strides of a tensor.expand_shape of the
/// convolution's result, each the only user of the one before; or the
/// expand_shape alone, when the rows have no garbage columns
/// (graphc-unfold-window-columns).
struct Crop {
  linalg::GenericOp convolution;
  tensor::ExpandShapeOp expand;
  /// Null when nothing is cropped.
  tensor::ExtractSliceOp slice;
  /// The expansion's sizes [N, F, OH, W].
  SmallVector<OpFoldResult> rowSizes;
};

std::optional<Crop> cropOf(Value value) {
  auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
  if (slice && (!slice->hasOneUse() || !slice.hasZeroOffset() || !slice.hasUnitStride() ||
                slice.getSourceType().getRank() != slice.getResultType().getRank()))
    return std::nullopt;
  auto expand = slice ? slice.getSource().getDefiningOp<tensor::ExpandShapeOp>()
                      : value.getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || !expand->hasOneUse())
    return std::nullopt;
  auto convolution = expand.getSrc().getDefiningOp<linalg::GenericOp>();
  // Not one computed in bands: its tiles would not compute the epilogue,
  // which would then run over the flat rows' extra columns too.
  if (!convolution || !convolution->hasOneUse() ||
      !graphc::flat_convolutions::isFlatConvolution(convolution) ||
      graphc::flat_convolutions::isComputedInBands(convolution))
    return std::nullopt;
  // Only the columns are cropped: the image, channel and row sizes are the
  // expansion's.
  Builder builder(expand.getContext());
  SmallVector<OpFoldResult> rowSizes =
      getMixedValues(expand.getStaticOutputShape(), expand.getOutputShape(), builder);
  SmallVector<OpFoldResult> cropSizes = slice ? slice.getMixedSizes() : rowSizes;
  if (cropSizes.size() != 4 || rowSizes.size() != 4 ||
      !llvm::all_of(llvm::seq<unsigned>(0, 3), [&](unsigned dim) {
        return isEqualConstantIntOrValue(cropSizes[dim], rowSizes[dim]);
      }))
    return std::nullopt;
  return Crop{convolution, expand, slice, rowSizes};
}

/// How an operand read through a map is read without the unit dims the map
/// reads at constant 0 (a bias reshaped to [F, 1, 1]).
struct UnitDimsDropped {
  /// The map without those results.
  AffineMap map;
  /// The collapse of the operand to the remaining dims; none when there is
  /// no such dim.
  std::optional<SmallVector<ReassociationIndices>> collapse;
};

/// `map`'s reads of `type` without their unit dims read at 0; none when
/// `map` reads a dim at another constant or a dim that is not 1.
std::optional<UnitDimsDropped> withoutUnitReads(RankedTensorType type, AffineMap map) {
  SmallVector<AffineExpr> kept;
  SmallVector<int64_t> keptShape;
  for (auto [dim, expr] : llvm::enumerate(map.getResults())) {
    if (auto constant = dyn_cast<AffineConstantExpr>(expr)) {
      if (constant.getValue() != 0 || type.getDimSize(dim) != 1)
        return std::nullopt;
      continue;
    }
    kept.push_back(expr);
    keptShape.push_back(type.getDimSize(dim));
  }
  UnitDimsDropped dropped{AffineMap::get(map.getNumDims(), 0, kept, map.getContext()),
                          std::nullopt};
  if (keptShape.size() != static_cast<size_t>(type.getRank())) {
    dropped.collapse = getReassociationIndicesForCollapse(type.getShape(), keptShape);
    if (!dropped.collapse)
      return std::nullopt;
  }
  return dropped;
}

/// Applies `epilogue`, which reads the crop of a flat convolution, to the
/// flat result instead, and replaces its results by crops of the new ones.
LogicalResult applyBeforeCrop(RewriterBase &rewriter, linalg::GenericOp epilogue) {
  // Its body moves from loops (n, f, oh, ow) to (n, f, p): a linalg.index
  // of the rows or columns would change meaning.
  if (epilogue.getNumLoops() != epilogue.getNumParallelLoops() ||
      !epilogue.hasPureTensorSemantics() || epilogue.hasIndexSemantics())
    return failure();
  OpOperand *cropped = nullptr;
  std::optional<Crop> crop;
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    std::optional<Crop> found = cropOf(input->get());
    if (found && epilogue.getMatchingIndexingMap(input).isIdentity()) {
      cropped = input;
      crop = found;
      break;
    }
  }
  if (!cropped)
    return failure();
  // The expansion splits only the flat positions: [N, F, P] to
  // [N, F, OH, W], the cropped dims OH and OW being the expansion's last two.
  SmallVector<ReassociationIndices> expansion = crop->expand.getReassociationIndices();
  auto flatType = cast<RankedTensorType>(crop->convolution->getResult(0).getType());
  if (flatType.getRank() != 3 || expansion.size() != 3 || expansion[0].size() != 1 ||
      expansion[1].size() != 1 || expansion[2].size() != 2)
    return failure();
  const unsigned firstSpatialDim = 2;
  // The channels and flat positions are static (the lowering's are).
  if (flatType.isDynamicDim(1) || flatType.isDynamicDim(2))
    return failure();

  // Other inputs read along the image and channel dims only (the flat
  // generic's dims 0 and 1 are the epilogue's); results start empty.
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    if (input == cropped)
      continue;
    AffineMap map = epilogue.getMatchingIndexingMap(input);
    if (llvm::any_of(llvm::seq<unsigned>(firstSpatialDim, map.getNumDims()),
                     [&](unsigned dim) { return map.isFunctionOfDim(dim); }) ||
        !withoutUnitReads(cast<RankedTensorType>(input->get().getType()), map))
      return failure();
  }
  for (OpOperand &init : epilogue.getDpsInitsMutable())
    if (!init.get().getDefiningOp<tensor::EmptyOp>() ||
        !epilogue.getMatchingIndexingMap(&init).isIdentity())
      return failure();

  Location loc = epilogue.getLoc();
  MLIRContext *ctx = epilogue.getContext();
  rewriter.setInsertionPoint(epilogue);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    if (input == cropped) {
      inputs.push_back(crop->convolution->getResult(0));
      maps.push_back(AffineMap::getMultiDimIdentityMap(3, ctx));
      continue;
    }
    AffineMap map = epilogue.getMatchingIndexingMap(input);
    Value operand = input->get();
    UnitDimsDropped read = *withoutUnitReads(cast<RankedTensorType>(operand.getType()), map);
    if (read.collapse)
      operand = rewriter.create<tensor::CollapseShapeOp>(loc, operand, *read.collapse);
    // The same reads, over (n, f, p).
    SmallVector<AffineExpr> replacements = {getAffineDimExpr(0, ctx), getAffineDimExpr(1, ctx)};
    for (unsigned dim = firstSpatialDim; dim < map.getNumDims(); ++dim)
      replacements.push_back(getAffineConstantExpr(0, ctx));
    inputs.push_back(operand);
    maps.push_back(read.map.replaceDimsAndSymbols(replacements, {}, 3, 0));
  }
  SmallVector<Value> inits;
  SmallVector<Type> resultTypes;
  for (OpOperand &init : epilogue.getDpsInitsMutable()) {
    auto type = RankedTensorType::get(flatType.getShape(),
                                      cast<ShapedType>(init.get().getType()).getElementType());
    // The batch size is the cropped result's (a new tensor.dim of the
    // convolution would be a second user, which its tiling refuses).
    SmallVector<OpFoldResult> sizes = {
        init.get().getDefiningOp<tensor::EmptyOp>().getMixedSizes().front(),
        rewriter.getIndexAttr(flatType.getDimSize(1)),
        rewriter.getIndexAttr(flatType.getDimSize(2))};
    inits.push_back(rewriter.create<tensor::EmptyOp>(loc, sizes, type.getElementType()));
    resultTypes.push_back(type);
    maps.push_back(AffineMap::getMultiDimIdentityMap(3, ctx));
  }
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  auto flat = rewriter.create<linalg::GenericOp>(loc, resultTypes, inputs, inits, maps, iterators);
  rewriter.inlineRegionBefore(epilogue.getRegion(), flat.getRegion(), flat.getRegion().begin());
  // Each result cropped as the convolution's was.
  SmallVector<Value> crops;
  for (Value result : flat->getResults()) {
    auto expandedType = RankedTensorType::get(crop->expand.getResultType().getShape(),
                                              cast<ShapedType>(result.getType()).getElementType());
    Value expanded = rewriter.create<tensor::ExpandShapeOp>(loc, expandedType, result, expansion,
                                                            crop->rowSizes);
    crops.push_back(crop->slice ? rewriter.create<tensor::ExtractSliceOp>(
                                      loc, expanded, crop->slice.getMixedOffsets(),
                                      crop->slice.getMixedSizes(), crop->slice.getMixedStrides())
                                : expanded);
  }
  llvm::SetVector<Operation *> oldInits;
  for (Value init : epilogue.getDpsInits())
    oldInits.insert(init.getDefiningOp());
  rewriter.replaceOp(epilogue, crops);
  if (crop->slice)
    rewriter.eraseOp(crop->slice);
  rewriter.eraseOp(crop->expand);
  for (Operation *init : oldInits)
    if (init->use_empty())
      rewriter.eraseOp(init);
  return success();
}

struct ApplyEpiloguesBeforeCropPass
    : graphc::impl::ApplyEpiloguesBeforeCropBase<ApplyEpiloguesBeforeCropPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // The post-order walk may erase the visited op and ops before it, which
    // is all the rewrite erases.
    getOperation().walk(
        [&](linalg::GenericOp generic) { (void)applyBeforeCrop(rewriter, generic); });
  }
};

} // namespace
