//===- GraphOps.h - graph dialect ops ---------------------------*- C++ -*-===//
#ifndef GRAPHC_DIALECT_GRAPH_GRAPHOPS_H
#define GRAPHC_DIALECT_GRAPH_GRAPHOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "graphc/Dialect/Graph/GraphDialect.h"

#include "graphc/Dialect/Graph/GraphInterfaces.h.inc"

#define GET_OP_CLASSES
#include "graphc/Dialect/Graph/GraphOps.h.inc"

#endif // GRAPHC_DIALECT_GRAPH_GRAPHOPS_H
