//===- CInterfaceUtils.h - helpers the C-interface emitters share -*- C++ -*-===//
#ifndef GRAPHC_CODEGEN_CINTERFACEUTILS_H
#define GRAPHC_CODEGEN_CINTERFACEUTILS_H

#include "graphc/Codegen/Lowering.h"

#include "llvm/ADT/StringMap.h"

#include <string>
#include <utility>
#include <vector>

namespace graphc::detail {

/// The C type of a dtype's elements (`float`, `int64_t`, ...).
const char *cType(graphc_dtype_t dtype);

/// Functions in a stable order (StringMap's is not).
std::vector<std::pair<std::string, const FunctionSignature *>>
ordered(const llvm::StringMap<FunctionSignature> &signatures);

/// The largest batch for which every tensor of `sig`, and its arena, stays
/// under 2^62 bytes, so that no size an entry point computes overflows.
int64_t largestBatch(const FunctionSignature &sig);

/// The parameters of the model function (`forward`), in state_dict order,
/// when any of them has an init rule (a traced model's all do); none for a
/// hand-written graph without one, which gets no NAME_init.
std::vector<const TensorSignature *>
modelParameters(const llvm::StringMap<FunctionSignature> &signatures, llvm::StringRef function);

} // namespace graphc::detail

#endif // GRAPHC_CODEGEN_CINTERFACEUTILS_H
