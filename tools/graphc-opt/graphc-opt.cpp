//===- graphc-opt.cpp - graphc's mlir-opt ---------------------------------===//
//
// The graph dialect, graphc's passes and pipelines, and the upstream dialects
// they lower to, around MlirOptMain. Used by the lit tests.
//
//===----------------------------------------------------------------------===//

#include "graphc/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  graphc::registerAllDialects(registry);
  graphc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "graphc optimizer driver\n", registry));
}
