//===- InputLimits.h - limits graphc puts on graph files --------*- C++ -*-===//
//
// MLIR's parser descends recursively into nested attributes and types, so a
// file with thousands of nested brackets overflows its stack (a crash, not an
// error), and MLIR 19's bytecode reader trusts the indices in a file. graphc
// reads every graph file through these guards first.
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_SUPPORT_INPUTLIMITS_H
#define GRAPHC_SUPPORT_INPUTLIMITS_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>
#include <string>

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

/// Runs `work` in a forked child process and returns what it returned, or
/// std::nullopt with `error` set ("WHAT crashes on it") when the child did
/// not get to the end (a signal, a sanitizer's exit, a minute's alarm). For
/// libraries that trust their input and crash on a malformed one (MLIR's
/// bytecode reader, ONNX's version converter): the calling process never
/// runs them on a file. The child is quiet (no stderr, no core file).
std::optional<std::string> runIsolated(llvm::function_ref<std::string()> work,
                                       llvm::StringRef what, std::string &error);

/// Whether `buffer` is MLIR bytecode (rather than text).
bool isBytecode(llvm::StringRef buffer);

/// Replaces buffer `bufferId` of a fresh `sourceMgr` (the file just opened,
/// named `path`) by its text when it is bytecode, then checks its nesting
/// (checkNestingDepth): what every reader of graph files runs before MLIR's
/// parser. Bytecode is read only in a forked child process, which sends the
/// module back as MLIR text with its locations: the calling process never
/// runs MLIR 19's bytecode reader, which trusts the indices in a file and on
/// a corrupted one reads out of bounds, crashes, or corrupts memory that
/// fails only later (bytecode_fuzzer found files of each kind). A child that
/// does not get to the end (a signal, a sanitizer, a minute's alarm) or a
/// reader that refuses the file sets `error`. Returns false after reporting through
/// `sourceMgr` (nesting) or with `error` set (bytecode).
bool prepareGraphBuffer(llvm::SourceMgr &sourceMgr, unsigned &bufferId, llvm::StringRef path,
                        mlir::MLIRContext *context, std::string &error);

} // namespace graphc

#endif // GRAPHC_SUPPORT_INPUTLIMITS_H
