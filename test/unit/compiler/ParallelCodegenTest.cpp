// graphc::generateCodeInParts (the driver's LLVM optimization and code
// generation in parts) on a hand-written module whose symbols cover each rule
// of the split: a call keeps a function with its caller, an internal constant
// is copied into each part that uses it, an internal variable is defined
// once, and an internal symbol used across parts becomes a hidden global with
// the model's prefix. What each object defines and leaves undefined is read
// back from its ELF symbol table, an oracle independent of the split's code.
#include "graphc/Codegen/ParallelCodegen.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/BinaryFormat/ELF.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ELFObjectFile.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <gtest/gtest.h>

#include <map>

namespace {

// @first and @bump call each other's cluster into one part (the larger:
// @first's loop), @second and @table's other entry @unused_target form the
// others. @counter is written by @bump (part 0) and @second (part 1);
// @table, read only by @second, holds @bump's address; @text (4 bytes) and
// @big (8 KB) are read by both; the unnamed @0 and @1 are written by both.
constexpr const char *kModule = R"(
@counter = internal global i32 0
@0 = internal global i32 0
@1 = internal global i32 0
@big = internal constant [2048 x i32] zeroinitializer
@text = private unnamed_addr constant [4 x i8] c"abc\00"
@table = internal constant [2 x ptr] [ptr @bump, ptr @unused_target]

define internal i32 @bump(i32 %x) {
  %old = load volatile i32, ptr @counter
  %new = add i32 %old, %x
  store volatile i32 %new, ptr @counter
  store volatile i32 %new, ptr @0
  store volatile i32 %new, ptr @1
  ret i32 %new
}

define internal i32 @unused_target(i32 %x) {
  ret i32 %x
}

define i32 @first(i32 %n) {
entry:
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %next, %loop ]
  %sum = phi i32 [ 0, %entry ], [ %acc, %loop ]
  %c = getelementptr i8, ptr @text, i32 %i
  %byte = load volatile i8, ptr %c
  %wide = zext i8 %byte to i32
  %v = call i32 @bump(i32 %wide)
  %b = load volatile i32, ptr @big
  %bv = add i32 %v, %b
  %acc = add i32 %sum, %bv
  %next = add i32 %i, 1
  %done = icmp eq i32 %next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret i32 %acc
}

define i32 @second(i32 %k) {
  %slot = getelementptr [2 x ptr], ptr @table, i32 0, i32 %k
  %f = load volatile ptr, ptr %slot
  %r = call i32 %f(i32 %k)
  %c = load volatile i8, ptr @text
  %w = zext i8 %c to i32
  %bslot = getelementptr [2048 x i32], ptr @big, i32 0, i32 %k
  %b = load volatile i32, ptr %bslot
  %wb = add i32 %w, %b
  store volatile i32 %wb, ptr @counter
  store volatile i32 %wb, ptr @0
  store volatile i32 %wb, ptr @1
  ret i32 %r
}
)";

struct Symbol {
  bool defined = false, global = false, hidden = false;
};

/// Each object's symbols by name (sections and files left out).
std::vector<std::map<std::string, Symbol>>
symbolsOf(const std::vector<llvm::SmallString<0>> &objects) {
  std::vector<std::map<std::string, Symbol>> tables;
  for (const llvm::SmallString<0> &bytes : objects) {
    auto file = llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(bytes, "part"));
    if (!file) {
      ADD_FAILURE() << llvm::toString(file.takeError());
      continue;
    }
    auto &table = tables.emplace_back();
    for (llvm::object::ELFSymbolRef symbol :
         llvm::cast<llvm::object::ELFObjectFileBase>(**file).symbols()) {
      auto name = symbol.getName();
      auto type = symbol.getType();
      if (!name || name->empty() || !type || *type == llvm::object::SymbolRef::ST_File ||
          *type == llvm::object::SymbolRef::ST_Debug)
        continue;
      auto flags = symbol.getFlags();
      if (!flags) {
        ADD_FAILURE() << name->str() << ": " << llvm::toString(flags.takeError());
        continue;
      }
      Symbol &entry = table[name->str()];
      entry.defined = !(*flags & llvm::object::SymbolRef::SF_Undefined);
      entry.global = *flags & llvm::object::SymbolRef::SF_Global;
      entry.hidden = symbol.getOther() == llvm::ELF::STV_HIDDEN;
    }
  }
  return tables;
}

class ParallelCodegenTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  }

  std::unique_ptr<llvm::Module> parse() {
    llvm::SMDiagnostic error;
    auto module = llvm::parseAssemblyString(kModule, error, context_);
    EXPECT_TRUE(module) << error.getMessage().str();
    std::string triple = llvm::sys::getProcessTriple();
    module->setTargetTriple(triple);
    module->setDataLayout(machine()->createDataLayout());
    return module;
  }

  static std::unique_ptr<llvm::TargetMachine> machine() {
    std::string triple = llvm::sys::getProcessTriple(), error;
    const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
    EXPECT_TRUE(target) << error;
    return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
        triple, "x86-64", "", llvm::TargetOptions(), llvm::Reloc::PIC_));
  }

  std::vector<llvm::SmallString<0>> compile(unsigned parts) {
    std::unique_ptr<llvm::Module> module = parse();
    auto objects = graphc::generateCodeInParts(*module, 2, parts, "m",
                                               llvm::CodeGenFileType::ObjectFile, machine);
    EXPECT_TRUE(bool(objects)) << llvm::toString(objects.takeError());
    return objects ? std::move(*objects) : std::vector<llvm::SmallString<0>>{};
  }

  llvm::LLVMContext context_;
};

TEST_F(ParallelCodegenTest, OnePartIsTheModuleWhole) {
  auto objects = compile(1);
  ASSERT_EQ(objects.size(), 1u);
  auto symbols = symbolsOf(objects)[0];
  for (const char *name : {"first", "second"})
    EXPECT_TRUE(symbols[name].defined && symbols[name].global) << name;
  for (auto &[name, symbol] : symbols)
    EXPECT_EQ(name.find(".internal."), std::string::npos) << name;
}

TEST_F(ParallelCodegenTest, SplitsByClusterAndLinksAcrossParts) {
  auto objects = compile(2);
  ASSERT_EQ(objects.size(), 2u);
  auto symbols = symbolsOf(objects);
  // The larger cluster, @first with the @bump it calls, in part 0.
  EXPECT_TRUE(symbols[0]["first"].defined && symbols[0]["first"].global);
  EXPECT_TRUE(symbols[1]["second"].defined && symbols[1]["second"].global);
  EXPECT_FALSE(symbols[0].count("second") && symbols[0]["second"].defined);
  EXPECT_FALSE(symbols[1].count("first") && symbols[1]["first"].defined);
  // @counter, written in both parts: defined once, in part 0 (its first
  // user), hidden, under the model's prefix; part 1 refers to it.
  Symbol counter0 = symbols[0]["m.internal.counter"], counter1 = symbols[1]["m.internal.counter"];
  EXPECT_TRUE(counter0.defined && counter0.global && counter0.hidden);
  EXPECT_FALSE(counter1.defined);
  EXPECT_TRUE(counter1.hidden || !counter1.global) << "part 1's reference";
  // @bump, whose address part 1's @table holds: exported from part 0 the same way.
  Symbol bump0 = symbols[0]["m.internal.bump"];
  EXPECT_TRUE(bump0.defined && bump0.global && bump0.hidden);
  EXPECT_FALSE(symbols[1]["m.internal.bump"].defined);
  // @text, 4 bytes, is copied into both parts (each keeps it local); @big,
  // 8 KB, is not: defined in part 0 alone and exported hidden.
  Symbol big0 = symbols[0]["m.internal.big"];
  EXPECT_TRUE(big0.defined && big0.global && big0.hidden);
  EXPECT_FALSE(symbols[1]["m.internal.big"].defined);
  EXPECT_FALSE(symbols[0].count("m.internal.text") || symbols[1].count("m.internal.text"));
  // The unnamed variables get the prefix too, numbered in module order.
  for (const char *name : {"m.internal.anon", "m.internal.anon.1"})
    EXPECT_TRUE(symbols[0][name].defined && symbols[0][name].hidden && !symbols[1][name].defined)
        << name;
  // No symbol of either part keeps an internal name that the other defines.
  for (unsigned part = 0; part < 2; ++part)
    for (const char *name : {"counter", "bump", "table", "text", "big"})
      EXPECT_FALSE(symbols[part].count(name) && symbols[part][name].global)
          << name << " is global in part " << part;
}

TEST_F(ParallelCodegenTest, SameInputSameBytes) {
  auto a = compile(2), b = compile(2);
  ASSERT_EQ(a.size(), b.size());
  for (size_t part = 0; part < a.size(); ++part)
    EXPECT_TRUE(a[part] == b[part]) << "part " << part << " differs between two compiles";
}

} // namespace
