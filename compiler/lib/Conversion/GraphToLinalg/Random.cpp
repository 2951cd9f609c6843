//===- Random.cpp - graph.random_uniform to linalg ------------------------===//
//
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
// 3", SC'11; the generator PyTorch uses on CUDA) written in arith ops inside
// one elementwise linalg.generic: each element derives its counter from its
// own row-major index, so the numbers are the same however the nest is
// tiled, parallelized or mapped to GPU threads. Written by hand because
// MLIR has no random-number op to lower to.
//
//===----------------------------------------------------------------------===//

#include "Utils.h"
#include "graphc/Conversion/GraphToLinalg/GraphToLinalg.h"
#include "graphc/Dialect/Graph/GraphOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace graphc;
using namespace graphc::lowering;

namespace {

/// Philox4x32's round constants (Random123's PHILOX_M4x32_*, PHILOX_W32_*).
constexpr uint32_t kMultiplier0 = 0xD2511F53, kMultiplier1 = 0xCD9E8D57;
constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;

struct PhiloxBuilder {
  OpBuilder &b;
  Location loc;

  Value i32(uint32_t v) { return b.create<arith::ConstantIntOp>(loc, static_cast<int32_t>(v), 32); }
  Value i64(uint64_t v) { return b.create<arith::ConstantIntOp>(loc, static_cast<int64_t>(v), 64); }
  Value low32(Value x64) { return b.create<arith::TruncIOp>(loc, b.getI32Type(), x64); }
  Value high32(Value x64) {
    return low32(b.create<arith::ShRUIOp>(loc, x64, i64(32)));
  }
  /// The 64-bit product of two 32-bit words, as (high, low).
  std::pair<Value, Value> mulWide(Value a, uint32_t m) {
    Value wide = b.create<arith::MulIOp>(loc, b.create<arith::ExtUIOp>(loc, b.getI64Type(), a),
                                         i64(m));
    return {high32(wide), low32(wide)};
  }
  Value xorI(Value a, Value c) { return b.create<arith::XOrIOp>(loc, a, c); }
  Value addI(Value a, Value c) { return b.create<arith::AddIOp>(loc, a, c); }

  /// Ten rounds on counter c with key k; returns the four output words.
  std::array<Value, 4> rounds(std::array<Value, 4> c, std::array<Value, 2> k) {
    for (int round = 0; round < 10; ++round) {
      auto [hi0, lo0] = mulWide(c[0], kMultiplier0);
      auto [hi1, lo1] = mulWide(c[2], kMultiplier1);
      c = {xorI(xorI(hi1, c[1]), k[0]), lo1, xorI(xorI(hi0, c[3]), k[1]), lo0};
      k = {addI(k[0], i32(kWeyl0)), addI(k[1], i32(kWeyl1))};
    }
    return c;
  }
};

struct RandomUniformLowering : OpConversionPattern<graph::RandomUniformOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(graph::RandomUniformOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    Value like = adaptor.getLike();
    int64_t rank = resultType.getRank();
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(rewriter.create<arith::IndexCastOp>(loc, rewriter.getI64Type(),
                                                          dimSize(rewriter, loc, like, d)));
    Value init = createEmpty(rewriter, loc, resultType,
                             [&](int64_t d) { return dimSize(rewriter, loc, like, d); });
    // The key and the call count are inputs read through constant maps
    // (state[0], state[1]), so that a GPU kernel reads them itself rather
    // than the host reading device memory.
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<AffineMap> maps{
        AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx),
        AffineMap::get(rank, 0, {getAffineConstantExpr(1, ctx)}, ctx),
        rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
    uint32_t stream = static_cast<uint32_t>(op.getStream());
    Type element = resultType.getElementType();
    auto generic = rewriter.create<linalg::GenericOp>(
        loc, resultType, ValueRange{adaptor.getState(), adaptor.getState()}, ValueRange{init},
        maps, iterators, [&](OpBuilder &b, Location l, ValueRange args) {
          PhiloxBuilder p{b, l};
          Value seed = args[0], calls = args[1];
          // The row-major index of this element.
          Value flat = p.i64(0);
          for (int64_t d = 0; d < rank; ++d) {
            Value index = b.create<arith::IndexCastOp>(l, b.getI64Type(),
                                                       b.create<linalg::IndexOp>(l, d));
            flat = p.addI(b.create<arith::MulIOp>(l, flat, sizes[d]), index);
          }
          std::array<Value, 4> words = p.rounds(
              {p.low32(flat), p.high32(flat), p.i32(stream), p.low32(calls)},
              {p.low32(seed), p.high32(seed)});
          Value uniform;
          if (element.isF32()) {
            // The top 24 bits, scaled by 2^-24: every float32 in [0, 1) a multiple of 2^-24.
            Value bits = b.create<arith::ShRUIOp>(l, words[0], p.i32(8));
            Value asFloat = b.create<arith::UIToFPOp>(l, element, bits);
            uniform = b.create<arith::MulFOp>(l, asFloat, scalarConstant(b, l, element, 0x1p-24));
          } else {
            // 53 bits: the first word's 32 and the top 21 of the second.
            Value high = b.create<arith::ShLIOp>(
                l, b.create<arith::ExtUIOp>(l, b.getI64Type(), words[0]), p.i64(21));
            Value low = b.create<arith::ExtUIOp>(
                l, b.getI64Type(), b.create<arith::ShRUIOp>(l, words[1], p.i32(11)));
            Value bits = b.create<arith::OrIOp>(l, high, low);
            Value asFloat = b.create<arith::UIToFPOp>(l, element, bits);
            uniform = b.create<arith::MulFOp>(l, asFloat, scalarConstant(b, l, element, 0x1p-53));
          }
          b.create<linalg::YieldOp>(l, uniform);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

} // namespace

void graphc::populateGraphToLinalgRandomPatterns(RewritePatternSet &patterns) {
  patterns.add<RandomUniformLowering>(patterns.getContext());
}
