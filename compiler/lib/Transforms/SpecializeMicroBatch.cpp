//===- SpecializeMicroBatch.cpp - --graphc-specialize-micro-batch ---------===//
//
// A training step's activations grow with its batch: LeNet's are 122 KB per
// image, 31 MB at batch 256, more than this machine's caches, and every
// kernel then runs about 18 % slower per image than at batch 64
// (docs/performance.md, session 28). The step's gradients are a batch mean,
// so they can be computed on parts of the batch that fit, and added up
// weighted by rows, as data-parallel training adds its processes' parts
// (runtime/src/data_parallel.cc). This pass makes the part's code: the
// first half of the data-parallel step at a static part size, which the
// runtime runs on each part (graphc_program_gradients).
//
//===----------------------------------------------------------------------===//

#include "SpecializeBatch.h"

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace graphc {
#define GEN_PASS_DEF_SPECIALIZEMICROBATCH
#include "graphc/Transforms/Passes.h.inc"
} // namespace graphc

using namespace mlir;
using namespace graphc::graph;

namespace {

constexpr llvm::StringLiteral kGradients = "train_step_gradients";
constexpr llvm::StringLiteral kMicroGradients = "train_step_micro_gradients";
constexpr llvm::StringLiteral kWholeStep = "train_step";

struct SpecializeMicroBatchPass : graphc::impl::SpecializeMicroBatchBase<SpecializeMicroBatchPass> {
  using SpecializeMicroBatchBase::SpecializeMicroBatchBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto gradients = module.lookupSymbol<func::FuncOp>(kGradients);
    if (!gradients) {
      module.emitError("--micro-batch needs the data-parallel step's first half, '")
          << kGradients << "' (graphc --train --data-parallel, the default for --emit=exe)";
      return signalPassFailure();
    }
    if (module.lookupSymbol(kMicroGradients)) {
      module.emitError("the module already has '") << kMicroGradients << "'";
      return signalPassFailure();
    }
    // State a step carries over (BatchNorm's running statistics, Dropout's
    // generator) comes from ops that see the whole batch at once, or from
    // one generator drawn in order: parts would change the result.
    for (unsigned r = 0; r < gradients.getNumResults(); ++r)
      if (auto role =
              gradients.getResultAttrOfType<ArgumentRoleAttr>(r, GraphDialect::getRoleAttrName()))
        if (role.getValue() == ArgumentRole::Buffer || role.getValue() == ArgumentRole::RngState) {
          auto name = gradients.getResultAttrOfType<StringAttr>(r, GraphDialect::getNameAttrName());
          gradients.emitError("--micro-batch: the step updates ")
              << (role.getValue() == ArgumentRole::Buffer ? "the buffer '" : "the generator '")
              << (name ? name.getValue() : StringRef("?"))
              << "', which couples the batch's rows (BatchNorm's batch statistics, Dropout's "
                 "random stream): its parts cannot be computed apart";
          return signalPassFailure();
        }
    // The runtime adds the parts' gradients in its flat float32 buffer.
    for (unsigned r = 0; r < gradients.getNumResults(); ++r) {
      auto role =
          gradients.getResultAttrOfType<ArgumentRoleAttr>(r, GraphDialect::getRoleAttrName());
      auto type = dyn_cast<RankedTensorType>(gradients.getResultTypes()[r]);
      if (role && role.getValue() == ArgumentRole::Gradient &&
          (!type || !type.getElementType().isF32())) {
        auto name = gradients.getResultAttrOfType<StringAttr>(r, GraphDialect::getNameAttrName());
        gradients.emitError("--micro-batch: the runtime adds float32 gradients; the gradient of '")
            << (name ? name.getValue() : StringRef("?")) << "' is "
            << gradients.getResultTypes()[r];
        return signalPassFailure();
      }
    }
    bool dynamicBatch = llvm::any_of(gradients.getArgumentTypes(), [](Type type) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      return tensor && !tensor.hasStaticShape();
    });
    if (!dynamicBatch) {
      gradients.emitError("--micro-batch: the batch is static already (--batch, or a graph "
                          "traced with a fixed batch); micro-batches split a dynamic one");
      return signalPassFailure();
    }
    // Next to the dynamic half, which computes a last part of fewer rows.
    OpBuilder builder(module.getContext());
    builder.setInsertionPointAfter(gradients);
    auto micro = cast<func::FuncOp>(builder.clone(*gradients));
    micro.setName(kMicroGradients);
    if (failed(graphc::specializeBatch(micro, rows, "--micro-batch")))
      return signalPassFailure();
    // The step is now its halves, which graphc_program_train_step runs (in
    // parts): no code for the whole one.
    if (auto whole = module.lookupSymbol<func::FuncOp>(kWholeStep))
      whole.erase();
  }
};

} // namespace
