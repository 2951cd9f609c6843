//===- SplitReductions.cpp - --graphc-split-reductions --------------------===//
//
// On the GPU each output element of a loop nest is one thread, which runs
// the nest's reduction loops alone. A convolution's weight gradient has a
// few hundred outputs, each a sum over the batch and the whole image (50,000
// terms for LeNet's first layer): a few hundred threads doing all the work.
// This pass cuts such a reduction in two nests: the first computes partial
// results with some static reduction dimensions turned parallel (one partial
// per output and position along them), the second combines the partials in
// order into the output. Both are ordinary loop nests, so the mapping,
// outlining and the CPU emulation of the kernels take them as they are, and
// the result does not depend on how threads are scheduled (no atomics): the
// same bits every run.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace graphc {
#define GEN_PASS_DEF_SPLITREDUCTIONS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// The reduction's combiner as an arith::AtomicRMWKind (which names its
/// identity value), when the op is one.
std::optional<arith::AtomicRMWKind> combinerKind(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<arith::AtomicRMWKind>>(op)
      .Case([](arith::AddFOp) { return arith::AtomicRMWKind::addf; })
      .Case([](arith::AddIOp) { return arith::AtomicRMWKind::addi; })
      .Case([](arith::MulFOp) { return arith::AtomicRMWKind::mulf; })
      .Case([](arith::MaximumFOp) { return arith::AtomicRMWKind::maximumf; })
      .Case([](arith::MinimumFOp) { return arith::AtomicRMWKind::minimumf; })
      .Case([](arith::MaxNumFOp) { return arith::AtomicRMWKind::maxnumf; })
      .Case([](arith::MinNumFOp) { return arith::AtomicRMWKind::minnumf; })
      .Case([](arith::MaxSIOp) { return arith::AtomicRMWKind::maxs; })
      .Case([](arith::MinSIOp) { return arith::AtomicRMWKind::mins; })
      .Default([](Operation *) { return std::nullopt; });
}

struct SplitReductionsPass : graphc::impl::SplitReductionsBase<SplitReductionsPass> {
  using SplitReductionsBase::SplitReductionsBase;

  /// A dynamic size counts as this many (a batch): what decides is whether
  /// the static sizes alone leave the GPU idle.
  static constexpr int64_t kDynamicSizeGuess = 32;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureBufferSemantics() && op.getNumReductionLoops() > 0 &&
          op.getNumDpsInits() == 1)
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates)
      split(rewriter, op);
  }

  void split(IRRewriter &rewriter, linalg::LinalgOp op) {
    SmallVector<int64_t> sizes = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    auto estimate = [](int64_t size) { return ShapedType::isDynamic(size) ? kDynamicSizeGuess : size; };
    int64_t threads = 1, work = 1;
    for (auto [size, iterator] : llvm::zip(sizes, iterators))
      (linalg::isParallelIterator(iterator) ? threads : work) *= estimate(size);
    if (threads >= minThreads || work < minWork)
      return;
    // The output must be indexed by parallel dimensions only, each once.
    OpOperand *init = op.getDpsInitOperand(0);
    AffineMap outputMap = op.getMatchingIndexingMap(init);
    if (!outputMap.isProjectedPermutation())
      return;
    // Static reduction dimensions, largest first, until there are threads enough.
    SmallVector<unsigned> reductionDims;
    for (unsigned d = 0; d < sizes.size(); ++d)
      if (!linalg::isParallelIterator(iterators[d]) && !ShapedType::isDynamic(sizes[d]) &&
          sizes[d] >= 2)
        reductionDims.push_back(d);
    llvm::stable_sort(reductionDims, [&](unsigned a, unsigned b) { return sizes[a] > sizes[b]; });
    SmallVector<unsigned> splitDims;
    for (unsigned d : reductionDims) {
      if (threads >= minThreads)
        break;
      splitDims.push_back(d);
      threads *= sizes[d];
    }
    if (splitDims.empty())
      return;
    llvm::sort(splitDims);

    // A dynamic output's partials would be sized by memref.dim values that
    // arena planning does not know as the batch: they would stay a host
    // allocation. Static outputs only (weight and bias gradients are).
    if (!cast<MemRefType>(init->get().getType()).hasStaticShape())
      return;
    rewriter.setInsertionPoint(op);
    linalg::GenericOp generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic) {
      FailureOr<linalg::GenericOp> generalized = linalg::generalizeNamedOp(rewriter, op);
      if (failed(generalized))
        return;
      generic = *generalized;
    }
    // The named op is gone: build beside its generic form.
    rewriter.setInsertionPoint(generic);
    // out = combine(out, value), with value computed without out.
    Block &body = generic.getRegion().front();
    BlockArgument outElement = body.getArgument(generic.getNumDpsInputs());
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    Operation *combiner = yield.getOperand(0).getDefiningOp();
    std::optional<arith::AtomicRMWKind> kind = combiner ? combinerKind(combiner) : std::nullopt;
    if (!kind || !outElement.hasOneUse() || combiner->getNumOperands() != 2 ||
        (combiner->getOperand(0) != outElement && combiner->getOperand(1) != outElement))
      return;

    Location loc = generic.getLoc();
    Value output = generic.getDpsInitOperand(0)->get();
    auto outputType = cast<MemRefType>(output.getType());
    Type element = outputType.getElementType();
    // partials: the output's dimensions, then one per split dimension.
    SmallVector<int64_t> partialShape(outputType.getShape());
    for (unsigned d : splitDims)
      partialShape.push_back(sizes[d]);
    auto partialType = MemRefType::get(partialShape, element);
    Value partials = rewriter.create<memref::AllocOp>(loc, partialType);
    Value identity = arith::getIdentityValue(*kind, element, rewriter, loc);
    rewriter.create<linalg::FillOp>(loc, identity, partials);

    // The first nest: the split dimensions parallel, into the partials.
    MLIRContext *ctx = &getContext();
    SmallVector<AffineExpr> partialResults(outputMap.getResults());
    for (unsigned d : splitDims)
      partialResults.push_back(getAffineDimExpr(d, ctx));
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    maps.back() = AffineMap::get(outputMap.getNumDims(), 0, partialResults, ctx);
    SmallVector<utils::IteratorType> partialIterators = iterators;
    for (unsigned d : splitDims)
      partialIterators[d] = utils::IteratorType::parallel;
    auto partial = rewriter.create<linalg::GenericOp>(loc, TypeRange{}, generic.getDpsInputs(),
                                                      ValueRange{partials}, maps, partialIterators);
    rewriter.cloneRegionBefore(generic.getRegion(), partial.getRegion(),
                               partial.getRegion().end());

    // The second: each output combined with its partials, in order.
    unsigned rank = outputType.getRank(), splits = splitDims.size();
    SmallVector<AffineExpr> outputDims;
    for (unsigned i = 0; i < rank; ++i)
      outputDims.push_back(getAffineDimExpr(i, ctx));
    SmallVector<AffineMap> combineMaps{AffineMap::getMultiDimIdentityMap(rank + splits, ctx),
                                       AffineMap::get(rank + splits, 0, outputDims, ctx)};
    SmallVector<utils::IteratorType> combineIterators(rank, utils::IteratorType::parallel);
    combineIterators.append(splits, utils::IteratorType::reduction);
    bool outFirst = combiner->getOperand(0) == outElement;
    rewriter.create<linalg::GenericOp>(
        loc, TypeRange{}, ValueRange{partials}, ValueRange{output}, combineMaps, combineIterators,
        [&](OpBuilder &b, Location l, ValueRange arguments) {
          IRMapping mapping;
          mapping.map(combiner->getOperand(outFirst ? 0 : 1), arguments[1]);
          mapping.map(combiner->getOperand(outFirst ? 1 : 0), arguments[0]);
          Operation *combined = b.clone(*combiner, mapping);
          b.create<linalg::YieldOp>(l, combined->getResults());
        });
    rewriter.create<memref::DeallocOp>(loc, partials);
    rewriter.eraseOp(generic);
  }
};

} // namespace
