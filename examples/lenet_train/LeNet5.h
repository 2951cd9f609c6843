// The 5x5 `Net` of seed 001 adapted to 28x28 Fashion-MNIST: conv1 gets
// padding=2 so that the 16*5*5 flattening of the 32x32 original still holds.
#ifndef GRAPHC_EXAMPLES_LENET5_H
#define GRAPHC_EXAMPLES_LENET5_H

#include "graphc/Builder.h"

struct LeNet5 : graphc::nn::Module {
  LeNet5() {
    using namespace graphc::nn;
    conv1 = registerModule("conv1", std::make_shared<Conv2d>(1, 6, 5, 1, 2));
    conv2 = registerModule("conv2", std::make_shared<Conv2d>(6, 16, 5));
    fc1 = registerModule("fc1", std::make_shared<Linear>(16 * 5 * 5, 120));
    fc2 = registerModule("fc2", std::make_shared<Linear>(120, 84));
    fc3 = registerModule("fc3", std::make_shared<Linear>(84, 10));
  }
  std::string name() const override { return "Net"; }

  graphc::Tensor forward(const graphc::Tensor &input) override {
    using namespace graphc;
    Tensor x = max_pool2d(relu((*conv1)(input)), {2, 2});
    x = max_pool2d(relu((*conv2)(x)), 2);
    x = flatten(x, 1);
    x = relu((*fc1)(x));
    x = relu((*fc2)(x));
    return (*fc3)(x);
  }

  std::shared_ptr<graphc::nn::Conv2d> conv1, conv2;
  std::shared_ptr<graphc::nn::Linear> fc1, fc2, fc3;
};

#endif // GRAPHC_EXAMPLES_LENET5_H
