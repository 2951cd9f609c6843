//===- CInterface.h - graphc's C ABI for compiled models --------*- C++ -*-===//
//
// The C ABI of the code graphc generates, shared by object files and the
// in-process JIT. For every public function F of the graph:
//  - `int PREFIX_F_call(void *arena, int64_t batch, void *const *args,
//    void *const *results)`: the packed entry point a program object calls.
//    It builds the memref descriptors of MLIR's `_mlir_ciface_F` from dense
//    row-major caller buffers (a dynamic dimension of -k is k times the batch),
//    the results' too (the generated code writes them: the pipelines run
//    buffer-results-to-out-params), and passes the arena of the temporaries
//    (allocating one for the call when `arena` is NULL);
//  - `int PREFIX_F(int64_t batch, const T *arg..., T *result...)`: the same
//    with one pointer per tensor and an arena per call;
//  - `int64_t PREFIX_F_arena_bytes(int64_t batch)`.
// Arguments the function updates in place (train_step's parameters and
// optimizer state) are written through their pointers. `PREFIX_model` (a
// graphc_model_t, graphc/runtime/program.h) lists the entry points with their
// tensors' names, dtypes, shapes and roles. The C header declares all of it.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_CODEGEN_CINTERFACE_H
#define GRAPHC_CODEGEN_CINTERFACE_H

#include "graphc/Codegen/Lowering.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

namespace graphc {

/// A C identifier from a tensor or model name (`conv1.weight` -> `conv1_weight`).
std::string cIdentifier(llvm::StringRef name);

/// Adds PREFIX_F_call, PREFIX_F and PREFIX_F_arena_bytes for every function
/// to `module` (after translation to LLVM IR).
void addCWrappers(llvm::Module &module, llvm::StringRef prefix,
                  const llvm::StringMap<FunctionSignature> &signatures);

/// Adds the exported constant `PREFIX_model` (graphc_model_t) describing the
/// PREFIX_F_call entry points addCWrappers added.
void addModelTable(llvm::Module &module, llvm::StringRef prefix,
                   const llvm::StringMap<FunctionSignature> &signatures);

/// Gives internal linkage to every definition in `module` but the C
/// interface (PREFIX_*) and `keep`, so that objects of two models link into
/// one program: MLIR names the functions after the graph's (`forward`,
/// `_mlir_ciface_forward`), which would clash. For object files only: the
/// JIT calls `_mlir_ciface_F` by name.
void hideInternalSymbols(llvm::Module &module, llvm::StringRef prefix,
                         llvm::ArrayRef<llvm::StringRef> keep = {});


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

#endif // GRAPHC_CODEGEN_CINTERFACE_H
