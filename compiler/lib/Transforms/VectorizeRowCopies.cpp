//===- VectorizeRowCopies.cpp - --graphc-vectorize-row-copies --------------===//
//
// A copy between strided buffers whose rows are short (the column slices of
// graphc-unfold-window-columns: rows of 10 out of 14, LeNet's conv2) became
// loops whose innermost one copies a row element by element, and LLVM left
// that loop of 10 scalar: the five slices of conv2's unfolded input took
// 4.4 % of a LeNet training step's samples (perf, batch 256, one thread),
// more than the 4.3 MB they write is worth.
//
// Here each such linalg.copy becomes loops over its rows, each row one
// vector read and one vector write of the row's static length (LLVM splits
// a length that is not a legal width into legal ones, 8 + 2 for 10). The
// outermost loop is marked graph.independent_iterations (each iteration
// writes its own rows), so graphc-parallelize-independent-loops shares it
// between threads as it did the copy's. Only rows of a static length up to
// kLongestRow, contiguous on both sides, into a buffer allocated here that
// no copy of the nest reads; values are copied unchanged.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Passes.h"

#include "BufferViews.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace graphc {
#define GEN_PASS_DEF_VECTORIZEROWCOPIES
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using graphc::buffer_views::rootOf;

namespace {

/// Rows longer than this are left to LLVM, which vectorizes long loops.
constexpr int64_t kLongestRow = 64;

/// The static row length of a copy this pass vectorizes, else none.
std::optional<int64_t> rowLength(linalg::CopyOp copy) {
  if (!copy.hasPureBufferSemantics())
    return std::nullopt;
  auto source = dyn_cast<MemRefType>(copy.getInputs()[0].getType());
  auto target = dyn_cast<MemRefType>(copy.getOutputs()[0].getType());
  // Whole bytes only: LLVM packs a vector of i1 into bits, where a memref
  // of i1 takes a byte an element.
  Type element = source ? source.getElementType() : Type();
  if (!source || !target || source.getRank() < 2 || source.getShape() != target.getShape() ||
      element != target.getElementType() || !element.isIntOrFloat() ||
      element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  int64_t length = source.getShape().back();
  if (ShapedType::isDynamic(length) || length < 2 || length > kLongestRow ||
      !isLastMemrefDimUnitStride(source) || !isLastMemrefDimUnitStride(target))
    return std::nullopt;
  return length;
}

/// Whether `root` is a buffer that a new allocation cannot alias and whose
/// own aliases are all visible as views of it: an allocation, a global, or
/// an argument of the function.
bool isKnownBuffer(Value root) {
  if (auto argument = dyn_cast<BlockArgument>(root))
    return argument.getOwner()->isEntryBlock() &&
           isa<func::FuncOp>(argument.getOwner()->getParentOp());
  return root.getDefiningOp<memref::AllocOp>() || root.getDefiningOp<memref::GetGlobalOp>();
}

/// Whether the views `a` and `b` of one buffer are disjoint: direct
/// subviews of it whose static offsets and sizes put them apart along some
/// dim (the channel blocks of an unfolded input).
bool disjointSubviews(Value a, Value b) {
  auto first = a.getDefiningOp<memref::SubViewOp>();
  auto second = b.getDefiningOp<memref::SubViewOp>();
  if (!first || !second || first.getSource() != second.getSource() || !first.hasUnitStride() ||
      !second.hasUnitStride())
    return false;
  for (auto [offsetA, sizeA, offsetB, sizeB] :
       llvm::zip(first.getMixedOffsets(), first.getMixedSizes(), second.getMixedOffsets(),
                 second.getMixedSizes())) {
    std::optional<int64_t> oa = getConstantIntValue(offsetA), sa = getConstantIntValue(sizeA),
                           ob = getConstantIntValue(offsetB), sb = getConstantIntValue(sizeB);
    if (oa && sa && ob && sb && (*oa + *sa <= *ob || *ob + *sb <= *oa))
      return true;
  }
  return false;
}

/// Whether `copies` may run together, their rows in any order and on any
/// thread: each target a view of a memref.alloc that no source is a view of
/// (an allocation aliases nothing else; the sources are views of known
/// buffers, so a view of the allocation cannot hide behind another op), and
/// targets of one allocation disjoint, so no copy reads or overwrites what
/// another writes.
bool independent(ArrayRef<linalg::CopyOp> copies) {
  llvm::SmallPtrSet<Value, 4> targets;
  for (linalg::CopyOp copy : copies) {
    Value target = rootOf(copy.getOutputs()[0]);
    if (!target.getDefiningOp<memref::AllocOp>())
      return false;
    targets.insert(target);
  }
  for (size_t i = 0; i < copies.size(); ++i) {
    linalg::CopyOp copy = copies[i];
    Value source = rootOf(copy.getInputs()[0]);
    if (!isKnownBuffer(source) || targets.contains(source))
      return false;
    for (linalg::CopyOp earlier : copies.take_front(i))
      if (rootOf(earlier.getOutputs()[0]) == rootOf(copy.getOutputs()[0]) &&
          !disjointSubviews(earlier.getOutputs()[0], copy.getOutputs()[0]))
        return false;
  }
  return true;
}

/// The dynamic sizes of `buffer`: the SSA values a subview or an allocation
/// was given; none when they are not known that way.
std::optional<SmallVector<Value>> dynamicSizesOf(Value buffer) {
  if (auto subview = buffer.getDefiningOp<memref::SubViewOp>())
    return llvm::to_vector(subview.getSizes());
  if (auto alloc = buffer.getDefiningOp<memref::AllocOp>())
    return llvm::to_vector(alloc.getDynamicSizes());
  if (!cast<MemRefType>(buffer.getType()).hasStaticShape())
    return std::nullopt;
  return SmallVector<Value>();
}

/// Whether `copy` has `first`'s shape, its dynamic sizes included (the same
/// SSA values): one nest's bounds then fit both.
bool sameShape(linalg::CopyOp first, linalg::CopyOp copy) {
  if (cast<MemRefType>(first.getInputs()[0].getType()).getShape() !=
      cast<MemRefType>(copy.getInputs()[0].getType()).getShape())
    return false;
  std::optional<SmallVector<Value>> sizes = dynamicSizesOf(first.getInputs()[0]);
  return sizes && sizes == dynamicSizesOf(copy.getInputs()[0]) &&
         sizes == dynamicSizesOf(copy.getOutputs()[0]);
}

/// One loop nest over the rows of `copies` (all of one shape), each row of
/// each copy one vector read and one vector write, in place of the last
/// copy; the copies are erased.
void vectorizeRows(RewriterBase &rewriter, ArrayRef<linalg::CopyOp> copies, int64_t length) {
  linalg::CopyOp last = copies.back();
  Location loc = last.getLoc();
  auto type = cast<MemRefType>(last.getInputs()[0].getType());
  auto rowType = VectorType::get({length}, type.getElementType());
  rewriter.setInsertionPoint(last);
  Value zero = rewriter.create<arith::ConstantIndexOp>(loc, 0);
  Value one = rewriter.create<arith::ConstantIndexOp>(loc, 1);
  Value padding =
      rewriter.create<arith::ConstantOp>(loc, rewriter.getZeroAttr(type.getElementType()));
  SmallVector<Value> indices;
  scf::ForOp outermost;
  for (int64_t dim = 0; dim + 1 < type.getRank(); ++dim) {
    Value size =
        type.isDynamicDim(dim)
            ? rewriter.create<memref::DimOp>(loc, last.getInputs()[0], dim).getResult()
            : rewriter.create<arith::ConstantIndexOp>(loc, type.getDimSize(dim)).getResult();
    auto loop = rewriter.create<scf::ForOp>(loc, zero, size, one);
    if (!outermost)
      outermost = loop;
    indices.push_back(loop.getInductionVar());
    rewriter.setInsertionPointToStart(loop.getBody());
  }
  indices.push_back(zero);
  // Whole rows, in bounds: no mask, no padding read.
  SmallVector<bool> inBounds{true};
  for (linalg::CopyOp copy : copies) {
    Value row = rewriter.create<vector::TransferReadOp>(loc, rowType, copy.getInputs()[0], indices,
                                                        padding, ArrayRef<bool>(inBounds));
    rewriter.create<vector::TransferWriteOp>(loc, row, copy.getOutputs()[0], indices,
                                             ArrayRef<bool>(inBounds));
  }
  outermost->setAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName(),
                     rewriter.getUnitAttr());
  for (linalg::CopyOp copy : copies)
    rewriter.eraseOp(copy);
}

/// The runs of copies to vectorize together: copies of one shape (their
/// layouts may differ) with only ops without memory effects between them
/// (the subviews they copy), independent of each other. The column slices of an unfolded
/// input then take one pass over the input, whose rows are read while in
/// cache, instead of one per slice.
SmallVector<SmallVector<linalg::CopyOp>> runsOfCopies(func::FuncOp func) {
  SmallVector<SmallVector<linalg::CopyOp>> runs;
  func.walk([&](Block *block) {
    SmallVector<linalg::CopyOp> run;
    auto flush = [&] {
      if (!run.empty())
        runs.push_back(std::move(run));
      run.clear();
    };
    for (Operation &op : *block) {
      auto copy = dyn_cast<linalg::CopyOp>(op);
      // A copy that may read what it writes keeps linalg.copy's element
      // order.
      if (copy && rowLength(copy) && independent({copy})) {
        if (!run.empty()) {
          SmallVector<linalg::CopyOp> extended(run);
          extended.push_back(copy);
          if (!sameShape(run.front(), copy) || !independent(extended))
            flush();
        }
        run.push_back(copy);
        continue;
      }
      if (!isMemoryEffectFree(&op))
        flush();
    }
    flush();
  });
  return runs;
}

struct VectorizeRowCopiesPass : graphc::impl::VectorizeRowCopiesBase<VectorizeRowCopiesPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    for (SmallVector<linalg::CopyOp> &run : runsOfCopies(getOperation()))
      vectorizeRows(rewriter, run, *rowLength(run.front()));
  }
};

} // namespace
