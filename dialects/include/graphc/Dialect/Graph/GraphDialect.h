//===- GraphDialect.h - the graph dialect -----------------------*- C++ -*-===//
#ifndef GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_H
#define GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include "graphc/Dialect/Graph/GraphOpsDialect.h.inc"
#include "graphc/Dialect/Graph/GraphEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "graphc/Dialect/Graph/GraphAttributes.h.inc"

namespace graphc::graph {

/// The role of argument `index` of `function`: its graph.role; in a graph
/// written before roles were recorded, a parameter where the argument is
/// marked graph.requires_grad or carries an init rule, else an input.
ArgumentRole argumentRole(mlir::FunctionOpInterface function, unsigned index);

} // namespace graphc::graph

#endif // GRAPHC_DIALECT_GRAPH_GRAPHDIALECT_H
