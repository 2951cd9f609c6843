//===- InputLimits.cpp - limits graphc puts on graph files ----------------===//

#include "graphc/Support/InputLimits.h"

#include "llvm/ADT/StringRef.h"

namespace graphc {

bool checkNestingDepth(llvm::SourceMgr &sourceMgr, unsigned bufferId) {
  llvm::StringRef text = sourceMgr.getMemoryBuffer(bufferId)->getBuffer();
  if (text.starts_with("ML\xef\x52")) // MLIR bytecode
    return true;
  unsigned depth = 0;
  // A hand-written scan, because the point is to look before MLIR's parser
  // does: brackets count outside "strings" (with \ escapes) and // comments;
  // the '>' of "->" closes nothing.
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i < text.size() && text[i] != '\n')
        ++i;
      continue;
    }
    if (c == '[' || c == '{' || c == '(' || c == '<') {
      if (++depth > kMaxGraphNesting) {
        sourceMgr.PrintMessage(llvm::SMLoc::getFromPointer(text.data() + i),
                               llvm::SourceMgr::DK_Error,
                               "nesting deeper than " + llvm::Twine(kMaxGraphNesting) +
                                   " levels; graphc refuses the file rather than overflow the "
                                   "parser's stack");
        return false;
      }
    } else if ((c == ']' || c == '}' || c == ')' || (c == '>' && (i == 0 || text[i - 1] != '-'))) &&
               depth > 0) {
      --depth;
    }
  }
  return true;
}

} // namespace graphc
