//===- VectorizeWindowPooling.cpp - --graphc-vectorize-window-pooling -----===//
//
// Vectors for pooling over non-overlapping windows (LeNet's 2x2/2), on
// tensors, before bufferization.
//
// The lowering writes max pooling and its gradient over windows that do not
// overlap as one elementwise generic over the windows [N, C, OH, OW] whose
// operands are the input's window slices: position (kh, kw) of every window,
// a view with strides (KH, KW) (GraphToLinalg/Pooling.cpp). The gradient's
// results are such slices of its result too, inserted back one by one.
// Lowered to loops, that is a stride-KW access per element in a loop of OW
// windows (14 and 5 in LeNet), which LLVM leaves scalar, and bufferization
// writes only the first of the gradient's slices in place and copies the
// other three (strided): a CNN training step's profile (perf, LeNet, batch
// 256, one thread) had the pooling gradient and those copies at 12 % of the
// samples, the forward pass at 2 %.
//
// Here each row of windows, (n, c, oh), is a few vector operations:
//   - the input rows oh*KH + kh, loaded whole (OW*KW contiguous elements,
//     or chunks of them), split into KW vectors by shuffles (lane i of
//     vector kw is column i*KW + kw: window i's position (kh, kw));
//   - the generic's body, cloned with every scalar op on vectors (its ops
//     must be elementwise-mappable), so each element's arithmetic is the
//     scalar body's and results are bitwise unchanged;
//   - results per window stored as a vector; a gradient's KW results of a
//     window row interleaved back into the result's row and stored whole,
//     straight into one result tensor (no slices, no copies).
// The loop over images is marked graph.independent_iterations (each writes
// its own images). The vectors are OW (or a chunk's) windows long, not a
// power of two: LLVM splits them into its legal widths.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Iterators.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace graphc {
#define GEN_PASS_DEF_VECTORIZEWINDOWPOOLING
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

/// Windows per vector when a row holds more than `kWholeRowWindows`: two
/// AVX-512 registers of a 2-wide window's row.
constexpr int64_t kChunkWindows = 16;
constexpr int64_t kWholeRowWindows = 32;

/// Position (kh, kw) of every KH x KW window of `source` ([N, C, H, W], H and
/// W static): an extract_slice with offsets (0, 0, kh, kw) and strides
/// (1, 1, KH, KW), or the same slice of a result tensor.
struct WindowSlice {
  Value source;
  int64_t kh, kw, kernelH, kernelW;
};

/// `slice` as a window slice of iteration shape `windows` ([N, C, OH, OW]).
std::optional<WindowSlice> asWindowSlice(tensor::ExtractSliceOp slice, RankedTensorType windows) {
  if (!slice || slice.getSourceType().getRank() != 4 ||
      slice.getType().getShape() != windows.getShape())
    return std::nullopt;
  std::optional<SmallVector<int64_t>> offsets = getConstantIntValues(slice.getMixedOffsets());
  std::optional<SmallVector<int64_t>> strides = getConstantIntValues(slice.getMixedStrides());
  if (!offsets || !strides || (*offsets)[0] != 0 || (*offsets)[1] != 0 || (*strides)[0] != 1 ||
      (*strides)[1] != 1)
    return std::nullopt;
  int64_t kh = (*offsets)[2], kw = (*offsets)[3], kernelH = (*strides)[2], kernelW = (*strides)[3];
  ArrayRef<int64_t> source = slice.getSourceType().getShape();
  ArrayRef<int64_t> out = windows.getShape();
  // A 1x1 window is a plain (strided) view, not pooling.
  if (kernelH * kernelW == 1)
    return std::nullopt;
  // The rows and columns every window reads lie in the source.
  if (ShapedType::isDynamic(source[2]) || ShapedType::isDynamic(source[3]) || kh >= kernelH ||
      kw >= kernelW || out[2] * kernelH > source[2] || out[3] * kernelW > source[3])
    return std::nullopt;
  return WindowSlice{slice.getSource(), kh, kw, kernelH, kernelW};
}

/// A generic this pass rewrites, and what each of its operands is.
struct WindowPooling {
  linalg::GenericOp generic;
  int64_t kernelH = 0, kernelW = 0;
  /// Per input: its window slice, or none for a tensor of the windows' shape.
  SmallVector<std::optional<WindowSlice>> inputs;
  /// Gradient form: result k is window position (kh, kw) of `dest`, and
  /// `lastInsert` the insert_slice that completes it. Else every result is
  /// one value per window, written into its init.
  Value dest;
  tensor::InsertSliceOp lastInsert;
  SmallVector<WindowSlice> outputs;
};

bool sameKernel(WindowPooling &match, const WindowSlice &slice) {
  if (match.kernelH == 0) {
    match.kernelH = slice.kernelH;
    match.kernelW = slice.kernelW;
  }
  return slice.kernelH == match.kernelH && slice.kernelW == match.kernelW;
}

/// The gradient form's results: each inserted once, at the window position
/// its init was sliced from, into one chain of inserts that starts at the
/// inits' tensor and covers every window position.
bool matchInsertedResults(WindowPooling &match, RankedTensorType windows) {
  linalg::GenericOp generic = match.generic;
  int64_t positions = match.kernelH * match.kernelW;
  if ((int64_t)generic.getNumResults() != positions)
    return false;
  SmallVector<bool> covered(positions, false);
  llvm::SmallPtrSet<Operation *, 8> inserts;
  for (auto [result, init] : llvm::zip(generic.getResults(), generic.getDpsInits())) {
    std::optional<WindowSlice> slice =
        asWindowSlice(init.getDefiningOp<tensor::ExtractSliceOp>(), windows);
    if (!slice || !sameKernel(match, *slice) || !result.hasOneUse())
      return false;
    if (!match.dest)
      match.dest = slice->source;
    int64_t position = slice->kh * match.kernelW + slice->kw;
    if (slice->source != match.dest || covered[position])
      return false;
    covered[position] = true;
    auto insert = dyn_cast<tensor::InsertSliceOp>(*result.getUsers().begin());
    if (!insert || insert.getSource() != result ||
        insert.getDest().getType() != match.dest.getType() ||
        insert.getMixedOffsets() !=
            init.getDefiningOp<tensor::ExtractSliceOp>().getMixedOffsets() ||
        !getConstantIntValues(insert.getMixedStrides()) ||
        *getConstantIntValues(insert.getMixedStrides()) !=
            SmallVector<int64_t>{1, 1, match.kernelH, match.kernelW})
      return false;
    inserts.insert(insert);
    match.outputs.push_back(*slice);
  }
  // One chain from `dest`: each insert writes into the previous one, only
  // the last is used elsewhere.
  Value chain = match.dest;
  for (int64_t step = 0; step < positions; ++step) {
    tensor::InsertSliceOp next;
    for (Operation *user : chain.getUsers())
      if (auto insert = dyn_cast<tensor::InsertSliceOp>(user);
          insert && inserts.contains(insert) && insert.getDest() == chain)
        next = insert;
    if (!next || (step > 0 && !chain.hasOneUse()))
      return false;
    match.lastInsert = next;
    chain = next.getResult();
  }
  return true;
}

bool sameShape(Value tensor, RankedTensorType windows) {
  auto type = dyn_cast<RankedTensorType>(tensor.getType());
  return type && type.getShape() == windows.getShape();
}

/// Whether a plain input's map reads it as this pass can: each result a
/// loop dim or 0 (a broadcast), the window column d3, if read, last.
bool isRowReadable(AffineMap map) {
  for (auto [position, result] : llvm::enumerate(map.getResults())) {
    if (auto dim = dyn_cast<AffineDimExpr>(result)) {
      if (dim.getPosition() == 3 && position + 1 != map.getNumResults())
        return false;
      continue;
    }
    auto constant = dyn_cast<AffineConstantExpr>(result);
    if (!constant || constant.getValue() != 0)
      return false;
  }
  return true;
}

std::optional<WindowPooling> matchWindowPooling(linalg::GenericOp generic) {
  if (!generic.hasPureTensorSemantics() || generic.getNumLoops() != 4 ||
      generic.getNumReductionLoops() != 0)
    return std::nullopt;
  auto windows = dyn_cast<RankedTensorType>(generic.getResultTypes().front());
  if (!windows || windows.isDynamicDim(1) || windows.isDynamicDim(2) || windows.isDynamicDim(3) ||
      windows.getDimSize(1) == 0 || windows.getDimSize(2) == 0 || windows.getDimSize(3) == 0)
    return std::nullopt;
  // Every body op on vectors as on scalars; the inits are only written.
  Block &body = generic.getRegion().front();
  for (Operation &op : body.without_terminator())
    if (!OpTrait::hasElementwiseMappableTraits(&op) || op.getNumRegions() != 0)
      return std::nullopt;
  for (OpOperand &init : generic.getDpsInitsMutable())
    if (generic.payloadUsesValueFromOperand(&init) ||
        !generic.getMatchingIndexingMap(&init).isIdentity())
      return std::nullopt;

  WindowPooling match;
  match.generic = generic;
  bool anyWindow = false;
  for (OpOperand *input : generic.getDpsInputOperands()) {
    AffineMap map = generic.getMatchingIndexingMap(input);
    std::optional<WindowSlice> slice;
    if (map.isIdentity())
      slice = asWindowSlice(input->get().getDefiningOp<tensor::ExtractSliceOp>(), windows);
    if (slice && !sameKernel(match, *slice))
      return std::nullopt;
    // Otherwise read per row of windows: whole, or one value broadcast.
    if (!slice && (!isa<RankedTensorType>(input->get().getType()) || !isRowReadable(map)))
      return std::nullopt;
    anyWindow |= slice.has_value();
    match.inputs.push_back(slice);
  }
  if (!anyWindow)
    return std::nullopt;
  // The gradient form, or results per window.
  bool slicedInits = llvm::any_of(generic.getDpsInits(), [](Value init) {
    return init.getDefiningOp<tensor::ExtractSliceOp>() != nullptr;
  });
  if (slicedInits)
    return matchInsertedResults(match, windows) ? std::optional(match) : std::nullopt;
  for (Value init : generic.getDpsInits())
    if (!sameShape(init, windows))
      return std::nullopt;
  return match;
}

/// Builds one row's chunk of `width` windows from window column `column`.
class ChunkBuilder {
public:
  ChunkBuilder(OpBuilder &b, Location loc, const WindowPooling &match, ValueRange rowIndex)
      : b(b), loc(loc), match(match), n(rowIndex[0]), c(rowIndex[1]), oh(rowIndex[2]) {}

  /// Returns the written tensors (the gradient's result, or one per result).
  SmallVector<Value> build(Value column, int64_t width, ValueRange written) {
    linalg::GenericOp generic = match.generic;
    Block &body = generic.getRegion().front();
    IRMapping vectors;
    rows.clear();
    for (auto [arg, input, slice] :
         llvm::zip(body.getArguments(), generic.getDpsInputOperands(), match.inputs)) {
      Type element = arg.getType();
      if (slice) {
        vectors.map(arg, windowLanes(slice->source, slice->kh, slice->kw, column, width, element));
        continue;
      }
      // A plain input at the map's indices: a row of windows' values, or
      // one value broadcast (its map does not read the window column).
      AffineMap map = generic.getMatchingIndexingMap(input);
      Value loops[] = {n, c, oh, column};
      SmallVector<Value> indices;
      for (AffineExpr result : map.getResults())
        indices.push_back(isa<AffineDimExpr>(result)
                              ? loops[cast<AffineDimExpr>(result).getPosition()]
                              : constant(0));
      if (map.isFunctionOfDim(3)) {
        vectors.map(arg,
                    b.create<vector::TransferReadOp>(loc, VectorType::get({width}, element),
                                                     input->get(), indices, ArrayRef<bool>{true}));
        continue;
      }
      Value scalar = b.create<tensor::ExtractOp>(loc, input->get(), indices);
      vectors.map(arg,
                  b.create<vector::BroadcastOp>(loc, VectorType::get({width}, element), scalar));
    }
    auto vectorOf = [&](Value scalar) -> Value {
      if (Value mapped = vectors.lookupOrNull(scalar))
        return mapped;
      // A value from outside the body: the same in every lane.
      Value splat =
          b.create<vector::BroadcastOp>(loc, VectorType::get({width}, scalar.getType()), scalar);
      vectors.map(scalar, splat);
      return splat;
    };
    for (Operation &op : body.without_terminator()) {
      SmallVector<Value> operands = llvm::map_to_vector(op.getOperands(), vectorOf);
      SmallVector<Type> types = llvm::map_to_vector(op.getResultTypes(), [&](Type scalar) -> Type {
        return VectorType::get({width}, scalar);
      });
      Operation *onVectors =
          b.create(loc, op.getName().getIdentifier(), operands, types, op.getAttrs());
      vectors.map(op.getResults(), onVectors->getResults());
    }
    SmallVector<Value> results = llvm::map_to_vector(body.getTerminator()->getOperands(), vectorOf);

    if (!match.dest) {
      SmallVector<Value> out;
      for (auto [value, into] : llvm::zip(results, written))
        out.push_back(b.create<vector::TransferWriteOp>(
                           loc, value, into, ValueRange{n, c, oh, column}, ArrayRef<bool>{true})
                          .getResult());
      return out;
    }
    // Each window row kh: its KW results interleaved, stored whole.
    Value into = written.front();
    for (int64_t kh = 0; kh < match.kernelH; ++kh) {
      SmallVector<Value> lanes(match.kernelW);
      for (auto [slice, value] : llvm::zip(match.outputs, results))
        if (slice.kh == kh)
          lanes[slice.kw] = value;
      into = b.create<vector::TransferWriteOp>(loc, interleave(lanes, width), into,
                                               ValueRange{n, c, row(kh), inputColumn(column)},
                                               ArrayRef<bool>{true})
                 .getResult();
    }
    return {into};
  }

private:
  Value constant(int64_t v) { return b.create<arith::ConstantIndexOp>(loc, v); }
  Value row(int64_t kh) {
    return b.create<arith::AddIOp>(loc, b.create<arith::MulIOp>(loc, oh, constant(match.kernelH)),
                                   constant(kh));
  }
  Value inputColumn(Value column) {
    return b.create<arith::MulIOp>(loc, column, constant(match.kernelW));
  }

  /// Lane i: window (column + i)'s position (kh, kw) of `source`. One load
  /// per source row, shared by its KW shuffles.
  Value windowLanes(Value source, int64_t kh, int64_t kw, Value column, int64_t width,
                    Type element) {
    Value &loaded = rows[{source, kh}];
    if (!loaded)
      loaded = b.create<vector::TransferReadOp>(
          loc, VectorType::get({width * match.kernelW}, element), source,
          ValueRange{n, c, row(kh), inputColumn(column)}, ArrayRef<bool>{true});
    if (match.kernelW == 1)
      return loaded;
    SmallVector<int64_t> mask;
    for (int64_t i = 0; i < width; ++i)
      mask.push_back(i * match.kernelW + kw);
    return b.create<vector::ShuffleOp>(loc, loaded, loaded, mask);
  }

  /// Lane i*KW + kw of the row: lane i of lanes[kw].
  Value interleave(ArrayRef<Value> lanes, int64_t width) {
    int64_t kernelW = lanes.size();
    if (kernelW == 1)
      return lanes.front();
    // A shuffle takes two vectors: the first KW - 1 concatenated, then one
    // shuffle of that and the last picks every lane.
    Value prefix = lanes.front();
    for (Value next : lanes.drop_front().drop_back()) {
      int64_t length = cast<VectorType>(prefix.getType()).getNumElements() + width;
      prefix = b.create<vector::ShuffleOp>(loc, prefix, next,
                                           llvm::to_vector(llvm::seq<int64_t>(0, length)));
    }
    SmallVector<int64_t> mask;
    for (int64_t i = 0; i < width; ++i)
      for (int64_t kw = 0; kw < kernelW; ++kw)
        mask.push_back(kw * width + i);
    return b.create<vector::ShuffleOp>(loc, prefix, lanes.back(), mask);
  }

  OpBuilder &b;
  Location loc;
  const WindowPooling &match;
  Value n, c, oh;
  llvm::DenseMap<std::pair<Value, int64_t>, Value> rows;
};

void rewrite(RewriterBase &rewriter, const WindowPooling &match) {
  linalg::GenericOp generic = match.generic;
  Location loc = generic.getLoc();
  rewriter.setInsertionPoint(generic);
  auto windows = cast<RankedTensorType>(generic.getResultTypes().front());
  ArrayRef<int64_t> shape = windows.getShape();
  // The windows' images (the inits have the windows' shape in both forms),
  // which are the images the generic and its inserts wrote.
  Value images = rewriter.createOrFold<tensor::DimOp>(loc, generic.getDpsInits().front(), 0);
  auto index = [&](int64_t v) -> Value { return rewriter.create<arith::ConstantIndexOp>(loc, v); };
  SmallVector<Value> written;
  if (match.dest)
    written.push_back(match.dest);
  else
    llvm::append_range(written, generic.getDpsInits());

  int64_t windowsPerRow = shape[3];
  int64_t chunk = windowsPerRow <= kWholeRowWindows ? windowsPerRow : kChunkWindows;
  int64_t wholeChunks = windowsPerRow / chunk, remainder = windowsPerRow % chunk;
  scf::LoopNest nest = scf::buildLoopNest(
      rewriter, loc, {index(0), index(0), index(0)}, {images, index(shape[1]), index(shape[2])},
      {index(1), index(1), index(1)}, written,
      [&](OpBuilder &b, Location l, ValueRange rowIndex, ValueRange tensors) {
        ChunkBuilder chunks(b, l, match, rowIndex);
        SmallVector<Value> current(tensors);
        if (wholeChunks == 1) {
          current = chunks.build(b.create<arith::ConstantIndexOp>(l, 0), chunk, current);
        } else {
          auto loop = b.create<scf::ForOp>(
              l, b.create<arith::ConstantIndexOp>(l, 0),
              b.create<arith::ConstantIndexOp>(l, wholeChunks * chunk),
              b.create<arith::ConstantIndexOp>(l, chunk), current,
              [&](OpBuilder &lb, Location ll, Value column, ValueRange carried) {
                ChunkBuilder inner(lb, ll, match, rowIndex);
                lb.create<scf::YieldOp>(ll, inner.build(column, chunk, carried));
              });
          current = loop.getResults();
        }
        if (remainder != 0)
          current = chunks.build(b.create<arith::ConstantIndexOp>(l, wholeChunks * chunk),
                                 remainder, current);
        return scf::ValueVector(current.begin(), current.end());
      });
  // Each image's rows are its own.
  nest.loops.front()->setAttr(graphc::graph::GraphDialect::getIndependentIterationsAttrName(),
                              rewriter.getUnitAttr());
  if (match.dest) {
    rewriter.replaceOp(match.lastInsert, nest.results.front());
    return;
  }
  rewriter.replaceOp(generic, nest.results);
}

struct VectorizeWindowPoolingPass
    : graphc::impl::VectorizeWindowPoolingBase<VectorizeWindowPoolingPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp generic) { generics.push_back(generic); });
    IRRewriter rewriter(&getContext());
    // Matched one at a time: a rewrite replaces its generic's results, which
    // later generics' slices may read.
    for (linalg::GenericOp generic : generics)
      if (std::optional<WindowPooling> match = matchWindowPooling(generic))
        rewrite(rewriter, *match);
    // The gradient's inserts, the generics and their slices are dead now.
    getOperation().walk<WalkOrder::PostOrder, ReverseIterator>([&](Operation *op) {
      if (isOpTriviallyDead(op))
        op->erase();
    });
  }
};

} // namespace
