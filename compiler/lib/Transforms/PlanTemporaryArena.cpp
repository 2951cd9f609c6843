//===- PlanTemporaryArena.cpp - --graphc-plan-temporary-arena -------------===//
//
// A small static memory planner in the style of ggml's graph allocator: the
// shapes are known when the graph is compiled, so the offsets of all
// temporaries are too, and a call needs one allocation instead of one per
// buffer.
//
//===----------------------------------------------------------------------===//

#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace graphc {
#define GEN_PASS_DEF_PLANTEMPORARYARENA
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;

namespace {

constexpr int64_t kArenaAlignment = 64;

struct Temporary {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  int64_t begin = 0; // position of the alloc in the entry block
  int64_t end = 0;   // position of the dealloc
  int64_t bytes = 0;
  int64_t offset = 0;
};

int64_t alignUp(int64_t value) {
  return (value + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

// The buffer's size in bytes, or nothing when it cannot live in the arena:
// memref.view needs a static, identity-layout result in the default memory
// space, and sub-byte elements (i1) have no byte size to offset by.
std::optional<int64_t> arenaBytes(MemRefType type) {
  if (!type.hasStaticShape() || !type.getLayout().isIdentity() || type.getMemorySpace())
    return std::nullopt;
  Type element = type.getElementType();
  if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 != 0)
    return std::nullopt;
  return type.getNumElements() * (element.getIntOrFloatBitWidth() / 8);
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
int64_t assignOffsets(SmallVectorImpl<Temporary> &temporaries) {
  int64_t arenaBytesTotal = 0;
  for (size_t i = 0; i < temporaries.size(); ++i) {
    Temporary &current = temporaries[i];
    SmallVector<std::pair<int64_t, int64_t>> taken; // [offset, offset + bytes)
    for (size_t j = 0; j < i; ++j)
      if (temporaries[j].end > current.begin)
        taken.push_back({temporaries[j].offset, temporaries[j].offset + temporaries[j].bytes});
    llvm::sort(taken);
    int64_t candidate = 0;
    for (auto [from, to] : taken) {
      if (candidate + current.bytes <= from)
        break;
      candidate = std::max(candidate, alignUp(to));
    }
    current.offset = candidate;
    arenaBytesTotal = std::max(arenaBytesTotal, candidate + current.bytes);
  }
  return arenaBytesTotal;
}

struct PlanTemporaryArenaPass : graphc::impl::PlanTemporaryArenaBase<PlanTemporaryArenaPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.getBody().hasOneBlock())
      return;
    Block &entry = func.getBody().front();

    DenseMap<Operation *, int64_t> position;
    int64_t index = 0;
    for (Operation &op : entry)
      position[&op] = index++;

    SmallVector<Temporary> temporaries;
    for (Operation &op : entry) {
      auto alloc = dyn_cast<memref::AllocOp>(op);
      if (!alloc)
        continue;
      std::optional<int64_t> bytes = arenaBytes(alloc.getType());
      memref::DeallocOp dealloc = soleDeallocIn(alloc, entry);
      if (!bytes || *bytes == 0 || !dealloc)
        continue;
      temporaries.push_back({alloc, dealloc, position[alloc], position[dealloc], *bytes, 0});
    }
    if (temporaries.empty())
      return;

    int64_t total = assignOffsets(temporaries);
    MLIRContext *ctx = func.getContext();
    OpBuilder builder(ctx);
    builder.setInsertionPointToStart(&entry);
    Location loc = func.getLoc();
    auto arenaType = MemRefType::get({total}, IntegerType::get(ctx, 8));
    Value arena = builder.create<memref::AllocOp>(loc, arenaType,
                                                  builder.getI64IntegerAttr(kArenaAlignment));

    for (Temporary &temporary : temporaries) {
      builder.setInsertionPoint(temporary.alloc);
      Value shift = builder.create<arith::ConstantIndexOp>(temporary.alloc.getLoc(), temporary.offset);
      Value view = builder.create<memref::ViewOp>(temporary.alloc.getLoc(), temporary.alloc.getType(),
                                                  arena, shift, ValueRange{});
      temporary.dealloc.erase();
      temporary.alloc.replaceAllUsesWith(view);
      temporary.alloc.erase();
    }
    func.walk([&](func::ReturnOp ret) {
      builder.setInsertionPoint(ret);
      builder.create<memref::DeallocOp>(ret.getLoc(), arena);
    });
  }
};

} // namespace
