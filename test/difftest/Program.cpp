// The random program generator, its printer and its reference evaluator.
#include "Program.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <sstream>

namespace difftest {

std::vector<int64_t> concrete(const Shape &shape, int64_t batch) {
  std::vector<int64_t> out;
  for (int64_t d : shape)
    out.push_back(d < 0 ? -d * batch : d);
  return out;
}

namespace {

bool isDynamic(int64_t d) { return d < 0; }

int dynamicCount(const Shape &s) {
  return static_cast<int>(std::count_if(s.begin(), s.end(), isDynamic));
}

/// Elements at a batch of 5: the generator keeps tensors small.
int64_t elementsAt5(const Shape &s) {
  int64_t n = 1;
  for (int64_t d : concrete(s, 5))
    n *= d;
  return n;
}

std::string typeText(const Shape &shape, const std::string &element) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += (d < 0 ? std::string("?") : std::to_string(d)) + "x";
  return s + element + ">";
}

std::string arrayAttr(const std::vector<int64_t> &v) {
  std::string s = "array<i64";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : ": ") + std::to_string(v[i]);
  return s + ">";
}

bool isBinary(const std::string &op) {
  static const char *ops[] = {"add", "sub", "mul", "div", "pow", "max", "min"};
  return std::find(std::begin(ops), std::end(ops), op) != std::end(ops);
}
bool isCompare(const std::string &op) {
  static const char *ops[] = {"eq", "ne", "lt", "le", "gt", "ge"};
  return std::find(std::begin(ops), std::end(ops), op) != std::end(ops);
}
bool isUnary(const std::string &op) {
  static const char *ops[] = {"neg", "exp",     "log",  "sqrt", "rsqrt",
                              "abs", "relu",    "sigmoid", "tanh", "erf"};
  return std::find(std::begin(ops), std::end(ops), op) != std::end(ops);
}

/// NumPy broadcasting of the generator's shapes: equal, or one side 1.
bool broadcast(const Shape &a, const Shape &b, Shape &out) {
  size_t r = std::max(a.size(), b.size());
  out.assign(r, 1);
  for (size_t i = 0; i < r; ++i) {
    int64_t x = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t y = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (x == y || y == 1)
      out[i] = x;
    else if (x == 1)
      out[i] = y;
    else
      return false;
  }
  return true;
}

class Generator {
public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Program run(int ops) {
    inputs();
    for (int made = 0, attempts = 0; made < ops && attempts < ops * 20; ++attempts)
      made += step() ? 1 : 0;
    int result = pool_.back();
    // Something to train: a parameter the result depends on.
    if (!dependsOnParameter(result))
      result = binary("mul", result, broadcastingParameter(shapeOf(result)));
    // The result's dynamic sizes must be the batch B itself: --train's
    // target is an argument, and every dynamic argument size is B.
    std::vector<int64_t> dims;
    for (size_t i = 0; i < p_.nodes[result].shape.size(); ++i)
      if (p_.nodes[result].shape[i] < -1)
        dims.push_back(i);
    if (!dims.empty()) {
      p_.extra = result;
      result = reduce("reduce_sum", result, dims, false);
    }
    p_.result = result;
    return std::move(p_);
  }

private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  int range(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool coin(double p = 0.5) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  int add(Node n) {
    p_.nodes.push_back(std::move(n));
    int index = static_cast<int>(p_.nodes.size()) - 1;
    if (p_.nodes[index].type == "f32" && !p_.nodes[index].parameter)
      pool_.push_back(index);
    return index;
  }
  const Shape &shapeOf(int v) const { return p_.nodes[v].shape; }
  bool dependsOnParameter(int v) const {
    if (p_.nodes[v].parameter)
      return true;
    for (int operand : p_.nodes[v].operands)
      if (dependsOnParameter(operand))
        return true;
    return false;
  }
  void note(const std::string &op) { p_.description += (p_.description.empty() ? "" : " ") + op; }

  int argument(const std::string &name, Shape shape, bool parameter) {
    Node n;
    n.op = "arg";
    n.name = name;
    n.shape = std::move(shape);
    n.parameter = parameter;
    n.requiresGrad = parameter;
    return add(std::move(n));
  }
  int parameter(Shape shape) {
    return argument("p" + std::to_string(parameters_++), std::move(shape), true);
  }
  int constant(double value) {
    Node n;
    n.op = "constant";
    n.value = value;
    return add(std::move(n));
  }
  int unary(const std::string &op, int x, const std::string &type = "f32") {
    Node n;
    n.op = op;
    n.operands = {x};
    n.shape = shapeOf(x);
    n.type = type;
    return add(std::move(n));
  }
  int binary(const std::string &op, int x, int y, const std::string &type = "f32") {
    Node n;
    n.op = op;
    n.operands = {x, y};
    if (!broadcast(shapeOf(x), shapeOf(y), n.shape))
      return -1;
    n.type = isCompare(op) ? "i1" : type;
    return add(std::move(n));
  }
  int reduce(const std::string &op, int x, std::vector<int64_t> dims, bool keepdim) {
    Node n;
    n.op = op;
    n.operands = {x};
    n.a = dims;
    n.flag = keepdim;
    const Shape &in = shapeOf(x);
    for (int64_t i = 0; i < (int64_t)in.size(); ++i) {
      bool reduced = std::find(dims.begin(), dims.end(), i) != dims.end();
      if (!reduced)
        n.shape.push_back(in[i]);
      else if (keepdim)
        n.shape.push_back(1);
    }
    return add(std::move(n));
  }
  int reshape(int x, Shape to) {
    Node n;
    n.op = "reshape";
    n.operands = {x};
    n.shape = std::move(to);
    return add(std::move(n));
  }
  int transpose(int x, std::vector<int64_t> perm) {
    Node n;
    n.op = "transpose";
    n.operands = {x};
    n.a = perm;
    for (int64_t p : perm)
      n.shape.push_back(shapeOf(x)[p]);
    return add(std::move(n));
  }
  /// A value in (0.5, 1.5): the domain of log, sqrt, rsqrt, a pow base and
  /// a divisor.
  int positive(int x) { return binary("add", unary("sigmoid", x), constant(0.5)); }

  /// A parameter that broadcasts against `shape`: a suffix of its dims, each
  /// its size or 1 (1 where it is dynamic: parameters are static).
  int broadcastingParameter(const Shape &shape) {
    size_t keep = shape.empty() ? 0 : range(0, shape.size());
    Shape s(shape.end() - keep, shape.end());
    for (int64_t &d : s)
      d = d < 0 || coin(0.3) ? 1 : d;
    return parameter(s);
  }
  /// Another pool value of exactly `shape`, or -1.
  int sameShape(const Shape &shape, int besides) {
    std::vector<int> candidates;
    for (int v : pool_)
      if (v != besides && shapeOf(v) == shape)
        candidates.push_back(v);
    return candidates.empty() ? -1 : candidates[pick(candidates.size())];
  }

  void inputs() {
    int templateKind = pick(6);
    int f = range(2, 5);
    switch (templateKind) {
    case 0:
      argument("x", {-1, f}, false);
      break;
    case 1:
      argument("x", {-1, range(1, 3), range(4, 7), range(4, 7)}, false);
      break;
    case 2:
      argument("x", {-1, range(2, 3), f}, false);
      break;
    case 3:
      argument("x", {2, -1, f}, false);
      break;
    case 4:
      argument("x", {-1, -1}, false);
      break;
    default:
      argument("x", {-1, f}, false);
      argument("y", {-1, range(2, 4)}, false);
      break;
    }
    // Inputs that require a gradient get one of their own, batch-sized.
    if (coin())
      for (Node &n : p_.nodes)
        n.requiresGrad = true;
  }

  /// One random op over a random pool value; false when it did not apply.
  bool step() {
    int v = pool_[pool_.size() - 1 - std::min<int>(pick(3), pool_.size() - 1)];
    if (coin(0.3))
      v = pool_[pick(pool_.size())];
    size_t before = p_.nodes.size();
    bool made = false;
    switch (pick(14)) {
    case 0: made = unaryStep(v); break;
    case 1: case 2: made = binaryStep(v); break;
    case 3: made = selectStep(v); break;
    case 4: made = matmulStep(v); break;
    case 5: made = convStep(v); break;
    case 6: made = poolStep(v); break;
    case 7: made = reduceStep(v); break;
    case 8: made = reshapeStep(v); break;
    case 9: made = transposeStep(v); break;
    case 10: made = broadcastStep(v); break;
    case 11: made = sliceStep(v); break;
    case 12: made = concatStep(v); break;
    default: made = castStep(v); break;
    }
    if (!made || elementsAt5(p_.nodes.back().shape) > 4000) {
      // Undo: drop what this step added.
      while (p_.nodes.size() > before) {
        if (!pool_.empty() && pool_.back() == (int)p_.nodes.size() - 1)
          pool_.pop_back();
        if (p_.nodes.back().parameter)
          --parameters_;
        p_.nodes.pop_back();
      }
      return false;
    }
    note(p_.nodes.back().op);
    return true;
  }

  bool unaryStep(int v) {
    static const char *ops[] = {"neg", "abs", "relu", "sigmoid", "tanh",
                                "exp", "log", "sqrt", "rsqrt", "erf"};
    std::string op = ops[pick(10)];
    if (op == "exp")
      return unary("exp", unary("tanh", v)) >= 0;
    if (op == "log" || op == "sqrt" || op == "rsqrt")
      return unary(op, positive(v)) >= 0;
    return unary(op, v) >= 0;
  }

  bool binaryStep(int v) {
    static const char *ops[] = {"add", "sub", "mul", "div", "pow", "max", "min"};
    std::string op = ops[pick(7)];
    int other = coin(0.3) ? sameShape(shapeOf(v), v) : -1;
    if (other < 0)
      other = coin(0.15) ? constant(0.25 + 0.5 * pick(4)) : broadcastingParameter(shapeOf(v));
    if (op == "div")
      return binary(op, v, positive(other)) >= 0;
    if (op == "pow")
      return binary(op, positive(v), other) >= 0;
    return coin() ? binary(op, v, other) >= 0 : binary(op, other, v) >= 0;
  }

  bool selectStep(int v) {
    static const char *ops[] = {"eq", "ne", "lt", "le", "gt", "ge"};
    int threshold = broadcastingParameter(shapeOf(v));
    int condition = binary(ops[pick(6)], v, threshold);
    int other = broadcastingParameter(shapeOf(v));
    Node n;
    n.op = "select";
    Shape s;
    if (condition < 0 || !broadcast(shapeOf(condition), shapeOf(other), s))
      return false;
    n.operands = {condition, v, other};
    n.shape = s;
    return add(std::move(n)) >= 0;
  }

  int matmul(int a, int b) {
    const Shape &x = shapeOf(a), &y = shapeOf(b);
    Node n;
    n.op = "matmul";
    n.operands = {a, b};
    if (x.size() == 3)
      n.shape.push_back(x[0]);
    n.shape.push_back(x[x.size() - 2]);
    n.shape.push_back(y.back());
    return add(std::move(n));
  }

  bool matmulStep(int v) {
    Shape s = shapeOf(v);
    if (s.size() == 2) {
      if (!isDynamic(s[1]) && coin(0.6))
        return matmul(v, parameter({s[1], range(2, 5)})) >= 0;
      // The inner size is the other operand's too: a product with its own
      // transpose (dynamic inner sizes reduce over the batch).
      int t = transpose(v, {1, 0});
      return coin() ? matmul(t, v) >= 0 : matmul(v, t) >= 0;
    }
    if (s.size() == 3 && !isDynamic(s[2])) {
      if (isDynamic(s[0]) || coin())
        return matmul(v, parameter({s[2], range(2, 4)})) >= 0; // shared rhs
      return matmul(v, parameter({s[0], s[2], range(2, 4)})) >= 0;
    }
    if (s.size() == 3) { // [D0, M, K] with K dynamic: batched with its transpose
      int t = transpose(v, {0, 2, 1});
      return matmul(v, t) >= 0;
    }
    return false;
  }

  bool convStep(int v) {
    Shape s = shapeOf(v);
    if (s.size() != 4 || isDynamic(s[1]) || isDynamic(s[2]) || isDynamic(s[3]))
      return false;
    int64_t c = s[1], h = s[2], w = s[3];
    int64_t groups = (c > 1 && coin(0.3)) ? c : 1;
    int64_t o = groups * range(1, 3);
    int64_t kh = range(1, 3), kw = range(1, 3), sh = range(1, 2), sw = range(1, 2);
    int64_t dh = coin(0.2) ? 2 : 1, dw = coin(0.2) ? 2 : 1, ph = range(0, 1), pw = range(0, 1);
    int64_t oh = (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1;
    int64_t ow = (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1;
    if (h + 2 * ph - dh * (kh - 1) - 1 < 0 || w + 2 * pw - dw * (kw - 1) - 1 < 0 || oh < 1 ||
        ow < 1)
      return false;
    int weight = parameter({o, c / groups, kh, kw});
    Node n;
    n.op = "conv2d";
    n.operands = {v, weight};
    n.a = {sh, sw};
    n.b = {ph, pw};
    n.c = {dh, dw};
    n.n = groups;
    n.shape = {s[0], o, oh, ow};
    return add(std::move(n)) >= 0;
  }

  bool poolStep(int v) {
    Shape s = shapeOf(v);
    if (s.size() != 4 || isDynamic(s[1]) || isDynamic(s[2]) || isDynamic(s[3]))
      return false;
    int64_t kh = range(1, 3), kw = range(1, 3), sh = range(1, 2), sw = range(1, 2);
    int64_t ph = range(0, kh / 2), pw = range(0, kw / 2);
    int64_t oh = (s[2] + 2 * ph - kh) / sh + 1, ow = (s[3] + 2 * pw - kw) / sw + 1;
    if (s[2] + 2 * ph < kh || s[3] + 2 * pw < kw || oh < 1 || ow < 1)
      return false;
    Node n;
    n.op = coin() ? "max_pool2d" : "avg_pool2d";
    n.operands = {v};
    n.a = {kh, kw};
    n.b = {sh, sw};
    n.c = {ph, pw};
    n.shape = {s[0], s[1], oh, ow};
    return add(std::move(n)) >= 0;
  }

  bool reduceStep(int v) {
    Shape s = shapeOf(v);
    if (s.empty())
      return false;
    std::vector<int64_t> dims;
    for (int64_t i = 0; i < (int64_t)s.size(); ++i)
      if (coin(0.4))
        dims.push_back(i);
    if (dims.empty())
      dims.push_back(pick(s.size()));
    static const char *ops[] = {"reduce_sum", "reduce_mean", "reduce_max"};
    return reduce(ops[pick(3)], v, dims, coin()) >= 0;
  }

  bool reshapeStep(int v) {
    Shape s = shapeOf(v);
    if (s.empty())
      return reshape(v, {1}) >= 0;
    int dyn = dynamicCount(s);
    switch (pick(4)) {
    case 0: { // merge two neighbours (one dynamic dim at most in the tensor)
      if (s.size() < 2 || dyn > 1)
        return false;
      size_t i = pick(s.size() - 1);
      int64_t a = s[i], b = s[i + 1];
      int64_t merged = a < 0 ? a * b : b < 0 ? b * a : a * b;
      Shape t(s.begin(), s.begin() + i);
      t.push_back(merged);
      t.insert(t.end(), s.begin() + i + 2, s.end());
      return reshape(v, t) >= 0;
    }
    case 1: { // split a static dim
      std::vector<size_t> splittable;
      for (size_t i = 0; i < s.size(); ++i)
        if (s[i] > 3 && s[i] % 2 == 0)
          splittable.push_back(i);
      if (splittable.empty())
        return false;
      size_t i = splittable[pick(splittable.size())];
      Shape t(s.begin(), s.begin() + i);
      t.push_back(2);
      t.push_back(s[i] / 2);
      t.insert(t.end(), s.begin() + i + 1, s.end());
      return reshape(v, t) >= 0;
    }
    case 2: { // [kB] -> [B, k] or [k, B] (one dynamic dim of multiple k > 1)
      if (dyn != 1)
        return false;
      size_t i = std::find_if(s.begin(), s.end(), isDynamic) - s.begin();
      if (s[i] == -1)
        return false;
      int64_t k = -s[i];
      Shape t(s.begin(), s.begin() + i);
      if (coin()) {
        t.push_back(-1);
        t.push_back(k);
      } else {
        t.push_back(k);
        t.push_back(-1);
      }
      t.insert(t.end(), s.begin() + i + 1, s.end());
      return reshape(v, t) >= 0;
    }
    default: { // insert or drop a size-1 dim
      Shape t = s;
      auto one = std::find(t.begin(), t.end(), 1);
      if (one != t.end() && coin())
        t.erase(one);
      else
        t.insert(t.begin() + pick(t.size() + 1), 1);
      return reshape(v, t) >= 0;
    }
    }
  }

  bool transposeStep(int v) {
    Shape s = shapeOf(v);
    if (s.size() < 2)
      return false;
    std::vector<int64_t> perm(s.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng_);
    if (std::is_sorted(perm.begin(), perm.end()))
      std::swap(perm[0], perm[1]);
    return transpose(v, perm) >= 0;
  }

  bool broadcastStep(int v) {
    Shape s = shapeOf(v);
    Node n;
    n.op = "broadcast_to";
    n.operands = {v};
    // `like` a pool value of the same rank that has a dynamic size where v
    // has a 1 (the gradient rules' form).
    for (int u : pool_) {
      const Shape &t = shapeOf(u);
      if (u == v || t.size() != s.size())
        continue;
      bool fits = true, stretches = false;
      for (size_t i = 0; i < s.size() && fits; ++i) {
        fits = s[i] == t[i] || s[i] == 1;
        stretches |= s[i] == 1 && isDynamic(t[i]);
      }
      if (fits && stretches && coin(0.7)) {
        n.operands.push_back(u);
        n.shape = t;
        return add(std::move(n)) >= 0;
      }
    }
    n.shape = s;
    bool changed = false;
    for (int64_t &d : n.shape)
      if (d == 1 && coin()) {
        d = range(2, 4);
        changed = true;
      }
    if (!changed || coin(0.3))
      n.shape.insert(n.shape.begin(), range(2, 3));
    return add(std::move(n)) >= 0;
  }

  bool sliceStep(int v) {
    Shape s = shapeOf(v);
    if (s.empty())
      return false;
    Node n;
    n.op = "slice";
    n.operands = {v};
    for (int64_t d : s) {
      if (isDynamic(d) || d == 1) {
        n.a.push_back(0);
        n.b.push_back(isDynamic(d) ? std::numeric_limits<int64_t>::max() : 1);
        n.c.push_back(1);
        n.shape.push_back(d);
        continue;
      }
      int64_t start = range(0, d - 1), stop = range(start + 1, d), step = range(1, 2);
      n.a.push_back(start);
      n.b.push_back(stop);
      n.c.push_back(step);
      n.shape.push_back((stop - start + step - 1) / step);
    }
    return add(std::move(n)) >= 0;
  }

  bool concatStep(int v) {
    Shape s = shapeOf(v);
    if (s.empty())
      return false;
    int64_t dim = pick(s.size());
    // graphc has no gradient for a concat along a dynamic dim when another
    // dim is dynamic too (docs/training.md); such a concat is refused.
    if (isDynamic(s[dim]) && dynamicCount(s) > 1)
      return false;
    int other;
    if (isDynamic(s[dim]) || dynamicCount(s) > 0) {
      // Two different halves (concat(v, v) would hide a swapped gradient).
      other = sameShape(s, v);
      if (other < 0)
        other = unary("tanh", v);
    } else {
      Shape t = s;
      t[dim] = range(1, 3);
      other = parameter(t);
    }
    Node n;
    n.op = "concat";
    n.operands = {v, other};
    n.n = dim;
    n.shape = s;
    n.shape[dim] = s[dim] + shapeOf(other)[dim]; // -k1 + -k2 along a dynamic dim
    int joined = add(std::move(n));
    // Squared, so that the gradients of the two halves differ even when
    // what follows only sums over the batch.
    if (isDynamic(s[dim])) {
      int squared = binary("mul", joined, joined);
      pool_.erase(std::find(pool_.begin(), pool_.end(), joined)); // only the square is used
      return squared >= 0;
    }
    return joined >= 0;
  }

  bool castStep(int v) {
    int wide = unary("cast", v, "f64");
    int inner = unary(coin() ? "tanh" : "neg", wide, "f64");
    return unary("cast", inner, "f32") >= 0;
  }

  std::mt19937_64 rng_;
  Program p_;
  std::vector<int> pool_;
  int parameters_ = 0;
};

} // namespace

Program generate(uint64_t seed, int ops) { return Generator(seed).run(ops); }

//===----------------------------------------------------------------------===//
// Printing
//===----------------------------------------------------------------------===//

std::string Program::toMlir() const {
  std::ostringstream os;
  os.precision(17);
  auto name = [](int i) { return "%v" + std::to_string(i); };
  auto type = [&](int i) { return typeText(nodes[i].shape, nodes[i].type); };
  os << "func.func @forward(";
  bool first = true;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].op != "arg")
      continue;
    os << (first ? "" : ", ") << name(i) << ": " << type(i) << " {graph.name = \""
       << nodes[i].name << "\"" << (nodes[i].requiresGrad ? ", graph.requires_grad" : "") << "}";
    first = false;
  }
  os << ") -> " << (extra < 0 ? type(result) : "(" + type(result) + ", " + type(extra) + ")")
     << " {\n";
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node &n = nodes[i];
    if (n.op == "arg")
      continue;
    os << "  " << name(i) << " = graph." << n.op;
    if (n.op == "constant") {
      os << " dense<" << n.value << "> : tensor<f32>\n";
      continue;
    }
    for (size_t k = 0; k < n.operands.size(); ++k) {
      if (n.op == "broadcast_to" && k == 1)
        os << " like";
      os << (k == 0 ? " " : (n.op == "broadcast_to" ? " " : ", ")) << name(n.operands[k]);
    }
    if (n.op == "conv2d")
      os << " {stride = " << arrayAttr(n.a) << ", padding = " << arrayAttr(n.b)
         << ", dilation = " << arrayAttr(n.c) << ", groups = " << n.n << " : i64}";
    else if (n.op == "max_pool2d" || n.op == "avg_pool2d")
      os << " {kernel_size = " << arrayAttr(n.a) << ", stride = " << arrayAttr(n.b)
         << ", padding = " << arrayAttr(n.c) << "}";
    else if (n.op.rfind("reduce_", 0) == 0)
      os << " {dims = " << arrayAttr(n.a) << ", keepdim = " << (n.flag ? "true" : "false") << "}";
    else if (n.op == "transpose")
      os << " {permutation = " << arrayAttr(n.a) << "}";
    else if (n.op == "slice")
      os << " {start = " << arrayAttr(n.a) << ", stop = " << arrayAttr(n.b)
         << ", step = " << arrayAttr(n.c) << "}";
    else if (n.op == "concat")
      os << " {dim = " << n.n << " : i64}";
    os << " : ";
    if (isUnary(n.op)) {
      os << type(i) << "\n";
      continue;
    }
    for (size_t k = 0; k < n.operands.size(); ++k)
      os << (k ? ", " : "") << type(n.operands[k]);
    os << " -> " << type(i) << "\n";
  }
  if (extra < 0)
    os << "  return " << name(result) << " : " << type(result) << "\n}\n";
  else
    os << "  return " << name(result) << ", " << name(extra) << " : " << type(result) << ", "
       << type(extra) << "\n}\n";
  return os.str();
}

//===----------------------------------------------------------------------===//
// Reference evaluation
//===----------------------------------------------------------------------===//

namespace {

ref::Array broadcastTo(const ref::Array &x, const std::vector<int64_t> &shape) {
  ref::Array out{shape, {}};
  for (int64_t i = 0, n = out.numel(); i < n; ++i)
    out.data.push_back(ref::at(x, ref::unravel(i, shape)));
  return out;
}

ref::Array select(const ref::Array &c, const ref::Array &a, const ref::Array &b,
                  const std::vector<int64_t> &shape) {
  ref::Array out{shape, {}};
  for (int64_t i = 0, n = out.numel(); i < n; ++i) {
    auto idx = ref::unravel(i, shape);
    out.data.push_back(ref::at(c, idx) != 0 ? ref::at(a, idx) : ref::at(b, idx));
  }
  return out;
}

ref::Array slice(const ref::Array &x, const Node &n, const std::vector<int64_t> &shape) {
  ref::Array out{shape, {}};
  auto st = ref::strides(x.shape);
  for (int64_t i = 0, count = out.numel(); i < count; ++i) {
    auto idx = ref::unravel(i, shape);
    int64_t flat = 0;
    for (size_t k = 0; k < idx.size(); ++k)
      flat += (n.a[k] + idx[k] * n.c[k]) * st[k];
    out.data.push_back(x.data[flat]);
  }
  return out;
}

ref::Array concat(const ref::Array &a, const ref::Array &b, int64_t dim,
                  const std::vector<int64_t> &shape) {
  ref::Array out{shape, {}};
  auto sa = ref::strides(a.shape), sb = ref::strides(b.shape);
  for (int64_t i = 0, n = out.numel(); i < n; ++i) {
    auto idx = ref::unravel(i, shape);
    bool first = idx[dim] < a.shape[dim];
    if (!first)
      idx[dim] -= a.shape[dim];
    const ref::Array &from = first ? a : b;
    const auto &st = first ? sa : sb;
    int64_t flat = 0;
    for (size_t k = 0; k < idx.size(); ++k)
      flat += idx[k] * st[k];
    out.data.push_back(from.data[flat]);
  }
  return out;
}

double unaryValue(const std::string &op, double x) {
  if (op == "neg") return -x;
  if (op == "exp") return std::exp(x);
  if (op == "log") return std::log(x);
  if (op == "sqrt") return std::sqrt(x);
  if (op == "rsqrt") return 1 / std::sqrt(x);
  if (op == "abs") return std::fabs(x);
  if (op == "relu") return x > 0 ? x : 0;
  if (op == "sigmoid") return 1 / (1 + std::exp(-x));
  if (op == "tanh") return std::tanh(x);
  if (op == "erf") return std::erf(x);
  return x; // cast
}

double binaryValue(const std::string &op, double a, double b) {
  if (op == "add") return a + b;
  if (op == "sub") return a - b;
  if (op == "mul") return a * b;
  if (op == "div") return a / b;
  if (op == "pow") return std::pow(a, b);
  if (op == "max") return std::max(a, b);
  if (op == "min") return std::min(a, b);
  if (op == "eq") return a == b;
  if (op == "ne") return a != b;
  if (op == "lt") return a < b;
  if (op == "le") return a <= b;
  if (op == "gt") return a > b;
  return a >= b; // ge
}

} // namespace

std::vector<ref::Array>
Program::evaluate(int64_t batch, const std::vector<std::pair<int, ref::Array>> &args) const {
  std::vector<ref::Array> v(nodes.size());
  for (auto &[index, value] : args)
    v[index] = value;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node &n = nodes[i];
    std::vector<int64_t> shape = concrete(n.shape, batch);
    auto in = [&](size_t k) -> const ref::Array & { return v[n.operands[k]]; };
    if (n.op == "arg")
      continue;
    if (n.op == "constant")
      v[i] = ref::Array{{}, {n.value}};
    else if (isUnary(n.op) || n.op == "cast")
      v[i] = ref::map(in(0), [&](double x) { return unaryValue(n.op, x); });
    else if (isBinary(n.op) || isCompare(n.op))
      v[i] = ref::zip(in(0), in(1), [&](double a, double b) { return binaryValue(n.op, a, b); });
    else if (n.op == "select")
      v[i] = select(in(0), in(1), in(2), shape);
    else if (n.op == "matmul")
      v[i] = ref::matmul(in(0), in(1));
    else if (n.op == "conv2d")
      v[i] = ref::conv2d(in(0), in(1), n.a[0], n.a[1], n.b[0], n.b[1], n.c[0], n.c[1], n.n);
    else if (n.op == "max_pool2d" || n.op == "avg_pool2d")
      v[i] = ref::pool2d(in(0), n.a[0], n.a[1], n.b[0], n.b[1], n.c[0], n.c[1],
                         n.op == "max_pool2d");
    else if (n.op.rfind("reduce_", 0) == 0)
      v[i] = ref::reduce(in(0), n.a, n.flag,
                         n.op == "reduce_sum"    ? ref::Reduce::Sum
                         : n.op == "reduce_mean" ? ref::Reduce::Mean
                                                 : ref::Reduce::Max);
    else if (n.op == "reshape")
      v[i] = ref::Array{shape, in(0).data};
    else if (n.op == "transpose")
      v[i] = ref::permute(in(0), n.a);
    else if (n.op == "broadcast_to")
      v[i] = broadcastTo(in(0), shape);
    else if (n.op == "slice")
      v[i] = slice(in(0), n, shape);
    else if (n.op == "concat")
      v[i] = concat(in(0), in(1), n.n, shape);
    v[i].shape = shape;
  }
  return v;
}

double Program::kinkDistance(const std::vector<ref::Array> &v, bool comparesOnly) const {
  double distance = std::numeric_limits<double>::infinity();
  auto consider = [&](double d) { distance = std::min(distance, std::fabs(d)); };
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node &n = nodes[i];
    if (comparesOnly && !isCompare(n.op))
      continue;
    if (n.op == "relu" || n.op == "abs") {
      for (double x : v[n.operands[0]].data)
        consider(x);
    } else if (n.op == "max" || n.op == "min" || isCompare(n.op)) {
      ref::Array gap = ref::zip(v[n.operands[0]], v[n.operands[1]],
                                [](double a, double b) { return a - b; });
      for (double g : gap.data)
        consider(g);
    } else if (n.op == "reduce_max") {
      // A tie for a maximum: the gap between the two largest values that
      // reduce to the same output.
      const ref::Array &x = v[n.operands[0]];
      std::vector<std::vector<double>> groups;
      std::vector<int64_t> kept;
      for (int64_t d = 0; d < (int64_t)x.shape.size(); ++d)
        kept.push_back(std::find(n.a.begin(), n.a.end(), d) == n.a.end() ? x.shape[d] : 1);
      groups.resize(ref::Array{kept, {}}.numel());
      auto st = ref::strides(kept);
      for (int64_t e = 0; e < x.numel(); ++e) {
        auto idx = ref::unravel(e, x.shape);
        int64_t flat = 0;
        for (size_t d = 0; d < idx.size(); ++d)
          flat += (kept[d] == 1 ? 0 : idx[d]) * st[d];
        groups[flat].push_back(x.data[e]);
      }
      for (auto &group : groups) {
        std::sort(group.rbegin(), group.rend());
        if (group.size() > 1)
          consider(group[0] - group[1]);
      }
    } else if (n.op == "max_pool2d") {
      const ref::Array &x = v[n.operands[0]];
      int64_t C = x.shape[1], H = x.shape[2], W = x.shape[3];
      const std::vector<int64_t> &out = v[i].shape;
      for (int64_t b = 0; b < x.shape[0]; ++b)
        for (int64_t c = 0; c < C; ++c)
          for (int64_t oh = 0; oh < out[2]; ++oh)
            for (int64_t ow = 0; ow < out[3]; ++ow) {
              std::vector<double> window;
              for (int64_t kh = 0; kh < n.a[0]; ++kh)
                for (int64_t kw = 0; kw < n.a[1]; ++kw) {
                  int64_t h = oh * n.b[0] - n.c[0] + kh, w = ow * n.b[1] - n.c[1] + kw;
                  if (h >= 0 && w >= 0 && h < H && w < W)
                    window.push_back(x.data[((b * C + c) * H + h) * W + w]);
                }
              std::sort(window.rbegin(), window.rend());
              if (window.size() > 1)
                consider(window[0] - window[1]);
            }
    }
  }
  return distance;
}

} // namespace difftest
