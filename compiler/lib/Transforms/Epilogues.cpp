//===- Epilogues.cpp - elementwise epilogues of matmuls and convolutions --===//

#include "graphc/Transforms/Epilogues.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "FlatConvolutions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;

/// The lowering's matmul: a contraction generic over (m, k, n) reading
/// A[m, k] (or A^T[k, m], a transposed operand read in place) and B[k, n]
/// into C[m, n].
bool graphc::isLoweredMatmul(linalg::GenericOp generic) {
  if (generic.getNumDpsInputs() != 2 || generic.getNumDpsInits() != 1 || generic.getNumLoops() != 3)
    return false;
  auto iterators = generic.getIteratorTypesArray();
  if (iterators[0] != utils::IteratorType::parallel ||
      iterators[1] != utils::IteratorType::reduction ||
      iterators[2] != utils::IteratorType::parallel)
    return false;
  MLIRContext *ctx = generic.getContext();
  AffineExpr m, k, n;
  bindDims(ctx, m, k, n);
  SmallVector<AffineMap> maps = generic.getIndexingMapsArray();
  bool lhsRead = maps[0] == AffineMap::get(3, 0, {m, k}, ctx) ||
                 maps[0] == AffineMap::get(3, 0, {k, m}, ctx);
  return lhsRead && maps[1] == AffineMap::get(3, 0, {k, n}, ctx) &&
         maps[2] == AffineMap::get(3, 0, {m, n}, ctx) && linalg::isaContractionOpInterface(generic);
}

namespace {

/// The all-parallel generic that could compute `mac`'s result in its tiles:
/// epilogueOf's checks but the one among several multiply-accumulates.
linalg::GenericOp epilogueCandidate(linalg::GenericOp mac) {
  if (mac->getNumResults() != 1 || !mac->getResult(0).hasOneUse())
    return nullptr;
  OpOperand &use = *mac->getResult(0).getUses().begin();
  auto epilogue = dyn_cast<linalg::GenericOp>(use.getOwner());
  if (!epilogue || !epilogue.isDpsInput(&use) || graphc::isMultiplyAccumulate(epilogue) ||
      epilogue.getNumLoops() != epilogue.getNumParallelLoops() ||
      !epilogue.getMatchingIndexingMap(&use).isIdentity() || !epilogue.hasPureTensorSemantics())
    return nullptr;
  // Tiles of the epilogue are tiles of the accumulator: each result is
  // written where the accumulator's element is.
  Type accumulatorType = mac->getResult(0).getType();
  for (OpOperand &init : epilogue.getDpsInitsMutable())
    if (!epilogue.getMatchingIndexingMap(&init).isIdentity() ||
        cast<ShapedType>(init.get().getType()).getShape() !=
            cast<ShapedType>(accumulatorType).getShape())
      return nullptr;
  // Not an optimizer's update of a parameter (a result marked
  // graph.updates_argument): graphc-update-in-place writes it into the
  // parameter's buffer only as a whole generic, and tiles of it would read
  // the parameter as they write it.
  auto func = epilogue->getParentOfType<func::FuncOp>();
  for (OpOperand &use : epilogue->getUses())
    if (isa<func::ReturnOp>(use.getOwner()) &&
        func.getResultAttr(use.getOperandNumber(),
                           graphc::graph::GraphDialect::getUpdatesArgumentAttrName()))
      return nullptr;
  // Other inputs broadcast along some of the accumulator's dims (a bias);
  // tiling takes any projected permutation.
  for (OpOperand *input : epilogue.getDpsInputOperands())
    if (!epilogue.getMatchingIndexingMap(input).isProjectedPermutation())
      return nullptr;
  // No mask read or written: the tiles move their operands as vectors, and
  // LLVM keeps a vector of i1 in memory as packed bits where a tensor of i1
  // has a byte per element, so the tile read and wrote other bytes than the
  // mask's (a select on a comparison in a matmul's epilogue gave a wrong
  // gradient: graphc_difftest seed 1061). Such an epilogue is its own loop,
  // whose scalar i1 accesses LLVM keeps byte-wise.
  auto isMask = [](Type type) { return getElementTypeOrSelf(type).isInteger(1); };
  if (llvm::any_of(epilogue->getOperandTypes(), isMask) ||
      llvm::any_of(epilogue->getResultTypes(), isMask))
    return nullptr;
  return epilogue;
}

} // namespace

linalg::GenericOp graphc::epilogueOf(linalg::GenericOp mac) {
  linalg::GenericOp epilogue = epilogueCandidate(mac);
  if (!epilogue)
    return nullptr;
  // One reading the results of several multiply-accumulates (the add of two
  // matmuls' results in a gradient, dA = G A + G^T A) is the epilogue of the
  // first of them only, so that the fusion report names one loop nest for
  // it, the one that computes it.
  for (OpOperand *input : epilogue.getDpsInputOperands()) {
    if (input->get() == mac->getResult(0))
      break;
    auto other = input->get().getDefiningOp<linalg::GenericOp>();
    if (other && isMultiplyAccumulate(other) && epilogueCandidate(other) == epilogue)
      return nullptr;
  }
  return epilogue;
}

bool graphc::isMultiplyAccumulate(linalg::GenericOp generic) {
  return generic.getNumDpsInputs() == 2 && generic.getNumDpsInits() == 1 &&
         linalg::detail::isContractionBody(
             generic.getRegion().front(), [](Operation *multiply, Operation *add) {
               return isa<arith::MulFOp>(multiply) && isa<arith::AddFOp>(add);
             });
}

linalg::GenericOp graphc::tiledEpilogueOf(linalg::GenericOp mac) {
  bool tiledWithEpilogue = isLoweredMatmul(mac) || (flat_convolutions::isFlatConvolution(mac) &&
                                                    !flat_convolutions::isComputedInBands(mac));
  if (!tiledWithEpilogue)
    return nullptr;
  return epilogueOf(mac);
}
