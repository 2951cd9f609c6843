// Plain reference implementations (the tests' oracle): N-d arrays of doubles
// and naive loops for every op, written from the PyTorch definitions and
// sharing no code with graphc's lowering.
#ifndef GRAPHC_TEST_UNIT_COMPILER_REFERENCE_H
#define GRAPHC_TEST_UNIT_COMPILER_REFERENCE_H

#include "graphc/Builder.h"

#include <cmath>
#include <functional>
#include <vector>

namespace ref {

struct Array {
  std::vector<int64_t> shape;
  std::vector<double> data;
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

inline std::vector<int64_t> strides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

inline std::vector<int64_t> unravel(int64_t index, const std::vector<int64_t> &shape) {
  std::vector<int64_t> idx(shape.size());
  for (int64_t i = (int64_t)shape.size() - 1; i >= 0; --i) {
    idx[i] = index % shape[i];
    index /= shape[i];
  }
  return idx;
}

/// Element of `a` read at the broadcast position `idx` of a result of rank idx.size().
inline double at(const Array &a, const std::vector<int64_t> &idx) {
  int64_t lead = idx.size() - a.shape.size(), flat = 0;
  auto st = strides(a.shape);
  for (size_t j = 0; j < a.shape.size(); ++j)
    flat += (a.shape[j] == 1 ? 0 : idx[lead + j]) * st[j];
  return a.data[flat];
}

inline std::vector<int64_t> broadcastShape(const std::vector<int64_t> &a,
                                           const std::vector<int64_t> &b) {
  size_t r = std::max(a.size(), b.size());
  std::vector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
    out[i] = x == 1 ? y : x;
  }
  return out;
}

inline Array map(const Array &a, const std::function<double(double)> &f) {
  Array out{a.shape, a.data};
  for (double &v : out.data)
    v = f(v);
  return out;
}

inline Array zip(const Array &a, const Array &b, const std::function<double(double, double)> &f) {
  Array out{broadcastShape(a.shape, b.shape), {}};
  for (int64_t i = 0, n = out.numel(); i < n; ++i) {
    auto idx = unravel(i, out.shape);
    out.data.push_back(f(at(a, idx), at(b, idx)));
  }
  return out;
}

inline Array matmul(const Array &a, const Array &b) {
  bool batched = a.shape.size() == 3;
  int64_t B = batched ? a.shape[0] : 1, M = a.shape[a.shape.size() - 2], K = a.shape.back(),
          N = b.shape.back();
  bool sharedRhs = b.shape.size() == 2;
  Array out{batched ? std::vector<int64_t>{B, M, N} : std::vector<int64_t>{M, N},
            std::vector<double>(B * M * N, 0.0)};
  for (int64_t bb = 0; bb < B; ++bb)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += a.data[(bb * M + m) * K + k] * b.data[((sharedRhs ? 0 : bb) * K + k) * N + n];
        out.data[(bb * M + m) * N + n] = s;
      }
  return out;
}

inline Array conv2d(const Array &x, const Array &w, int64_t sh, int64_t sw, int64_t ph,
                    int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
  int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  int64_t O = w.shape[0], Cg = w.shape[1], KH = w.shape[2], KW = w.shape[3];
  int64_t OH = (H + 2 * ph - dh * (KH - 1) - 1) / sh + 1;
  int64_t OW = (W + 2 * pw - dw * (KW - 1) - 1) / sw + 1;
  int64_t Og = O / groups;
  Array out{{N, O, OH, OW}, std::vector<double>(N * O * OH * OW, 0.0)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double s = 0;
          int64_t g = o / Og;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                int64_t ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
                if (ih < 0 || iw < 0 || ih >= H || iw >= W)
                  continue;
                s += x.data[((n * C + g * Cg + c) * H + ih) * W + iw] *
                     w.data[((o * Cg + c) * KH + kh) * KW + kw];
              }
          out.data[((n * O + o) * OH + oh) * OW + ow] = s;
        }
  return out;
}

/// max (isMax) or average pooling with count_include_pad=True.
inline Array pool2d(const Array &x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                    int64_t pw, bool isMax) {
  int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  int64_t OH = (H + 2 * ph - kh) / sh + 1, OW = (W + 2 * pw - kw) / sw + 1;
  Array out{{N, C, OH, OW}, {}};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = isMax ? -INFINITY : 0.0;
          for (int64_t i = 0; i < kh; ++i)
            for (int64_t j = 0; j < kw; ++j) {
              int64_t ih = oh * sh - ph + i, iw = ow * sw - pw + j;
              bool inside = ih >= 0 && iw >= 0 && ih < H && iw < W;
              double v = inside ? x.data[((n * C + c) * H + ih) * W + iw] : (isMax ? -INFINITY : 0);
              acc = isMax ? std::max(acc, v) : acc + v;
            }
          out.data.push_back(isMax ? acc : acc / (kh * kw));
        }
  return out;
}

enum class Reduce { Sum, Mean, Max };

inline Array reduce(const Array &x, std::vector<int64_t> dims, bool keepdim, Reduce kind) {
  int64_t r = x.shape.size();
  for (int64_t &d : dims)
    d = d < 0 ? d + r : d;
  auto reduced = [&](int64_t i) { return std::find(dims.begin(), dims.end(), i) != dims.end(); };
  std::vector<int64_t> keptShape;
  for (int64_t i = 0; i < r; ++i)
    keptShape.push_back(reduced(i) ? 1 : x.shape[i]);
  Array out{keptShape, std::vector<double>(Array{keptShape, {}}.numel(),
                                           kind == Reduce::Max ? -INFINITY : 0.0)};
  int64_t count = 1;
  for (int64_t d : dims)
    count *= x.shape[d];
  auto st = strides(keptShape);
  for (int64_t i = 0; i < x.numel(); ++i) {
    auto idx = unravel(i, x.shape);
    int64_t flat = 0;
    for (int64_t k = 0; k < r; ++k)
      flat += (reduced(k) ? 0 : idx[k]) * st[k];
    out.data[flat] = kind == Reduce::Max ? std::max(out.data[flat], x.data[i])
                                         : out.data[flat] + x.data[i];
  }
  if (kind == Reduce::Mean)
    for (double &v : out.data)
      v /= count;
  if (!keepdim) {
    std::vector<int64_t> s;
    for (int64_t i = 0; i < r; ++i)
      if (!reduced(i))
        s.push_back(x.shape[i]);
    out.shape = s;
  }
  return out;
}

inline Array permute(const Array &x, const std::vector<int64_t> &perm) {
  std::vector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(x.shape[p]);
  Array out{shape, {}};
  auto st = strides(x.shape);
  for (int64_t i = 0; i < out.numel(); ++i) {
    auto idx = unravel(i, shape);
    int64_t flat = 0;
    for (size_t k = 0; k < perm.size(); ++k)
      flat += idx[k] * st[perm[k]];
    out.data.push_back(x.data[flat]);
  }
  return out;
}

} // namespace ref

#endif // GRAPHC_TEST_UNIT_COMPILER_REFERENCE_H
