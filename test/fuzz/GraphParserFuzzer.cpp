// libFuzzer target for the graph reader: any bytes are parsed as MLIR text
// with the graph dialect, verified, and — when they verify — lowered to
// linalg. The driver must reject malformed input with a diagnostic, never
// crash; this target (built with -DGRAPHC_BUILD_FUZZERS=ON, AddressSanitizer
// on graphc's own code) is how that is checked:
//
//   build/bin/graph_parser_fuzzer -max_total_time=600 test/fuzz/corpus
#include "graphc/Conversion/Passes.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>
#include <string>

// graphc's dialect sources are compiled here under AddressSanitizer, the
// MLIR and LLVM libraries they link are not. Inline allocator code (LLVM's
// BumpPtrAllocator) instantiated in an instrumented file poisons the memory
// it hands out, and the linker may keep that copy for the libraries' calls
// too, which never unpoison it: a false "use-after-poison" inside MLIR's own
// context setup. Manual poisoning means nothing in such a mixed build, so it
// is off; heap and stack checks stay.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    r->insert<graphc::graph::GraphDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
              mlir::linalg::LinalgDialect, mlir::math::MathDialect, mlir::tensor::TensorDialect>();
    return r;
  }();
  mlir::MLIRContext context(*registry);
  context.loadAllAvailableDialects();
  // Diagnostics are the expected outcome for most inputs: swallow them.
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) { return mlir::success(); });
  // MLIR's lexer reads up to a terminating NUL, as files read by the driver
  // (MemoryBuffer::getFile) have; libFuzzer's bytes have none, so copy them.
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(llvm::StringRef(text.c_str(), size), &context);
  if (!module)
    return 0;
  mlir::PassManager pm(&context);
  pm.addPass(graphc::createConvertGraphToLinalg());
  (void)pm.run(*module);
  return 0;
}
