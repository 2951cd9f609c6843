// graphc runtime: a C++ handle over graphc_program_t (graphc/runtime/program.h),
// and the training loop's callbacks over a program, which every way of
// training a compiled model uses (standalone executables, graphc::fit).
#ifndef GRAPHC_RUNTIME_PROGRAM_HPP_
#define GRAPHC_RUNTIME_PROGRAM_HPP_

#include <map>
#include <vector>
#include <string>

#include "graphc/runtime/program.h"
#include "graphc/runtime/runtime.hpp"

namespace graphc::rt {

// What `eval` gives for a batch.
struct EvalResult {
  double lossSum = 0;  // sum of per-sample losses
  int64_t correct = 0; // samples whose largest logit is the label's
};

class Program {
 public:
  // Throws Error when `model` is inconsistent (see graphc_program_create).
  explicit Program(const graphc_model_t* model);
  // Neither copied nor moved: callbacks over it (rt::trainingCallbacks) refer
  // to this object.
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;
  ~Program() { graphc_program_release(program_); }

  graphc_program_t* get() const noexcept { return program_; }

  void init(uint64_t seed) { check(graphc_program_init(program_, seed)); }
  // Every tensor under its checkpoint name, sharing the program's buffers.
  std::map<std::string, Tensor> tensors() const;
  Tensor tensor(const std::string& name) const {
    graphc_tensor_t* t = nullptr;
    check(graphc_program_find_tensor(program_, name.c_str(), &t));
    return Tensor::borrow(t);
  }
  void bind(const std::string& name, const Tensor& tensor) {
    check(graphc_program_bind(program_, name.c_str(), tensor.get()));
  }
  void load(const std::string& path, bool withOptimizer) {
    check(graphc_program_load(program_, path.c_str(), withOptimizer ? 1 : 0));
  }
  void save(const std::string& path) const { check(graphc_program_save(program_, path.c_str())); }

  Tensor forward(const Tensor& input) {
    graphc_tensor_t* out = nullptr;
    check(graphc_program_forward(program_, input.get(), &out));
    return Tensor::adopt(out);
  }
  double trainStep(const Tensor& input, const Tensor& target, double learningRate) {
    double loss = 0;
    check(graphc_program_train_step(program_, input.get(), target.get(), learningRate, &loss));
    return loss;
  }
  EvalResult eval(const Tensor& input, const Tensor& target) {
    EvalResult result;
    check(graphc_program_eval(program_, input.get(), target.get(), &result.lossSum,
                              &result.correct));
    return result;
  }
  // Data-parallel training's two halves (graphc_program_gradients,
  // graphc_program_apply_gradients); 0 elements: the model has none.
  int64_t gradientElements() const { return graphc_program_gradient_elements(program_); }
  // graphc --micro-batch: the rows per part of a step (0: one part).
  int64_t microBatch() const { return graphc_program_micro_batch(program_); }
  double gradients(const Tensor& input, const Tensor& target, float* gradients, bool keepState) {
    double loss = 0;
    check(graphc_program_gradients(program_, input.get(), target.get(), gradients,
                                   keepState ? 1 : 0, &loss));
    return loss;
  }
  void applyGradients(const float* gradients, double learningRate) {
    check(graphc_program_apply_gradients(program_, gradients, learningRate));
  }
  // Any entry point with its data tensors (inputs and targets, in its
  // table's order): graphc_program_run. Returns its results.
  std::vector<Tensor> run(const std::string& entry, const std::vector<Tensor>& data,
                          double learningRate = 0);
  // The same, writing into `results` (one per result, of the shapes the
  // entry's table gives at this batch): graphc_program_run_into.
  void runInto(const std::string& entry, const std::vector<Tensor>& data,
               const std::vector<Tensor>& results, double learningRate = 0);
  int64_t arenaBytes() const { return graphc_program_arena_bytes(program_); }
  int64_t arenaAllocations() const { return graphc_program_arena_allocations(program_); }

 private:
  graphc_program_t* program_ = nullptr;
};

// Copies `tensors` (by checkpoint name) into the program: the parameters, and
// with `withOptimizer` the optimizer state and step. Checks them all first and
// throws Error naming `source`, the tensor, and the expected and found dtype
// and shape; nothing is written then.
void restoreProgram(graphc_program_t* program, const std::map<std::string, Tensor>& tensors,
                    bool withOptimizer, const std::string& source);

}  // namespace graphc::rt

#endif  // GRAPHC_RUNTIME_PROGRAM_HPP_
