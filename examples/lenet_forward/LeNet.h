// The seed `Net` of 000_7cbeda143d62ab25.txt: two 3x3 convolutions with
// ReLU and 2x2 max pooling, then three Linear layers, on a 1x32x32 input.
#ifndef GRAPHC_EXAMPLES_LENET_H
#define GRAPHC_EXAMPLES_LENET_H

#include "graphc/Builder.h"

struct Net : graphc::nn::Module {
  Net() {
    using namespace graphc::nn;
    conv1 = registerModule("conv1", std::make_shared<Conv2d>(1, 6, 3));
    conv2 = registerModule("conv2", std::make_shared<Conv2d>(6, 16, 3));
    fc1 = registerModule("fc1", std::make_shared<Linear>(16 * 6 * 6, 120));
    fc2 = registerModule("fc2", std::make_shared<Linear>(120, 84));
    fc3 = registerModule("fc3", std::make_shared<Linear>(84, 10));
  }

  graphc::Tensor forward(const graphc::Tensor &input) override {
    using namespace graphc;
    // Max pooling over a (2, 2) window; a square window can be given as one number.
    Tensor x = max_pool2d(relu((*conv1)(input)), {2, 2});
    x = max_pool2d(relu((*conv2)(x)), 2);
    x = x.view({-1, numFlatFeatures(x)});
    x = relu((*fc1)(x));
    x = relu((*fc2)(x));
    return (*fc3)(x);
  }

  // All dimensions except the batch dimension.
  static int64_t numFlatFeatures(const graphc::Tensor &x) {
    int64_t n = 1;
    for (size_t i = 1; i < x.shape().size(); ++i)
      n *= x.shape()[i];
    return n;
  }

  std::shared_ptr<graphc::nn::Conv2d> conv1, conv2;
  std::shared_ptr<graphc::nn::Linear> fc1, fc2, fc3;
};

#endif // GRAPHC_EXAMPLES_LENET_H
