//===- Onnx.h - ONNX models into the graph dialect ---------------*- C++ -*-===//
//
// graphc reads models exported from PyTorch (torch.onnx.export) as it reads
// graph files (docs/onnx.md). The importer parses the protobuf with ONNX's
// own library (Debian's libonnx), checks it, and builds `forward`: the
// graph's inputs become inputs, its float initializers parameters under
// their ONNX names (graph.requires_grad, with their values as the initial
// state), its outputs the results. Shape-like inputs (Reshape's shape,
// Slice's starts, axes, pads) are folded to constants at import; a model
// whose shapes depend on data, an op or type the graph dialect cannot
// express, or control flow is refused naming the node.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_IMPORT_ONNX_H
#define GRAPHC_IMPORT_ONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Path.h"

#include <string>

namespace graphc {

/// Whether `path` names an ONNX model (by its extension, .onnx). Inline: a
/// driver built without the importer still recognizes the files it refuses.
inline bool isOnnxPath(llvm::StringRef path) {
  return llvm::sys::path::extension(path).equals_insensitive(".onnx");
}

/// The model in `bytes` (an ONNX ModelProto; `path` names it in messages)
/// as a module with one function `function`. `knownInputs` gives graph
/// inputs their values at compile time (serialized TensorProtos by input
/// name): they become constants, folded where a shape needs them (a model
/// that takes Reshape's shape as an input). On failure returns null and
/// sets `error` to a message naming the file, and the node (its name and op
/// type) or tensor at fault.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnx(mlir::MLIRContext *context, llvm::StringRef bytes, llvm::StringRef path,
           std::string &error, llvm::StringRef function = "forward",
           const llvm::StringMap<std::string> *knownInputs = nullptr);

} // namespace graphc

#endif // GRAPHC_IMPORT_ONNX_H
