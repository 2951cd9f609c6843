//===- BatchMultiples.h - dynamic sizes as multiples of the batch -*- C++ -*-===//
//
// graphc's model of dynamic sizes (docs/dialect.md#dynamic-sizes): every
// dimension of every tensor in a function is static or k*B, where B is the
// one run-time batch and k >= 1 a multiple known at compile time. Every
// dynamic dimension of a public function's argument is B itself (k = 1), so
// a caller passes B alone; reshapes and concats make other multiples
// (`[?,3] -> [?]` is `[B,3] -> [3B]`).
//
// The analysis derives each value's multiples from the arguments through one
// rule per op and refuses, with an error at the op, a function outside the
// model (a dynamic size meeting a static one, two different multiples that
// must agree, a multiple that is not an integer). The verifiers check what
// one op can see; this checks what needs the function: the pipelines run it
// first (--graphc-verify-batch-multiples), and SpecializeBatch, the C ABI,
// the header and the manifest read their sizes from it.
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_DIALECT_GRAPH_BATCHMULTIPLES_H
#define GRAPHC_DIALECT_GRAPH_BATCHMULTIPLES_H

#include "mlir/IR/Value.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

#include <string>

namespace graphc::graph {

/// One entry per dimension: 0 for a static size, k >= 1 for a size k*B.
using BatchMultiples = llvm::SmallVector<int64_t, 4>;

/// The multiples of every ranked-tensor value of a function.
class BatchMultipleAnalysis {
public:
  /// Analyzes `function` (and the functions it calls). On failure an error
  /// has been emitted at the op that leaves the model.
  static mlir::FailureOr<BatchMultipleAnalysis> run(mlir::FunctionOpInterface function);

  /// The multiples of `value`'s dimensions (all 0 for a static tensor).
  const BatchMultiples &of(mlir::Value value) const;
  /// The multiples of the function's results, in order.
  llvm::ArrayRef<BatchMultiples> results() const { return results_; }

private:
  llvm::DenseMap<mlir::Value, BatchMultiples> multiples_;
  llvm::SmallVector<BatchMultiples> results_;
  friend class BatchMultipleBuilder;
};

/// `[2B, static]`: multiples as the analysis's errors print them.
std::string formatMultiples(llvm::ArrayRef<int64_t> multiples);

/// `shape` with every dynamic dim replaced by multiple * `batch`.
llvm::SmallVector<int64_t> specializeShape(llvm::ArrayRef<int64_t> shape,
                                           llvm::ArrayRef<int64_t> multiples, int64_t batch);

} // namespace graphc::graph

#endif // GRAPHC_DIALECT_GRAPH_BATCHMULTIPLES_H
