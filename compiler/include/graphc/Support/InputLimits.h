//===- InputLimits.h - limits graphc puts on graph files --------*- C++ -*-===//
//
// MLIR's parser descends recursively into nested attributes and types, so a
// file with thousands of nested brackets overflows its stack (a crash, not an
// error). graphc reads every graph file through this check first.
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_SUPPORT_INPUTLIMITS_H
#define GRAPHC_SUPPORT_INPUTLIMITS_H

#include "llvm/Support/SourceMgr.h"

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace graphc {

/// The deepest nesting of brackets ([ { ( <) a graph file may have; real
/// graphs stay under 20.
constexpr unsigned kMaxGraphNesting = 256;

/// Checks the text buffer `bufferId` of `sourceMgr` for nesting deeper than
/// kMaxGraphNesting (outside string literals and comments). Reports an error
/// at the offending bracket through `sourceMgr` and returns false if so.
/// Bytecode buffers pass unchecked.
bool checkNestingDepth(llvm::SourceMgr &sourceMgr, unsigned bufferId);

/// Whether `buffer` is MLIR bytecode (rather than text).
bool isBytecode(llvm::StringRef buffer);

/// Whether MLIR's parser gets through `buffer` (bytecode) in a forked child
/// process, to the end, whatever it concludes (not killed by a signal, not
/// stopped by a sanitizer, not still reading after a minute). MLIR 19's
/// bytecode reader trusts the indices in the file, and a corrupted file can
/// make it read out of bounds; graphc reads bytecode this way first, so that
/// such a file is refused with an error instead of crashing the tool.
bool bytecodeReadsSafely(llvm::StringRef buffer, mlir::MLIRContext *context);

} // namespace graphc

#endif // GRAPHC_SUPPORT_INPUTLIMITS_H
