// libFuzzer target for the ONNX importer (compiler/lib/Import/Onnx): any
// bytes are handed to graphc::importOnnx as a .onnx file. Malformed
// protobuf, models the checker refuses, wrong shapes, cycles, huge or
// negative dims and unknown ops must give an error message, never a crash.
// graphc's importer and dialect are compiled here under AddressSanitizer;
// ONNX, protobuf and MLIR's libraries are not. The corpus (corpus_onnx) is
// small models of ONNX's backend tests.
//
//   build/bin/onnx_fuzzer -max_total_time=600 -max_len=65536 test/fuzz/corpus_onnx
#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Import/Onnx.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include <cstddef>
#include <cstdint>
#include <string>

// As in GraphParserFuzzer.cpp: instrumented inline allocator code poisons
// memory the uninstrumented MLIR libraries never unpoison.
extern "C" const char *__asan_default_options() { return "allow_user_poisoning=0"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::DialectRegistry *registry = [] {
    auto *r = new mlir::DialectRegistry();
    r->insert<graphc::graph::GraphDialect, mlir::func::FuncDialect>();
    return r;
  }();
  mlir::MLIRContext context(*registry);
  context.loadAllAvailableDialects();
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) { return mlir::success(); });
  std::string error;
  mlir::OwningOpRef<mlir::ModuleOp> module = graphc::importOnnx(
      &context, llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.onnx", error);
  // Either a module or a message, never neither.
  if (!module && error.empty())
    __builtin_trap();
  return 0;
}
