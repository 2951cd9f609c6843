//===- LowerReductionsToLoops.cpp - --graphc-lower-reductions-to-loops ----===//
//
// A reduction linalg.generic on buffers as loops that keep each accumulator
// in a register (an scf.for iter_arg) instead of loading and storing the
// output element on every iteration, with the combining op marked
// `reassoc` so that LLVM vectorizes the innermost loop with partial sums.
// Upstream --convert-linalg-to-parallel-loops has no such mode: it emits the
// load and store per iteration, which LLVM cannot promote because it cannot
// prove the output distinct from the inputs (linalg's semantics guarantee it).
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "CollapsibleDims.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace graphc {
#define GEN_PASS_DEF_LOWERREDUCTIONSTOLOOPS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc::collapsible_dims;

namespace {

/// One reduction loop of the lowered nest: the generic's dim it runs (the
/// first of a collapsed group, which the loop runs whole) and its trip count.
struct LoopPlan {
  unsigned dim;
  Value size;
};

/// The marked-combiner rule: the value yielded for an output is computed by
/// an addf, mulf, maximumf or minimumf of the accumulator (the output's
/// block argument, mapped to the loop's iter_arg) and something else.
void markCombinerReassociative(Value yielded, Value accumulator) {
  Operation *def = yielded.getDefiningOp();
  if (!def || !isa<arith::AddFOp, arith::MulFOp, arith::MaximumFOp, arith::MinimumFOp>(def))
    return;
  if (!llvm::is_contained(def->getOperands(), accumulator))
    return;
  auto fastMath = cast<arith::ArithFastMathInterface>(def);
  def->setAttr(fastMath.getFastMathAttrName(),
               arith::FastMathFlagsAttr::get(def->getContext(),
                                             fastMath.getFastMathFlagsAttr().getValue() |
                                                 arith::FastMathFlags::reassoc));
}

LogicalResult lowerReduction(linalg::GenericOp op, RewriterBase &rewriter) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() == 0 ||
      iterators.back() != utils::IteratorType::reduction)
    return failure();
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).isProjectedPermutation())
      return failure();

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Range> ranges =
      cast<linalg::LinalgOp>(op.getOperation()).createLoopRanges(rewriter, loc);
  SmallVector<unsigned> parallelDims, reductionDims;
  for (unsigned d = 0; d < numLoops; ++d)
    (iterators[d] == utils::IteratorType::parallel ? parallelDims : reductionDims).push_back(d);

  // The longest suffix of the reduction dims that collapses into one loop.
  SmallVector<unsigned> group{reductionDims.back()};
  for (int i = int(reductionDims.size()) - 2; i >= 0; --i) {
    SmallVector<unsigned> wider{reductionDims[i]};
    wider.append(group);
    if (!canCollapse(op, wider, op.getDpsInputOperands()))
      break;
    group = wider;
  }

  // Each input, collapsed over the group where it reads it.
  SmallVector<Value> inputs;
  SmallVector<std::optional<unsigned>> inputGroupStart;
  for (OpOperand *input : op.getDpsInputOperands()) {
    Value memref = input->get();
    std::optional<unsigned> start;
    if (group.size() > 1) {
      start = *groupStart(op.getMatchingIndexingMap(input), group); // canCollapse checked
      if (start) {
        auto type = cast<MemRefType>(memref.getType());
        memref = rewriter.create<memref::CollapseShapeOp>(
            loc, memref, collapsing(type.getRank(), *start, group.size()));
      }
    }
    inputs.push_back(memref);
    inputGroupStart.push_back(start);
  }

  SmallVector<LoopPlan> reductionLoops;
  for (unsigned d : reductionDims) {
    if (llvm::is_contained(group, d) && d != group.front())
      continue;
    LoopPlan loop;
    loop.size = getValueOrCreateConstantIndexOp(rewriter, loc, ranges[d].size);
    loop.dim = d;
    if (d == group.front())
      for (unsigned other : ArrayRef<unsigned>(group).drop_front())
        loop.size = rewriter.createOrFold<arith::MulIOp>(
            loc, loop.size, getValueOrCreateConstantIndexOp(rewriter, loc, ranges[other].size));
    reductionLoops.push_back(loop);
  }

  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
  // The value of each of the generic's dims inside the nest (a collapsed
  // group's dims have none of their own: only its first names the loop).
  SmallVector<Value> dimValues(numLoops);

  auto indicesOf = [&](AffineMap map, OpBuilder &b, std::optional<unsigned> collapsedAt) {
    SmallVector<Value> indices;
    for (unsigned pos = 0; pos < map.getNumResults(); ++pos) {
      if (collapsedAt && pos == *collapsedAt) {
        indices.push_back(dimValues[group.front()]);
        pos += group.size() - 1;
        continue;
      }
      AffineExpr expr = map.getResult(pos);
      if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
        indices.push_back(dimValues[dim.getPosition()]);
        continue;
      }
      // A collapsed group's other dims have no value, and no expression
      // reads them (canCollapse): zero stands in for them.
      SmallVector<Value> operands(dimValues);
      for (Value &operand : operands)
        if (!operand)
          operand = zero;
      indices.push_back(
          b.create<affine::AffineApplyOp>(loc, AffineMap::get(numLoops, 0, expr), operands));
    }
    return indices;
  };

  Block *body = op.getBody();
  unsigned numInputs = op.getNumDpsInputs();
  auto buildBody = [&](OpBuilder &b, ValueRange accumulators) {
    IRMapping mapping;
    for (unsigned i = 0; i < numInputs; ++i) {
      OpOperand *input = op.getDpsInputOperand(i);
      Value value;
      if (isa<MemRefType>(input->get().getType()))
        value = b.create<memref::LoadOp>(
            loc, inputs[i], indicesOf(op.getMatchingIndexingMap(input), b, inputGroupStart[i]));
      else
        value = input->get(); // a scalar operand
      mapping.map(body->getArgument(i), value);
    }
    for (auto [i, accumulator] : llvm::enumerate(accumulators))
      mapping.map(body->getArgument(numInputs + i), accumulator);
    for (Operation &inner : body->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
        mapping.map(index.getResult(), dimValues[index.getDim()]);
        continue;
      }
      b.clone(inner, mapping);
    }
    SmallVector<Value> yielded;
    for (auto [i, value] : llvm::enumerate(body->getTerminator()->getOperands())) {
      yielded.push_back(mapping.lookupOrDefault(value));
      markCombinerReassociative(yielded.back(), accumulators[i]);
    }
    return yielded;
  };

  std::function<SmallVector<Value>(OpBuilder &, unsigned, ValueRange)> buildReductions =
      [&](OpBuilder &b, unsigned level, ValueRange accumulators) -> SmallVector<Value> {
    if (level == reductionLoops.size())
      return buildBody(b, accumulators);
    auto loop = b.create<scf::ForOp>(
        loc, zero, reductionLoops[level].size, one, accumulators,
        [&](OpBuilder &ib, Location, Value iv, ValueRange iterArgs) {
          dimValues[reductionLoops[level].dim] = iv;
          ib.create<scf::YieldOp>(loc, buildReductions(ib, level + 1, iterArgs));
        });
    return loop.getResults();
  };

  auto buildOutputs = [&](OpBuilder &b) {
    SmallVector<Value> accumulators;
    SmallVector<SmallVector<Value>> outputIndices;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      outputIndices.push_back(indicesOf(op.getMatchingIndexingMap(&init), b, std::nullopt));
      accumulators.push_back(b.create<memref::LoadOp>(loc, init.get(), outputIndices.back()));
    }
    SmallVector<Value> results = buildReductions(b, 0, accumulators);
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
      b.create<memref::StoreOp>(loc, results[i], init.get(), outputIndices[i]);
  };

  if (parallelDims.empty()) {
    buildOutputs(rewriter);
  } else {
    SmallVector<Value> lower(parallelDims.size(), zero), steps(parallelDims.size(), one), upper;
    for (unsigned d : parallelDims)
      upper.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, ranges[d].size));
    rewriter.create<scf::ParallelOp>(loc, lower, upper, steps,
                                     [&](OpBuilder &b, Location, ValueRange ivs) {
                                       for (auto [d, iv] : llvm::zip(parallelDims, ivs))
                                         dimValues[d] = iv;
                                       buildOutputs(b);
                                     });
  }
  rewriter.eraseOp(op);
  return success();
}

struct LowerReductionsToLoopsPass
    : graphc::impl::LowerReductionsToLoopsBase<LowerReductionsToLoopsPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) { generics.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : generics)
      (void)lowerReduction(op, rewriter);
  }
};

} // namespace
