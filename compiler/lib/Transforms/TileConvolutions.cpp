//===- TileConvolutions.cpp - --graphc-tile-convolutions -------------------===//
//
// Register tiling of graphc's stride-1 convolutions on tensors, before
// bufferization.
//
// The lowering writes a stride-1, dilation-1, one-group convolution, its
// input gradient (a convolution of the padded output gradient with the
// flipped kernel) and its weight gradient's partial sums as generics over
// flattened image rows (GraphToLinalg/Linear.cpp): the flat position p is
// innermost and contiguous, and the window offset is p + kh*W + kw. Lowered
// to loops, each (channel, kh, kw) step loads and stores a row of the output
// for one FMA per element, and the weight gradient's partial sums are reread
// for every image. Here each output tile stays in vector registers through
// its whole reduction:
//   - a convolution, loops (n, f, c, kh, kw, p): tiles of one image,
//     `channels` output channels and `positions` flat positions, carried
//     through the (c, kh, kw) loops: one broadcast weight and one input
//     vector per FMA row;
//   - a weight gradient's partial sums in lanes, loops (o, c, kh, kw, n,
//     block, lane): tiles of about `gradChannels` output channels, at most
//     `gradInputs` input channels (laneGradientTile) and the 16 lanes, carried through all of
//     an image's blocks of positions, and through a chunk of images or (many blocks an
//     image) from one image to the next in memory: an outer product of the
//     output gradient's and the input's vectors per image and block;
//   - the positions past the last whole block, loops (o, c, kh, kw, n, p):
//     tiles of `gradChannels` x `gradInputs` x 16 flat positions carried
//     through a chunk of images.
// Partial tiles are peeled, kh and kw tiled by 1 and dropped (the window
// offset becomes a plain slice offset), then the tiles are vectorized as in
// graphc-tile-matmuls. Every element's summation order is that of the
// untiled loops: results are bitwise unchanged.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "FlatConvolutions.h"
#include "RegisterTiling.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <algorithm>
#include <limits>

namespace graphc {
#define GEN_PASS_DEF_TILECONVOLUTIONS
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc::register_tiling;
using namespace graphc::flat_convolutions;

namespace {

using utils::IteratorType;

SmallVector<linalg::GenericOp> matching(Operation *root, bool (*matches)(linalg::GenericOp)) {
  SmallVector<linalg::GenericOp> found;
  root->walk([&](linalg::GenericOp generic) {
    if (matches(generic))
      found.push_back(generic);
  });
  return found;
}

SmallVector<linalg::GenericOp> convolutionsIn(Operation *root) {
  return matching(root, isFlatConvolution);
}
SmallVector<linalg::GenericOp> weightGradientsIn(Operation *root) {
  return matching(root, isFlatWeightGradient);
}
SmallVector<linalg::GenericOp> laneWeightGradientsIn(Operation *root) {
  return matching(root, isFlatLaneWeightGradient);
}

/// Both forms' flat position loop: innermost, the vectors' lanes.
constexpr unsigned kPositionLoop = 5;
/// The weight gradient's loop over the batch.
constexpr unsigned kImageLoop = 4;
/// The weight gradient's loop over the window's columns (kw).
constexpr unsigned kWindowColumnLoop = 3;
/// The partial sums' loop over their lanes (isFlatLaneWeightGradient).
constexpr unsigned kLaneLoop = 6;
/// The partial sums' loop over blocks of positions (as many per image as
/// whole vectors of lanes fit in an image's flat rows).
constexpr unsigned kBlockLoop = 5;
/// The fewest blocks an image for which the lane weight-gradient tiles take
/// one image at a time (tileLaneWeightGradients): their accumulators' round
/// trip through memory each image is then at most 2 of 16 blocks' worth of
/// loads. LeNet's conv1 (49) gains from it, conv2 (8) loses.
constexpr int64_t kOneImageBlocks = 16;

/// The loop a weight-gradient plan marks for unroll-and-jam: kw, when a
/// tile carries more than one window column's accumulators.
std::optional<int64_t> jammedLoop(int64_t columns) {
  return columns > 1 ? std::optional<int64_t>(kWindowColumnLoop) : std::nullopt;
}

/// The op loop each tile loop runs over, outermost first: tile loops exist
/// for the nonzero sizes, nested in the order of `interchange`.
SmallVector<int64_t> tiledLoopDims(ArrayRef<int64_t> sizes, ArrayRef<int64_t> interchange) {
  SmallVector<int64_t> order(interchange);
  if (order.empty())
    order = llvm::to_vector(llvm::seq<int64_t>(0, sizes.size()));
  return llvm::to_vector(llvm::make_filter_range(order, [&](int64_t dim) { return sizes[dim]; }));
}

/// The static size of loop `dim`, or `fallback` when it is dynamic.
int64_t loopSize(linalg::GenericOp generic, unsigned dim, int64_t fallback) {
  int64_t size = generic.getStaticLoopRanges()[dim];
  return ShapedType::isDynamic(size) ? fallback : size;
}

/// The target's vector registers (the pass's vector-bits): how many floats
/// each holds and how many there are.
struct VectorRegisters {
  int64_t lanes;
  int64_t count;

  explicit VectorRegisters(int64_t bits) : lanes(bits / 32), count(bits >= 512 ? 32 : 16) {}

  /// Most accumulator registers a tile carries: of AVX-512's 32 registers
  /// 24, the rest holding the input vectors and the broadcast weight of each
  /// step (the measurements below); of AVX2's 16, 12.
  int64_t accumulatorBudget() const { return count * 3 / 4; }

  /// Registers of a vector of `floats` lanes of a tile (LLVM splits a
  /// vector wider than a register).
  int64_t registersFor(int64_t floats) const { return std::max<int64_t>(1, floats / lanes); }

  /// Output channels per weight-gradient tile of `inputs` input channels
  /// whose (output, input) pairs each carry a vector of `floats` lanes: at
  /// most `most`, and no more than the accumulator budget holds (AVX-512's
  /// 4 x 6 x 16 tiles are 24 registers; on AVX2 they would be 48, and 2 x
  /// 3 x 16 are 12).
  int64_t gradientTileOutputs(int64_t most, int64_t inputs, int64_t floats) const {
    int64_t fit = accumulatorBudget() / (inputs * registersFor(floats));
    return std::max<int64_t>(1, std::min(most, fit));
  }
};

/// Flat positions per forward or input-gradient tile of `tileChannels`
/// output channels: `positions`, doubled (the split of a partial tile wants
/// powers of two) while the tile stays within the accumulator budget.
/// A narrow tile reloads its input vectors for few FMAs: LeNet's conv1 and
/// conv2's input gradient, 6 channels, made 6 x 32 tiles, 12 accumulators
/// and one input vector per 6 FMAs; 6 x 64 tiles (24) took conv1's forward
/// pass from 1.19-1.52 to 1.03-1.11 ms and conv2's input gradient from
/// 2.05-2.31 to 1.86-2.05 ms at batch 256 (OMP_NUM_THREADS=1
/// build/bin/op_bench --num-threads=1 --only="lenet conv" --reps=60, three
/// alternating runs). conv2's forward pass, 8 x 32 tiles (16), stays: 8 x
/// 64 would need 32.
int64_t convolutionTilePositions(int64_t tileChannels, int64_t positions,
                                 const VectorRegisters &registers) {
  while (tileChannels * registers.registersFor(2 * positions) <= registers.accumulatorBudget())
    positions *= 2;
  return positions;
}

/// Accumulator vectors a weight-gradient tile carries at least: each takes
/// one FMA per image, one after another. A one-channel input (LeNet's conv1)
/// made 4 x 1 x 16 tiles, 4 accumulators, a chain bound by the FMA's
/// latency; 4 x 1 x 32 tiles (8): conv1's weight gradient 1.64 -> 1.50 ms at
/// batch 256 (4 x 1 x 64 also 1.50; OMP_NUM_THREADS=1 build/bin/op_bench
/// --num-threads=1). conv2's 4 x 6 x 16 tiles carry 24.
constexpr int64_t kMinTileAccumulators = 8;

/// Positions per weight-gradient tile that carries `vectorsPerLaneGroup`
/// accumulator vectors for each `positions` lanes (one per (output, input)
/// channel pair, times the window columns when they are jammed):
/// `positions`, doubled while the tile carries fewer than
/// kMinTileAccumulators vectors, at most 4 times.
int64_t tilePositions(int64_t vectorsPerLaneGroup, int64_t positions) {
  for (int64_t widened = 1; vectorsPerLaneGroup * widened < kMinTileAccumulators && widened < 4;
       widened *= 2)
    positions *= 2;
  return positions;
}

/// The accumulator budget also bounds a weight-gradient tile with its window
/// columns unrolled and jammed (each image's output-gradient vectors loaded
/// once for all KW columns, one input vector a column): LeNet's conv1, one
/// input channel, made 4 x 1 x 32 tiles whose 8 FMAs an image took 10 loads,
/// two of them crossing cache lines; 4 x 1 x 16 tiles over its 5 columns
/// carry 20 accumulators, whose 20 FMAs an image take 9 loads, and leave
/// registers for them. conv2's 4 x 6 tiles already share each load between
/// 4 or 6 FMAs and would need 120. (On AVX-512; the budget is 24 registers.)
///
/// The weight gradient's window columns (its kw loop, static) when a tile
/// of `channelPairs` (output, input) channel pairs, each a vector of
/// `floats` lanes, can carry all of them at once within the accumulator
/// budget; 1 when it cannot.
int64_t jammedWindowColumns(linalg::GenericOp grad, int64_t channelPairs, int64_t floats,
                            const VectorRegisters &registers) {
  int64_t columns = grad.getStaticLoopRanges()[kWindowColumnLoop];
  if (ShapedType::isDynamic(columns) ||
      channelPairs * columns * registers.registersFor(floats) > registers.accumulatorBudget())
    return 1;
  return columns;
}

/// Bytes of one chunk of images' output gradient and input that the
/// weight-gradient tiles of a block of positions share. LeNet's conv1 (25 KB
/// an image, six output channels of 896 positions) took 2.00 ms at batch 256
/// in chunks of 16 images, 1.69 in chunks of 8 and 2.30 in chunks of 32,
/// while conv2 (14 KB an image) was fastest at 16 (2.17 ms; 2.37 at 8).
/// 224 KB gives 8 and 16 images (OMP_NUM_THREADS=1 build/bin/op_bench
/// --num-threads=1: 1.64 and 2.14 ms). With the program's arena on huge
/// pages, 8 still beat 16 for conv1 (LeNet executable, batch 256, three
/// alternating runs: 20,216-20,460 against 19,718-20,056 images/s), so it is
/// the cache, not the TLB, that a larger chunk runs out of. Since the
/// epilogue fusion, the masks decided per pooling window and conv2's
/// unfolded columns (23 KB an image), 448 KB (16 images for both) beat
/// 224 KB (8 and 9): conv1 1.24-1.26 -> 1.13-1.15 ms, conv2 2.04-2.11 ->
/// 1.89-1.93 ms (op_bench as above, three alternating runs); LeNet
/// executable 22,184-22,695 -> 22,896-23,719 images/s (batch 256, one
/// thread, alternating), its parameters byte-identical.
/// The summation order over the images is the same for any chunk size.
/// Since the partial sums in lanes, the grad-images cap (8) binds first for
/// LeNet's (184 KB and 200 KB chunks).
constexpr int64_t kChunkBytes = 448 * 1024;

/// Images per chunk of a weight gradient: as many as keep the chunk's output
/// gradient and input, whole images, under kChunkBytes, at most `most`.
int64_t imagesPerChunk(linalg::GenericOp grad, int64_t most) {
  // 0 leaves the image loop untiled.
  if (most <= 0)
    return most;
  int64_t bytesPerImage = 0;
  for (Value input : grad.getDpsInputs()) {
    auto type = cast<ShapedType>(input.getType());
    ArrayRef<int64_t> image = type.getShape().drop_front();
    if (ShapedType::isDynamicShape(image))
      return most;
    bytesPerImage += ShapedType::getNumElements(image) * type.getElementTypeBitWidth() / 8;
  }
  if (bytesPerImage == 0)
    return most;
  return std::clamp<int64_t>(kChunkBytes / bytesPerImage, 1, most);
}

struct TileConvolutionsPass : graphc::impl::TileConvolutionsBase<TileConvolutionsPass> {
  using TileConvolutionsBase::TileConvolutionsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (vectorBits != 128 && vectorBits != 256 && vectorBits != 512) {
      func.emitError("graphc-tile-convolutions: vector-bits must be 128, 256 or 512, got ")
          << static_cast<int64_t>(vectorBits);
      return signalPassFailure();
    }
    if (convolutionsIn(func).empty() && weightGradientsIn(func).empty() &&
        laneWeightGradientsIn(func).empty())
      return;
    if (failed(tileConvolutions(func)) || failed(tileWeightGradients(func)) ||
        failed(tileLaneWeightGradients(func)))
      return signalPassFailure();
    if (failed(canonicalize(func, RewritePatternSet(&getContext()))))
      return signalPassFailure();
    // One vectorization for both forms: rerunning its folds over tiles
    // already vectorized dropped a partial tile's write.
    SmallVector<linalg::GenericOp> tiles = convolutionsIn(func);
    llvm::append_range(tiles, weightGradientsIn(func));
    llvm::append_range(tiles, laneWeightGradientsIn(func));
    if (failed(vectorizeRegisterTiles(func, tiles, /*dropUnitLoops=*/true)))
      return signalPassFailure();
  }

  /// How one op is tiled: its tile sizes, and the loop (tiled by 1) whose
  /// tile loop is marked graph.unroll_and_jam, if any.
  struct TilePlan {
    SmallVector<int64_t> sizes;
    std::optional<int64_t> jammedDim;
    /// The tile loop (position in the nest, outermost 0) whose iterations
    /// write disjoint parts of the result.
    unsigned independentLoop = 0;
    /// The tile loops' nesting order, as dims of the op (empty: the dims'
    /// own order).
    SmallVector<int64_t> interchange = {};
  };

  /// The tile loop to share between threads: the plan's, or, when that loop
  /// has one iteration, the next loop over a parallel dimension that has
  /// more. A weight gradient's last positions (conv2's 4 of 100, after the
  /// lanes' whole blocks) are one tile of positions; its loop over output
  /// channels, inside the chunks of images, is then the one (LeNet's conv2:
  /// 0.3 ms a step at batch 256 on one thread, which two threads did not
  /// share).
  static unsigned independentLoop(const scf::SCFTileAndFuseResult &tiled,
                                  ArrayRef<int64_t> loopDims, ArrayRef<IteratorType> iterators,
                                  unsigned planned) {
    auto tripCount = [&](unsigned loop) {
      auto forOp = dyn_cast<scf::ForOp>(*tiled.loops[loop]);
      std::optional<int64_t> trips =
          forOp ? constantTripCount(forOp.getLowerBound(), forOp.getUpperBound(), forOp.getStep())
                : std::nullopt;
      return trips.value_or(2);
    };
    if (tripCount(planned) != 1)
      return planned;
    for (unsigned loop = planned + 1; loop < tiled.loops.size(); ++loop)
      if (iterators[loopDims[loop]] == IteratorType::parallel && tripCount(loop) > 1)
        return loop;
    return planned;
  }

  /// Tiles every match of `matches` as `planOf(op)` says (its zero fill
  /// fused), its tile loops nested in the order the plan gives; peels
  /// the partial tiles of every tiled loop but the reductions' (peeled tiles
  /// keep the jam mark) and splits the positions' into power-of-two tiles;
  /// marks the shared loop's iterations independent (independentLoop). The caller
  /// canonicalizes (the peeled tiles become static) and vectorizes.
  LogicalResult tile(func::FuncOp func, SmallVector<linalg::GenericOp> (*matches)(Operation *),
                     const std::function<TilePlan(linalg::GenericOp)> &planOf) {
    MLIRContext *ctx = func.getContext();
    IRRewriter rewriter(ctx);
    for (linalg::GenericOp op : matches(func)) {
      rewriter.setInsertionPoint(op);
      TilePlan plan = planOf(op);
      ArrayRef<int64_t> sizes = plan.sizes, interchange = plan.interchange;
      SmallVector<IteratorType> iterators = op.getIteratorTypesArray();
      FailureOr<scf::SCFTileAndFuseResult> tiled =
          tileWithEpilogue(rewriter, op, sizes, interchange);
      if (failed(tiled))
        return op.emitError("register-tiling the convolution failed");
      // Each iteration of that loop (an image, a block of flat positions, a
      // block of output channels) writes its own part of the result: threads
      // may share them.
      SmallVector<int64_t> loopDims = tiledLoopDims(sizes, interchange);
      tiled->loops[independentLoop(*tiled, loopDims, iterators, plan.independentLoop)]->setAttr(
          graphc::graph::GraphDialect::getIndependentIterationsAttrName(), rewriter.getUnitAttr());
      for (auto [loop, dim] : llvm::zip(tiled->loops, loopDims))
        if (dim == plan.jammedDim)
          loop->setAttr(graphc::graph::GraphDialect::getUnrollAndJamAttrName(),
                        rewriter.getUnitAttr());
      // Innermost first: a remainder loop peeled from an outer loop then
      // holds inner loops that were peeled already. The flat positions are
      // the vectors' lanes.
      for (auto [loop, dim] : llvm::reverse(llvm::zip(tiled->loops, loopDims))) {
        // A reduction's chunks need no static size: the tile's loop over it
        // is tiled by 1 below.
        if (iterators[dim] == IteratorType::reduction)
          continue;
        scf::ForOp remainder = peelPartialTile(rewriter, cast<scf::ForOp>(loop.getOperation()));
        if (remainder && dim == kPositionLoop &&
            failed(splitPartialTile(rewriter, remainder, kPositionLoop, sizes[kPositionLoop],
                                    matches)))
          return failure();
      }
    }
    return success();
  }

  LogicalResult tileConvolutions(func::FuncOp func) {
    return tile(
        func, convolutionsIn,
        [&](linalg::GenericOp conv) -> TilePlan {
          int64_t tileChannels = std::min<int64_t>(loopSize(conv, 1, channels), channels);
          return {{1, tileChannels, 0, 0, 0,
                   convolutionTilePositions(tileChannels, positions, VectorRegisters(vectorBits))},
                  std::nullopt};
        });
  }

  LogicalResult tileWeightGradients(func::FuncOp func) {
    return tile(func, weightGradientsIn, [&](linalg::GenericOp grad) -> TilePlan {
      VectorRegisters registers(vectorBits);
      int64_t inputs = std::min<int64_t>(loopSize(grad, 1, gradInputs), gradInputs);
      int64_t most = registers.gradientTileOutputs(gradChannels, inputs, gradPositions);
      int64_t outputs = std::min<int64_t>(loopSize(grad, 0, most), most);
      // The window columns of a tile that can carry them all at once:
      // --graphc-unroll-and-jam, after bufferization, runs them in one
      // loop over the chunk's images.
      int64_t columns = jammedWindowColumns(grad, outputs * inputs, gradPositions, registers);
      // Positions, then chunks of images outermost: all (o, c, kh, kw)
      // tiles of a block of positions pass over one chunk of images while
      // its output gradient and input (about 80 KB for LeNet's conv2) stay
      // in L1 and L2, and each tile's partial sums are reread once per
      // chunk. With channels outermost, every tile streamed the whole
      // batch (3.6 MB for conv2 at batch 256) from memory: 10 cache lines
      // per 24 FMAs.
      return {{outputs, inputs, 1, 1, imagesPerChunk(grad, gradImages),
               tilePositions(outputs * inputs * columns, gradPositions)},
              jammedLoop(columns),
              /*independentLoop=*/0,
              {kPositionLoop, kImageLoop, 0, 1, 2, 3}};
    });
  }

  /// Output and input channels per tile of lane weight gradient `grad`.
  /// Its blocks of output channels are the loop threads share, and a last,
  /// smaller block runs after them on one thread. So of the input-channel
  /// counts up to grad-inputs, each with as many output channels as the
  /// accumulator budget leaves (in equal blocks), the tile is the one whose
  /// blocks take kBalancedThreads threads the fewest steps, then one
  /// thread the fewest, then the most inputs (AVX-512's conv2: 2 to 6 inputs
  /// tie). A step of an o x i tile is max(o * i, o + i) vectors: its FMAs
  /// or its loads. LeNet's conv1 unfolded for its weight gradient (6 x 5
  /// channels, AVX2): 2 x 3 tiles made 3 blocks, 2 for one of two threads
  /// and 1 for the other; 3 x 2 tiles make 2. With a dynamic channel count
  /// (no block count to balance), the most inputs.
  std::pair<int64_t, int64_t> laneGradientTile(linalg::GenericOp grad, int64_t lanes,
                                               const VectorRegisters &registers) {
    int64_t mostInputs =
        std::max<int64_t>(1, std::min<int64_t>(loopSize(grad, 1, gradInputs), gradInputs));
    auto outputsFor = [&](int64_t inputs) {
      int64_t mostOutputs = registers.gradientTileOutputs(gradChannels, inputs, lanes);
      int64_t channels = loopSize(grad, 0, mostOutputs);
      return llvm::divideCeil(channels, llvm::divideCeil(channels, mostOutputs));
    };
    SmallVector<int64_t> loops = grad.getStaticLoopRanges();
    int64_t outputChannels = loops[0], inputChannels = loops[1];
    if (ShapedType::isDynamic(outputChannels) || ShapedType::isDynamic(inputChannels))
      return {outputsFor(mostInputs), mostInputs};
    // Steps of a block of `outputs` channels over all input channels.
    auto blockSteps = [&](int64_t outputs, int64_t inputs) {
      int64_t steps = 0;
      for (int64_t first = 0; first < inputChannels; first += inputs) {
        int64_t tileInputs = std::min(inputs, inputChannels - first);
        steps += std::max(outputs * tileInputs, outputs + tileInputs);
      }
      return steps;
    };
    std::pair<int64_t, int64_t> best;
    int64_t bestBalanced = std::numeric_limits<int64_t>::max(), bestAlone = 0;
    for (int64_t inputs = mostInputs; inputs >= 1; --inputs) {
      int64_t outputs = outputsFor(inputs);
      int64_t sharedBlocks = outputChannels / outputs, lastOutputs = outputChannels % outputs;
      int64_t sharedSteps = blockSteps(outputs, inputs);
      int64_t lastSteps = lastOutputs ? blockSteps(lastOutputs, inputs) : 0;
      int64_t balanced = balancedTileSteps(sharedBlocks) * sharedSteps + lastSteps;
      int64_t alone = sharedBlocks * sharedSteps + lastSteps;
      if (balanced < bestBalanced || (balanced == bestBalanced && alone < bestAlone)) {
        bestBalanced = balanced;
        bestAlone = alone;
        best = {outputs, inputs};
      }
    }
    return best;
  }

  /// The partial sums in lanes (isFlatLaneWeightGradient): tiles of output
  /// and input channels, each carried in registers through all the position
  /// blocks of an image (contiguous rows, which the hardware prefetches),
  /// in one of two orders:
  ///   - an image's blocks at least kOneImageBlocks, and more than one
  ///     block of output channels: the blocks of output
  ///     channels outermost and shared between threads (in equal blocks),
  ///     then one image at a time through every (input block, kh, kw) tile
  ///     while its output gradient and input stay in L1 (LeNet's conv1
  ///     unfolded, 49 blocks: 27 KB an image for a block of 3 output
  ///     channels). A tile's accumulators go to memory and back once an
  ///     image, 2 vectors per block's worth of FMAs against 49 blocks, and
  ///     the input is read once per block of output channels;
  ///   - otherwise: chunks of images outermost, the batch read once, a
  ///     chunk at a time, while it stays in L2, each tile's accumulators
  ///     carried through the chunk, and the blocks of output channels
  ///     shared inside each chunk (a barrier a chunk). LeNet's conv2 (8
  ///     blocks an image) takes 0.76-0.78 ms at batch 256 on one thread so,
  ///     0.93-0.97 one image at a time (the accumulators' round trip is 2 of
  ///     every 8 blocks' worth).
  /// LeNet's conv1 took 0.66-0.75 ms at batch 256 on one thread and
  /// 0.44-0.45 on two in chunks; one image at a time 0.45-0.47 and 0.29
  /// (OMP_NUM_THREADS=N build/bin/op_bench --num-threads=N --only="weight
  /// grad", four alternating runs on the AVX-512 Zen 5). The row form's
  /// tiles, blocks of positions outermost, read the whole batch once per
  /// block: LeNet's conv2 (4.3 MB of unfolded input at batch 256) took 1.6
  /// ms alone and about 2.4 ms in the training step, where its input is no
  /// longer in the cache. In either order each lane's sum runs image by
  /// image, and within an image block by block, as in the untiled loops.
  /// With one block of output channels (all of them in one tile: AVX2's
  /// one-channel conv1, 6 x 1) the threads would share a loop inside the
  /// images, with a barrier an image: such a gradient keeps the chunks.
  LogicalResult tileLaneWeightGradients(func::FuncOp func) {
    return tile(func, laneWeightGradientsIn, [&](linalg::GenericOp grad) -> TilePlan {
      VectorRegisters registers(vectorBits);
      int64_t lanes = loopSize(grad, kLaneLoop, 1);
      auto [outputs, inputs] = laneGradientTile(grad, lanes, registers);
      int64_t columns = jammedWindowColumns(grad, outputs * inputs, lanes, registers);
      std::optional<int64_t> jammed = jammedLoop(columns);
      SmallVector<int64_t> loops = grad.getStaticLoopRanges();
      int64_t blocks = loops[kBlockLoop], outputChannels = loops[0];
      bool sharedOutputBlocks = ShapedType::isDynamic(outputChannels) || outputChannels > outputs;
      if (!ShapedType::isDynamic(blocks) && blocks >= kOneImageBlocks && sharedOutputBlocks)
        return {{outputs, inputs, 1, 1, /*images=*/1, 0, 0},
                jammed,
                /*independentLoop=*/0,
                {0, kImageLoop, 1, 2, 3}};
      return {{outputs, inputs, 1, 1, imagesPerChunk(grad, gradImages), 0, 0},
              jammed,
              /*independentLoop=*/1,
              {kImageLoop, 0, 1, 2, 3}};
    });
  }
};

} // namespace
