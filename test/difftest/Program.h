// Random graph programs for the differential tester: a program is a list of
// nodes, each a graph op over earlier nodes, with shapes whose dynamic sizes
// are multiples of the batch B (a size -k is k*B). The generator keeps its
// own shape arithmetic (it shares no code with the dialect's shape rules),
// prints the program as a graph file, and evaluates it in double precision
// with the reference loops of test/unit/compiler/Reference.h.
#ifndef GRAPHC_TEST_DIFFTEST_PROGRAM_H
#define GRAPHC_TEST_DIFFTEST_PROGRAM_H

#include "Reference.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace difftest {

/// A shape with -k for a size of k*B.
using Shape = std::vector<int64_t>;

struct Node {
  std::string op;            // graph op name; "arg" for a function argument
  std::vector<int> operands; // indices of earlier nodes
  Shape shape;
  std::string type = "f32"; // element type: f32, f64 or i1
  // Attributes (which ones an op reads is in Program.cpp).
  std::vector<int64_t> a, b, c, d;
  int64_t n = 0;
  bool flag = false;
  double value = 0; // constants
  // Arguments.
  std::string name;
  bool parameter = false;    // a static, trained argument
  bool requiresGrad = false; // graph.requires_grad: every parameter, some inputs
};

struct Program {
  std::vector<Node> nodes;
  int result = -1;
  /// A second result of forward, sized k*B with k > 1 (the value `result`
  /// sums over those dims, for --train's target, which is B-sized), or -1.
  int extra = -1;
  std::string description; // the ops used, for the report

  /// The graph file: `func.func @forward(args...) -> result`.
  std::string toMlir() const;
  /// Every node's value for the batch `batch`, given the arguments' values
  /// (by node index).
  std::vector<ref::Array> evaluate(int64_t batch,
                                   const std::vector<std::pair<int, ref::Array>> &args) const;
  /// The smallest distance of any value from a point where the program is not
  /// differentiable (relu/abs at 0, ties of max/min/reduce_max/max_pool, a
  /// comparison's operands), relative to the values' size: finite
  /// differences are not compared when it is tiny.
  /// With `comparesOnly`, only comparisons count: where they are near a
  /// tie the forward values themselves may differ between float and double.
  double kinkDistance(const std::vector<ref::Array> &values, bool comparesOnly = false) const;
};

/// A seeded random program of about `ops` ops.
Program generate(uint64_t seed, int ops);

/// The concrete shape for `batch`.
std::vector<int64_t> concrete(const Shape &shape, int64_t batch);

} // namespace difftest

#endif // GRAPHC_TEST_DIFFTEST_PROGRAM_H
