//===- PlanTemporaryArena.cpp - --graphc-plan-temporary-arena -------------===//
//
// A small static memory planner in the style of ggml's graph allocator: the
// shapes are known when the graph is compiled, so the offsets of all
// temporaries are too, and a call needs one allocation instead of one per
// buffer.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/ADT/MapVector.h"

namespace graphc {
#define GEN_PASS_DEF_PLANTEMPORARYARENA
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

constexpr int64_t kArenaAlignment = 64;

// A byte count `perBatch * B + fixed`, B being the function's one dynamic
// size (the batch), so that buffers of a dynamic batch can be planned once
// for every B >= 1. Static buffers have perBatch = 0.
struct Bytes {
  int64_t perBatch = 0;
  int64_t fixed = 0;
  Bytes operator+(Bytes other) const { return {perBatch + other.perBatch, fixed + other.fixed}; }
  // Holds for every B >= 1 when it holds coefficient by coefficient.
  bool atMost(Bytes other) const { return perBatch <= other.perBatch && fixed <= other.fixed; }
  // The coefficient-wise maximum: at least either operand for every B.
  Bytes upperBound(Bytes other) const {
    return {std::max(perBatch, other.perBatch), std::max(fixed, other.fixed)};
  }
  bool operator<(Bytes other) const {
    return std::tie(perBatch, fixed) < std::tie(other.perBatch, other.fixed);
  }
};

struct Temporary {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t begin = 0; // position of the alloc in the entry block
  int64_t end = 0;   // position of the dealloc
  Bytes bytes;
  Bytes offset;
};

int64_t alignUp(int64_t value) {
  return (value + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

// Both coefficients aligned keep perBatch * B + fixed aligned for every B.
Bytes alignUp(Bytes value) { return {alignUp(value.perBatch), alignUp(value.fixed)}; }

// The buffer's size, or nothing when it cannot live in the arena: memref.view
// needs an identity-layout result in the default memory space, sub-byte
// elements (i1) have no byte size to offset by, and a dynamic buffer must
// have exactly one dynamic dimension, sized `batch`.
std::optional<Bytes> arenaBytes(memref::AllocOp alloc, Value batch) {
  MemRefType type = alloc.getType();
  if (!type.getLayout().isIdentity() || type.getMemorySpace())
    return std::nullopt;
  Type element = type.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  int64_t staticBytes = element.getIntOrFloatBitWidth() / 8;
  for (int64_t size : type.getShape())
    if (!ShapedType::isDynamic(size))
      staticBytes *= size;
  if (type.hasStaticShape())
    return Bytes{0, staticBytes};
  if (alloc.getDynamicSizes().size() != 1 || alloc.getDynamicSizes()[0] != batch ||
      !alloc.getSymbolOperands().empty())
    return std::nullopt;
  return Bytes{staticBytes, 0};
}

// The size that most of the function's one-dimension-dynamic temporaries
// share (the batch; a second SSA value for it, such as the dim of the labels,
// only loses its few buffers). Only those buffers are planned with it.
Value sharedBatchSize(Block &entry) {
  llvm::MapVector<Value, int64_t> uses;
  for (Operation &op : entry)
    if (auto alloc = dyn_cast<memref::AllocOp>(op))
      if (alloc.getDynamicSizes().size() == 1)
        ++uses[alloc.getDynamicSizes()[0]];
  Value batch;
  int64_t most = 0;
  for (auto [size, count] : uses)
    if (count > most)
      batch = size, most = count;
  return batch;
}

// The unconditional dealloc of `alloc` in `block`, when that is the only way
// the buffer is freed.
memref::DeallocOp soleDeallocIn(memref::AllocOp alloc, Block &block) {
  memref::DeallocOp found;
  for (Operation *user : alloc->getUsers()) {
    auto dealloc = dyn_cast<memref::DeallocOp>(user);
    if (!dealloc)
      continue;
    if (found || dealloc->getBlock() != &block)
      return {};
    found = dealloc;
  }
  return found;
}

// First fit: each buffer, in allocation order, takes the lowest offset that
// does not overlap a buffer still live when it is allocated.
// The candidates are the arena's start and the aligned ends of the live
// buffers; a candidate fits when, for every B, the buffer lies wholly before
// or wholly after each live one. Returns an upper bound of the arena's size.
Bytes assignOffsets(SmallVectorImpl<Temporary> &temporaries) {
  Bytes total;
  for (size_t i = 0; i < temporaries.size(); ++i) {
    Temporary &current = temporaries[i];
    SmallVector<std::pair<Bytes, Bytes>> live; // [offset, offset + bytes)
    for (size_t j = 0; j < i; ++j)
      if (temporaries[j].end > current.begin)
        live.push_back({temporaries[j].offset, temporaries[j].offset + temporaries[j].bytes});
    SmallVector<Bytes> candidates{Bytes{}};
    Bytes afterAll;
    for (auto &range : live) {
      candidates.push_back(alignUp(range.second));
      afterAll = afterAll.upperBound(range.second);
    }
    llvm::sort(candidates);
    // Past every live buffer for every B: the candidate that always fits.
    candidates.push_back(alignUp(afterAll));
    for (Bytes candidate : candidates) {
      bool fits = llvm::all_of(live, [&](auto &range) {
        return (candidate + current.bytes).atMost(range.first) || range.second.atMost(candidate);
      });
      if (fits) {
        current.offset = candidate;
        break;
      }
    }
    Bytes end = current.offset + current.bytes;
    total = total.upperBound(end);
  }
  return total;
}

// perBatch * batch + fixed as index arithmetic at the builder's point.
Value materialize(OpBuilder &builder, Location loc, Bytes bytes, Value batch) {
  Value fixed = builder.create<arith::ConstantIndexOp>(loc, bytes.fixed);
  if (bytes.perBatch == 0)
    return fixed;
  Value perBatch = builder.create<arith::ConstantIndexOp>(loc, bytes.perBatch);
  Value scaled = builder.create<arith::MulIOp>(loc, perBatch, batch);
  return builder.create<arith::AddIOp>(loc, scaled, fixed);
}

// How many times the batch B the planned size `batch` is, when a caller that
// knows only B (as graphc's C interface does) can size the arena: 1 when
// there is no dynamic size; k when it is a dynamic dimension of an argument,
// which is k*B (graph.batch_multiples, docs/dialect.md#dynamic-sizes; B
// itself without it). Nothing otherwise.
std::optional<int64_t> batchMultipleForCaller(func::FuncOp func, Value batch) {
  if (!batch)
    return 1;
  auto dim = batch.getDefiningOp<memref::DimOp>();
  if (!dim)
    return std::nullopt;
  auto argument = dyn_cast<BlockArgument>(dim.getSource());
  std::optional<int64_t> index = dim.getConstantIndex();
  if (!argument || argument.getOwner() != &func.getBody().front() || !index)
    return std::nullopt;
  auto type = dyn_cast<MemRefType>(argument.getType());
  if (!type || *index < 0 || *index >= type.getRank() || !type.isDynamicDim(*index))
    return std::nullopt;
  if (auto declared = func.getArgAttrOfType<DenseI64ArrayAttr>(argument.getArgNumber(),
                                                                graphc::graph::GraphDialect::getBatchMultiplesAttrName()))
    if (*index < (int64_t)declared.size() && declared[*index] >= 1)
      return declared[*index];
  return 1;
}

struct PlanTemporaryArenaPass : graphc::impl::PlanTemporaryArenaBase<PlanTemporaryArenaPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return;
    Block &entry = func.getBody().front();

    // The batch is usually the dim of an argument, which bufferization puts
    // where it is first used, after temporaries that do not need it (a
    // transposed weight). Reading it first lets those be planned too.
    if (Value batch = sharedBatchSize(entry))
      if (auto dim = batch.getDefiningOp<memref::DimOp>())
        if (dim->getBlock() == &entry && isa<BlockArgument>(dim.getSource())) {
          Operation *index = dim.getIndex().getDefiningOp();
          if (index && index->getBlock() == &entry && isa<arith::ConstantOp>(index)) {
            index->moveBefore(&entry, entry.begin());
            dim->moveAfter(index);
          }
          // Another argument's dynamic dimension of the same batch multiple
          // (the labels' B beside the images' B) is the same size: every
          // caller passes k*B for each (docs/dialect.md#dynamic-sizes, checked
          // by the program object and the C interface), so its buffers join
          // the plan instead of each keeping an allocation.
          std::optional<int64_t> multiple = batchMultipleForCaller(func, batch);
          SmallVector<memref::DimOp> sameSize;
          for (auto other : entry.getOps<memref::DimOp>())
            if (other != dim && multiple &&
                batchMultipleForCaller(func, other.getResult()) == multiple)
              sameSize.push_back(other);
          for (memref::DimOp other : sameSize) {
            other.getResult().replaceAllUsesWith(batch);
            other.erase();
          }
        }

    DenseMap<Operation *, int64_t> position;
    int64_t index = 0;
    for (Operation &op : entry)
      position[&op] = index++;

    // The arena is allocated where the batch size is known: at entry, or
    // right after the batch's definition. Dynamic buffers allocated before
    // that point, and anything before it, keep their own allocation.
    Value batch = sharedBatchSize(entry);
    Operation *batchDefinition = batch ? batch.getDefiningOp() : nullptr;
    if (batchDefinition && batchDefinition->getBlock() != &entry)
      batch = {}, batchDefinition = nullptr;
    int64_t firstPlanned = batchDefinition ? position[batchDefinition] + 1 : 0;

    SmallVector<Temporary> temporaries;
    for (Operation &op : entry) {
      auto alloc = dyn_cast<memref::AllocOp>(op);
      if (!alloc || position[alloc] < firstPlanned)
        continue;
      std::optional<Bytes> bytes = arenaBytes(alloc, batch);
      memref::DeallocOp dealloc = soleDeallocIn(alloc, entry);
      if (!bytes || (bytes->perBatch == 0 && bytes->fixed == 0) || !dealloc)
        continue;
      temporaries.push_back({alloc, dealloc, position[alloc], position[dealloc], *bytes, {}});
    }
    if (temporaries.empty())
      return;

    Bytes total = assignOffsets(temporaries);
    MLIRContext *ctx = func.getContext();
    OpBuilder builder(ctx);
    if (batchDefinition)
      builder.setInsertionPointAfter(batchDefinition);
    else
      builder.setInsertionPointToStart(&entry);
    Location loc = func.getLoc();
    IntegerAttr alignment = builder.getI64IntegerAttr(kArenaAlignment);
    Value arena;
    // The caller's arena: a trailing argument, and its size as an attribute.
    // Only public functions, the C interface's: graphc inlines every call
    // before bufferization, so none of them has a caller that would need the
    // new argument (a func.call left behind would fail verification).
    std::optional<int64_t> multiple = batchMultipleForCaller(func, batch);
    bool fromCaller = arenaArgument && func.isPublic() && multiple;
    if (fromCaller) {
      unsigned index = func.getNumArguments();
      auto type = MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
      func.insertArgument(index, type,
                          builder.getDictionaryAttr(
                              builder.getNamedAttr(graphc::graph::GraphDialect::getArenaAttrName(), builder.getUnitAttr())),
                          loc);
      arena = func.getArgument(index);
      // The caller's B: the planned size is `multiple` times it.
      func->setAttr(graphc::graph::GraphDialect::getArenaBytesAttrName(),
                    builder.getDenseI64ArrayAttr({total.perBatch * *multiple, total.fixed}));
    } else if (total.perBatch == 0) {
      arena = builder.create<memref::AllocOp>(
          loc, MemRefType::get({total.fixed}, IntegerType::get(ctx, 8)), alignment);
    } else {
      Value size = materialize(builder, loc, total, batch);
      arena = builder.create<memref::AllocOp>(
          loc, MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8)), ValueRange{size},
          alignment);
    }

    for (Temporary &temporary : temporaries) {
      builder.setInsertionPoint(temporary.alloc);
      Location at = temporary.alloc.getLoc();
      Value shift = materialize(builder, at, temporary.offset, batch);
      Value view = builder.create<memref::ViewOp>(at, temporary.alloc.getType(), arena, shift,
                                                  temporary.alloc.getDynamicSizes());
      temporary.dealloc.erase();
      temporary.alloc.replaceAllUsesWith(view);
      temporary.alloc.erase();
    }
    if (!fromCaller)
      func.walk([&](func::ReturnOp ret) {
        builder.setInsertionPoint(ret);
        builder.create<memref::DeallocOp>(ret.getLoc(), arena);
      });
  }
};

} // namespace
