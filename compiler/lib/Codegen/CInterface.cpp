//===- CInterface.cpp - graphc's ahead-of-time C ABI: shared parts --------===//
//
// The C ABI's emitters, one file each: CWrappers.cpp (the C entry points
// around MLIR's C interface), ModelTable.cpp (NAME_model and NAME_init),
// Header.cpp (the C header), Manifest.cpp (the JSON manifest). This file
// holds what they share.
//
//===----------------------------------------------------------------------===//

#include "graphc/Codegen/CInterface.h"
#include "CInterfaceUtils.h"

#include "llvm/ADT/STLExtras.h"

#include <cctype>
#include <cmath>

namespace graphc {

std::string cIdentifier(llvm::StringRef name) {
  std::string id;
  for (char c : name)
    id += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (id.empty() || std::isdigit(static_cast<unsigned char>(id[0])))
    id = "t_" + id;
  return id;
}

namespace detail {


const char *cType(graphc_dtype_t dtype) {
  switch (dtype) {
  case GRAPHC_DTYPE_F32:
    return "float";
  case GRAPHC_DTYPE_F64:
    return "double";
  case GRAPHC_DTYPE_I32:
    return "int32_t";
  case GRAPHC_DTYPE_I64:
    return "int64_t";
  case GRAPHC_DTYPE_BOOL:
    return "uint8_t";
  }
  return "void";
}

/// Functions in a stable order (StringMap's is not).
std::vector<std::pair<std::string, const FunctionSignature *>>
ordered(const llvm::StringMap<FunctionSignature> &signatures) {
  std::vector<std::pair<std::string, const FunctionSignature *>> out;
  for (auto &entry : signatures)
    out.emplace_back(entry.first().str(), &entry.second);
  llvm::sort(out, [](auto &a, auto &b) { return a.first < b.first; });
  return out;
}

/// The largest batch for which every tensor of `sig`, and its arena, stays
/// under 2^62 bytes, so that no size the entry point computes overflows: a
/// tensor with n dynamic dims of multiples k_i holds
/// (static bytes) * prod(k_i) * B^n bytes.
int64_t largestBatch(const FunctionSignature &sig) {
  constexpr double kLimit = 4611686018427387904.0; // 2^62
  double largest = kLimit;
  auto bound = [&](double perBatch, int n) {
    if (n > 0 && perBatch > 0)
      largest = std::min(largest, std::floor(std::pow(kLimit / perBatch, 1.0 / n)));
  };
  for (const auto *tensors : {&sig.arguments, &sig.results})
    for (const TensorSignature &t : *tensors) {
      double perBatch = graphc_dtype_size(t.dtype);
      int n = 0;
      for (int64_t d : t.shape) {
        perBatch *= d < 0 ? double(-d) : double(std::max<int64_t>(d, 1));
        n += d < 0;
      }
      bound(perBatch, n);
    }
  bound(double(sig.arenaBytesPerBatch) + double(sig.arenaBytesFixed), 1);
  return static_cast<int64_t>(largest);
}

/// The parameters of the model function (`forward`), in state_dict order,
/// when any of them has an init rule (a traced model's all do); none for a
/// hand-written graph without one, which gets no NAME_init.
std::vector<const TensorSignature *> modelParameters(
    const llvm::StringMap<FunctionSignature> &signatures, llvm::StringRef function) {
  std::vector<const TensorSignature *> out;
  bool anyRule = false;
  auto it = signatures.find(function);
  if (it != signatures.end())
    for (const TensorSignature &t : it->second.arguments)
      if (t.role == GRAPHC_ROLE_PARAMETER || t.role == GRAPHC_ROLE_BUFFER) {
        out.push_back(&t);
        anyRule |= t.initBound > 0 || !t.initData.empty();
      }
  return anyRule ? out : std::vector<const TensorSignature *>{};
}

} // namespace detail

} // namespace graphc
