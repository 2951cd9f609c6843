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

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

namespace graphc {
#define GEN_PASS_DEF_FOLDTRANSPOSESINTOCONSUMERS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// Whether `op` may write `buffer` (or memory that aliases it): it has the
/// buffer, or a view of it, as an output, a copy target, or is anything
/// other than a linalg op, a copy or a view/alloc/dealloc whose effects are
/// known.
bool mayWrite(Operation *op, Value buffer) {
  auto refersTo = [&](Value value) {
    while (value) {
      if (value == buffer)
        return true;
      auto view = value.getDefiningOp<ViewLikeOpInterface>();
      value = view ? view.getViewSource() : Value();
    }
    return false;
  };
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return llvm::any_of(linalgOp.getDpsInits(), refersTo);
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    return refersTo(copy.getTarget());
  if (isa<memref::AllocOp, memref::DeallocOp, ViewLikeOpInterface>(op) ||
      op->hasTrait<OpTrait::ConstantLike>() || isMemoryEffectFree(op))
    return false;
  return true;
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
    // The readers of the transposed value: generic inputs after the
    // transpose, up to the next write of the result (a reuse of the
    // buffer) or its dealloc; the source unchanged all that time.
    SmallVector<OpOperand *> readers;
    bool sourceChanged = false;
    for (Operation *op = transpose->getNextNode(); op; op = op->getNextNode()) {
      bool usesResult = false;
      op->walk([&](Operation *nested) {
        usesResult |= llvm::is_contained(nested->getOperands(), result);
      });
      bool writesSource = mayWrite(op, source);
      if (usesResult) {
        if (isa<memref::DeallocOp>(op) || mayWrite(op, result))
          break;
        auto generic = dyn_cast<linalg::GenericOp>(op);
        // Read some other way (a copy, a view), or after (or while) the
        // source changed: the transposed copy is needed.
        if (!generic || sourceChanged || writesSource)
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
      SmallVector<AffineExpr> sourceIndices(permutation.size());
      for (auto [i, k] : llvm::enumerate(permutation))
        sourceIndices[k] = map.getResult(i);
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
