//===- ShapeRules.cpp - shape rules of the graph ops ----------------------===//

#include "graphc/Dialect/Graph/ShapeRules.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <limits>
#include <optional>

using namespace mlir;

namespace graphc::graph {

static constexpr int64_t kDyn = ShapedType::kDynamic;

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << '[';
  llvm::interleaveComma(shape, os, [&](int64_t d) {
    if (d == kDyn)
      os << '?';
    else
      os << d;
  });
  os << ']';
  return out;
}

FailureOr<Shape> broadcastShapes(llvm::ArrayRef<int64_t> lhs,
                                 llvm::ArrayRef<int64_t> rhs, std::string &why) {
  size_t rank = std::max(lhs.size(), rhs.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align on the right, as NumPy does; missing leading dims count as 1.
    int64_t a = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t b = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (a == b || b == 1)
      result[i] = a;
    else if (a == 1)
      result[i] = b;
    else if (a == kDyn || b == kDyn) {
      // A dynamic size is a multiple of the batch B (docs/dialect.md), so it
      // could equal a static size other than 1 for one batch size only.
      why = "shapes " + formatShape(lhs) + " and " + formatShape(rhs) +
            " cannot be broadcast together (dimension " + std::to_string(i) +
            ": a batch-sized ? cannot match the static size " +
            std::to_string(a == kDyn ? b : a) + ")";
      return failure();
    } else {
      why = "shapes " + formatShape(lhs) + " and " + formatShape(rhs) +
            " cannot be broadcast together (dimension " + std::to_string(i) +
            ": " + std::to_string(a) + " vs " + std::to_string(b) + ")";
      return failure();
    }
  }
  return result;
}

bool isBroadcastableTo(llvm::ArrayRef<int64_t> from, llvm::ArrayRef<int64_t> to) {
  if (from.size() > to.size())
    return false;
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i) {
    int64_t f = from[i], t = to[lead + i];
    // A batch-sized (dynamic) size goes only to a dynamic one, and a
    // dynamic result size comes from a dynamic size or a stretched 1.
    if (f == kDyn ? t != kDyn : (f != 1 && f != t))
      return false;
  }
  return true;
}

/// Two sizes that must agree: equal, or both dynamic. A dynamic size is a
/// multiple of the batch, so it cannot stand for a static size (equal
/// multiples of two dynamic sizes are checked by the batch-multiple analysis).
static bool compatible(int64_t a, int64_t b) { return a == b; }

FailureOr<Shape> matmulShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                             std::string &why) {
  bool ranksOk = (lhs.size() == 2 && rhs.size() == 2) ||
                 (lhs.size() == 3 && (rhs.size() == 3 || rhs.size() == 2));
  if (!ranksOk) {
    why = "matmul expects [M,K] x [K,N], [B,M,K] x [B,K,N] or [B,M,K] x [K,N], got " +
          formatShape(lhs) + " x " + formatShape(rhs);
    return failure();
  }
  int64_t k1 = lhs.back(), k2 = rhs[rhs.size() - 2];
  if (!compatible(k1, k2)) {
    why = "matmul inner dimensions differ: " + formatShape(lhs) + " x " +
          formatShape(rhs) + " (" + std::to_string(k1) + " vs " + std::to_string(k2) + ")";
    return failure();
  }
  if (lhs.size() == 3 && rhs.size() == 3 && !compatible(lhs[0], rhs[0])) {
    why = "matmul batch dimensions differ: " + formatShape(lhs) + " x " + formatShape(rhs);
    return failure();
  }
  Shape result;
  if (lhs.size() == 3)
    result.push_back(lhs[0]);
  result.push_back(lhs[lhs.size() - 2]);
  result.push_back(rhs.back());
  return result;
}

static bool checkPair(llvm::ArrayRef<int64_t> pair, int64_t minValue,
                      const char *name, std::string &why) {
  if (pair.size() != 2 || pair[0] < minValue || pair[1] < minValue) {
    why = std::string(name) + " must be two integers >= " + std::to_string(minValue) +
          ", got " + formatShape(pair);
    return false;
  }
  return true;
}

/// Output size of a sliding window; kDyn stays kDyn.
/// The output size of a window of `extent` sliding by `stride` over `in`
/// padded by `pad` on both sides; kWindowOverflow when a size of the formula
/// is not representable (a graph file can hold any int64 attribute). Not
/// kDyn (INT64_MIN) and below the -1 of an empty window.
constexpr int64_t kWindowOverflow = -2;
static int64_t windowOutput(int64_t in, int64_t pad, int64_t extent, int64_t stride) {
  if (in == kDyn)
    return kDyn;
  std::optional<int64_t> padded = llvm::checkedMul<int64_t>(2, pad);
  if (padded)
    padded = llvm::checkedAdd(in, *padded);
  if (padded)
    padded = llvm::checkedSub(*padded, extent);
  if (!padded)
    return kWindowOverflow;
  return *padded < 0 ? -1 : *padded / stride + 1;
}

FailureOr<Shape> conv2dShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                             llvm::ArrayRef<int64_t> stride, llvm::ArrayRef<int64_t> padding,
                             llvm::ArrayRef<int64_t> dilation, int64_t groups,
                             std::string &why) {
  if (input.size() != 4 || weight.size() != 4) {
    why = "conv2d expects a 4-D input [N,C,H,W] and a 4-D weight [O,C/groups,KH,KW], got " +
          formatShape(input) + " and " + formatShape(weight);
    return failure();
  }
  if (!checkPair(stride, 1, "stride", why) || !checkPair(padding, 0, "padding", why) ||
      !checkPair(dilation, 1, "dilation", why))
    return failure();
  if (groups < 1) {
    why = "groups must be >= 1, got " + std::to_string(groups);
    return failure();
  }
  for (int i = 1; i < 4; ++i)
    if (weight[i] == kDyn || (i >= 2 && input[i] == kDyn) || (i == 1 && input[1] == kDyn)) {
      why = "conv2d needs static channels, kernel and image sizes, got input " +
            formatShape(input) + " and weight " + formatShape(weight);
      return failure();
    }
  if (weight[0] == kDyn || weight[0] % groups != 0 || input[1] % groups != 0) {
    why = "conv2d channels must divide by groups=" + std::to_string(groups) +
          ": input " + formatShape(input) + ", weight " + formatShape(weight);
    return failure();
  }
  if (input[1] / groups != weight[1]) {
    why = "conv2d expects weight [O, C/groups, KH, KW] with C/groups = " +
          std::to_string(input[1] / groups) + " for input " + formatShape(input) +
          ", got weight " + formatShape(weight);
    return failure();
  }
  Shape result{input[0], weight[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    std::optional<int64_t> dilated = llvm::checkedMul(dilation[i], weight[2 + i] - 1);
    if (!dilated || *dilated == std::numeric_limits<int64_t>::max() ||
        windowOutput(input[2 + i], padding[i], *dilated + 1, stride[i]) == kWindowOverflow) {
      why = "conv2d sizes overflow 64 bits: input " + formatShape(input) + ", weight " +
            formatShape(weight) + ", padding " + formatShape(padding) + ", dilation " +
            formatShape(dilation);
      return failure();
    }
    int64_t extent = *dilated + 1;
    result[2 + i] = windowOutput(input[2 + i], padding[i], extent, stride[i]);
    if (result[2 + i] < 1) {
      why = "conv2d kernel " + formatShape(weight.drop_front(2)) + " (dilated to " +
            std::to_string(extent) + ") is larger than the padded input " +
            formatShape(input);
      return failure();
    }
  }
  return result;
}

FailureOr<Shape> pool2dShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                             llvm::ArrayRef<int64_t> stride, llvm::ArrayRef<int64_t> padding,
                             std::string &why) {
  if (input.size() != 4) {
    why = "pooling expects a 4-D input [N,C,H,W], got " + formatShape(input);
    return failure();
  }
  if (!checkPair(kernel, 1, "kernel_size", why) || !checkPair(stride, 1, "stride", why) ||
      !checkPair(padding, 0, "padding", why))
    return failure();
  if (input[1] == kDyn || input[2] == kDyn || input[3] == kDyn) {
    why = "pooling needs static channels and image sizes, got " + formatShape(input);
    return failure();
  }
  // padding > kernel / 2, not padding * 2 > kernel: a graph file's padding
  // can be any int64 (found by bytecode_fuzzer: the product overflowed).
  for (int i = 0; i < 2; ++i)
    if (padding[i] > kernel[i] / 2) {
      why = "padding should be at most half of kernel_size, got padding " +
            formatShape(padding) + " for kernel_size " + formatShape(kernel);
      return failure();
    }
  Shape result{input[0], input[1], 0, 0};
  for (int i = 0; i < 2; ++i) {
    result[2 + i] = windowOutput(input[2 + i], padding[i], kernel[i], stride[i]);
    if (result[2 + i] == kWindowOverflow) {
      why = "pooling sizes overflow 64 bits: input " + formatShape(input) + ", kernel_size " +
            formatShape(kernel) + ", padding " + formatShape(padding);
      return failure();
    }
    if (result[2 + i] != kDyn && result[2 + i] < 1) {
      why = "pooling window " + formatShape(kernel) + " is larger than the padded input " +
            formatShape(input);
      return failure();
    }
  }
  return result;
}

FailureOr<llvm::SmallVector<int64_t>> normalizeDims(llvm::ArrayRef<int64_t> dims,
                                                   int64_t rank, std::string &why) {
  llvm::SmallVector<int64_t> out;
  for (int64_t d : dims) {
    int64_t n = d < 0 ? d + rank : d;
    if (n < 0 || n >= rank) {
      why = "dimension " + std::to_string(d) + " is out of range for a tensor of rank " +
            std::to_string(rank);
      return failure();
    }
    if (llvm::is_contained(out, n)) {
      why = "dimension " + std::to_string(d) + " appears more than once";
      return failure();
    }
    out.push_back(n);
  }
  llvm::sort(out);
  return out;
}

FailureOr<Shape> reductionShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> dims,
                                bool keepdim, std::string &why) {
  auto normalized = normalizeDims(dims, input.size(), why);
  if (failed(normalized))
    return failure();
  Shape result;
  for (int64_t i = 0, e = input.size(); i < e; ++i) {
    if (!llvm::is_contained(*normalized, i))
      result.push_back(input[i]);
    else if (keepdim)
      result.push_back(1);
  }
  return result;
}

FailureOr<Shape> transposeShape(llvm::ArrayRef<int64_t> input,
                                llvm::ArrayRef<int64_t> permutation, std::string &why) {
  if (permutation.size() != input.size()) {
    why = "permutation " + formatShape(permutation) + " does not have one entry per dimension of " +
          formatShape(input);
    return failure();
  }
  auto normalized = normalizeDims(permutation, input.size(), why);
  if (failed(normalized)) {
    why = "permutation " + formatShape(permutation) + " is not a permutation: " + why;
    return failure();
  }
  Shape result;
  for (int64_t p : permutation)
    result.push_back(input[p < 0 ? p + input.size() : p]);
  return result;
}

LogicalResult checkReshape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> result,
                           std::string &why) {
  if (llvm::any_of(result, [](int64_t d) { return d < 0 && d != kDyn; })) {
    why = "reshape target " + formatShape(result) + " has a negative dimension";
    return failure();
  }
  // Every dynamic size is a multiple k*B of the batch, so a tensor with n
  // dynamic dims holds (static product) * k1*...*kn * B^n elements: the
  // counts of both sides agree for every B only when n is the same.
  int64_t dynamicIn = llvm::count(input, kDyn), dynamicOut = llvm::count(result, kDyn);
  auto cannot = [&](const std::string &reason) {
    why = "cannot reshape " + formatShape(input) + " to " + formatShape(result) + ": " + reason;
    return failure();
  };
  if (dynamicIn != dynamicOut)
    return cannot("it has " + std::to_string(dynamicIn) + " batch-sized dimension(s) and the "
                  "result " + std::to_string(dynamicOut) + ", so the element counts could "
                  "agree for at most one batch size");
  // The static products between consecutive dynamic dims (and before the
  // first and after the last): groups[g] is the product of gap g.
  auto gaps = [](llvm::ArrayRef<int64_t> shape) {
    llvm::SmallVector<int64_t> groups{1};
    for (int64_t d : shape) {
      if (d == kDyn)
        groups.push_back(1);
      else
        groups.back() *= d;
    }
    return groups;
  };
  llvm::SmallVector<int64_t> in = gaps(input), out = gaps(result);
  if (dynamicIn == 0) {
    if (in[0] != out[0]) {
      why = "cannot reshape " + formatShape(input) + " (" + std::to_string(in[0]) +
            " elements) to " + formatShape(result);
      return failure();
    }
    return success();
  }
  int64_t staticIn = 1, staticOut = 1;
  for (int64_t g : in)
    staticIn *= g;
  for (int64_t g : out)
    staticOut *= g;
  if (staticIn == 0 || staticOut == 0)
    return cannot("a batch-sized tensor with a zero-size dimension has no size to infer");
  if (dynamicIn == 1)
    return success(); // k_out = k_in * staticIn / staticOut, checked with k_in known
  // With several dynamic dims each keeps its place: only the static dims
  // between them regroup, and each dynamic dim keeps its size.
  if (in != out)
    return cannot("with several batch-sized dimensions only the static dimensions between "
                  "them may regroup, and the products of those groups differ");
  return success();
}

FailureOr<Shape> sliceShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> start,
                            llvm::ArrayRef<int64_t> stop, llvm::ArrayRef<int64_t> step,
                            std::string &why) {
  if (start.size() != input.size() || stop.size() != input.size() ||
      step.size() != input.size()) {
    why = "slice needs start, stop and step for each of the " + std::to_string(input.size()) +
          " dimensions of " + formatShape(input);
    return failure();
  }
  Shape result;
  for (size_t i = 0; i < input.size(); ++i) {
    if (step[i] < 1 || start[i] < 0 || stop[i] < start[i]) {
      why = "slice of dimension " + std::to_string(i) + " needs 0 <= start <= stop and step >= 1, got " +
            std::to_string(start[i]) + ":" + std::to_string(stop[i]) + ":" + std::to_string(step[i]);
      return failure();
    }
    if (input[i] == kDyn) {
      if (start[i] != 0 || step[i] != 1 || stop[i] != std::numeric_limits<int64_t>::max()) {
        why = "dynamic dimension " + std::to_string(i) +
              " of " + formatShape(input) + " can only be kept whole";
        return failure();
      }
      result.push_back(kDyn);
      continue;
    }
    if (start[i] > input[i]) {
      why = "slice start " + std::to_string(start[i]) + " is past dimension " +
            std::to_string(i) + " of " + formatShape(input);
      return failure();
    }
    int64_t end = std::min(stop[i], input[i]);
    result.push_back((end - start[i] + step[i] - 1) / step[i]);
  }
  return result;
}

FailureOr<Shape> gatherShape(llvm::ArrayRef<int64_t> table, llvm::ArrayRef<int64_t> indices,
                             std::string &why) {
  if (table.empty()) {
    why = "needs a table of rank >= 1 (rows first), got a scalar";
    return failure();
  }
  if (table[0] == kDyn) {
    why = "needs a static number of rows, got table " + formatShape(table);
    return failure();
  }
  Shape shape(indices.begin(), indices.end());
  shape.append(table.begin() + 1, table.end());
  return shape;
}

FailureOr<Shape> concatShape(llvm::ArrayRef<llvm::SmallVector<int64_t>> inputs, int64_t dim,
                             std::string &why) {
  if (inputs.empty()) {
    why = "concat needs at least one operand";
    return failure();
  }
  int64_t rank = inputs.front().size();
  int64_t d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= rank) {
    why = "concat dimension " + std::to_string(dim) + " is out of range for rank " +
          std::to_string(rank);
    return failure();
  }
  Shape result(inputs.front().begin(), inputs.front().end());
  for (size_t k = 1; k < inputs.size(); ++k) {
    const auto &s = inputs[k];
    if ((int64_t)s.size() != rank) {
      why = "concat operands have different ranks: " + formatShape(inputs.front()) + " and " +
            formatShape(s);
      return failure();
    }
    for (int64_t i = 0; i < rank; ++i) {
      if (i == d) {
        if ((result[i] == kDyn) != (s[i] == kDyn)) {
          // k*B + n is no multiple of the batch B.
          why = "concat along dimension " + std::to_string(d) +
                " mixes batch-sized and static sizes: " + formatShape(inputs.front()) +
                " and " + formatShape(s);
          return failure();
        }
        result[i] = result[i] == kDyn ? kDyn : result[i] + s[i];
      } else if (!compatible(result[i], s[i])) {
        why = "concat operands differ outside dimension " + std::to_string(d) + ": " +
              formatShape(inputs.front()) + " and " + formatShape(s);
        return failure();
      }
    }
  }
  return result;
}

} // namespace graphc::graph
