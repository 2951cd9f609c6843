//===- TracerMain.cpp - the main of graphc_add_dsl_model's tracers --------===//

#include "graphc/Builder/Trace.h"

#include <exception>
#include <iostream>

int graphc::tracerMain(int argc, char **argv, const std::function<Graph()> &traceModel) {
  const char *program = argc > 0 ? argv[0] : "tracer";
  if (argc != 2) {
    std::cerr << "usage: " << program << " GRAPH.mlir\n"
              << "Traces the model and writes its graph to GRAPH.mlir (graphc_add_dsl_model runs "
                 "this at build time).\n";
    return 2;
  }
  try {
    traceModel().save(argv[1]);
  } catch (const std::exception &error) {
    std::cerr << program << ": " << error.what() << "\n";
    return 1;
  }
  return 0;
}
