//===- CInterface.h - graphc's ahead-of-time C ABI --------------*- C++ -*-===//
//
// The C ABI of an object file graphc emits: for every public function F of
// the graph, `int PREFIX_F(int64_t batch, const T *arg..., T *result...)`
// takes and fills caller-owned dense row-major buffers (dynamic dimensions
// are the batch) and returns 0. It wraps MLIR's `_mlir_ciface_F` (memref
// descriptors by pointer), copies each result into the caller's buffer and
// frees the one the generated code allocated. Arguments the function updates
// in place (parameters and optimizer state of train_step) are written
// through their pointers. The C header declares these functions and a
// metadata table of every tensor's name, dtype and shape.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_TOOLS_GRAPHC_CINTERFACE_H
#define GRAPHC_TOOLS_GRAPHC_CINTERFACE_H

#include "graphc/JIT/Jit.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

namespace graphc {

/// A C identifier from a tensor or model name (`conv1.weight` -> `conv1_weight`).
std::string cIdentifier(llvm::StringRef name);

/// Adds the PREFIX_F wrappers to `module` (after translation to LLVM IR).
void addCWrappers(llvm::Module &module, llvm::StringRef prefix,
                  const llvm::StringMap<FunctionSignature> &signatures);

/// Adds `int PREFIX_init(uint64_t seed, T *param...)`: the parameters of
/// `function` that carry a default-init bound, drawn like PyTorch from the
/// seed through the runtime's generator (so the object then needs the runtime).
void addInitFunction(llvm::Module &module, llvm::StringRef prefix,
                     const llvm::StringMap<FunctionSignature> &signatures,
                     llvm::StringRef function);

/// Writes the C11 header declaring the wrappers and the metadata table.
void emitCHeader(llvm::raw_ostream &os, llvm::StringRef prefix,
                 const llvm::StringMap<FunctionSignature> &signatures,
                 llvm::StringRef modelFunction = "forward");

/// Writes `PREFIX.json`: the same description as the header's metadata table
/// (functions, their arguments and results: names, dtypes, shapes with -1 for
/// the batch, which are updated in place, parameters' init bounds).
void emitJsonManifest(llvm::raw_ostream &os, llvm::StringRef prefix,
                      const llvm::StringMap<FunctionSignature> &signatures);

} // namespace graphc

#endif // GRAPHC_TOOLS_GRAPHC_CINTERFACE_H
