//===- ModelTable.cpp - NAME_model and NAME_init in generated code --------===//

#include "graphc/Codegen/CInterface.h"
#include "CInterfaceUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/IRBuilder.h"

namespace graphc {

using namespace detail;


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
  auto *modelType = llvm::StructType::get(ctx, {i32, ptr, i32, ptr, i32});
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
      if (t.role != GRAPHC_ROLE_PARAMETER && t.role != GRAPHC_ROLE_BUFFER &&
          t.role != GRAPHC_ROLE_RNG_STATE)
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
  auto row = [&](const TensorSignature &t, bool updated) {
    graphc_model_role_t role = t.role;
    bool modelState = role == GRAPHC_ROLE_PARAMETER || role == GRAPHC_ROLE_BUFFER ||
                      role == GRAPHC_ROLE_RNG_STATE;
    double initBound = modelState ? initBounds.lookup(t.name) : 0.0;
    llvm::Constant *value = modelState && initData.count(t.name) ? initData[t.name] : null;
    std::vector<llvm::Constant *> shape;
    for (size_t k = 0; k < GRAPHC_TENSOR_MAX_RANK; ++k)
      shape.push_back(b.getInt64(k < t.shape.size() ? t.shape[k] : 0));
    return llvm::ConstantStruct::get(
        tensorType, {string(t.name), b.getInt32(t.dtype), b.getInt32(t.shape.size()),
                     llvm::ConstantArray::get(shapeType, shape), b.getInt32(role),
                     b.getInt32(updated), llvm::ConstantFP::get(f64, initBound), value});
  };
  std::vector<llvm::Constant *> entries;
  graphc_device_t device = GRAPHC_DEVICE_CPU;
  for (auto &[name, sig] : ordered(signatures)) {
    device = sig->device; // one pipeline compiled them all
    llvm::Function *call = module.getFunction((prefix + "_" + name + "_call").str());
    if (!call)
      continue;
    std::vector<llvm::Constant *> arguments, results;
    for (size_t i = 0; i < sig->arguments.size(); ++i)
      arguments.push_back(row(sig->arguments[i], llvm::is_contained(sig->updatedArguments, i)));
    for (const TensorSignature &r : sig->results)
      results.push_back(row(r, false));
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
                                            b.getInt32(entries.size()), entryTable,
                                            b.getInt32(device)}),
      (prefix + "_model").str());
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

} // namespace graphc
