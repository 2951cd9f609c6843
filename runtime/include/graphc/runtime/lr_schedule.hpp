// graphc runtime: learning-rate schedules, torch.optim.lr_scheduler's StepLR
// and CosineAnnealingLR as the training loop applies them: once per epoch
// (scheduler.step() after each epoch, the way PyTorch's examples call it),
// through the training step's run-time lr argument, so no schedule needs a
// recompilation. The rate is a function of the epoch alone, so a resumed run
// continues the schedule exactly.
#ifndef GRAPHC_RUNTIME_LR_SCHEDULE_HPP_
#define GRAPHC_RUNTIME_LR_SCHEDULE_HPP_

#include <cstdint>
#include <string>

namespace graphc::rt {

struct LrSchedule {
  enum class Kind {
    Constant, // the base rate throughout
    Step,     // StepLR: base * gamma^floor(epoch / stepSize)
    Cosine,   // CosineAnnealingLR: etaMin + (base - etaMin) (1 + cos(pi epoch / tMax)) / 2
  };
  Kind kind = Kind::Constant;
  int64_t stepSize = 1;
  double gamma = 0.1;
  int64_t tMax = 1;
  double etaMin = 0;

  // The rate for `epoch` (0-based) from the base rate.
  double rate(double base, int64_t epoch) const;
  // The flag's spelling: "constant", "step:30:0.1", "cosine:10:0".
  std::string text() const;
};

// Parses a `--lr-schedule` value: `constant`, `step:STEP_SIZE[:GAMMA]`
// (GAMMA default 0.1, as StepLR's) or `cosine:T_MAX[:ETA_MIN]` (ETA_MIN
// default 0). Throws std::invalid_argument naming the value and what was
// expected.
LrSchedule parseLrSchedule(const std::string &text);

}  // namespace graphc::rt

#endif  // GRAPHC_RUNTIME_LR_SCHEDULE_HPP_
