// The seed-003 MLP: 784-128-64-10 with ReLU and a LogSoftmax output, as
// nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
//               nn.Linear(64, 10), nn.LogSoftmax(dim=1)).
#ifndef GRAPHC_EXAMPLES_MLP_H
#define GRAPHC_EXAMPLES_MLP_H

#include "graphc/Builder.h"

inline std::shared_ptr<graphc::nn::Sequential> makeMLP() {
  using namespace graphc::nn;
  return std::make_shared<Sequential>(
      std::make_shared<Linear>(784, 128), std::make_shared<ReLU>(),
      std::make_shared<Linear>(128, 64), std::make_shared<ReLU>(),
      std::make_shared<Linear>(64, 10), std::make_shared<LogSoftmax>(1));
}

#endif // GRAPHC_EXAMPLES_MLP_H
