// autograd_basics: seed 002 (autograd by hand) in graphc.
//
// PyTorch builds the graph as the code runs; graphc traces the same
// expression into a graph, differentiates it with the autodiff pass and
// compiles forward and backward together. `.grad` accumulates until
// zeroGrad(), and a non-scalar output takes its upstream gradient
// explicitly, as Z.backward(dy_dZ).
#include "graphc/Builder.h"

#include "ExampleFlags.h"
#include "llvm/Support/CommandLine.h"

#include <iostream>

using namespace graphc;
using HostTensor = rt::Tensor;

namespace {

/// torch.tensor(value, requires_grad=...) for a scalar.
Parameter scalarLeaf(float value, bool requiresGrad) {
  return Parameter(HostTensor::fromData({value}, {}), requiresGrad);
}

HostTensor matrixX() { return HostTensor::fromData({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {4, 3}); }
HostTensor matrixW() { return HostTensor::fromData({1, 2, 4, 5, 7, 8}, {3, 2}); }

/// y = fn(leaves), compiled with its gradient; runs y.backward(seed).
void backward(const std::vector<std::pair<std::string, Parameter>> &leaves,
              const std::function<graphc::Tensor()> &fn, const HostTensor &seed) {
  Graph graph = trace(leaves, {}, [&](const std::vector<graphc::Tensor> &) {
    return std::vector<graphc::Tensor>{fn()};
  });
  graph.differentiate().compile().backward({}, seed);
}

} // namespace

int main(int argc, char **argv) {
  example_flags::parse(argc, argv, "graphc example: seed 002, autograd by hand\n");
  try {
    // A tensor and its shape.
    HostTensor ints = HostTensor::fromData(std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12},
                                   {4, 3});
    std::cout << sizeString(ints.shape()) << "\n";
    std::cout << Parameter(matrixX(), true) << "\n\n";

    // y = w*x + b with only x requiring a gradient.
    {
      Parameter x = scalarLeaf(1, true), w = scalarLeaf(2, false), b = scalarLeaf(3, false);
      std::cout << gradString(x) << "\n";
      backward({{"x", x}, {"w", w}, {"b", b}}, [&] { return graphc::Tensor(w) * x + b; },
               HostTensor::fromData({1.f}, {}));
      std::cout << gradString(x) << "\n\n";
    }

    // The same with x = 4 and every leaf requiring a gradient.
    {
      Parameter x = scalarLeaf(4, true), w = scalarLeaf(2, true), b = scalarLeaf(3, true);
      std::cout << gradString(x) << "\n" << gradString(w) << "\n" << gradString(b) << "\n";
      backward({{"x", x}, {"w", w}, {"b", b}}, [&] { return graphc::Tensor(w) * x + b; },
               HostTensor::fromData({1.f}, {}));
      std::cout << gradString(x) << "\n" << gradString(w) << "\n" << gradString(b) << "\n\n";
    }

    // y = sum(X @ W + b) for a 4x3 X, a 3x2 W and a bias of 2.
    {
      Parameter X(matrixX()), W(matrixW()), b(HostTensor::fromData({4, 5}, {2}));
      backward({{"X", X}, {"W", W}, {"b", b}},
               [&] { return (matmul(X, W) + b).sum(); }, HostTensor::fromData({1.f}, {}));
      std::cout << gradString(X) << "\n" << gradString(W) << "\n" << gradString(b) << "\n\n";
    }

    // The chain rule two ways: y = Z.sum() differentiated directly (case 1),
    // and Z.backward(dy_dZ) with dy_dZ = ones (case 2). Same X.grad.
    {
      Parameter X(matrixX()), W(matrixW());
      backward({{"X", X}, {"W", W}}, [&] { return matmul(X, W).sum(); },
               HostTensor::fromData({1.f}, {}));
      std::cout << gradString(X) << "\n";
    }
    {
      Parameter X(matrixX()), W(matrixW());
      HostTensor dy_dZ = HostTensor::ones({4, 2}); // derivative of sum
      backward({{"X", X}, {"W", W}}, [&] { return matmul(X, W); }, dy_dZ);
      std::cout << gradString(X) << "\n";
    }
  } catch (const std::exception &e) {
    std::cerr << "autograd_basics: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
