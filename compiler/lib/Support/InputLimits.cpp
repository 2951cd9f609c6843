//===- InputLimits.cpp - limits graphc puts on graph files ----------------===//

#include "graphc/Support/InputLimits.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringRef.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace graphc {

bool isBytecode(llvm::StringRef buffer) { return buffer.starts_with("ML\xef\x52"); }

bool bytecodeReadsSafely(llvm::StringRef buffer, mlir::MLIRContext *context) {
  pid_t child = ::fork();
  if (child < 0)
    return true; // cannot check: read it as before
  if (child == 0) {
    // Quiet: no crash report on stderr, no core file, and none of the
    // parent's crash handlers (LLVM's would remove files the parent
    // registered). A reader that hangs is stopped after a minute.
    int devNull = ::open("/dev/null", O_WRONLY);
    if (devNull >= 0)
      ::dup2(devNull, STDERR_FILENO);
    struct rlimit noCore = {0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);
    for (int signal : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP})
      ::signal(signal, SIG_DFL);
    ::alarm(60);
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(buffer), llvm::SMLoc());
    {
      // A context of its own, with the parent's dialects, torn down (module
      // first) before the child reports success: a corrupt file can leave
      // state that only fails when the module and its context are destroyed,
      // after the read itself succeeded (bytecode_fuzzer found one).
      mlir::MLIRContext fresh(context->getDialectRegistry(),
                              mlir::MLIRContext::Threading::DISABLED);
      for (mlir::Dialect *dialect : context->getLoadedDialects())
        (void)fresh.getOrLoadDialect(dialect->getNamespace());
      // The child's diagnostics go nowhere: the parent parses again and reports.
      mlir::ScopedDiagnosticHandler silence(&fresh, [](mlir::Diagnostic &) {
        return mlir::success();
      });
      mlir::OwningOpRef<mlir::ModuleOp> module =
          mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &fresh);
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0)
    if (errno != EINTR)
      return true;
  // Only a child that got to the end counts: a signal, or a sanitizer's
  // exit after one, means the reader failed on the file.
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool checkNestingDepth(llvm::SourceMgr &sourceMgr, unsigned bufferId) {
  llvm::StringRef text = sourceMgr.getMemoryBuffer(bufferId)->getBuffer();
  if (isBytecode(text))
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
