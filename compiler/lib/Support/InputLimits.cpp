//===- InputLimits.cpp - limits graphc puts on graph files ----------------===//

#include "graphc/Support/InputLimits.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cerrno>
#include <cstring>
#include <csignal>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace graphc {

bool isBytecode(llvm::StringRef buffer) { return buffer.starts_with("ML\xef\x52"); }

namespace {

/// Writes all of `bytes` to `fd`; false if the pipe broke.
bool writeAll(int fd, llvm::StringRef bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes = bytes.drop_front(static_cast<size_t>(n));
  }
  return true;
}

/// The child's side of runIsolated: quiet (no crash report on stderr, no
/// core file, none of the parent's crash handlers: LLVM's would remove files
/// the parent registered), stopped after a minute, then `work`'s reply
/// written to `fd`. Never returns.
[[noreturn]] void runInChild(llvm::function_ref<std::string()> work, int fd) {
  int devNull = ::open("/dev/null", O_WRONLY);
  if (devNull >= 0)
    ::dup2(devNull, STDERR_FILENO);
  struct rlimit noCore = {0, 0};
  ::setrlimit(RLIMIT_CORE, &noCore);
  // SIGALRM too: a handler inherited from the parent (libFuzzer's, for its
  // own timeouts) would keep a hung child alive, and the parent waiting.
  for (int signal : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGALRM})
    ::signal(signal, SIG_DFL);
  ::alarm(60);
  std::string reply = work();
  ::_exit(writeAll(fd, reply) ? 0 : 1);
}

/// The bytecode reader's work in the child: parses `buffer` into a context
/// of its own and replies 'T' and the module's text, or 'E' and the
/// reader's diagnostics.
std::string bytecodeReply(llvm::StringRef buffer, mlir::MLIRContext *context) {
  std::string reply;
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(buffer), llvm::SMLoc());
  // A context of its own with the parent's dialects, torn down (module
  // first) before the child reports: a corrupt file can leave state that
  // fails only when the module and its context are destroyed.
  mlir::MLIRContext fresh(context->getDialectRegistry(), mlir::MLIRContext::Threading::DISABLED);
  for (mlir::Dialect *dialect : context->getLoadedDialects())
    (void)fresh.getOrLoadDialect(dialect->getNamespace());
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler collect(&fresh, [&](mlir::Diagnostic &diagnostic) {
    llvm::raw_string_ostream os(diagnostics);
    os << diagnostic.getLocation() << ": " << diagnostic << "\n";
    return mlir::success();
  });
  {
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &fresh);
    if (!module)
      return "E" + diagnostics;
    llvm::raw_string_ostream os(reply);
    os << 'T';
    mlir::OpPrintingFlags flags;
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false);
    module->print(os, flags);
  }
  return reply;
}

/// `buffer` (bytecode) read in a forked child and sent back as MLIR text;
/// std::nullopt with `error` set when the child did not get to the end or
/// the reader refused the file (prepareGraphBuffer's contract).
std::optional<std::string> bytecodeAsText(llvm::StringRef buffer, mlir::MLIRContext *context,
                                          std::string &error) {
  std::optional<std::string> reply =
      runIsolated([&] { return bytecodeReply(buffer, context); }, "MLIR's bytecode reader", error);
  if (!reply)
    return std::nullopt;
  if (reply->empty() || (*reply)[0] != 'T') {
    error = "MLIR's bytecode reader refuses it:\n" + (reply->empty() ? "" : reply->substr(1));
    return std::nullopt;
  }
  return reply->substr(1);
}

} // namespace

std::optional<std::string> runIsolated(llvm::function_ref<std::string()> work,
                                       llvm::StringRef what, std::string &error) {
  int fds[2];
  if (::pipe(fds) != 0) {
    error = "cannot start " + what.str() + ": " + std::strerror(errno);
    return std::nullopt;
  }
  pid_t child = ::fork();
  if (child < 0) {
    error = "cannot start " + what.str() + ": " + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return std::nullopt;
  }
  if (child == 0) {
    ::close(fds[0]);
    runInChild(work, fds[1]);
  }
  ::close(fds[1]);
  // Read to the end before waiting, or a large reply fills the pipe and
  // the child never exits.
  std::string reply;
  char chunk[1 << 16];
  for (;;) {
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    reply.append(chunk, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0)
    if (errno != EINTR)
      break;
  // Only a child that got to the end counts: a signal, or a sanitizer's
  // exit after one, means the work failed on its input.
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    error = what.str() + " crashes on it";
    return std::nullopt;
  }
  return reply;
}

bool prepareGraphBuffer(llvm::SourceMgr &sourceMgr, unsigned &bufferId, llvm::StringRef path,
                        mlir::MLIRContext *context, std::string &error) {
  llvm::StringRef bytes = sourceMgr.getMemoryBuffer(bufferId)->getBuffer();
  if (isBytecode(bytes)) {
    std::optional<std::string> text = bytecodeAsText(bytes, context, error);
    if (!text) {
      error = "'" + path.str() + "' is corrupt MLIR bytecode: " + error;
      return false;
    }
    // The text takes the file's place (SourceMgr cannot replace a buffer):
    // parseSourceFile reads the main buffer, so start the manager afresh.
    llvm::SourceMgr::DiagHandlerTy handler = sourceMgr.getDiagHandler();
    void *handlerContext = sourceMgr.getDiagContext();
    sourceMgr = llvm::SourceMgr();
    sourceMgr.setDiagHandler(handler, handlerContext);
    bufferId = sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(*text, path),
                                            llvm::SMLoc());
  }
  return checkNestingDepth(sourceMgr, bufferId);
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
