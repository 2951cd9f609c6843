// The one place graphc writes shapes for messages and generated comments,
// shared by the runtime and the compiler (the dialect's verifier, which
// depends on MLIR only, writes MLIR's dynamic size as `?` itself).
//
//   shapeText:      sizes as they are, "[64, 1, 28, 28]" ("[]" for a scalar;
//                   a caller's bad size prints as given: "[-3]").
//   batchShapeText: the model table's and the generated header's sizes,
//                   where -k is k times the batch: "[B, 784]", "[2B, 10]".
#ifndef GRAPHC_RUNTIME_SHAPE_TEXT_HPP_
#define GRAPHC_RUNTIME_SHAPE_TEXT_HPP_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>

namespace graphc::rt {

namespace detail {
template <typename SizeText>
std::string joinSizes(const int64_t* shape, size_t rank, SizeText sizeText) {
  std::string text = "[";
  for (size_t i = 0; i < rank; ++i) text += (i ? ", " : "") + sizeText(shape[i]);
  return text + "]";
}
}  // namespace detail

inline std::string shapeText(const int64_t* shape, size_t rank) {
  return detail::joinSizes(shape, rank, [](int64_t size) { return std::to_string(size); });
}

// A size of the model table: n >= 0 is static, -k is k times the batch B.
inline std::string batchSizeText(int64_t size) {
  if (size >= 0) return std::to_string(size);
  return size == -1 ? std::string("B") : std::to_string(-size) + "B";
}

inline std::string batchShapeText(const int64_t* shape, size_t rank) {
  return detail::joinSizes(shape, rank, batchSizeText);
}

// The same for any contiguous range of int64_t (std::vector, llvm::ArrayRef).
template <typename Range>
std::string shapeText(const Range& shape) {
  return shapeText(std::data(shape), std::size(shape));
}
template <typename Range>
std::string batchShapeText(const Range& shape) {
  return batchShapeText(std::data(shape), std::size(shape));
}

}  // namespace graphc::rt

#endif  // GRAPHC_RUNTIME_SHAPE_TEXT_HPP_
