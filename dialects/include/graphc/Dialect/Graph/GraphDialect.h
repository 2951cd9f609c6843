//===- GraphDialect.h - the graph dialect -----------------------*- C++ -*-===//
#ifndef GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_H
#define GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_H

#include "mlir/IR/Dialect.h"

#include "graphc/Dialect/Graph/GraphOpsDialect.h.inc"

#endif // GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_H
