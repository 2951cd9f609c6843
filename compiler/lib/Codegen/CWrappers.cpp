//===- CWrappers.cpp - the C entry points of generated code ---------------===//

#include "graphc/Codegen/CInterface.h"
#include "CInterfaceUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/IRBuilder.h"

namespace graphc {

using namespace detail;

namespace {

/// The tensor's dimension sizes as i64 values (-k is k times the batch).
std::vector<llvm::Value *> sizes(llvm::IRBuilder<> &b, const TensorSignature &t,
                                 llvm::Value *batch) {
  std::vector<llvm::Value *> out;
  for (int64_t d : t.shape)
    out.push_back(d == -1 ? batch : d < 0 ? b.CreateMul(batch, b.getInt64(-d)) : b.getInt64(d));
  return out;
}

/// `int32 PREFIX_F_call(ptr arena, i64 batch, ptr arguments, ptr results)`:
/// builds the memref descriptors of MLIR's `_mlir_ciface_F` from the pointer
/// arrays (the results' too: the generated code writes them) and passes the
/// arena, allocating one for this call when `arena` is null.
llvm::Function *addPackedEntry(llvm::Module &module, llvm::Function *ciface,
                               const std::string &symbol, const FunctionSignature &sig) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type *i64 = b.getInt64Ty(), *ptr = b.getPtrTy();
  auto *entry = llvm::Function::Create(
      llvm::FunctionType::get(b.getInt32Ty(), {ptr, i64, ptr, ptr}, false),
      llvm::Function::ExternalLinkage, symbol + "_call", module);
  llvm::Value *callerArena = entry->getArg(0), *batch = entry->getArg(1);
  llvm::Value *argumentArray = entry->getArg(2), *resultArray = entry->getArg(3);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", entry));
  auto pointerAt = [&](llvm::Value *array, size_t i) {
    return b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, array, i));
  };
  // A negative batch, or one whose sizes would overflow, is error 1.
  {
    auto *invalid = llvm::BasicBlock::Create(ctx, "invalid_batch", entry);
    auto *valid = llvm::BasicBlock::Create(ctx, "valid_batch", entry);
    b.CreateCondBr(b.CreateICmpUGT(batch, b.getInt64(largestBatch(sig))), invalid, valid);
    b.SetInsertPoint(invalid);
    b.CreateRet(b.getInt32(1));
    b.SetInsertPoint(valid);
  }

  // A memref descriptor as the C interface reads it: two pointers, the
  // offset, then sizes and strides, every field 8 bytes wide.
  auto descriptor = [&](llvm::Value *data, const std::vector<llvm::Value *> &dims) {
    size_t rank = dims.size();
    llvm::Type *words = llvm::ArrayType::get(i64, 3 + 2 * rank);
    llvm::Value *d = b.CreateAlloca(words);
    auto field = [&](size_t i) { return b.CreateConstGEP2_64(words, d, 0, i); };
    llvm::Value *address = b.CreatePtrToInt(data, i64);
    b.CreateStore(address, field(0));
    b.CreateStore(address, field(1));
    b.CreateStore(b.getInt64(0), field(2));
    llvm::Value *stride = b.getInt64(1);
    for (size_t i = rank; i-- > 0;) {
      b.CreateStore(dims[i], field(3 + i));
      b.CreateStore(stride, field(3 + rank + i));
      stride = b.CreateMul(stride, dims[i]);
    }
    return d;
  };

  // The arena of the call: the caller's, or, when it passed NULL, one
  // `allocate` gives for this call (error 2 when that is NULL). `own` is
  // what the call frees at its end (NULL when the caller's was used).
  llvm::Value *nullArena = llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(ptr));
  auto arenaOfCall = [&](llvm::function_ref<llvm::Value *(llvm::Value *)> allocate,
                         llvm::Value *&own) {
    llvm::Value *bytes = b.CreateAdd(b.CreateMul(b.getInt64(sig.arenaBytesPerBatch), batch),
                                     b.getInt64(sig.arenaBytesFixed));
    llvm::Value *needed = b.CreateIsNull(callerArena);
    llvm::BasicBlock *before = b.GetInsertBlock();
    auto *allocateBlock = llvm::BasicBlock::Create(ctx, "allocate_arena", entry);
    auto *outOfMemory = llvm::BasicBlock::Create(ctx, "out_of_memory", entry);
    auto *run = llvm::BasicBlock::Create(ctx, "run", entry);
    b.CreateCondBr(needed, allocateBlock, run);
    b.SetInsertPoint(allocateBlock);
    llvm::Value *allocated = allocate(bytes);
    b.CreateCondBr(b.CreateIsNull(allocated), outOfMemory, run);
    b.SetInsertPoint(outOfMemory);
    b.CreateRet(b.getInt32(2));
    b.SetInsertPoint(run);
    llvm::PHINode *arena = b.CreatePHI(ptr, 2);
    arena->addIncoming(callerArena, before);
    arena->addIncoming(allocated, allocateBlock);
    own = b.CreateSelect(needed, arena, nullArena);
    return descriptor(arena, {bytes});
  };

  // The call itself: MLIR's C interface takes the arguments' descriptors,
  // then the results' (the caller's buffers, which the generated code
  // writes: bufferization::BufferResultsToOutParams), then the arena.
  auto callGenerated = [&](llvm::function_ref<llvm::Value *(llvm::Value *)> allocateArena,
                           llvm::Value *&ownArena) {
    std::vector<llvm::Value *> callArgs;
    for (size_t i = 0; i < sig.arguments.size(); ++i)
      callArgs.push_back(
          descriptor(pointerAt(argumentArray, i), sizes(b, sig.arguments[i], batch)));
    for (size_t i = 0; i < sig.results.size(); ++i)
      callArgs.push_back(descriptor(pointerAt(resultArray, i), sizes(b, sig.results[i], batch)));
    if (sig.takesArena)
      callArgs.push_back(arenaOfCall(allocateArena, ownArena));
    b.CreateCall(ciface->getFunctionType(), ciface, callArgs);
  };

  if (sig.device == GRAPHC_DEVICE_CUDA) {
    // The CUDA target: the caller's buffers are device memory, and an arena
    // the call needs is device memory from the runtime. The runtime's
    // graphc_cuda_begin_call and graphc_cuda_end_call
    // (graphc/runtime/cuda.h) say whether the driver is usable and whether
    // every launch of the call succeeded: error 4.
    llvm::FunctionCallee beginCall = module.getOrInsertFunction("graphc_cuda_begin_call", b.getInt32Ty());
    llvm::FunctionCallee endCall = module.getOrInsertFunction("graphc_cuda_end_call", b.getInt32Ty());
    llvm::FunctionCallee deviceAlloc =
        module.getOrInsertFunction("graphc_cuda_arena_alloc", ptr, i64);
    llvm::FunctionCallee deviceFree =
        module.getOrInsertFunction("graphc_cuda_arena_free", b.getVoidTy(), ptr);
    {
      llvm::Value *status = b.CreateCall(beginCall, {});
      auto *unusable = llvm::BasicBlock::Create(ctx, "cuda_unusable", entry);
      auto *usable = llvm::BasicBlock::Create(ctx, "cuda_usable", entry);
      b.CreateCondBr(b.CreateICmpNE(status, b.getInt32(0)), unusable, usable);
      b.SetInsertPoint(unusable);
      b.CreateRet(status);
      b.SetInsertPoint(usable);
    }
    llvm::Value *ownArena = nullptr;
    callGenerated([&](llvm::Value *bytes) { return b.CreateCall(deviceAlloc, {bytes}); }, ownArena);
    llvm::Value *status = b.CreateCall(endCall, {});
    if (ownArena)
      b.CreateCall(deviceFree, {ownArena}); // a no-op for NULL
    b.CreateRet(status);
    return entry;
  }

  // The CPU target: an arena the call needs comes from aligned_alloc.
  llvm::FunctionCallee freeFn = module.getOrInsertFunction("free", b.getVoidTy(), ptr);
  llvm::FunctionCallee alignedAlloc = module.getOrInsertFunction("aligned_alloc", ptr, i64, i64);
  llvm::Value *ownArena = nullptr;
  callGenerated(
      [&](llvm::Value *bytes) {
        // aligned_alloc wants a non-zero multiple of the alignment.
        llvm::Value *rounded =
            b.CreateAnd(b.CreateAdd(bytes, b.getInt64(64)), b.getInt64(~int64_t(63)));
        return b.CreateCall(alignedAlloc, {b.getInt64(64), rounded});
      },
      ownArena);
  if (ownArena)
    b.CreateCall(freeFn, {ownArena}); // free(NULL) when the caller's arena was used
  b.CreateRet(b.getInt32(0));
  return entry;
}

} // namespace

/// The C symbols of two functions (or of a function and the model's own
/// PREFIX_model and PREFIX_init) must differ: LLVM would rename one silently.
static void checkSymbolNames(const llvm::StringMap<FunctionSignature> &signatures) {
  for (auto &entry : signatures) {
    llvm::StringRef name = entry.first();
    std::string clash;
    if (name == "model" || name == "init")
      clash = "the model's own PREFIX_" + name.str();
    for (llvm::StringRef suffix : {"_call", "_arena_bytes"})
      if (name.ends_with(suffix) && signatures.count(name.drop_back(suffix.size())))
        clash = "the entry point of '" + name.drop_back(suffix.size()).str() + "'";
    if (!clash.empty())
      throw CompileError("function '" + name.str() + "' would get the C symbol of " + clash +
                         "; rename it");
  }
}

void addCWrappers(llvm::Module &module, llvm::StringRef prefix,
                  const llvm::StringMap<FunctionSignature> &signatures) {
  checkSymbolNames(signatures);
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type *i64 = b.getInt64Ty(), *ptr = b.getPtrTy();
  for (auto &[name, sig] : ordered(signatures)) {
    llvm::Function *ciface = module.getFunction("_mlir_ciface_" + name);
    if (!ciface)
      continue;
    std::string symbol = (prefix + "_" + name).str();
    llvm::Function *packed = addPackedEntry(module, ciface, symbol, *sig);

    // PREFIX_F(batch, arguments..., results...): the pointers into arrays,
    // then the packed entry with no arena (it allocates one for the call).
    size_t count = sig->arguments.size() + sig->results.size();
    std::vector<llvm::Type *> params{i64};
    params.insert(params.end(), count, ptr);
    auto *wrapper = llvm::Function::Create(llvm::FunctionType::get(b.getInt32Ty(), params, false),
                                           llvm::Function::ExternalLinkage, symbol, module);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", wrapper));
    llvm::Type *arrayType = llvm::ArrayType::get(ptr, std::max<size_t>(count, 1));
    llvm::Value *pointers = b.CreateAlloca(arrayType);
    for (size_t i = 0; i < count; ++i)
      b.CreateStore(wrapper->getArg(1 + i), b.CreateConstGEP2_64(arrayType, pointers, 0, i));
    llvm::Value *results =
        b.CreateConstGEP2_64(arrayType, pointers, 0, std::min(sig->arguments.size(), count));
    llvm::Value *null = llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(ptr));
    b.CreateRet(b.CreateCall(packed, {null, wrapper->getArg(0), pointers, results}));

    // PREFIX_F_arena_bytes(batch): what a caller-provided arena must hold.
    auto *arenaBytes = llvm::Function::Create(llvm::FunctionType::get(i64, {i64}, false),
                                              llvm::Function::ExternalLinkage,
                                              symbol + "_arena_bytes", module);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", arenaBytes));
    llvm::Value *arenaBatch = arenaBytes->getArg(0);
    llvm::Value *bytes = b.CreateAdd(b.CreateMul(b.getInt64(sig->arenaBytesPerBatch), arenaBatch),
                                     b.getInt64(sig->arenaBytesFixed));
    // -1 for a batch the entry point refuses (negative or too large).
    b.CreateRet(b.CreateSelect(b.CreateICmpUGT(arenaBatch, b.getInt64(largestBatch(*sig))),
                               b.getInt64(-1), bytes));
  }
}

void hideInternalSymbols(llvm::Module &module, llvm::StringRef prefix,
                         llvm::ArrayRef<llvm::StringRef> keep) {
  std::string cPrefix = (prefix + "_").str();
  for (llvm::GlobalValue &value : module.global_values()) {
    if (value.isDeclaration() || value.hasLocalLinkage() ||
        value.getName().starts_with(cPrefix) || llvm::is_contained(keep, value.getName()))
      continue;
    value.setLinkage(llvm::GlobalValue::InternalLinkage);
  }
}

} // namespace graphc
