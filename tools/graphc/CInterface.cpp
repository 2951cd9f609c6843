//===- CInterface.cpp - graphc's ahead-of-time C ABI ----------------------===//

#include "CInterface.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/IRBuilder.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <map>

namespace graphc {

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

/// The tensor's dimension sizes as i64 values (dynamic ones are the batch).
std::vector<llvm::Value *> sizes(llvm::IRBuilder<> &b, const TensorSignature &t,
                                 llvm::Value *batch) {
  std::vector<llvm::Value *> out;
  for (int64_t d : t.shape)
    out.push_back(d < 0 ? batch : b.getInt64(d));
  return out;
}

} // namespace

void addCWrappers(llvm::Module &module, llvm::StringRef prefix,
                  const llvm::StringMap<FunctionSignature> &signatures) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type *i64 = b.getInt64Ty(), *ptr = b.getPtrTy();
  llvm::FunctionCallee freeFn = module.getOrInsertFunction("free", b.getVoidTy(), ptr);
  for (auto &[name, sig] : ordered(signatures)) {
    llvm::Function *ciface = module.getFunction("_mlir_ciface_" + name);
    if (!ciface)
      continue;
    std::vector<llvm::Type *> params{i64};
    params.insert(params.end(), sig->arguments.size() + sig->results.size(), ptr);
    auto *wrapper = llvm::Function::Create(
        llvm::FunctionType::get(b.getInt32Ty(), params, false), llvm::Function::ExternalLinkage,
        (prefix + "_" + name).str(), module);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", wrapper));
    llvm::Value *batch = wrapper->getArg(0);

    // A memref descriptor as the C interface reads it: two pointers, the
    // offset, then sizes and strides, every field 8 bytes wide.
    auto descriptor = [&](llvm::Value *data, const TensorSignature &t) {
      size_t rank = t.shape.size();
      llvm::Type *words = llvm::ArrayType::get(i64, 3 + 2 * rank);
      llvm::Value *d = b.CreateAlloca(words);
      auto field = [&](size_t i) { return b.CreateConstGEP2_64(words, d, 0, i); };
      llvm::Value *address = b.CreatePtrToInt(data, i64);
      b.CreateStore(address, field(0));
      b.CreateStore(address, field(1));
      b.CreateStore(b.getInt64(0), field(2));
      std::vector<llvm::Value *> dims = sizes(b, t, batch);
      llvm::Value *stride = b.getInt64(1);
      for (size_t i = rank; i-- > 0;) {
        b.CreateStore(dims[i], field(3 + i));
        b.CreateStore(stride, field(3 + rank + i));
        stride = b.CreateMul(stride, dims[i]);
      }
      return d;
    };

    std::vector<llvm::Value *> callArgs;
    llvm::Value *resultBlock = nullptr;
    size_t resultWords = 0;
    for (const TensorSignature &r : sig->results)
      resultWords += 3 + 2 * r.shape.size();
    llvm::Type *resultArray = llvm::ArrayType::get(i64, std::max<size_t>(resultWords, 1));
    if (!sig->results.empty()) {
      resultBlock = b.CreateAlloca(resultArray);
      callArgs.push_back(resultBlock);
    }
    for (size_t i = 0; i < sig->arguments.size(); ++i)
      callArgs.push_back(descriptor(wrapper->getArg(1 + i), sig->arguments[i]));
    b.CreateCall(ciface->getFunctionType(), ciface, callArgs);

    // Copy every result into the caller's buffer, then free the generated one.
    size_t at = 0;
    for (size_t i = 0; i < sig->results.size(); ++i) {
      const TensorSignature &r = sig->results[i];
      size_t rank = r.shape.size();
      auto word = [&](size_t k) {
        return b.CreateLoad(i64, b.CreateConstGEP2_64(resultArray, resultBlock, 0, at + k));
      };
      llvm::Value *allocated = b.CreateIntToPtr(word(0), ptr);
      llvm::Value *aligned = b.CreateIntToPtr(word(1), ptr);
      uint64_t elementSize = graphc_dtype_size(r.dtype);
      llvm::Value *bytes = b.getInt64(elementSize);
      for (size_t k = 0; k < rank; ++k)
        bytes = b.CreateMul(bytes, word(3 + k));
      llvm::Value *source = b.CreateGEP(b.getInt8Ty(), aligned,
                                        b.CreateMul(word(2), b.getInt64(elementSize)));
      b.CreateMemCpy(wrapper->getArg(1 + sig->arguments.size() + i), llvm::MaybeAlign(1), source,
                     llvm::MaybeAlign(1), bytes);
      b.CreateCall(freeFn, {allocated});
      at += 3 + 2 * rank;
    }
    b.CreateRet(b.getInt32(0));
  }
}

/// The parameters of the model function (`forward`): arguments the DSL gave
/// a default-init bound, in state_dict order.
static std::vector<const TensorSignature *> initializedParameters(
    const llvm::StringMap<FunctionSignature> &signatures, llvm::StringRef function) {
  std::vector<const TensorSignature *> out;
  auto it = signatures.find(function);
  if (it != signatures.end())
    for (const TensorSignature &t : it->second.arguments)
      if (t.initBound > 0)
        out.push_back(&t);
  return out;
}

void addInitFunction(llvm::Module &module, llvm::StringRef prefix,
                     const llvm::StringMap<FunctionSignature> &signatures,
                     llvm::StringRef function) {
  std::vector<const TensorSignature *> params = initializedParameters(signatures, function);
  if (params.empty())
    return;
  llvm::LLVMContext &ctx = module.getContext();
  llvm::IRBuilder<> b(ctx);
  llvm::Type *i32 = b.getInt32Ty(), *i64 = b.getInt64Ty(), *ptr = b.getPtrTy(),
             *f64 = b.getDoubleTy();
  // The runtime's C API (graphc/runtime/random.h, tensor.h): a generator
  // seeded like torch.manual_seed, and tensor.uniform_ over each buffer.
  auto create = module.getOrInsertFunction("graphc_generator_create", ptr, i64, ptr);
  auto releaseGenerator = module.getOrInsertFunction("graphc_generator_release", b.getVoidTy(), ptr);
  auto wrap = module.getOrInsertFunction("graphc_tensor_wrap", ptr, i32, i32, ptr, ptr, ptr, ptr, ptr);
  auto uniform = module.getOrInsertFunction("graphc_tensor_uniform", ptr, ptr, ptr, f64, f64);
  auto releaseTensor = module.getOrInsertFunction("graphc_tensor_release", b.getVoidTy(), ptr);
  auto freeStatus = module.getOrInsertFunction("graphc_status_free", b.getVoidTy(), ptr);
  std::vector<llvm::Type *> argTypes{i64};
  argTypes.insert(argTypes.end(), params.size(), ptr);
  auto *init = llvm::Function::Create(llvm::FunctionType::get(i32, argTypes, false),
                                      llvm::Function::ExternalLinkage,
                                      (prefix + "_init").str(), module);
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", init);
  auto *failure = llvm::BasicBlock::Create(ctx, "failure", init);
  b.SetInsertPoint(entry);
  llvm::Value *generatorSlot = b.CreateAlloca(ptr);
  llvm::Value *tensorSlot = b.CreateAlloca(ptr);
  llvm::Value *status = b.CreateCall(create, {init->getArg(0), generatorSlot});
  auto checkStatus = [&](llvm::Value *s) {
    auto *next = llvm::BasicBlock::Create(ctx, "ok", init);
    b.CreateCondBr(b.CreateIsNull(s), next, failure);
    b.SetInsertPoint(next);
  };
  llvm::PHINode *failed = nullptr;
  std::vector<std::pair<llvm::BasicBlock *, llvm::Value *>> failures;
  auto recordFailure = [&](llvm::Value *s) {
    failures.emplace_back(b.GetInsertBlock(), s);
    checkStatus(s);
  };
  recordFailure(status);
  llvm::Value *generator = b.CreateLoad(ptr, generatorSlot);
  for (size_t i = 0; i < params.size(); ++i) {
    const TensorSignature &t = *params[i];
    llvm::Value *shape = b.CreateAlloca(llvm::ArrayType::get(i64, std::max<size_t>(t.shape.size(), 1)));
    for (size_t k = 0; k < t.shape.size(); ++k)
      b.CreateStore(b.getInt64(t.shape[k]),
                    b.CreateConstGEP2_64(llvm::ArrayType::get(i64, t.shape.size()), shape, 0, k));
    llvm::Value *null = llvm::ConstantPointerNull::get(llvm::cast<llvm::PointerType>(ptr));
    recordFailure(b.CreateCall(wrap, {b.getInt32(t.dtype), b.getInt32(t.shape.size()), shape,
                                      init->getArg(1 + i), null, null, tensorSlot}));
    llvm::Value *tensor = b.CreateLoad(ptr, tensorSlot);
    llvm::Value *s = b.CreateCall(uniform, {tensor, generator,
                                            llvm::ConstantFP::get(f64, -t.initBound),
                                            llvm::ConstantFP::get(f64, t.initBound)});
    b.CreateCall(releaseTensor, {tensor});
    recordFailure(s);
  }
  b.CreateCall(releaseGenerator, {generator});
  b.CreateRet(b.getInt32(0));
  // Any failing call: free its status, return 1 (the generator may leak on
  // this path only if a later call failed; release it when it exists).
  b.SetInsertPoint(failure);
  failed = b.CreatePHI(ptr, failures.size());
  for (auto &[block, s] : failures)
    failed->addIncoming(s, block);
  b.CreateCall(freeStatus, {failed});
  b.CreateRet(b.getInt32(1));
}

void emitCHeader(llvm::raw_ostream &os, llvm::StringRef prefix,
                 const llvm::StringMap<FunctionSignature> &signatures,
                 llvm::StringRef modelFunction) {
  std::string guard = "GRAPHC_MODEL_" + llvm::StringRef(cIdentifier(prefix)).upper() + "_H";
  os << "/* Generated by graphc: the C interface of model `" << prefix << "`.\n"
     << " *\n"
     << " * Every function takes caller-owned, dense, row-major buffers and returns 0\n"
     << " * (a non-zero value is an error code). Dimensions marked -1 in the metadata\n"
     << " * are the batch, passed as `batch`; result buffers must hold the result's\n"
     << " * size for that batch. Arguments a function updates in place (train_step's\n"
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
  for (auto &[name, sig] : ordering) {
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
        os << "}, " << (updated ? 1 : 0) << "},\n";
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
    os << ");\n\n";
  }
  std::vector<const TensorSignature *> initialized = initializedParameters(signatures, modelFunction);
  if (!initialized.empty()) {
    os << "/* Initializes the parameters as PyTorch's default init does (U(-b, b) per\n"
       << " * parameter, in state_dict order) from a torch.manual_seed-like seed: the\n"
       << " * same weights as the DSL model built after graphc::manualSeed(seed). */\n"
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

void emitJsonManifest(llvm::raw_ostream &os, llvm::StringRef prefix,
                      const llvm::StringMap<FunctionSignature> &signatures) {
  auto tensor = [](const TensorSignature &t, bool updated) {
    nlohmann::json j = {{"name", t.name},
                        {"dtype", graphc_dtype_name(t.dtype)},
                        {"shape", t.shape},
                        {"updated_in_place", updated}};
    if (t.initBound > 0)
      j["init_bound"] = t.initBound;
    if (t.optimizerState)
      j["optimizer_state"] = true;
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
                             {"batch", "dimensions of -1 are the batch"},
                             {"functions", functions}};
  os << manifest.dump(2) << "\n";
}

} // namespace graphc
