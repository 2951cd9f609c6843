// A CNN of Conv-BatchNorm-ReLU blocks with Dropout for 28x28 Fashion-MNIST, the shape of
// model a PyTorch user writes once the seeds' LeNet trains:
//
//   conv1 = Conv2d(1, 16, 3, padding=1), bn1 = BatchNorm2d(16), ReLU, MaxPool2d(2)
//   conv2 = Conv2d(16, 32, 3, padding=1), bn2 = BatchNorm2d(32), ReLU, MaxPool2d(2)
//   Dropout(0.25), fc = Linear(32 * 7 * 7, 10)
//
// Its state_dict holds the BatchNorm buffers under PyTorch's names
// (bn1.running_mean, bn1.running_var, bn1.num_batches_tracked).
#ifndef GRAPHC_EXAMPLES_CONVNETBN_H
#define GRAPHC_EXAMPLES_CONVNETBN_H

#include "graphc/Builder.h"

struct ConvNetBN : graphc::nn::Module {
  ConvNetBN() {
    using namespace graphc::nn;
    conv1 = registerModule("conv1", std::make_shared<Conv2d>(1, 16, 3, 1, 1));
    bn1 = registerModule("bn1", std::make_shared<BatchNorm2d>(16));
    conv2 = registerModule("conv2", std::make_shared<Conv2d>(16, 32, 3, 1, 1));
    bn2 = registerModule("bn2", std::make_shared<BatchNorm2d>(32));
    drop = registerModule("drop", std::make_shared<Dropout>(0.25));
    fc = registerModule("fc", std::make_shared<Linear>(32 * 7 * 7, 10));
  }

  graphc::Tensor forward(const graphc::Tensor &input) override {
    using namespace graphc;
    Tensor x = max_pool2d(relu((*bn1)((*conv1)(input))), 2);
    x = max_pool2d(relu((*bn2)((*conv2)(x))), 2);
    return (*fc)((*drop)(flatten(x, 1)));
  }

  std::shared_ptr<graphc::nn::Conv2d> conv1, conv2;
  std::shared_ptr<graphc::nn::BatchNorm2d> bn1, bn2;
  std::shared_ptr<graphc::nn::Dropout> drop;
  std::shared_ptr<graphc::nn::Linear> fc;
};

#endif // GRAPHC_EXAMPLES_CONVNETBN_H
