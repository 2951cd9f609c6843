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

namespace graphc {

/// The deepest nesting of brackets ([ { ( <) a graph file may have; real
/// graphs stay under 20.
constexpr unsigned kMaxGraphNesting = 256;

/// Checks the text buffer `bufferId` of `sourceMgr` for nesting deeper than
/// kMaxGraphNesting (outside string literals and comments). Reports an error
/// at the offending bracket through `sourceMgr` and returns false if so.
/// Bytecode buffers pass unchecked.
bool checkNestingDepth(llvm::SourceMgr &sourceMgr, unsigned bufferId);

} // namespace graphc

#endif // GRAPHC_SUPPORT_INPUTLIMITS_H
