//===- ParallelCodegen.h - LLVM optimization and code generation in parts -===//
//
// The driver's last step, LLVM's optimizer and code generator over the
// translated module, took about 3.7 of the 7 s that LeNet's training
// executable took to build, on one core of two. This splits the module into
// partitions that are optimized and compiled on threads of their own, as
// LLVM's LTO does (llvm::splitCodeGen), but before the optimizer: it is the
// larger half, and each entry point's functions stay together, so every
// function sees the same callers, callees and constants it saw whole.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_CODEGEN_PARALLELCODEGEN_H
#define GRAPHC_CODEGEN_PARALLELCODEGEN_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <vector>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace graphc {

/// Optimizes `module` at LLVM level `optLevel` and generates `kind` (an
/// object file or assembly) for it, as at most `maxPartitions` parts built
/// in parallel, one machine from `makeMachine` each; returns each part's
/// bytes, to be linked together. One part (maxPartitions 1, or a module that
/// does not split: see the .cpp) is the module compiled whole, in place. The
/// parts do not depend on the number of cores: the same input gives the same
/// bytes on any machine. Internal symbols that one part defines and another
/// uses become hidden globals named `symbolPrefix`.internal.NAME, so that two
/// models' objects linked into one program do not clash.
llvm::Expected<std::vector<llvm::SmallString<0>>>
generateCodeInParts(llvm::Module &module, unsigned optLevel, unsigned maxPartitions,
                    llvm::StringRef symbolPrefix, llvm::CodeGenFileType kind,
                    const std::function<std::unique_ptr<llvm::TargetMachine>()> &makeMachine);

} // namespace graphc

#endif // GRAPHC_CODEGEN_PARALLELCODEGEN_H
