//===- FuseFillsIntoConsumers.cpp - --graphc-fuse-fills-into-consumers ----===//
//
// On the GPU every loop nest is a kernel, and a reduction's accumulator is
// filled by a kernel of its own first (a matmul's zeros, a maximum's -inf):
// LeNet's training step had 29 of them. The consumer can start from the
// fill's value itself: where every reduction index is 0 its body reads the
// value instead of the output, so the output's old contents are never read
// and the fill is dead. Linalg ops on buffers, before they become loops;
// only a temporary's fill (a memref.alloc: nothing else can alias it, and
// any view of it is taken after the consumer) into the first op that
// touches it, which must write all of it. Copies of a filled temporary
// made before anything else touches it first become fills of their
// destinations.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace graphc {
#define GEN_PASS_DEF_FUSEFILLSINTOCONSUMERS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// The ops that use `fill`'s buffer after it, in order, when every use of
/// the buffer is an op of the fill's own block (none hidden in another
/// region, where the order would not be the block's); nothing otherwise.
std::optional<SmallVector<Operation *>> usersAfter(linalg::FillOp fill) {
  Value buffer = fill.getOutputs()[0];
  SmallVector<Operation *> users;
  for (Operation *user : buffer.getUsers()) {
    if (user->getBlock() != fill->getBlock())
      return std::nullopt;
    if (user != fill.getOperation() && fill->isBeforeInBlock(user))
      users.push_back(user);
  }
  llvm::sort(users, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  users.erase(std::unique(users.begin(), users.end()), users.end());
  return users;
}

/// The op after `fill` in its block that uses the filled buffer first, if
/// that op is a generic writing the whole buffer as its only output (its
/// output map a projected permutation of its parallel dimensions, all of
/// them) and not reading it as an input.
linalg::GenericOp soleConsumer(linalg::FillOp fill) {
  Value buffer = fill.getOutputs()[0];
  // A buffer of its own: a view, or an argument, may alias memory that
  // another op writes between the fill and the consumer.
  if (!buffer.getDefiningOp<memref::AllocOp>())
    return nullptr;
  // Every use in the fill's block, and no view of it taken before the
  // consumer: such a view could be read or written between the two. Views
  // taken after it (split-reductions' partials, regrouped for the next
  // level of combining) see the consumer's result only. A view of another
  // buffer cannot reach this one.
  std::optional<SmallVector<Operation *>> users = usersAfter(fill);
  if (!users || users->empty())
    return nullptr;
  for (Operation *user : buffer.getUsers())
    if (isa<ViewLikeOpInterface>(user) && !users->front()->isBeforeInBlock(user))
      return nullptr;
  auto generic = dyn_cast<linalg::GenericOp>(users->front());
  if (!generic || !generic.hasPureBufferSemantics() || generic.getNumDpsInits() != 1 ||
      generic.getDpsInitOperand(0)->get() != buffer)
    return nullptr;
  for (OpOperand *input : generic.getDpsInputOperands())
    if (input->get() == buffer)
      return nullptr;
  AffineMap output = generic.getMatchingIndexingMap(generic.getDpsInitOperand(0));
  if (!output.isProjectedPermutation() ||
      output.getNumResults() != generic.getNumParallelLoops())
    return nullptr;
  for (AffineExpr result : output.getResults())
    if (!linalg::isParallelIterator(
            generic.getIteratorTypesArray()[cast<AffineDimExpr>(result).getPosition()]))
      return nullptr;
  return generic;
}

/// Copies of a filled temporary made before anything else touches it (one
/// filled tensor read by several ops bufferizes so: a matmul's zeros copied
/// into each accumulator, and the last reader accumulating into the
/// temporary itself) become fills of their destinations: two kernels less
/// per copy on the GPU, and the new fills can then be fused like any other.
/// A temporary left with no use but its deallocation goes.
void forwardThroughCopies(IRRewriter &rewriter, linalg::FillOp fill) {
  Value buffer = fill.getOutputs()[0];
  auto alloc = buffer.getDefiningOp<memref::AllocOp>();
  if (!alloc)
    return;
  // Every use in the fill's block, after it, and no view of it (one could
  // be written through in between).
  std::optional<SmallVector<Operation *>> users = usersAfter(fill);
  if (!users ||
      llvm::any_of(buffer.getUsers(),
                   [&](Operation *user) {
                     return user != fill.getOperation() && !fill->isBeforeInBlock(user);
                   }) ||
      llvm::any_of(*users, [](Operation *user) { return isa<ViewLikeOpInterface>(user); }))
    return;
  SmallVector<linalg::CopyOp> copies;
  for (Operation *op : *users) {
    // A copy that converts between element types would round the value
    // otherwise than a fill of the destination: left alone.
    auto copy = dyn_cast<linalg::CopyOp>(op);
    if (!copy || !copy.hasPureBufferSemantics() || copy.getInputs()[0] != buffer ||
        copy.getOutputs()[0] == buffer ||
        getElementTypeOrSelf(copy.getOutputs()[0].getType()) !=
            getElementTypeOrSelf(buffer.getType()))
      break;
    copies.push_back(copy);
  }
  if (copies.empty())
    return;
  for (linalg::CopyOp copy : copies) {
    rewriter.setInsertionPoint(copy);
    rewriter.replaceOpWithNewOp<linalg::FillOp>(copy, fill.getInputs()[0], copy.getOutputs()[0]);
  }
  if (llvm::all_of(buffer.getUsers(), [&](Operation *user) {
        return user == fill.getOperation() || isa<memref::DeallocOp>(user);
      })) {
    for (Operation *user : llvm::to_vector(buffer.getUsers()))
      rewriter.eraseOp(user);
    rewriter.eraseOp(alloc);
  }
}

struct FuseFillsIntoConsumersPass
    : graphc::impl::FuseFillsIntoConsumersBase<FuseFillsIntoConsumersPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    {
      SmallVector<linalg::FillOp> fills;
      getOperation().walk([&](linalg::FillOp fill) {
        if (fill.hasPureBufferSemantics())
          fills.push_back(fill);
      });
      for (linalg::FillOp fill : fills)
        forwardThroughCopies(rewriter, fill);
    }
    SmallVector<linalg::FillOp> fills;
    getOperation().walk([&](linalg::FillOp fill) {
      if (fill.hasPureBufferSemantics())
        fills.push_back(fill);
    });
    for (linalg::FillOp fill : fills) {
      linalg::GenericOp consumer = soleConsumer(fill);
      if (!consumer)
        continue;
      Block &body = consumer.getRegion().front();
      BlockArgument outElement = body.getArgument(consumer.getNumDpsInputs());
      Value value = fill.getInputs()[0];
      if (value.getType() != outElement.getType())
        continue;
      if (!outElement.use_empty()) {
        // The fill's value must be usable inside the body: a constant is
        // cloned there; anything else is left alone.
        Operation *constant = value.getDefiningOp();
        if (!constant || !constant->hasTrait<OpTrait::ConstantLike>())
          continue;
        rewriter.setInsertionPointToStart(&body);
        Value start = rewriter.clone(*constant)->getResult(0);
        Value initial = start;
        Location loc = consumer.getLoc();
        SmallVector<utils::IteratorType> iterators = consumer.getIteratorTypesArray();
        Value first;
        for (unsigned d = 0; d < iterators.size(); ++d) {
          if (linalg::isParallelIterator(iterators[d]))
            continue;
          Value index = rewriter.create<linalg::IndexOp>(loc, d);
          Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
          Value isZero = rewriter.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, index, zero);
          first = first ? rewriter.create<arith::AndIOp>(loc, first, isZero) : isZero;
        }
        if (first)
          initial = rewriter.create<arith::SelectOp>(loc, first, start, outElement);
        rewriter.replaceAllUsesExcept(outElement, initial,
                                      initial.getDefiningOp() ? initial.getDefiningOp() : nullptr);
      }
      rewriter.eraseOp(fill);
    }
  }
};

} // namespace
