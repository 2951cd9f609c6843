//===- Tensor.h - symbolic tensors and the ops of the DSL -------*- C++ -*-===//
//
// graphc's builder DSL reads like PyTorch: a Tensor is a symbolic value in the
// graph being traced, with operators and free functions for every primitive
// op plus the usual composites (softmax, log_softmax, linear, flatten). Each
// call records one or more graph-dialect ops at the user's call site, so a
// shape error names the op, the shapes and the user's file:line, and is
// thrown as a TraceError the program can catch.
//
//===----------------------------------------------------------------------===//
#ifndef GRAPHC_BUILDER_TENSOR_H
#define GRAPHC_BUILDER_TENSOR_H

#include "graphc/runtime/runtime.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlir {
class Value;
} // namespace mlir

namespace graphc {

class Tracer;
class Parameter;
class Buffer;

/// Where the user called a DSL function: captured by default arguments, so
/// user code never passes it.
struct SourceLoc {
  const char *file;
  int line;
  static SourceLoc current(const char *file = __builtin_FILE(), int line = __builtin_LINE()) {
    return {file, line};
  }
};

/// A shape, dtype or usage error while tracing. what() reads
/// "FILE:LINE: error: in OP: REASON".
class TraceError : public std::runtime_error {
public:
  TraceError(const SourceLoc &loc, const std::string &op, const std::string &reason);
  const std::string &op() const { return op_; }
  const std::string &reason() const { return reason_; }
  const char *file() const { return file_; }
  int line() const { return line_; }

private:
  std::string op_, reason_;
  const char *file_;
  int line_;
};

/// A dimension whose size is only known at run time (the batch), as -1 in shapes.
constexpr int64_t kDynamic = -1;

/// A symbolic tensor in the graph being traced. Cheap to copy.
class Tensor {
public:
  Tensor() = default;
  /// A parameter used in an expression becomes the traced function's argument.
  Tensor(const Parameter &parameter);
  /// So does a module buffer (its value before any assign() in this call).
  Tensor(const Buffer &buffer);

  std::vector<int64_t> shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  /// Size of dimension `d` (negative counts from the end); kDynamic if unknown.
  int64_t size(int64_t d) const;
  graphc_dtype_t dtype() const;
  bool defined() const { return impl_ != nullptr; }

  /// torch.Tensor.view / reshape: one entry may be -1 (inferred, or the batch).
  Tensor view(std::vector<int64_t> shape, SourceLoc loc = SourceLoc::current()) const;
  Tensor reshape(std::vector<int64_t> shape, SourceLoc loc = SourceLoc::current()) const;
  /// torch.Tensor.t(): transpose of a 2-D tensor.
  Tensor t(SourceLoc loc = SourceLoc::current()) const;
  Tensor to(graphc_dtype_t dtype, SourceLoc loc = SourceLoc::current()) const;
  Tensor sum(SourceLoc loc = SourceLoc::current()) const;
  Tensor mean(SourceLoc loc = SourceLoc::current()) const;
  /// torch.Tensor.detach(): the same value, through which no gradient flows.
  Tensor detach(SourceLoc loc = SourceLoc::current()) const;

  /// For the implementation: the traced value and its tracer.
  struct Impl;
  const std::shared_ptr<Impl> &impl() const { return impl_; }
  explicit Tensor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

private:
  std::shared_ptr<Impl> impl_;
};

/// torch.no_grad() as a scope: while one is alive on this thread, every op
/// recorded takes its operands detached, so nothing computed in the scope is
/// differentiated (seed 003's `with torch.no_grad():`). Guards nest.
class NoGradGuard {
public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard &) = delete;
  NoGradGuard &operator=(const NoGradGuard &) = delete;

private:
  bool previous_;
};
/// torch.is_grad_enabled(): false inside a NoGradGuard.
bool isGradEnabled();

/// The right operand of an operator: a tensor or a Python-style scalar. It
/// also carries the call site, since operators cannot take extra arguments.
struct Operand {
  Operand(const Tensor &t, SourceLoc loc = SourceLoc::current()) : tensor(t), loc(loc) {}
  Operand(const Parameter &p, SourceLoc loc = SourceLoc::current()) : tensor(p), loc(loc) {}
  Operand(const Buffer &b, SourceLoc loc = SourceLoc::current()) : tensor(b), loc(loc) {}
  Operand(double v, SourceLoc loc = SourceLoc::current())
      : scalar(v), isScalar(true), loc(loc) {}
  Operand(int v, SourceLoc loc = SourceLoc::current())
      : scalar(v), isScalar(true), isIntegral(true), loc(loc) {}
  Tensor tensor;
  double scalar = 0;
  bool isScalar = false, isIntegral = false;
  SourceLoc loc;
};

Tensor operator+(const Tensor &a, const Operand &b);
Tensor operator-(const Tensor &a, const Operand &b);
Tensor operator*(const Tensor &a, const Operand &b);
Tensor operator/(const Tensor &a, const Operand &b);
Tensor operator-(const Tensor &a);
Tensor operator+(double a, const Operand &b);
Tensor operator-(double a, const Operand &b);
Tensor operator*(double a, const Operand &b);
Tensor operator/(double a, const Operand &b);
/// An int on the left keeps an integer tensor integral, as in PyTorch (2 * x).
Tensor operator+(int a, const Operand &b);
Tensor operator-(int a, const Operand &b);
Tensor operator*(int a, const Operand &b);
Tensor operator/(int a, const Operand &b);

// Elementwise unary ops.
Tensor neg(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor exp(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor log(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor sqrt(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor rsqrt(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor abs(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor relu(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor sigmoid(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor tanh(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor erf(const Tensor &x, SourceLoc loc = SourceLoc::current());
/// torch.floor, torch.ceil, torch.round (half to even): their gradient is zero.
Tensor floor(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor ceil(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor round(const Tensor &x, SourceLoc loc = SourceLoc::current());
/// torch.sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh.
Tensor sin(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor cos(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor tan(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor asin(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor acos(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor atan(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor sinh(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor cosh(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor asinh(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor acosh(const Tensor &x, SourceLoc loc = SourceLoc::current());
Tensor atanh(const Tensor &x, SourceLoc loc = SourceLoc::current());

// Elementwise binary ops with broadcasting and PyTorch's type promotion.
Tensor add(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor sub(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor mul(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor div(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor pow(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
/// torch.maximum / torch.minimum.
Tensor maximum(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor minimum(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor eq(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor ne(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor lt(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor le(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor gt(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
Tensor ge(const Tensor &a, const Operand &b, SourceLoc loc = SourceLoc::current());
/// torch.where(condition, a, b).
Tensor where(const Tensor &condition, const Operand &a, const Operand &b,
             SourceLoc loc = SourceLoc::current());

// Linear algebra, convolution, pooling.
Tensor matmul(const Tensor &a, const Tensor &b, SourceLoc loc = SourceLoc::current());
/// Pairs are {h, w}; a single value applies to both, as in PyTorch.
struct Pair {
  Pair(int64_t v) : h(v), w(v) {}
  Pair(int64_t h, int64_t w) : h(h), w(w) {}
  int64_t h, w;
  bool operator==(const Pair &o) const { return h == o.h && w == o.w; }
};
Tensor conv2d(const Tensor &input, const Tensor &weight, const Tensor &bias = Tensor(),
              Pair stride = 1, Pair padding = 0, Pair dilation = 1, int64_t groups = 1,
              SourceLoc loc = SourceLoc::current());
/// stride defaults to kernel_size (pass 0), as in PyTorch.
Tensor max_pool2d(const Tensor &input, Pair kernelSize, Pair stride = 0, Pair padding = 0,
                  SourceLoc loc = SourceLoc::current());
Tensor avg_pool2d(const Tensor &input, Pair kernelSize, Pair stride = 0, Pair padding = 0,
                  SourceLoc loc = SourceLoc::current());

// Reductions over a list of dims (negative counts from the end).
Tensor sum(const Tensor &x, std::vector<int64_t> dims, bool keepdim = false,
           SourceLoc loc = SourceLoc::current());
Tensor mean(const Tensor &x, std::vector<int64_t> dims, bool keepdim = false,
            SourceLoc loc = SourceLoc::current());
/// torch.amax.
Tensor amax(const Tensor &x, std::vector<int64_t> dims, bool keepdim = false,
            SourceLoc loc = SourceLoc::current());

// Shape and data movement.
Tensor reshape(const Tensor &x, std::vector<int64_t> shape, SourceLoc loc = SourceLoc::current());
Tensor permute(const Tensor &x, std::vector<int64_t> dims, SourceLoc loc = SourceLoc::current());
Tensor transpose(const Tensor &x, int64_t dim0, int64_t dim1,
                 SourceLoc loc = SourceLoc::current());
Tensor broadcast_to(const Tensor &x, std::vector<int64_t> shape,
                    SourceLoc loc = SourceLoc::current());
/// x[start:stop:step] along `dim`; stop is clamped, as in Python.
constexpr int64_t kEnd = std::numeric_limits<int64_t>::max();
Tensor slice(const Tensor &x, int64_t dim, int64_t start, int64_t stop = kEnd, int64_t step = 1,
             SourceLoc loc = SourceLoc::current());
Tensor cat(const std::vector<Tensor> &tensors, int64_t dim = 0,
           SourceLoc loc = SourceLoc::current());
Tensor flatten(const Tensor &x, int64_t startDim = 0, int64_t endDim = -1,
               SourceLoc loc = SourceLoc::current());
Tensor cast(const Tensor &x, graphc_dtype_t dtype, SourceLoc loc = SourceLoc::current());
/// A constant in the graph with the value of a host tensor.
Tensor constant(const rt::Tensor &value, SourceLoc loc = SourceLoc::current());
Tensor scalar(double value, graphc_dtype_t dtype = GRAPHC_DTYPE_F32,
              SourceLoc loc = SourceLoc::current());

// Composites (decompositions into the primitives above).
/// x @ weight^T + bias, as torch.nn.functional.linear.
Tensor linear(const Tensor &x, const Tensor &weight, const Tensor &bias = Tensor(),
              SourceLoc loc = SourceLoc::current());
/// exp(x - max) / sum(exp(x - max)): the max keeps exp from overflowing.
Tensor softmax(const Tensor &x, int64_t dim, SourceLoc loc = SourceLoc::current());
/// (x - max) - log(sum(exp(x - max))), the stable log-sum-exp form.
Tensor log_softmax(const Tensor &x, int64_t dim, SourceLoc loc = SourceLoc::current());

} // namespace graphc

#endif // GRAPHC_BUILDER_TENSOR_H
