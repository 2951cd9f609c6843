//===- ParallelCodegen.cpp - LLVM optimization and code generation in parts -===//
//
// How the module is split (llvm::SplitModule is not used: it places each
// function by a hash of its name, or round robin, and either externalizes
// every local symbol or keeps all of a local's users in one part, which
// would put every function that shares a constant into one part):
//
// - A function and the functions it calls directly form one cluster, so
//   that the optimizer can inline as it would in the whole module. A
//   function whose address is taken, as a parallel region's body passed to
//   the runtime's fork call is, goes where it fits: no call through a
//   pointer is inlined. LeNet's training executable is four entry points of
//   2k-18k instructions and about 90 parallel regions of 0.1k-1.4k, so the
//   regions even the parts out. Clusters are dealt to the parts largest
//   first, each to the part with the fewest instructions so far.
// - A small internal constant (an OpenMP location string, a constant
//   tensor of at most kMaxCopiedConstantBytes) is copied into every part
//   that uses it: each part's optimizer still folds loads from it, and the
//   copies stay internal. A larger one (the CUDA target's PTX, 770 KB for
//   LeNet) would make the binary grow by a copy per part.
// - Any other variable, and every external symbol, is defined once: in the
//   first part that uses it.
// - An internal symbol that a part uses but does not define becomes a hidden
//   global with the model's prefix in its name.
//
// Each part goes through bitcode into a context of its own (an LLVMContext
// is not shared between threads), where the optimizer and the code
// generator run on it.
//
//===----------------------------------------------------------------------===//
#include "graphc/Codegen/ParallelCodegen.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <algorithm>

namespace graphc {
namespace {

/// The largest internal constant copied into each part that uses it.
constexpr uint64_t kMaxCopiedConstantBytes = 4096;

/// Where each global value is defined: a set of parts (several only for an
/// internal constant, copied into each part that uses it).
class Partitioning {
public:
  Partitioning(llvm::Module &module, unsigned maxParts) : module_(module) {
    assignFunctions(maxParts);
    if (parts_ > 1)
      assignVariables();
  }

  unsigned parts() const { return parts_; }
  bool isDefinedIn(const llvm::GlobalValue *value, unsigned part) const {
    auto found = home_.find(value);
    return found != home_.end() && found->second.test(part);
  }

  /// Makes every internal symbol used outside the parts that define it a
  /// hidden global named `prefix`.internal.NAME.
  /// In module order, not the map's (pointers): a name taken already gets
  /// a numbered suffix, which must come out the same on every run.
  void externalizeSharedLocals(llvm::StringRef prefix) {
    for (llvm::GlobalValue &global : module_.global_values()) {
      auto home = home_.find(&global);
      if (!global.hasLocalLinkage() || home == home_.end())
        continue;
      llvm::SmallBitVector outside = partsUsing(&global);
      outside.reset(home->second);
      if (outside.none())
        continue;
      global.setLinkage(llvm::GlobalValue::ExternalLinkage);
      global.setVisibility(llvm::GlobalValue::HiddenVisibility);
      global.setName(prefix + ".internal." + (global.hasName() ? global.getName() : "anon"));
    }
  }

private:
  /// Clusters the defined functions and deals the clusters to at most
  /// `maxParts` parts; one part if the module has fewer clusters or
  /// symbols this does not place (aliases, ifuncs, COMDAT groups).
  void assignFunctions(unsigned maxParts) {
    parts_ = 1;
    llvm::EquivalenceClasses<const llvm::Function *> clusters;
    std::vector<const llvm::Function *> defined;
    for (const llvm::Function &function : module_) {
      if (function.isDeclaration())
        continue;
      defined.push_back(&function);
      clusters.insert(&function);
      for (const llvm::Instruction &instruction : llvm::instructions(function))
        if (auto *call = llvm::dyn_cast<llvm::CallBase>(&instruction))
          if (const llvm::Function *callee = call->getCalledFunction();
              callee && !callee->isDeclaration())
            clusters.unionSets(&function, callee);
    }
    bool placeable =
        module_.alias_empty() && module_.ifunc_empty() && module_.getComdatSymbolTable().empty();
    // The clusters by size, largest first; module order breaks ties, so that
    // the parts are the same on every machine.
    std::vector<size_t> instructions; // per cluster, in module order
    llvm::DenseMap<const llvm::Function *, size_t> clusterOf;
    for (size_t i = 0; i < defined.size(); ++i) {
      const llvm::Function *leader = clusters.getLeaderValue(defined[i]);
      auto [it, added] = clusterOf.try_emplace(leader, instructions.size());
      if (added)
        instructions.push_back(0);
      instructions[it->second] += defined[i]->getInstructionCount();
    }
    if (maxParts > 1 && placeable && instructions.size() > 1)
      parts_ = std::min<unsigned>(maxParts, instructions.size());
    std::vector<size_t> byDecreasingSize(instructions.size());
    for (size_t i = 0; i < instructions.size(); ++i)
      byDecreasingSize[i] = i;
    std::stable_sort(byDecreasingSize.begin(), byDecreasingSize.end(),
                     [&](size_t a, size_t b) { return instructions[a] > instructions[b]; });
    std::vector<size_t> load(parts_, 0);
    std::vector<unsigned> partOfCluster(instructions.size(), 0);
    for (size_t cluster : byDecreasingSize) {
      unsigned lightest = std::min_element(load.begin(), load.end()) - load.begin();
      partOfCluster[cluster] = lightest;
      load[lightest] += instructions[cluster];
    }
    for (const llvm::Function *function : defined)
      home_[function] = single(partOfCluster[clusterOf.lookup(clusters.getLeaderValue(function))]);
  }

  void assignVariables() {
    for (llvm::GlobalVariable &variable : module_.globals()) {
      if (variable.isDeclaration())
        continue;
      llvm::SmallBitVector using_ = partsUsing(&variable);
      bool small = module_.getDataLayout().getTypeAllocSize(variable.getValueType()) <=
                   kMaxCopiedConstantBytes;
      if (variable.hasLocalLinkage() && variable.isConstant() && small && using_.any())
        home_[&variable] = using_;
      else
        home_[&variable] = single(using_.any() ? using_.find_first() : 0);
    }
  }

  llvm::SmallBitVector single(unsigned part) const {
    llvm::SmallBitVector bits(parts_);
    bits.set(part);
    return bits;
  }

  /// The parts whose definitions refer to `value`: a function's part for
  /// an instruction, every part for another global's initializer.
  llvm::SmallBitVector partsUsing(const llvm::GlobalValue *value) const {
    llvm::SmallBitVector parts(parts_);
    llvm::SmallVector<const llvm::User *> pending(value->users().begin(), value->users().end());
    llvm::SmallPtrSet<const llvm::User *, 16> seen;
    while (!pending.empty()) {
      const llvm::User *user = pending.pop_back_val();
      if (!seen.insert(user).second)
        continue;
      if (auto *instruction = llvm::dyn_cast<llvm::Instruction>(user)) {
        auto found = home_.find(instruction->getFunction());
        if (found != home_.end())
          parts |= found->second;
      } else if (llvm::isa<llvm::Constant>(user) && !llvm::isa<llvm::GlobalValue>(user)) {
        pending.append(user->user_begin(), user->user_end());
      } else {
        parts.set();
      }
    }
    return parts;
  }

  llvm::Module &module_;
  unsigned parts_ = 1;
  llvm::DenseMap<const llvm::GlobalValue *, llvm::SmallBitVector> home_;
};

/// Optimizes `module` and generates `kind` for it on `machine`.
llvm::Error optimizeAndGenerate(llvm::Module &module, unsigned optLevel,
                                llvm::TargetMachine &machine, llvm::CodeGenFileType kind,
                                llvm::SmallString<0> &bytes) {
  if (llvm::Error err = mlir::makeOptimizingTransformer(optLevel, 0, &machine)(&module))
    return llvm::createStringError("LLVM optimization failed: " + llvm::toString(std::move(err)));
  llvm::raw_svector_ostream stream(bytes);
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, stream, nullptr, kind))
    return llvm::createStringError("the target cannot emit this file type");
  codegen.run(module);
  return llvm::Error::success();
}

} // namespace

llvm::Expected<std::vector<llvm::SmallString<0>>>
generateCodeInParts(llvm::Module &module, unsigned optLevel, unsigned maxPartitions,
                    llvm::StringRef symbolPrefix, llvm::CodeGenFileType kind,
                    const std::function<std::unique_ptr<llvm::TargetMachine>()> &makeMachine) {
  Partitioning partitioning(module, maxPartitions);
  unsigned parts = partitioning.parts();
  std::vector<llvm::SmallString<0>> outputs(parts);
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines;
  for (unsigned part = 0; part < parts; ++part) {
    machines.push_back(makeMachine());
    if (!machines.back())
      return llvm::createStringError("no target machine for the host");
  }
  if (parts == 1) {
    if (llvm::Error err = optimizeAndGenerate(module, optLevel, *machines[0], kind, outputs[0]))
      return std::move(err);
    return std::move(outputs);
  }
  partitioning.externalizeSharedLocals(symbolPrefix);
  std::vector<llvm::SmallString<0>> bitcode(parts);
  for (unsigned part = 0; part < parts; ++part) {
    llvm::ValueToValueMapTy map;
    std::unique_ptr<llvm::Module> clone =
        llvm::CloneModule(module, map, [&](const llvm::GlobalValue *value) {
          return partitioning.isDefinedIn(value, part);
        });
    llvm::raw_svector_ostream stream(bitcode[part]);
    llvm::WriteBitcodeToFile(*clone, stream);
  }
  std::vector<std::string> errors(parts);
  {
    llvm::DefaultThreadPool pool(llvm::hardware_concurrency(parts));
    for (unsigned part = 0; part < parts; ++part)
      pool.async([&, part] {
        llvm::LLVMContext context;
        auto parsed = llvm::parseBitcodeFile(
            llvm::MemoryBufferRef(bitcode[part], "part" + std::to_string(part)), context);
        llvm::Error err =
            parsed ? optimizeAndGenerate(**parsed, optLevel, *machines[part], kind, outputs[part])
                   : parsed.takeError();
        if (err)
          errors[part] = llvm::toString(std::move(err));
      });
    pool.wait();
  }
  for (const std::string &error : errors)
    if (!error.empty())
      return llvm::createStringError(error);
  return std::move(outputs);
}

} // namespace graphc
