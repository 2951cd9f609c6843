//===- CInterface.cpp - graphc's ahead-of-time C ABI ----------------------===//

#include "graphc/Codegen/CInterface.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/IRBuilder.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cmath>
#include <map>
#include <set>

namespace graphc {

std::string signatureShapeText(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t d = shape[i];
    s += (i ? ", " : "") +
         (d >= 0 ? std::to_string(d) : d == -1 ? std::string("B") : std::to_string(-d) + "B");
  }
  return s + "]";
}

std::string cIdentifier(llvm::StringRef name) {
  std::string id;
  for (char c : name)
    id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0])))
    id = "t_" + id;
  return id;
}

namespace {

const char *cType(graphc_dtype_t dtype) {
  switch (dtype) {
  case GRAPHC_DTYPE_F32:
    return "float";
  case GRAPHC_DTYPE_F64:
    return "double";
  case GRAPHC_DTYPE_I32:
    return "int32_t";
  case GRAPHC_DTYPE_I64:
    return "int64_t";
  case GRAPHC_DTYPE_BOOL:
    return "uint8_t";
  }
  return "void";
}

/// Functions in a stable order (StringMap's is not).
std::vector<std::pair<std::string, const FunctionSignature *>>
ordered(const llvm::StringMap<FunctionSignature> &signatures) {
  std::vector<std::pair<std::string, const FunctionSignature *>> out;
  for (auto &entry : signatures)
    out.emplace_back(entry.first().str(), &entry.second);
  llvm::sort(out, [](auto &a, auto &b) { return a.first < b.first; });
  return out;
}

/// The tensor's dimension sizes as i64 values (-k is k times the batch).
std::vector<llvm::Value *> sizes(llvm::IRBuilder<> &b, const TensorSignature &t,
                                 llvm::Value *batch) {
  std::vector<llvm::Value *> out;
  for (int64_t d : t.shape)
    out.push_back(d == -1 ? batch : d < 0 ? b.CreateMul(batch, b.getInt64(-d)) : b.getInt64(d));
  return out;
}

/// The largest batch for which every tensor of `sig`, and its arena, stays
/// under 2^62 bytes, so that no size the entry point computes overflows: a
/// tensor with n dynamic dims of multiples k_i holds
/// (static bytes) * prod(k_i) * B^n bytes.
int64_t largestBatch(const FunctionSignature &sig) {
  constexpr double kLimit = 4611686018427387904.0; // 2^62
  double largest = kLimit;
  auto bound = [&](double perBatch, int n) {
    if (n > 0 && perBatch > 0)
      largest = std::min(largest, std::floor(std::pow(kLimit / perBatch, 1.0 / n)));
  };
  for (const auto *tensors : {&sig.arguments, &sig.results})
    for (const TensorSignature &t : *tensors) {
      double perBatch = graphc_dtype_size(t.dtype);
      int n = 0;
      for (int64_t d : t.shape) {
        perBatch *= d < 0 ? double(-d) : double(std::max<int64_t>(d, 1));
        n += d < 0;
      }
      bound(perBatch, n);
    }
  bound(double(sig.arenaBytesPerBatch) + double(sig.arenaBytesFixed), 1);
  return static_cast<int64_t>(largest);
}

} // namespace

/// The roles of `function`'s arguments (graph.role, set by the tracer and
/// the passes that create each argument), which say how a program object
/// fills them.
std::vector<graphc_model_role_t> argumentRoles(const llvm::StringMap<FunctionSignature> &signatures,
                                               llvm::StringRef function) {
  std::vector<graphc_model_role_t> roles;
  for (const TensorSignature &t : signatures.find(function)->second.arguments)
    roles.push_back(t.role);
  return roles;
}

namespace {

/// `int32 PREFIX_F_call(ptr arena, i64 batch, ptr arguments, ptr results)`:
/// builds the memref descriptors of MLIR's `_mlir_ciface_F` from the pointer
/// arrays, passes the arena (allocating one for this call when `arena` is
/// null), then copies each result into the caller's buffer and frees the one
/// the generated code allocated.
llvm::Function *addPackedEntry(llvm::Module &module, llvm::Function *ciface,
                               const std::string &symbol, const FunctionSignature &sig) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type *i64 = b.getInt64Ty(), *ptr = b.getPtrTy();
  llvm::FunctionCallee freeFn = module.getOrInsertFunction("free", b.getVoidTy(), ptr);
  llvm::FunctionCallee alignedAlloc = module.getOrInsertFunction("aligned_alloc", ptr, i64, i64);
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

  std::vector<llvm::Value *> callArgs;
  size_t resultWords = 0;
  for (const TensorSignature &r : sig.results)
    resultWords += 3 + 2 * r.shape.size();
  llvm::Type *resultBlockType = llvm::ArrayType::get(i64, std::max<size_t>(resultWords, 1));
  llvm::Value *resultBlock = nullptr;
  if (!sig.results.empty()) {
    resultBlock = b.CreateAlloca(resultBlockType);
    callArgs.push_back(resultBlock);
  }
  for (size_t i = 0; i < sig.arguments.size(); ++i)
    callArgs.push_back(descriptor(pointerAt(argumentArray, i), sizes(b, sig.arguments[i], batch)));

  llvm::Value *ownArena = nullptr; // i1: this call allocated the arena
  llvm::Value *nullArena = llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(ptr));
  if (sig.takesArena) {
    llvm::Value *bytes = b.CreateAdd(b.CreateMul(b.getInt64(sig.arenaBytesPerBatch), batch),
                                     b.getInt64(sig.arenaBytesFixed));
    ownArena = b.CreateIsNull(callerArena);
    llvm::BasicBlock *before = b.GetInsertBlock();
    auto *allocate = llvm::BasicBlock::Create(ctx, "allocate_arena", entry);
    auto *outOfMemory = llvm::BasicBlock::Create(ctx, "out_of_memory", entry);
    auto *run = llvm::BasicBlock::Create(ctx, "run", entry);
    b.CreateCondBr(ownArena, allocate, run);
    b.SetInsertPoint(allocate);
    // aligned_alloc wants a non-zero multiple of the alignment.
    llvm::Value *rounded = b.CreateAnd(b.CreateAdd(bytes, b.getInt64(64)), b.getInt64(~int64_t(63)));
    llvm::Value *allocated = b.CreateCall(alignedAlloc, {b.getInt64(64), rounded});
    b.CreateCondBr(b.CreateIsNull(allocated), outOfMemory, run);
    b.SetInsertPoint(outOfMemory);
    b.CreateRet(b.getInt32(2));
    b.SetInsertPoint(run);
    llvm::PHINode *arena = b.CreatePHI(ptr, 2);
    arena->addIncoming(callerArena, before);
    arena->addIncoming(allocated, allocate);
    callArgs.push_back(descriptor(arena, {bytes}));
    ownArena = b.CreateSelect(ownArena, arena, nullArena);
  }
  b.CreateCall(ciface->getFunctionType(), ciface, callArgs);

  // Every result must have the size the table promises the caller (k*batch
  // for -k): a mismatch is a compiler bug, reported as error 3 instead of a
  // write past the caller's buffer.
  size_t at = 0;
  llvm::Value *sizesAgree = b.getTrue();
  for (const TensorSignature &r : sig.results) {
    std::vector<llvm::Value *> expected = sizes(b, r, batch);
    for (size_t k = 0; k < r.shape.size(); ++k) {
      llvm::Value *got =
          b.CreateLoad(i64, b.CreateConstGEP2_64(resultBlockType, resultBlock, 0, at + 3 + k));
      sizesAgree = b.CreateAnd(sizesAgree, b.CreateICmpEQ(got, expected[k]));
    }
    at += 3 + 2 * r.shape.size();
  }
  auto *sizeMismatch = llvm::BasicBlock::Create(ctx, "result_size_mismatch", entry);
  auto *copyResults = llvm::BasicBlock::Create(ctx, "copy_results", entry);
  b.CreateCondBr(sizesAgree, copyResults, sizeMismatch);
  b.SetInsertPoint(sizeMismatch);
  b.CreateRet(b.getInt32(3)); // the results' buffers leak: this never happens but for a bug
  b.SetInsertPoint(copyResults);

  at = 0;
  llvm::Value *null = llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(ptr));
  std::vector<llvm::Value *> freed; // the results' buffers, freed after every copy
  for (size_t i = 0; i < sig.results.size(); ++i) {
    const TensorSignature &r = sig.results[i];
    size_t rank = r.shape.size();
    auto word = [&](size_t k) {
      return b.CreateLoad(i64, b.CreateConstGEP2_64(resultBlockType, resultBlock, 0, at + k));
    };
    llvm::Value *allocated = b.CreateIntToPtr(word(0), ptr);
    llvm::Value *aligned = b.CreateIntToPtr(word(1), ptr);
    uint64_t elementSize = graphc_dtype_size(r.dtype);
    llvm::Value *bytes = b.getInt64(elementSize);
    for (size_t k = 0; k < rank; ++k)
      bytes = b.CreateMul(bytes, word(3 + k));
    llvm::Value *source =
        b.CreateGEP(b.getInt8Ty(), aligned, b.CreateMul(word(2), b.getInt64(elementSize)));
    b.CreateMemCpy(pointerAt(resultArray, i), llvm::MaybeAlign(1), source, llvm::MaybeAlign(1),
                   bytes);
    freed.push_back(allocated);
    at += 3 + 2 * rank;
  }
  // Free after every copy: the same buffer may come back as two results, and
  // is freed once.
  for (size_t i = 0; i < freed.size(); ++i) {
    llvm::Value *toFree = freed[i];
    for (size_t j = 0; j < i; ++j)
      toFree = b.CreateSelect(b.CreateICmpEQ(freed[i], freed[j]), null, toFree);
    b.CreateCall(freeFn, {toFree});
  }
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

void addModelTable(llvm::Module &module, llvm::StringRef prefix,
                   const llvm::StringMap<FunctionSignature> &signatures) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type *i32 = b.getInt32Ty(), *i64 = b.getInt64Ty(), *ptr = b.getPtrTy(),
             *f64 = b.getDoubleTy();
  // The structs of graphc/runtime/program.h; LLVM's natural alignment gives
  // the C layout (tested by the program tests, which read these tables).
  auto *shapeType = llvm::ArrayType::get(i64, GRAPHC_TENSOR_MAX_RANK);
  auto *tensorType = llvm::StructType::get(ctx, {ptr, i32, i32, shapeType, i32, i32, f64, ptr});
  auto *entryType = llvm::StructType::get(ctx, {ptr, ptr, i64, i64, i32, ptr, i32, ptr});
  auto *modelType = llvm::StructType::get(ctx, {i32, ptr, i32, ptr});
  auto string = [&](llvm::StringRef text) -> llvm::Constant * {
    return b.CreateGlobalStringPtr(text, "", 0, &module);
  };
  auto table = [&](const std::string &name, const std::vector<llvm::Constant *> &rows) {
    auto *type = llvm::ArrayType::get(tensorType, rows.size());
    return new llvm::GlobalVariable(module, type, true, llvm::GlobalValue::PrivateLinkage,
                                    llvm::ConstantArray::get(type, rows), name);
  };
  // A parameter's init rule is recorded on the traced model function's
  // argument (and copied by the passes that build the others); every entry
  // point's row for that parameter carries it, and one constant array per
  // parameter holds an initial value.
  llvm::StringMap<double> initBounds;
  llvm::StringMap<llvm::Constant *> initData;
  for (auto &[name, sig] : ordered(signatures))
    for (const TensorSignature &t : sig->arguments) {
      if (t.role != GRAPHC_ROLE_PARAMETER)
        continue;
      if (t.initBound > 0)
        initBounds[t.name] = t.initBound;
      if (!t.initData.empty() && !initData.count(t.name)) {
        auto *bytes = llvm::ConstantDataArray::get(
            ctx, llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(t.initData.data()),
                                         t.initData.size()));
        auto *global = new llvm::GlobalVariable(module, bytes->getType(), true,
                                                llvm::GlobalValue::PrivateLinkage, bytes,
                                                (prefix + "_init_value").str());
        global->setAlignment(llvm::Align(GRAPHC_TENSOR_ALIGNMENT));
        initData[t.name] = global;
      }
    }
  llvm::Constant *null = llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(ptr));
  auto row = [&](const TensorSignature &t, graphc_model_role_t role, bool updated) {
    bool parameter = role == GRAPHC_ROLE_PARAMETER;
    double initBound = parameter ? initBounds.lookup(t.name) : 0.0;
    llvm::Constant *value = parameter && initData.count(t.name) ? initData[t.name] : null;
    std::vector<llvm::Constant *> shape;
    for (size_t k = 0; k < GRAPHC_TENSOR_MAX_RANK; ++k)
      shape.push_back(b.getInt64(k < t.shape.size() ? t.shape[k] : 0));
    return llvm::ConstantStruct::get(
        tensorType, {string(t.name), b.getInt32(t.dtype), b.getInt32(t.shape.size()),
                     llvm::ConstantArray::get(shapeType, shape), b.getInt32(role),
                     b.getInt32(updated), llvm::ConstantFP::get(f64, initBound), value});
  };
  std::vector<llvm::Constant *> entries;
  for (auto &[name, sig] : ordered(signatures)) {
    llvm::Function *call = module.getFunction((prefix + "_" + name + "_call").str());
    if (!call)
      continue;
    std::vector<graphc_model_role_t> roles = argumentRoles(signatures, name);
    std::vector<llvm::Constant *> arguments, results;
    for (size_t i = 0; i < sig->arguments.size(); ++i)
      arguments.push_back(
          row(sig->arguments[i], roles[i], llvm::is_contained(sig->updatedArguments, i)));
    for (const TensorSignature &r : sig->results)
      results.push_back(row(r, GRAPHC_ROLE_RESULT, false));
    std::string base = (prefix + "_" + name).str();
    entries.push_back(llvm::ConstantStruct::get(
        entryType, {string(name), call, b.getInt64(sig->arenaBytesPerBatch),
                    b.getInt64(sig->arenaBytesFixed), b.getInt32(arguments.size()),
                    table(base + "_argument_table", arguments), b.getInt32(results.size()),
                    table(base + "_result_table", results)}));
  }
  auto *entriesType = llvm::ArrayType::get(entryType, entries.size());
  auto *entryTable = new llvm::GlobalVariable(module, entriesType, true,
                                              llvm::GlobalValue::PrivateLinkage,
                                              llvm::ConstantArray::get(entriesType, entries),
                                              (prefix + "_entry_table").str());
  new llvm::GlobalVariable(
      module, modelType, true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(modelType, {b.getInt32(GRAPHC_MODEL_ABI_VERSION), string(prefix),
                                            b.getInt32(entries.size()), entryTable}),
      (prefix + "_model").str());
}

/// The parameters of the model function (`forward`), in state_dict order,
/// when any of them has an init rule (a traced model's all do); none for a
/// hand-written graph without one, which gets no NAME_init.
static std::vector<const TensorSignature *> modelParameters(
    const llvm::StringMap<FunctionSignature> &signatures, llvm::StringRef function) {
  std::vector<const TensorSignature *> out;
  bool anyRule = false;
  auto it = signatures.find(function);
  if (it != signatures.end())
    for (const TensorSignature &t : it->second.arguments)
      if (t.role == GRAPHC_ROLE_PARAMETER) {
        out.push_back(&t);
        anyRule |= t.initBound > 0 || !t.initData.empty();
      }
  return anyRule ? out : std::vector<const TensorSignature *>{};
}

void addInitFunction(llvm::Module &module, llvm::StringRef prefix,
                     const llvm::StringMap<FunctionSignature> &signatures,
                     llvm::StringRef function) {
  std::vector<const TensorSignature *> params = modelParameters(signatures, function);
  llvm::GlobalVariable *model = module.getNamedGlobal((prefix + "_model").str());
  if (params.empty() || !model)
    return;
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type *i32 = b.getInt32Ty(), *i64 = b.getInt64Ty(), *ptr = b.getPtrTy();
  // One initialization for every caller: the runtime's, over the model
  // table's rows (graphc/runtime/program.h), as graphc_program_init does.
  auto initialize = module.getOrInsertFunction("graphc_model_init_parameters", ptr, ptr, ptr,
                                               i64, ptr);
  auto freeStatus = module.getOrInsertFunction("graphc_status_free", b.getVoidTy(), ptr);
  std::vector<llvm::Type *> argTypes{i64};
  argTypes.insert(argTypes.end(), params.size(), ptr);
  auto *init = llvm::Function::Create(llvm::FunctionType::get(i32, argTypes, false),
                                      llvm::Function::ExternalLinkage,
                                      (prefix + "_init").str(), module);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", init));
  auto *buffersType = llvm::ArrayType::get(ptr, params.size());
  llvm::Value *buffers = b.CreateAlloca(buffersType);
  for (size_t i = 0; i < params.size(); ++i)
    b.CreateStore(init->getArg(1 + i), b.CreateConstGEP2_64(buffersType, buffers, 0, i));
  llvm::Value *status = b.CreateCall(
      initialize, {model, b.CreateGlobalStringPtr(function, "", 0, &module), init->getArg(0),
                   buffers});
  llvm::Value *failed = b.CreateIsNotNull(status);
  b.CreateCall(freeStatus, {status});
  b.CreateRet(b.CreateZExt(failed, i32));
}

void emitCHeader(llvm::raw_ostream &os, llvm::StringRef prefix,
                 const llvm::StringMap<FunctionSignature> &signatures,
                 llvm::StringRef modelFunction) {
  std::string guard = "GRAPHC_MODEL_" + llvm::StringRef(cIdentifier(prefix)).upper() + "_H";
  os << "/* Generated by graphc: the C interface of model `" << prefix << "`.\n"
     << " *\n"
     << " * Every function takes caller-owned, dense, row-major buffers and returns 0\n"
     << " * (a non-zero value is an error code: 1 a negative batch or one too large\n"
     << " * for its sizes to be addressed, 2 out of memory, 3 a result of another\n"
     << " * size than its metadata says). A dimension -k in the metadata is k times\n"
     << " * the batch B, passed as `batch` (-1 is B itself; the comments write 3B);\n"
     << " * result buffers must hold the result's size for that batch. Arguments a\n"
     << " * function updates in place (train_step's\n"
     << " * parameters and optimizer state) are written through their pointers.\n"
     << " * Link with the object (or library), the graphc runtime, libomp, libm and\n"
     << " * libstdc++. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "#ifndef GRAPHC_MODEL_TENSOR_INFO_DEFINED\n#define GRAPHC_MODEL_TENSOR_INFO_DEFINED\n"
     << "/* dtype codes are graphc_dtype_t's: 0 float32, 1 float64, 2 int32, 3 int64, 4 bool. */\n"
     << "typedef struct graphc_model_tensor_info {\n"
     << "  const char *name;\n  int32_t dtype;\n  int32_t rank;\n  int64_t shape[8];\n"
     << "  int32_t updated_in_place; /* train_step's parameters and state */\n"
     << "} graphc_model_tensor_info;\n\n"
     << "typedef struct graphc_model_function_info {\n"
     << "  const char *name;\n  int32_t num_arguments;\n"
     << "  const graphc_model_tensor_info *arguments;\n  int32_t num_results;\n"
     << "  const graphc_model_tensor_info *results;\n} graphc_model_function_info;\n#endif\n\n";
  std::string id = cIdentifier(prefix);
  auto ordering = ordered(signatures);
  for (auto &entry : ordering) {
    // Named, not structured bindings: the lambda below captures them (C++20 otherwise).
    const std::string &name = entry.first;
    const FunctionSignature *sig = entry.second;
    std::string fn = id + "_" + cIdentifier(name);
    auto table = [&](const char *suffix, const std::vector<TensorSignature> &tensors,
                     bool arguments) {
      os << "static const graphc_model_tensor_info " << fn << "_" << suffix << "[] = {\n";
      for (size_t i = 0; i < tensors.size(); ++i) {
        const TensorSignature &t = tensors[i];
        bool updated = arguments && llvm::is_contained(sig->updatedArguments, i);
        os << "  {\"" << t.name << "\", " << t.dtype << ", " << t.shape.size() << ", {";
        for (size_t k = 0; k < t.shape.size(); ++k)
          os << (k ? ", " : "") << t.shape[k];
        if (t.shape.empty())
          os << "0"; // `{}` is C23, not C11

        os << "}, " << (updated ? 1 : 0) << "}, /* " << signatureShapeText(t.shape) << " */\n";
      }
      if (tensors.empty())
        os << "  {0, 0, 0, {0}, 0},\n";
      os << "};\n";
    };
    table("arguments", sig->arguments, true);
    table("results", sig->results, false);
    os << "\n/* " << name << " */\nint " << fn << "(int64_t batch";
    for (size_t i = 0; i < sig->arguments.size(); ++i) {
      bool updated = llvm::is_contained(sig->updatedArguments, i);
      os << ",\n    " << (updated ? "" : "const ") << cType(sig->arguments[i].dtype) << " *"
         << cIdentifier(sig->arguments[i].name);
    }
    for (size_t i = 0; i < sig->results.size(); ++i)
      os << ",\n    " << cType(sig->results[i].dtype) << " *result" << i;
    os << ");\n";
    os << "/* The same over arrays of pointers, with the arena of its temporaries\n"
       << " * (" << fn << "_arena_bytes(batch) bytes, 64-byte aligned; NULL: one per call;\n"
       << " * _arena_bytes is -1 for a batch the functions refuse). */\n"
       << "int " << fn << "_call(void *arena, int64_t batch, void *const *arguments,\n"
       << "    void *const *results);\n"
       << "int64_t " << fn << "_arena_bytes(int64_t batch);\n\n";
  }
  os << "/* The model's description for the runtime's program objects:\n"
     << " * graphc_program_create(&" << id << "_model, &program) (graphc/runtime/program.h). */\n"
     << "struct graphc_model_s;\nextern const struct graphc_model_s " << id << "_model;\n\n";
  std::vector<const TensorSignature *> initialized = modelParameters(signatures, modelFunction);
  if (!initialized.empty()) {
    os << "/* Initializes the parameters as the DSL model built after\n"
       << " * graphc::manualSeed(seed) has them: PyTorch's default init (U(-b, b), drawn\n"
       << " * in state_dict order) where the model used it, the value it set by hand\n"
       << " * otherwise (stored in the object). Returns 0, or 1 on failure. */\n"
       << "int " << id << "_init(uint64_t seed";
    for (const TensorSignature *t : initialized)
      os << ",\n    " << cType(t->dtype) << " *" << cIdentifier(t->name);
    os << ");\n\n";
  }
  os << "static const graphc_model_function_info " << id << "_functions[] = {\n";
  for (auto &[name, sig] : ordering) {
    std::string fn = id + "_" + cIdentifier(name);
    os << "  {\"" << name << "\", " << sig->arguments.size() << ", " << fn << "_arguments, "
       << sig->results.size() << ", " << fn << "_results},\n";
  }
  os << "};\nstatic const int32_t " << id << "_num_functions = " << ordering.size() << ";\n\n"
     << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* " << guard << " */\n";
}

/// The role as the graph writes it (#graph.role<...>).
static const char *roleName(graphc_model_role_t role) {
  switch (role) {
  case GRAPHC_ROLE_INPUT:
    return "input";
  case GRAPHC_ROLE_TARGET:
    return "target";
  case GRAPHC_ROLE_PARAMETER:
    return "parameter";
  case GRAPHC_ROLE_STATE:
    return "optimizer_state";
  case GRAPHC_ROLE_STEP:
    return "step";
  case GRAPHC_ROLE_LR:
    return "lr";
  case GRAPHC_ROLE_RESULT:
    return "result";
  }
  return "unknown";
}

void emitJsonManifest(llvm::raw_ostream &os, llvm::StringRef prefix,
                      const llvm::StringMap<FunctionSignature> &signatures) {
  auto tensor = [](const TensorSignature &t, bool updated) {
    nlohmann::json j = {{"name", t.name},
                        {"dtype", graphc_dtype_name(t.dtype)},
                        {"shape", t.shape},
                        {"updated_in_place", updated}};
    if (t.initBound > 0)
      j["init_bound"] = t.initBound;
    if (!t.initData.empty())
      j["has_initial_value"] = true;
    if (t.role == GRAPHC_ROLE_STATE)
      j["optimizer_state"] = true;
    if (t.role != GRAPHC_ROLE_RESULT)
      j["role"] = roleName(t.role);
    return j;
  };
  nlohmann::json functions = nlohmann::json::array();
  for (auto &[name, sig] : ordered(signatures)) {
    nlohmann::json arguments = nlohmann::json::array(), results = nlohmann::json::array();
    for (size_t i = 0; i < sig->arguments.size(); ++i)
      arguments.push_back(tensor(sig->arguments[i], llvm::is_contained(sig->updatedArguments, i)));
    for (const TensorSignature &r : sig->results)
      results.push_back(tensor(r, false));
    functions.push_back({{"name", name},
                         {"c_function", cIdentifier(prefix) + "_" + cIdentifier(name)},
                         {"arguments", arguments},
                         {"results", results}});
  }
  nlohmann::json manifest = {{"model", prefix.str()},
                             {"format", "graphc-model-1"},
                             {"batch", "a dimension -k is k times the batch B (-1 is B)"},
                             {"functions", functions}};
  os << manifest.dump(2) << "\n";
}

} // namespace graphc
