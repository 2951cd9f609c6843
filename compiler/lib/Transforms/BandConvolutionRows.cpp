//===- BandConvolutionRows.cpp - --graphc-band-convolution-rows -----------===//
//
// Skips the products of a flat convolution that read only zero padding, on
// tensors, before graphc-tile-convolutions.
//
// The lowering writes a stride-1 convolution's input gradient as a forward
// convolution over flattened rows (GraphToLinalg/Linear.cpp) of the output
// gradient padded by KH - 1 - padding rows and columns of zeros on each side:
// LeNet's conv2 gradient, 10 x 10, becomes rows of 14 inside 19 rows, and
// each of the 14 x 14 output positions sums all 25 window positions. A
// window row kh of an output row y reads padded row y + kh, which holds data
// only for 10 of the 14 output rows: of the 14 x 5 (output row, kh) pairs,
// 20 read only zeros, 29 % of the FMAs the register tiles issue (and the
// columns' zeros, which flat rows cannot skip, double the necessary
// products in all: 2.46 ms of LeNet's 12.6 ms training step at batch 256,
// the largest kernel).
//
// In flat terms: the data lies in [lo, hi) = [r0*W + c0, (r0 + h - 1)*W +
// c0 + w), and window row kh at flat position p reads [p + kh*W, p + kh*W +
// KW - 1], so only the band [lo - kh*W - (KW - 1), hi - kh*W) of positions
// (clipped to the output) can read data. Each kernel row becomes its own
// flat convolution over its band (a slice of the kernel, of the input and
// of the output), adding into the output, for one image at a time: the
// image's input and output stay in L1 across the KH passes (a loop over the
// batch per band streamed the whole output KH times). The bands are flat
// convolutions with one kernel row, which graphc-tile-convolutions tiles as
// any other (the tile's accumulator then starts from the output instead of
// a zero fill).
//
// Only where it pays: the bands' positions at most kMaxBandedFraction of
// KH full passes. A convolution padded by 2 on 28 x 28 rows (LeNet's conv1)
// would skip 4 % and pay a read of its output per kernel row.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Passes.h"

#include "FlatConvolutions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>
#include <optional>

namespace graphc {
#define GEN_PASS_DEF_BANDCONVOLUTIONROWS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// The most positions the bands may cover, as a fraction of KH passes over
/// every output position, for the banding to pay for its KH reads and
/// writes of the output tiles (one per 16 * KW FMAs per accumulator in
/// LeNet's conv2 input gradient).
constexpr double kMaxBandedFraction = 0.8;

/// One kernel row's band of flat output positions, [begin, end).
struct Band {
  int64_t kernelRow, begin, end;
};

/// Where a flattened image holds data: zero outside the flat positions
/// [lo, hi) of rows `width` wide.
struct DataRange {
  int64_t lo, hi, width;
};

/// The data range of `flat`, a collapse of rows and columns of a zero fill
/// with the data inserted at static rows and columns. None for any other
/// producer.
std::optional<DataRange> dataRange(Value flat) {
  auto collapse = flat.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse)
    return std::nullopt;
  auto insert = collapse.getSrc().getDefiningOp<tensor::InsertSliceOp>();
  if (!insert || !insert.hasUnitStride())
    return std::nullopt;
  auto fill = insert.getDest().getDefiningOp<linalg::FillOp>();
  if (!fill || !matchPattern(fill.getInputs().front(), m_AnyZeroFloat()))
    return std::nullopt;
  RankedTensorType padded = insert.getDestType();
  SmallVector<ReassociationIndices> rows = collapse.getReassociationIndices();
  if (padded.getRank() != 4 || rows.size() != 3 || rows[2] != ReassociationIndices{2, 3} ||
      padded.isDynamicDim(3))
    return std::nullopt;
  ArrayRef<int64_t> offsets = insert.getStaticOffsets(), sizes = insert.getStaticSizes();
  if (ShapedType::isDynamic(offsets[2]) || ShapedType::isDynamic(offsets[3]) ||
      ShapedType::isDynamic(sizes[2]) || ShapedType::isDynamic(sizes[3]) || sizes[2] == 0 ||
      sizes[3] == 0)
    return std::nullopt;
  int64_t width = padded.getDimSize(3);
  int64_t lo = offsets[2] * width + offsets[3];
  int64_t hi = (offsets[2] + sizes[2] - 1) * width + offsets[3] + sizes[3];
  return DataRange{lo, hi, width};
}

/// Kernel rows [first, last] whose bands have the same length and read the
/// same input positions (band begin + kh*W): one loop over kh whose tiles
/// are static. Without the loop, LeNet's conv2 input gradient gave five
/// copies of the tiles' code, and the LeNet training executable took 6.2 s
/// to compile instead of 4.9.
struct BandGroup {
  int64_t first, last, length, inputOffset;
};

SmallVector<BandGroup> groupsOf(ArrayRef<Band> bands, int64_t width) {
  SmallVector<BandGroup> groups;
  for (const Band &band : bands) {
    int64_t length = band.end - band.begin, inputOffset = band.begin + band.kernelRow * width;
    if (!groups.empty() && groups.back().last + 1 == band.kernelRow &&
        groups.back().length == length && groups.back().inputOffset == inputOffset) {
      groups.back().last = band.kernelRow;
      continue;
    }
    groups.push_back({band.kernelRow, band.kernelRow, length, inputOffset});
  }
  return groups;
}

/// How `conv` runs by bands: its kernel rows' groups, over rows `width` wide.
struct BandPlan {
  SmallVector<BandGroup> groups;
  int64_t width;
};

/// The bands of `conv`, a flat convolution, when its input is zero outside
/// a known range and the bands pay; none otherwise.
std::optional<BandPlan> planBands(linalg::GenericOp conv) {
  std::optional<int64_t> width = graphc::flat_convolutions::windowRowWidth(conv);
  std::optional<DataRange> data = dataRange(conv.getDpsInputs()[0]);
  auto kernel = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
  auto output = cast<RankedTensorType>(conv.getResultTypes().front());
  // The window's rows must be the image's; all static but the batch (the
  // bands' slices have static sizes).
  auto image = cast<RankedTensorType>(conv.getDpsInputs()[0].getType());
  if (!width || !data || data->width != *width || !kernel.hasStaticShape() ||
      image.isDynamicDim(1) || output.isDynamicDim(1) || output.isDynamicDim(2))
    return std::nullopt;
  auto [lo, hi, rowWidth] = *data;
  int64_t kernelRows = kernel.getDimSize(2), kernelColumns = kernel.getDimSize(3);
  int64_t positions = output.getDimSize(2);
  SmallVector<Band> bands;
  int64_t banded = 0;
  for (int64_t kh = 0; kh < kernelRows; ++kh) {
    int64_t begin = std::max<int64_t>(0, lo - kh * rowWidth - (kernelColumns - 1));
    int64_t end = std::min<int64_t>(positions, hi - kh * rowWidth);
    if (end <= begin)
      continue;
    bands.push_back({kh, begin, end});
    banded += end - begin;
  }
  if (double(banded) > kMaxBandedFraction * double(kernelRows * positions))
    return std::nullopt;
  return BandPlan{groupsOf(bands, rowWidth), rowWidth};
}

} // namespace

bool graphc::flat_convolutions::isComputedInBands(linalg::GenericOp flatConvolution) {
  return planBands(flatConvolution).has_value();
}

namespace {

/// Replaces `conv` by a loop over its images of one convolution per band,
/// each adding its kernel row's products into its band of the image's
/// output.
void band(RewriterBase &rewriter, linalg::GenericOp conv, const BandPlan &plan) {
  Location loc = conv.getLoc();
  rewriter.setInsertionPoint(conv);
  Value image = conv.getDpsInputs()[0], kernel = conv.getDpsInputs()[1];
  Value output = conv.getDpsInits()[0];
  auto kernelType = cast<RankedTensorType>(kernel.getType());
  auto imageType = cast<RankedTensorType>(image.getType());
  auto outputType = cast<RankedTensorType>(output.getType());
  int64_t channels = imageType.getDimSize(1), filters = outputType.getDimSize(1);
  int64_t kernelColumns = kernelType.getDimSize(3);
  int64_t width = plan.width;
  auto index = [](OpBuilder &b, int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  auto constant = [](OpBuilder &b, Location l, int64_t v) -> Value {
    return b.create<arith::ConstantIndexOp>(l, v);
  };
  // Kernel row kh's band of image n, `length` positions from `begin`
  // reading the input from `inputOffset` (kh at 0 in the window offset),
  // added into `imageOutput`.
  auto addBand = [&](OpBuilder &b, Location l, Value n, OpFoldResult kernelRow, OpFoldResult begin,
                     const BandGroup &group, Value imageOutput) -> Value {
    SmallVector<OpFoldResult> unit3(3, index(b, 1)), unit4(4, index(b, 1));
    Value input = b.create<tensor::ExtractSliceOp>(
        l, image, SmallVector<OpFoldResult>{n, index(b, 0), index(b, group.inputOffset)},
        SmallVector<OpFoldResult>{index(b, 1), index(b, channels),
                                  index(b, group.length + kernelColumns - 1)},
        unit3);
    Value kernelSlice = b.create<tensor::ExtractSliceOp>(
        l, kernel, SmallVector<OpFoldResult>{index(b, 0), index(b, 0), kernelRow, index(b, 0)},
        SmallVector<OpFoldResult>{index(b, kernelType.getDimSize(0)),
                                  index(b, kernelType.getDimSize(1)), index(b, 1),
                                  index(b, kernelColumns)},
        unit4);
    SmallVector<OpFoldResult> outputOffsets{n, index(b, 0), begin};
    SmallVector<OpFoldResult> outputSizes{index(b, 1), index(b, filters), index(b, group.length)};
    Value bandOutput =
        b.create<tensor::ExtractSliceOp>(l, imageOutput, outputOffsets, outputSizes, unit3);
    auto rowConv = b.create<linalg::GenericOp>(
        l, bandOutput.getType(), ValueRange{input, kernelSlice}, ValueRange{bandOutput},
        conv.getIndexingMapsArray(), conv.getIteratorTypesArray());
    // The same multiply-accumulate body.
    IRMapping mapping;
    conv.getRegion().cloneInto(&rowConv.getRegion(), mapping);
    return b.create<tensor::InsertSliceOp>(l, rowConv.getResult(0), imageOutput, outputOffsets,
                                           outputSizes, unit3);
  };
  Value images = rewriter.createOrFold<tensor::DimOp>(loc, output, 0);
  auto loop = rewriter.create<scf::ForOp>(
      loc, constant(rewriter, loc, 0), images, constant(rewriter, loc, 1), ValueRange{output},
      [&](OpBuilder &b, Location l, Value n, ValueRange carried) {
        Value imageOutput = carried.front();
        for (const BandGroup &group : plan.groups) {
          if (group.first == group.last) {
            imageOutput =
                addBand(b, l, n, index(b, group.first),
                        index(b, group.inputOffset - group.first * width), group, imageOutput);
            continue;
          }
          // Kernel rows in order: each element's sum is the same as unrolled.
          auto rows = b.create<scf::ForOp>(
              l, constant(b, l, group.first), constant(b, l, group.last + 1), constant(b, l, 1),
              ValueRange{imageOutput},
              [&](OpBuilder &rb, Location rl, Value kh, ValueRange rowCarried) {
                // begin = inputOffset - kh*W.
                Value begin = rb.create<arith::SubIOp>(
                    rl, constant(rb, rl, group.inputOffset),
                    rb.create<arith::MulIOp>(rl, kh, constant(rb, rl, width)));
                rb.create<scf::YieldOp>(rl,
                                        addBand(rb, rl, n, kh, begin, group, rowCarried.front()));
              });
          imageOutput = rows.getResult(0);
        }
        b.create<scf::YieldOp>(l, imageOutput);
      });
  // Each image's output is its own.
  loop->setAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName(),
                rewriter.getUnitAttr());
  rewriter.replaceOp(conv, loop.getResults());
}

struct BandConvolutionRowsPass : graphc::impl::BandConvolutionRowsBase<BandConvolutionRowsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::GenericOp, BandPlan>> banded;
    getOperation().walk([&](linalg::GenericOp generic) {
      if (!graphc::flat_convolutions::isFlatConvolution(generic))
        return;
      if (std::optional<BandPlan> plan = planBands(generic))
        banded.emplace_back(generic, std::move(*plan));
    });
    IRRewriter rewriter(&getContext());
    for (auto &[conv, plan] : banded)
      band(rewriter, conv, plan);
  }
};

} // namespace
