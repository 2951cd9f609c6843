//===- FoldTransposesIntoConsumers.cpp - --graphc-fold-transposes ---------===//
//
// A matmul's weight is transposed into a temporary first (the CPU's tiled
// matmul wants the contiguous layout). On the GPU that copy is a kernel of
// its own, every step, for each layer; the generics that read the
// transposed buffer can read the original through a permuted indexing map
// instead. Linalg ops on buffers, before arena planning.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "BufferViews.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace graphc {
#define GEN_PASS_DEF_FOLDTRANSPOSESINTOCONSUMERS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using graphc::buffer_views::rootOf;

namespace {

/// Whether `op` may write the memory of `buffer`: it has a view of the same
/// allocation or argument as an output or copy target, or it is anything
/// but a linalg op, a copy, or an op whose effects are known not to write
/// (allocation, deallocation, views, constants).
bool mayWrite(Operation *op, Value buffer) {
  Value root = rootOf(buffer);
  auto sameMemory = [&](Value value) { return rootOf(value) == root; };
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return llvm::any_of(linalgOp.getDpsInits(), sameMemory);
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return sameMemory(copy.getTarget());
  if (isa<memref::AllocOp, memref::DeallocOp, ViewLikeOpInterface>(op) ||
      op->hasTrait<OpTrait::ConstantLike>() || isMemoryEffectFree(op))
    return false;
  return true;
}

/// Whether `op` overwrites all of `buffer` without reading it: a fill, a
/// copy into it, or a generic whose only output it is, indexed by all its
/// parallel dimensions, whose body ignores the old value.
bool overwrites(Operation *op, Value buffer) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.getOutputs()[0] == buffer;
  if (auto copy = dyn_cast<linalg::CopyOp>(op))
    return copy.getOutputs()[0] == buffer && !llvm::is_contained(copy.getInputs(), buffer);
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return copy.getTarget() == buffer && copy.getSource() != buffer;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInits() != 1 || generic.getDpsInits()[0] != buffer)
    return false;
  for (OpOperand *input : generic.getDpsInputOperands())
    if (input->get() == buffer)
      return false;
  AffineMap map = generic.getMatchingIndexingMap(generic.getDpsInitOperand(0));
  Block &body = generic.getRegion().front();
  return body.getArgument(generic.getNumDpsInputs()).use_empty() &&
         map.isProjectedPermutation() && map.getNumResults() == generic.getNumParallelLoops() &&
         generic.getNumReductionLoops() == 0;
}

struct FoldTransposesIntoConsumersPass
    : graphc::impl::FoldTransposesIntoConsumersBase<FoldTransposesIntoConsumersPass> {
  void runOnOperation() override {
    SmallVector<linalg::TransposeOp> transposes;
    getOperation().walk([&](linalg::TransposeOp op) {
      if (op.hasPureBufferSemantics())
        transposes.push_back(op);
    });
    for (linalg::TransposeOp transpose : transposes)
      fold(transpose);
  }

  void fold(linalg::TransposeOp transpose) {
    Value source = transpose.getInput(), result = transpose.getInit();
    if (!result.getDefiningOp<memref::AllocOp>())
      return;
    // Every use of the transposed buffer in the transpose's block, and no
    // view of it: the scan below then sees every reader in order.
    for (Operation *user : result.getUsers())
      if (user->getBlock() != transpose->getBlock() || isa<ViewLikeOpInterface>(user))
        return;
    // Its readers after the transpose, up to its dealloc or the next op that
    // overwrites it all (a reuse of the buffer): generic inputs only, with
    // the source unchanged until the last of them.
    SmallVector<OpOperand *> readers;
    bool sourceChanged = false;
    for (Operation *op = transpose->getNextNode(); op; op = op->getNextNode()) {
      bool usesResult = false;
      op->walk([&](Operation *nested) {
        usesResult |= llvm::is_contained(nested->getOperands(), result);
      });
      bool writesSource = mayWrite(op, source);
      if (usesResult) {
        if (isa<memref::DeallocOp>(op) || overwrites(op, result))
          break;
        auto generic = dyn_cast<linalg::GenericOp>(op);
        // Read some other way (a load, a copy, in a loop), written in part,
        // or read after (or while) the source changed: the copy is needed.
        if (!generic || mayWrite(op, result) || sourceChanged || writesSource)
          return;
        for (OpOperand *input : generic.getDpsInputOperands())
          if (input->get() == result)
            readers.push_back(input);
      }
      sourceChanged |= writesSource;
    }
    if (readers.empty())
      return;
    ArrayRef<int64_t> permutation = transpose.getPermutation();
    for (OpOperand *reader : readers) {
      auto generic = cast<linalg::GenericOp>(reader->getOwner());
      AffineMap map = generic.getMatchingIndexingMap(reader);
      // result[i] = source[dimension permutation[i]]: source dimension k is
      // read at the result's index i with permutation[i] == k.
      SmallVector<AffineExpr> sourceIndices = llvm::to_vector(map.getResults());
      applyPermutationToVector(sourceIndices, invertPermutationVector(permutation));
      SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
      maps[reader->getOperandNumber()] =
          AffineMap::get(map.getNumDims(), map.getNumSymbols(), sourceIndices, &getContext());
      generic.setIndexingMapsAttr(
          ArrayAttr::get(&getContext(), llvm::to_vector_of<Attribute>(llvm::map_range(
                                            maps, [](AffineMap m) -> Attribute {
                                              return AffineMapAttr::get(m);
                                            }))));
      reader->set(source);
    }
    // The transposed buffer is no longer read: the transpose goes.
    transpose->erase();
  }
};

} // namespace
