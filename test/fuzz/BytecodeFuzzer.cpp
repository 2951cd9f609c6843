// libFuzzer target for the driver's guard around MLIR's bytecode reader:
// any bytes after the bytecode magic ("ML\xefR") go through
// graphc::prepareGraphBuffer (MLIR's reader run in a forked child, which
// sends back the module as text) and the text is parsed in this process, as
// `graphc FILE.mlirbc` does. MLIR 19's reader itself crashes on some corrupt
// files, which is why the guard exists; this checks that no input gets past
// the guard and then crashes the process (AddressSanitizer on graphc's code):
//
//   build/bin/bytecode_fuzzer -max_total_time=600 test/fuzz/corpus_bytecode
#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Support/InputLimits.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstddef>
#include <cstdint>
#include <string>

// As in GraphParserFuzzer.cpp: instrumented graphc sources with
// uninstrumented MLIR libraries make manual poisoning meaningless.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    r->insert<graphc::graph::GraphDialect, mlir::func::FuncDialect>();
    return r;
  }();
  // The fuzzer mutates the body; the magic makes every input bytecode.
  std::string bytes = std::string("ML\xefR", 4) +
                      std::string(reinterpret_cast<const char *>(data), size);
  mlir::MLIRContext context(*registry);
  context.loadAllAvailableDialects();
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) { return mlir::success(); });
  // As the driver reads a file: the bytecode in a forked child, then its
  // text (through the nesting check) in this process.
  llvm::SourceMgr sourceMgr;
  unsigned buffer = sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz.mlirbc"), llvm::SMLoc());
  sourceMgr.setDiagHandler([](const llvm::SMDiagnostic &, void *) {});
  std::string error;
  if (!graphc::prepareGraphBuffer(sourceMgr, buffer, "fuzz.mlirbc", &context, error))
    return 0;
  (void)mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &context);
  return 0;
}
