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

/// `type`'s dimension `position` seen as (outer, inner): the expanded shape
/// and the reassociation that memref.expand_shape takes.
std::pair<SmallVector<int64_t>, SmallVector<ReassociationIndices>>
splitDimension(MemRefType type, int64_t position, int64_t outer, int64_t inner) {
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    ReassociationIndices group{static_cast<int64_t>(shape.size())};
    if (i == position) {
      group.push_back(shape.size() + 1);
      shape.append({outer, inner});
    } else {
      shape.push_back(type.getDimSize(i));
    }
    reassociation.push_back(group);
  }
  return {shape, reassociation};
}

/// The body of a nest that folds a partial (its input) into the output with
/// `combiner`, in the original op's operand order (out first or not).
auto combineBody(Operation *combiner, bool outFirst) {
  return [combiner, outFirst](OpBuilder &b, Location loc, ValueRange arguments) {
    IRMapping mapping;
    mapping.map(combiner->getOperand(outFirst ? 0 : 1), arguments[1]);
    mapping.map(combiner->getOperand(outFirst ? 1 : 0), arguments[0]);
    b.create<linalg::YieldOp>(loc, b.clone(*combiner, mapping)->getResults());
  };
}

struct SplitReductionsPass : graphc::impl::SplitReductionsBase<SplitReductionsPass> {
  using SplitReductionsBase::SplitReductionsBase;

  /// A dynamic size counts as this many (a batch): what decides is whether
  /// the static sizes alone leave the GPU idle.
  static constexpr int64_t kDynamicSizeGuess = 32;
  /// A whole dimension made parallel may give at most this many times
  /// min-threads threads; a longer one is factored.
  static constexpr int64_t kOvershoot = 4;
  /// The shortest loop a factored dimension leaves each thread.
  static constexpr int64_t kMinInner = 8;

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

  /// Where `input` reads loop `dim` (of static `size`): nullopt when it does
  /// not read it at all, the position of the one result that is exactly
  /// that loop when it can be viewed as (outer, inner), else failure (an
  /// expression such as a convolution's h + kh, or a layout that cannot
  /// be expanded).
  static FailureOr<std::optional<int64_t>> factorPosition(linalg::LinalgOp op, OpOperand *input,
                                                         unsigned dim, int64_t size) {
    AffineMap map = op.getMatchingIndexingMap(input);
    auto type = dyn_cast<MemRefType>(input->get().getType());
    if (!type)
      return failure();
    std::optional<int64_t> position;
    for (auto [i, result] : llvm::enumerate(map.getResults())) {
      if (!result.isFunctionOfDim(dim))
        continue;
      auto plain = dyn_cast<AffineDimExpr>(result);
      if (!plain || position || type.getDimSize(i) != size)
        return failure();
      position = i;
    }
    if (!position)
      return std::optional<int64_t>();
    // Any factoring: whether the layout can be expanded does not depend on it.
    auto [shape, reassociation] = splitDimension(type, *position, 2, size / 2);
    if (failed(memref::ExpandShapeOp::computeExpandedType(type, shape, reassociation)))
      return failure();
    return position;
  }

  /// The sizes a buffer like `output` is allocated with: none for a static
  /// one; for a dynamic one, its allocation's, where the buffer is that
  /// allocation or a view of it that keeps each dynamic dimension whole
  /// (collapse or expand shape leaving it a group of its own: the
  /// convolution lowering's flattened rows) and the allocation has the
  /// same dynamic dimensions. Arena planning knows those values as the
  /// batch; a memref.dim of the view it would not. Nothing otherwise.
  static std::optional<SmallVector<Value>> dynamicSizesOf(Value output) {
    auto type = cast<MemRefType>(output.getType());
    if (type.hasStaticShape())
      return SmallVector<Value>();
    // Dynamic dimensions of the view, followed back through each view to
    // the allocation's dimension they are.
    SmallVector<int64_t> dims;
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.isDynamicDim(i))
        dims.push_back(i);
    Value buffer = output;
    while (!buffer.getDefiningOp<memref::AllocOp>()) {
      Operation *view = buffer.getDefiningOp();
      SmallVector<ReassociationIndices> groups;
      Value source;
      bool collapse = false;
      if (auto c = dyn_cast_or_null<memref::CollapseShapeOp>(view)) {
        groups = c.getReassociationIndices();
        source = c.getSrc();
        collapse = true;
      } else if (auto e = dyn_cast_or_null<memref::ExpandShapeOp>(view)) {
        groups = e.getReassociationIndices();
        source = e.getSrc();
      } else {
        return std::nullopt;
      }
      // collapse: view dim g is source group g; expand: source dim g is view group g.
      for (int64_t &dim : dims) {
        bool found = false;
        for (auto [g, group] : llvm::enumerate(groups)) {
          if (collapse && static_cast<int64_t>(g) == dim && group.size() == 1) {
            dim = group[0];
            found = true;
          } else if (!collapse && group.size() == 1 && group[0] == dim) {
            dim = g;
            found = true;
          }
          if (found)
            break;
        }
        if (!found)
          return std::nullopt;
      }
      buffer = source;
    }
    auto alloc = buffer.getDefiningOp<memref::AllocOp>();
    MemRefType allocType = alloc.getType();
    SmallVector<int64_t> allocDims;
    for (int64_t i = 0; i < allocType.getRank(); ++i)
      if (allocType.isDynamicDim(i))
        allocDims.push_back(i);
    if (allocDims != dims)
      return std::nullopt;
    return SmallVector<Value>(alloc.getDynamicSizes());
  }

  /// How many partials one thread of a level combines: where one level
  /// suffices, the divisor that balances the two nests' serial lengths (896:
  /// 32 groups of 28), else the largest divisor a thread reads (more levels
  /// follow); 0 when none is at least an eighth of max-combine (a prime
  /// count stays serial).
  int64_t groupSize(int64_t n) const {
    int64_t balanced = 0, largest = 0;
    for (int64_t d = 2; d <= std::min<int64_t>(maxCombine, n / 2); ++d) {
      if (n % d != 0)
        continue;
      largest = d;
      if (n / d <= maxCombine && (balanced == 0 || d + n / d < balanced + n / balanced))
        balanced = d;
    }
    if (largest < std::max<int64_t>(2, maxCombine / 8))
      return 0;
    return balanced ? balanced : largest;
  }

  /// Combines `partials` (the output's dimensions, then `reduced` more, an
  /// identity layout) into `output` in order (out = combiner(out, partial)
  /// when `outFirst`), by nests that read at most `maxCombine` partials per
  /// thread. More would be a few hundred threads each walking a long row,
  /// bound by one load's latency after another (LeNet's conv1 weight
  /// gradient: 150 threads over 896 partials took 90 of a 520 us training
  /// step on an H200), so they are combined in levels first: the partials
  /// seen as (outputs, groups, members of a group), each group combined by a
  /// thread of its own into a smaller buffer. Buffers it allocates are
  /// appended to `temporaries`.
  void combineInLevels(IRRewriter &rewriter, Location loc, Value partials, unsigned reduced,
                       Value output, Operation *combiner, bool outFirst, Value identity,
                       SmallVector<Value> &temporaries) {
    MLIRContext *ctx = &getContext();
    auto outputType = cast<MemRefType>(output.getType());
    Type element = outputType.getElementType();
    unsigned rank = outputType.getRank();
    // A nest over `source`'s dimensions reducing its last `count` into
    // `destination` (indexed by the others).
    auto combine = [&](Value source, Value destination, unsigned count) {
      unsigned sourceRank = cast<MemRefType>(source.getType()).getRank();
      SmallVector<AffineExpr> kept;
      for (unsigned i = 0; i < sourceRank - count; ++i)
        kept.push_back(getAffineDimExpr(i, ctx));
      SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(sourceRank, ctx),
                                  AffineMap::get(sourceRank, 0, kept, ctx)};
      SmallVector<utils::IteratorType> iterators(sourceRank - count,
                                                 utils::IteratorType::parallel);
      iterators.append(count, utils::IteratorType::reduction);
      rewriter.create<linalg::GenericOp>(loc, TypeRange{}, ValueRange{source},
                                         ValueRange{destination}, maps, iterators,
                                         combineBody(combiner, outFirst));
    };
    ArrayRef<int64_t> partialShape = cast<MemRefType>(partials.getType()).getShape();
    int64_t count = 1;
    for (unsigned i = rank; i < rank + reduced; ++i)
      count *= partialShape[i];
    Value pending = partials;
    // Levels allocate buffers shaped like the output: static outputs only.
    bool levels = outputType.hasStaticShape() && count > maxCombine && groupSize(count) != 0;
    if (levels && reduced > 1) {
      // One dimension of partials: the reduced dimensions are contiguous and last.
      SmallVector<ReassociationIndices> reassociation;
      for (unsigned i = 0; i < rank; ++i)
        reassociation.push_back({static_cast<int64_t>(i)});
      ReassociationIndices last;
      for (unsigned i = 0; i < reduced; ++i)
        last.push_back(rank + i);
      reassociation.push_back(last);
      pending = rewriter.create<memref::CollapseShapeOp>(loc, pending, reassociation);
      reduced = 1;
    }
    while (levels && count > maxCombine) {
      int64_t members = groupSize(count);
      if (members == 0)
        break;
      int64_t groups = count / members;
      // The view keeps the buffer's layout and memory space.
      auto pendingType = cast<MemRefType>(pending.getType());
      auto [groupedShape, reassociation] = splitDimension(pendingType, rank, groups, members);
      FailureOr<MemRefType> groupedType =
          memref::ExpandShapeOp::computeExpandedType(pendingType, groupedShape, reassociation);
      if (failed(groupedType))
        break; // a layout that cannot be regrouped: the rest is combined serially
      Value grouped =
          rewriter.create<memref::ExpandShapeOp>(loc, *groupedType, pending, reassociation);
      SmallVector<int64_t> nextShape(outputType.getShape());
      nextShape.push_back(groups);
      Value next = rewriter.create<memref::AllocOp>(loc, MemRefType::get(nextShape, element));
      rewriter.create<linalg::FillOp>(loc, identity, next);
      combine(grouped, next, 1);
      temporaries.push_back(next);
      pending = next;
      reduced = 1;
      count = groups;
    }
    combine(pending, output, reduced);
  }

  /// A nest that only combines a buffer's trailing static dimensions into a
  /// static output (the convolution lowering's own partials over positions,
  /// 896 per weight for LeNet's conv1: below min-work, yet too much for one
  /// thread) is combined in levels directly, whatever its work: a split
  /// would only copy the buffer first. Returns whether it was.
  bool regroupPlainCombine(IRRewriter &rewriter, linalg::LinalgOp op) {
    auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
    if (!generic || generic.getNumDpsInputs() != 1)
      return false;
    Value input = generic.getDpsInputOperand(0)->get();
    Value output = generic.getDpsInitOperand(0)->get();
    auto inputType = dyn_cast<MemRefType>(input.getType());
    auto outputType = dyn_cast<MemRefType>(output.getType());
    if (!inputType || !outputType || !inputType.hasStaticShape() ||
        !outputType.hasStaticShape() || !inputType.getLayout().isIdentity())
      return false;
    unsigned rank = outputType.getRank(), loops = generic.getNumLoops();
    if (loops <= rank || inputType.getRank() != loops ||
        !generic.getMatchingIndexingMap(generic.getDpsInputOperand(0)).isIdentity() ||
        generic.getMatchingIndexingMap(generic.getDpsInitOperand(0)) !=
            AffineMap::getMultiDimIdentityMap(loops, &getContext()).getMajorSubMap(rank) ||
        ArrayRef<int64_t>(outputType.getShape()) != inputType.getShape().take_front(rank))
      return false;
    SmallVector<utils::IteratorType> iterators = generic.getIteratorTypesArray();
    for (unsigned d = 0; d < loops; ++d)
      if (linalg::isParallelIterator(iterators[d]) != (d < rank))
        return false;
    int64_t threads = outputType.getNumElements();
    int64_t count = inputType.getNumElements() / std::max<int64_t>(threads, 1);
    if (threads >= minThreads || count <= maxCombine || groupSize(count) == 0)
      return false;
    // out = combine(out, in), and nothing else in the body.
    Block &body = generic.getRegion().front();
    BlockArgument in = body.getArgument(0), out = body.getArgument(1);
    Operation *combiner = cast<linalg::YieldOp>(body.getTerminator()).getOperand(0).getDefiningOp();
    std::optional<arith::AtomicRMWKind> kind = combiner ? combinerKind(combiner) : std::nullopt;
    if (!kind || &body.front() != combiner || !in.hasOneUse() || !out.hasOneUse() ||
        combiner->getNumOperands() != 2 || in.getOwner() != &body)
      return false;
    bool outFirst = combiner->getOperand(0) == out;
    if (combiner->getOperand(outFirst ? 1 : 0) != in)
      return false;
    rewriter.setInsertionPoint(generic);
    Location loc = generic.getLoc();
    Value identity = arith::getIdentityValue(*kind, outputType.getElementType(), rewriter, loc);
    SmallVector<Value> temporaries;
    combineInLevels(rewriter, loc, input, loops - rank, output, combiner, outFirst, identity,
                    temporaries);
    for (Value temporary : temporaries)
      rewriter.create<memref::DeallocOp>(loc, temporary);
    rewriter.eraseOp(generic);
    return true;
  }

  void split(IRRewriter &rewriter, linalg::LinalgOp op) {
    SmallVector<int64_t> sizes = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    auto estimate = [](int64_t size) { return ShapedType::isDynamic(size) ? kDynamicSizeGuess : size; };
    // Threads as the nest is, and the reduction steps that a split can
    // spread over threads (static dimensions only: a dynamic one stays a
    // loop).
    int64_t threads = 1, work = 1;
    for (auto [size, iterator] : llvm::zip(sizes, iterators)) {
      if (linalg::isParallelIterator(iterator))
        threads *= estimate(size);
      else if (!ShapedType::isDynamic(size))
        work *= size;
    }
    // A plain combine needs no first nest (it would only copy its input).
    if (threads >= minThreads || regroupPlainCombine(rewriter, op) || work < minWork)
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
    // A dynamic output (the batch) is split only by factoring: a whole
    // dimension's partials would need levels, which are sized statically.
    bool dynamicOutput = !cast<MemRefType>(init->get().getType()).hasStaticShape();
    SmallVector<unsigned> splitDims;
    // Where a whole dimension would make far more partials than there need
    // be threads (a matmul's K: 400 partials per output for LeNet's fc1),
    // only a factor of it goes parallel: K = outer x inner, k = ko * inner +
    // ki, ko parallel into the partials and ki still a loop. The smallest
    // outer that gives min-threads, else the largest with an inner loop of
    // at least kMinInner; at most max-combine (one combining nest). Only
    // where no loop index is read in the body (the factored one changes)
    // and every input reading k reads it as one whole dimension of its own
    // (viewed as (outer, inner)).
    std::optional<unsigned> factoredDim;
    int64_t outer = 0;
    for (unsigned d : reductionDims) {
      if (threads >= minThreads)
        break;
      if (dynamicOutput || threads * sizes[d] > kOvershoot * minThreads) {
        // Factored, or not split at all: so many partials would cost more
        // than the threads gain.
        bool viewable = op->getRegion(0).front().getOps<linalg::IndexOp>().empty();
        for (OpOperand *input : op.getDpsInputOperands())
          viewable &= succeeded(factorPosition(op, input, d, sizes[d]));
        int64_t chosen = 0;
        for (int64_t o = 2; viewable && o <= std::min<int64_t>(maxCombine, sizes[d] / kMinInner);
             ++o) {
          if (sizes[d] % o != 0)
            continue;
          chosen = o;
          if (threads * o >= minThreads)
            break;
        }
        if (chosen && splitDims.empty()) {
          factoredDim = d;
          outer = chosen;
          threads *= chosen;
        }
        break;
      }
      splitDims.push_back(d);
      threads *= sizes[d];
    }
    if (splitDims.empty() && !factoredDim)
      return;
    llvm::sort(splitDims);

    // A dynamic output's partials are sized by the same values as the
    // output's own allocation (the batch, which arena planning knows), so
    // only an allocated one; with at most max-combine partials per output
    // (one combining nest, no levels to size). Other dynamic outputs keep
    // their single nest: a partials buffer sized otherwise would stay a host
    // allocation.
    Value output = init->get();
    std::optional<SmallVector<Value>> dynamicSizes = dynamicSizesOf(output);
    if (!dynamicSizes || (!dynamicSizes->empty() && !splitDims.empty()))
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
    auto outputType = cast<MemRefType>(output.getType());
    Type element = outputType.getElementType();
    // partials: the output's dimensions, then one per split dimension; a
    // factored dimension's outer part comes first instead (see below).
    SmallVector<int64_t> partialShape;
    if (factoredDim)
      partialShape.push_back(outer);
    partialShape.append(outputType.getShape().begin(), outputType.getShape().end());
    for (unsigned d : splitDims)
      partialShape.push_back(sizes[d]);
    auto partialType = MemRefType::get(partialShape, element);
    Value partials = rewriter.create<memref::AllocOp>(
        loc, partialType, *dynamicSizes);
    Value identity = arith::getIdentityValue(*kind, element, rewriter, loc);
    rewriter.create<linalg::FillOp>(loc, identity, partials);

    // The first nest: the split dimensions parallel, into the partials.
    MLIRContext *ctx = &getContext();
    SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
    SmallVector<utils::IteratorType> partialIterators = iterators;
    unsigned loops = outputMap.getNumDims();
    SmallVector<Value> inputs(generic.getDpsInputs());
    if (factoredDim) {
      // k = ko * inner + ki: ko keeps k's place, ki is a new last loop, and
      // each input reading k reads a view of it with that dimension as
      // (outer, inner).
      int64_t inner = sizes[*factoredDim] / outer;
      AffineExpr ko = getAffineDimExpr(*factoredDim, ctx), ki = getAffineDimExpr(loops, ctx);
      for (OpOperand *input : generic.getDpsInputOperands()) {
        unsigned index = input->getOperandNumber();
        std::optional<int64_t> position =
            *factorPosition(generic, input, *factoredDim, sizes[*factoredDim]);
        AffineMap map = maps[index];
        if (!position) {
          maps[index] = AffineMap::get(loops + 1, 0, map.getResults(), ctx);
          continue;
        }
        auto type = cast<MemRefType>(inputs[index].getType());
        auto [expandedShape, reassociation] = splitDimension(type, *position, outer, inner);
        SmallVector<AffineExpr> results(map.getResults());
        results[*position] = ko;
        results.insert(results.begin() + *position + 1, ki);
        FailureOr<MemRefType> expandedType =
            memref::ExpandShapeOp::computeExpandedType(type, expandedShape, reassociation);
        assert(succeeded(expandedType) && "checked by factorPosition");
        inputs[index] = rewriter.create<memref::ExpandShapeOp>(loc, *expandedType, inputs[index],
                                                               reassociation);
        maps[index] = AffineMap::get(loops + 1, 0, results, ctx);
      }
      partialIterators[*factoredDim] = utils::IteratorType::parallel;
      partialIterators.push_back(utils::IteratorType::reduction);
      ++loops;
    }
    SmallVector<AffineExpr> partialResults;
    if (factoredDim)
      partialResults.push_back(getAffineDimExpr(*factoredDim, ctx));
    partialResults.append(outputMap.getResults().begin(), outputMap.getResults().end());
    for (unsigned d : splitDims)
      partialResults.push_back(getAffineDimExpr(d, ctx));
    maps.back() = AffineMap::get(loops, 0, partialResults, ctx);
    for (unsigned d : splitDims)
      partialIterators[d] = utils::IteratorType::parallel;
    if (factoredDim) {
      // ko becomes the first loop: the GPU mapping runs the parallel loops
      // row-major, so the output's own last dimension stays the one that
      // varies across neighbouring threads (a weight's row read whole by a
      // warp, the activations shared), not ko, whose neighbours would read
      // a row of the weight apart (107 us against 84 unsplit for the MLP's
      // first layer on an H200, when ko was last).
      SmallVector<AffineExpr> order(loops);
      unsigned next = 1;
      for (unsigned d = 0; d < loops; ++d)
        order[d] = getAffineDimExpr(d == *factoredDim ? 0 : next++, ctx);
      for (AffineMap &map : maps)
        map = map.replaceDimsAndSymbols(order, {}, loops, 0);
      SmallVector<utils::IteratorType> reordered{utils::IteratorType::parallel};
      for (unsigned d = 0; d < loops; ++d)
        if (d != *factoredDim)
          reordered.push_back(partialIterators[d]);
      partialIterators = reordered;
    }
    auto partial = rewriter.create<linalg::GenericOp>(loc, TypeRange{}, inputs,
                                                      ValueRange{partials}, maps, partialIterators);
    rewriter.cloneRegionBefore(generic.getRegion(), partial.getRegion(),
                               partial.getRegion().end());

    // Then each output combined with its partials, in order.
    SmallVector<Value> temporaries{partials};
    bool outFirst = combiner->getOperand(0) == outElement;
    if (factoredDim) {
      // At most max-combine partials, ko first: one nest over (outputs, ko).
      unsigned rank = outputType.getRank();
      SmallVector<AffineExpr> read{getAffineDimExpr(rank, ctx)}, kept;
      for (unsigned i = 0; i < rank; ++i) {
        read.push_back(getAffineDimExpr(i, ctx));
        kept.push_back(getAffineDimExpr(i, ctx));
      }
      SmallVector<utils::IteratorType> combineIterators(rank, utils::IteratorType::parallel);
      combineIterators.push_back(utils::IteratorType::reduction);
      rewriter.create<linalg::GenericOp>(
          loc, TypeRange{}, ValueRange{partials}, ValueRange{output},
          SmallVector<AffineMap>{AffineMap::get(rank + 1, 0, read, ctx),
                                 AffineMap::get(rank + 1, 0, kept, ctx)},
          combineIterators, combineBody(combiner, outFirst));
    } else {
      combineInLevels(rewriter, loc, partials, splitDims.size(), output, combiner, outFirst,
                      identity, temporaries);
    }
    for (Value temporary : temporaries)
      rewriter.create<memref::DeallocOp>(loc, temporary);
    rewriter.eraseOp(generic);
  }
};

} // namespace
