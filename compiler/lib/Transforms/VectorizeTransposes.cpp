//===- VectorizeTransposes.cpp - --graphc-vectorize-transposes ------------===//
//
// A 2-D transpose (a linear layer's weight in the forward pass, an output
// gradient in a weight gradient) lowered to loops is a strided read per
// element, which LLVM vectorizes with gathers: the MLP's transposes took
// about 3 % of its training step's samples. Here each transpose is tiled in
// 16 x 16 blocks; a full block is one 16 x 16 read, a transpose in registers
// (the 16 x 16 shuffle network of upstream's vector.transpose lowering, 64
// shuffles on AVX-512) and one 16 x 16 write. Partial blocks at the edges
// stay loops. Only data moves: results are bitwise unchanged.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Passes.h"

#include "RegisterTiling.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace graphc {
#define GEN_PASS_DEF_VECTORIZETRANSPOSES
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc::register_tiling;

namespace {

/// The block side: 16 f32 lanes, the shape the upstream shuffle lowering
/// transposes in registers.
constexpr int64_t kBlock = 16;

bool isBlockTransposable(linalg::TransposeOp transpose) {
  auto type = cast<ShapedType>(transpose.getInit().getType());
  return type.getRank() == 2 && type.getElementType().isF32() &&
         transpose.getPermutation() == ArrayRef<int64_t>{1, 0};
}

struct VectorizeTransposesPass : graphc::impl::VectorizeTransposesBase<VectorizeTransposesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    SmallVector<linalg::TransposeOp> transposes;
    func.walk([&](linalg::TransposeOp transpose) {
      if (transpose.hasPureTensorSemantics() && isBlockTransposable(transpose))
        transposes.push_back(transpose);
    });
    if (transposes.empty())
      return;
    MLIRContext *ctx = &getContext();
    IRRewriter rewriter(ctx);
    for (linalg::TransposeOp transpose : transposes) {
      rewriter.setInsertionPoint(transpose);
      FailureOr<scf::SCFTileAndFuseResult> tiled =
          tileFusingFill(rewriter, transpose, {kBlock, kBlock});
      if (failed(tiled))
        return signalPassFailure();
      // Each block row writes its own rows of the result.
      tiled->loops.front()->setAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName(),
                                    rewriter.getUnitAttr());
      // Inner loop first, so that the outer loop's remainder holds both.
      for (LoopLikeOpInterface loop : llvm::reverse(tiled->loops))
        (void)peelPartialTile(rewriter, cast<scf::ForOp>(loop.getOperation()));
    }
    // The full blocks' sizes become static.
    if (failed(canonicalize(func, RewritePatternSet(ctx))))
      return signalPassFailure();
    SmallVector<linalg::TransposeOp> blocks;
    func.walk([&](linalg::TransposeOp block) {
      auto type = cast<ShapedType>(block.getInit().getType());
      if (isBlockTransposable(block) && type.hasStaticShape() &&
          type.getShape() == ArrayRef<int64_t>{kBlock, kBlock})
        blocks.push_back(block);
    });
    // The vectorized blocks read with a transposing map: a plain read and a
    // vector.transpose, lowered to the 16 x 16 shuffle network. Only the
    // blocks' reads (vectorization replaces a block within its own region
    // block): the register tiles' transposes of broadcasts are left to the
    // canonicalizations that fold them.
    llvm::SetVector<Block *> blockBodies;
    for (linalg::TransposeOp block : blocks) {
      blockBodies.insert(block->getBlock());
      rewriter.setInsertionPoint(block);
      if (failed(linalg::vectorize(rewriter, block)))
        return signalPassFailure();
    }
    SmallVector<Operation *> blockReads;
    for (Block *body : blockBodies)
      for (auto read : body->getOps<vector::TransferReadOp>())
        if (!read.getPermutationMap().isMinorIdentity())
          blockReads.push_back(read);
    RewritePatternSet patterns(ctx);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::VectorTransformsOptions options;
    options.setVectorTransposeLowering(vector::VectorTransposeLowering::Shuffle16x16);
    vector::populateVectorTransposeLoweringPatterns(patterns, options);
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingAndNewOps;
    if (failed(applyOpPatternsAndFold(blockReads, std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
