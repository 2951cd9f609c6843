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

    // Then each output combined with its partials, in order, by nests that
    // read at most `maxCombine` partials per thread. More would be a few
    // hundred threads each walking a long row, bound by one load's latency
    // after another (LeNet's conv1 weight gradient: 150 threads over 896
    // partials took 90 of a 520 us training step on an H200), so they are
    // combined in levels first: the partials seen as (outputs, groups,
    // members of a group), each group combined by a thread of its own.
    unsigned rank = outputType.getRank(), splits = splitDims.size();
    bool outFirst = combiner->getOperand(0) == outElement;
    auto combineBody = [&](OpBuilder &b, Location l, ValueRange arguments) {
      IRMapping mapping;
      mapping.map(combiner->getOperand(outFirst ? 0 : 1), arguments[1]);
      mapping.map(combiner->getOperand(outFirst ? 1 : 0), arguments[0]);
      Operation *combined = b.clone(*combiner, mapping);
      b.create<linalg::YieldOp>(l, combined->getResults());
    };
    // A nest over `source`'s dimensions reducing its last `reduced` into
    // `destination` (indexed by the others).
    auto combine = [&](Value source, Value destination, unsigned reduced) {
      unsigned sourceRank = cast<MemRefType>(source.getType()).getRank();
      SmallVector<AffineExpr> kept;
      for (unsigned i = 0; i < sourceRank - reduced; ++i)
        kept.push_back(getAffineDimExpr(i, ctx));
      SmallVector<AffineMap> combineMaps{AffineMap::getMultiDimIdentityMap(sourceRank, ctx),
                                         AffineMap::get(sourceRank, 0, kept, ctx)};
      SmallVector<utils::IteratorType> combineIterators(sourceRank - reduced,
                                                        utils::IteratorType::parallel);
      combineIterators.append(reduced, utils::IteratorType::reduction);
      rewriter.create<linalg::GenericOp>(loc, TypeRange{}, ValueRange{source},
                                         ValueRange{destination}, combineMaps, combineIterators,
                                         combineBody);
    };
    int64_t count = 1;
    for (unsigned d : splitDims)
      count *= sizes[d];
    SmallVector<Value> temporaries{partials};
    Value pending = partials;
    unsigned pendingReduced = splits;
    auto groupSize = [&](int64_t n) {
      // Where one level suffices, the divisor that balances the two nests'
      // serial lengths (896: 32 groups of 28), else the largest divisor a
      // thread reads (more levels follow). None at least an eighth of
      // max-combine is not worth a level: a prime count stays serial.
      int64_t balanced = 0, largest = 0;
      for (int64_t d = 2; d <= std::min<int64_t>(maxCombine, n / 2); ++d) {
        if (n % d != 0)
          continue;
        largest = d;
        if (n / d <= maxCombine && (balanced == 0 || d + n / d < balanced + n / balanced))
          balanced = d;
      }
      if (largest < std::max<int64_t>(2, maxCombine / 8))
        return int64_t(0);
      return balanced ? balanced : largest;
    };
    if (count > maxCombine && groupSize(count) != 0 && splits > 1) {
      // One dimension of partials: the split dimensions are contiguous and last.
      SmallVector<ReassociationIndices> reassociation;
      for (unsigned i = 0; i < rank; ++i)
        reassociation.push_back({static_cast<int64_t>(i)});
      ReassociationIndices last;
      for (unsigned i = 0; i < splits; ++i)
        last.push_back(rank + i);
      reassociation.push_back(last);
      pending = rewriter.create<memref::CollapseShapeOp>(loc, pending, reassociation);
      pendingReduced = 1;
    }
    while (count > maxCombine) {
      int64_t members = groupSize(count);
      if (members == 0)
        break;
      int64_t groups = count / members;
      SmallVector<int64_t> groupedShape(outputType.getShape());
      groupedShape.append({groups, members});
      SmallVector<ReassociationIndices> reassociation;
      for (unsigned i = 0; i < rank; ++i)
        reassociation.push_back({static_cast<int64_t>(i)});
      reassociation.push_back({static_cast<int64_t>(rank), static_cast<int64_t>(rank + 1)});
      Value grouped = rewriter.create<memref::ExpandShapeOp>(
          loc, MemRefType::get(groupedShape, element), pending, reassociation);
      SmallVector<int64_t> nextShape(outputType.getShape());
      nextShape.push_back(groups);
      Value next = rewriter.create<memref::AllocOp>(loc, MemRefType::get(nextShape, element));
      rewriter.create<linalg::FillOp>(loc, identity, next);
      combine(grouped, next, 1);
      temporaries.push_back(next);
      pending = next;
      pendingReduced = 1;
      count = groups;
    }
    combine(pending, output, pendingReduced);
    for (Value temporary : temporaries)
      rewriter.create<memref::DeallocOp>(loc, temporary);
    rewriter.eraseOp(generic);
  }
};

} // namespace
