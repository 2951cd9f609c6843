//===- BatchMultiples.cpp - dynamic sizes as multiples of the batch -------===//
//
// One rule per op, read like the shape rules: each gives the multiples of the
// result's dimensions from its operands' multiples, or an error at the op.
//
//===----------------------------------------------------------------------===//

#include "graphc/Dialect/Graph/BatchMultiples.h"
#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/Dialect/Graph/ShapeRules.h"

#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace graphc::graph {

namespace {

/// `static`, `B` or `3B`.
std::string formatMultiple(int64_t k) {
  return k == 0 ? "static" : k == 1 ? "B" : std::to_string(k) + "B";
}


RankedTensorType rankedType(Value v) { return dyn_cast<RankedTensorType>(v.getType()); }

} // namespace

std::string formatMultiples(ArrayRef<int64_t> multiples) {
  std::string s = "[";
  for (size_t i = 0; i < multiples.size(); ++i)
    s += (i ? ", " : "") + formatMultiple(multiples[i]);
  return s + "]";
}

/// The results' multiples of the functions analyzed so far in one run (each
/// callee once, however often it is called), with nullopt for a function
/// being analyzed (a call back into it is recursion).
using CalleeResults = llvm::DenseMap<Operation *, std::optional<SmallVector<BatchMultiples>>>;

class BatchMultipleBuilder {
public:
  BatchMultipleBuilder(BatchMultipleAnalysis &out, CalleeResults &callees)
      : out_(out), callees_(callees) {}

  LogicalResult run(FunctionOpInterface function) {
    if (function.isExternal())
      return success();
    Region &body = function.getFunctionBody();
    // graph functions are one block (what the DSL traces; autodiff and the
    // C interface rely on it): the results are its terminator's operands.
    if (!body.hasOneBlock())
      return function.emitOpError("has ") << std::distance(body.begin(), body.end())
                                          << " blocks; graph functions have one";
    callees_[function.getOperation()] = std::nullopt;
    for (BlockArgument arg : body.front().getArguments())
      if (rankedType(arg))
        out_.multiples_[arg] = argumentMultiples(function, arg.getArgNumber());
    WalkResult walk = function.walk([&](Operation *op) {
      if (op == function.getOperation())
        return WalkResult::advance();
      if (op->hasTrait<OpTrait::IsTerminator>()) {
        if (op->getBlock() == &body.front() && op->getParentOp() == function.getOperation())
          for (Value v : op->getOperands())
            out_.results_.push_back(multiplesOf(v));
        return WalkResult::advance();
      }
      return failed(visit(op)) ? WalkResult::interrupt() : WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    if (out_.results_.size() != function.getResultTypes().size())
      return function.emitOpError("does not end in a return of its results");
    callees_[function.getOperation()] = out_.results_;
    return success();
  }

  /// B for every dynamic dim, unless graph.batch_multiples says otherwise
  /// (the dialect verified it matches the type).
  static BatchMultiples argumentMultiples(FunctionOpInterface function, unsigned index) {
    auto type = rankedType(function.getFunctionBody().front().getArgument(index));
    if (auto declared = function.getArgAttrOfType<DenseI64ArrayAttr>(
            index, GraphDialect::getBatchMultiplesAttrName()))
      if (declared.size() == type.getRank())
        return BatchMultiples(declared.asArrayRef());
    BatchMultiples m;
    for (int64_t d : type.getShape())
      m.push_back(ShapedType::isDynamic(d) ? 1 : 0);
    return m;
  }

private:
  BatchMultiples multiplesOf(Value v) {
    auto it = out_.multiples_.find(v);
    if (it != out_.multiples_.end())
      return it->second;
    BatchMultiples zeros;
    if (auto type = rankedType(v))
      zeros.assign(type.getRank(), 0);
    return zeros;
  }

  /// A size no target could hold: more than 2^40 bytes per batch-sized
  /// element (or, for a constant, which lives in the binary, 2^30 bytes).
  /// Refused here rather than by "LLVM ERROR: out of memory" in the backend.
  static LogicalResult checkAddressable(Operation *op, Value value) {
    auto type = rankedType(value);
    if (!type || !type.getElementType().isIntOrFloat())
      return success();
    const uint64_t limit = isa<ConstantOp>(op) ? (uint64_t(1) << 30) : (uint64_t(1) << 40);
    uint64_t bytes = std::max<uint64_t>(type.getElementTypeBitWidth() / 8, 1);
    for (int64_t d : type.getShape()) {
      if (ShapedType::isDynamic(d) || d == 0)
        continue;
      if (bytes > limit / uint64_t(d))
        return op->emitOpError() << "value of type " << type << " holds more than "
                                 << (isa<ConstantOp>(op) ? "2^30 bytes, more than graphc embeds "
                                                           "in a binary"
                                                         : "2^40 bytes, more than the target "
                                                           "can address");
      bytes *= uint64_t(d);
    }
    return success();
  }

  LogicalResult visit(Operation *op) {
    if (op->getNumResults() == 0)
      return success();
    for (Value result : op->getResults())
      if (failed(checkAddressable(op, result)))
        return failure();
    if (auto call = dyn_cast<CallOpInterface>(op))
      return visitCall(call);
    if (op->getNumResults() != 1 || !rankedType(op->getResult(0))) {
      // Not a graph tensor op: fine as long as nothing dynamic flows out.
      for (Value r : op->getResults())
        if (auto t = rankedType(r); t && !t.hasStaticShape())
          return op->emitOpError("has a dynamic result the batch-multiple analysis has no rule "
                                 "for");
      return success();
    }
    FailureOr<BatchMultiples> m = rule(op);
    if (failed(m))
      return failure();
    // The rule must agree with the result type: a multiple exactly where the
    // type is dynamic.
    auto type = rankedType(op->getResult(0));
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (((*m)[d] != 0) != type.isDynamicDim(d))
        return op->emitOpError() << "result " << formatShape(type.getShape()) << " has "
                                 << (type.isDynamicDim(d) ? "a dynamic" : "a static")
                                 << " dimension " << d << " where its operands make it "
                                 << ((*m)[d] ? "batch-sized" : "static")
                                 << "; every dynamic size must be a multiple of the batch";
    out_.multiples_[op->getResult(0)] = *m;
    return success();
  }

  LogicalResult visitCall(CallOpInterface call) {
    auto callee = dyn_cast_or_null<FunctionOpInterface>(call.resolveCallable());
    if (!callee || callee.isExternal()) {
      for (Value r : call->getResults())
        if (auto t = rankedType(r); t && !t.hasStaticShape())
          return call->emitOpError("calls a function without a body and gets a dynamic result");
      return success();
    }
    // The callee's arguments are B wherever dynamic, unless it declares
    // other multiples.
    for (auto [i, operand] : llvm::enumerate(call.getArgOperands())) {
      if (!rankedType(operand) || i >= callee.getNumArguments())
        continue;
      BatchMultiples expected = argumentMultiples(callee, i);
      if (multiplesOf(operand) != expected)
        return call->emitOpError()
               << "passes a tensor of sizes " << formatMultiples(multiplesOf(operand))
               << " as argument #" << i << ", which takes " << formatMultiples(expected);
    }
    auto known = callees_.find(callee.getOperation());
    if (known != callees_.end() && !known->second)
      return call->emitOpError("calls '")
             << SymbolTable::getSymbolName(callee).getValue()
             << "' recursively; a graph has no recursion";
    if (known == callees_.end()) {
      BatchMultipleAnalysis inner;
      if (failed(BatchMultipleBuilder(inner, callees_).run(callee)))
        return failure();
      known = callees_.find(callee.getOperation());
    }
    for (auto [result, m] : llvm::zip(call->getResults(), *known->second))
      out_.multiples_[result] = m;
    return success();
  }

  /// The rule of each op.
  FailureOr<BatchMultiples> rule(Operation *op) {
    // The result has the first operand's sizes (random_uniform: `like`'s).
    if (op->hasTrait<OpTrait::SameOperandsAndResultType>() || isa<CastOp, RandomUniformOp>(op))
      return multiplesOf(op->getOperand(0));
    return llvm::TypeSwitch<Operation *, FailureOr<BatchMultiples>>(op)
        .Case<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, EqOp, NeOp, LtOp, LeOp, GtOp,
              GeOp, SelectOp>([&](Operation *op) { return broadcast(op); })
        .Case([&](MatmulOp op) { return matmul(op); })
        .Case([&](Conv2DOp op) { return leading(op, op.getInput(), 1); })
        .Case<MaxPool2DOp, AvgPool2DOp>(
            [&](Operation *op) { return leading(op, op->getOperand(0), 2); })
        .Case<ReduceSumOp, ReduceMeanOp, ReduceMaxOp>([&](Operation *op) { return reduction(op); })
        .Case([&](ReshapeOp op) { return reshape(op); })
        .Case([&](TransposeOp op) { return transpose(op); })
        .Case([&](BroadcastToOp op) { return broadcastTo(op); })
        .Case([&](SliceOp op) { return multiplesOf(op.getInput()); })
        .Case([&](GatherOp op) { return gather(op); })
        .Case([&](GatherGradOp op) { // a table's sizes: rows and the trailing ones
          BatchMultiples m = multiplesOf(op.getGradOutput());
          int64_t indexRank = rankedType(op.getIndices()).getRank();
          BatchMultiples result{0};
          result.append(m.begin() + indexRank, m.end());
          return FailureOr<BatchMultiples>(result);
        })
        .Case([&](ConcatOp op) { return concat(op); })
        .Case([&](Conv2DInputGradOp op) { return leading(op, op.getGradOutput(), 1); })
        .Case([&](MaxPool2DGradOp op) { return multiplesOf(op.getInput()); })
        .Case([&](AvgPool2DGradOp op) { return multiplesOf(op.getInput()); })
        .Case([&](SliceGradOp op) { return multiplesOf(op.getGradOutput()); })
        .Default([&](Operation *op) -> FailureOr<BatchMultiples> {
          // Constants, weight gradients and anything static.
          return BatchMultiples(rankedType(op->getResult(0)).getRank(), 0);
        });
  }

  /// Two dynamic sizes that meet must be the same multiple of B.
  LogicalResult agree(Operation *op, int64_t a, int64_t b, const std::string &where) {
    if (a == b)
      return success();
    return op->emitOpError() << where << " are " << formatMultiple(a) << " and "
                             << formatMultiple(b) << ", which differ for every batch size";
  }

  FailureOr<BatchMultiples> broadcast(Operation *op) {
    int64_t rank = rankedType(op->getResult(0)).getRank();
    BatchMultiples result(rank, 0);
    for (Value operand : op->getOperands()) {
      BatchMultiples m = multiplesOf(operand);
      int64_t lead = rank - static_cast<int64_t>(m.size());
      for (size_t i = 0; i < m.size(); ++i) {
        if (!m[i])
          continue;
        if (result[lead + i] &&
            failed(agree(op, result[lead + i], m[i],
                         "the operands' sizes of dimension " + std::to_string(lead + i))))
          return failure();
        result[lead + i] = m[i];
      }
    }
    return result;
  }

  FailureOr<BatchMultiples> matmul(MatmulOp op) {
    BatchMultiples a = multiplesOf(op.getLhs()), w = multiplesOf(op.getRhs());
    if (failed(agree(op, a.back(), w[w.size() - 2], "the inner sizes")))
      return failure();
    BatchMultiples result;
    if (a.size() == 3) {
      if (w.size() == 3 && failed(agree(op, a[0], w[0], "the batch sizes")))
        return failure();
      result.push_back(a[0]);
    }
    result.push_back(a[a.size() - 2]);
    result.push_back(w.back());
    return result;
  }

  /// The first `count` dims come from `from`, the rest are static (the
  /// shape rules of convolution and pooling require static channels and
  /// images).
  FailureOr<BatchMultiples> leading(Operation *op, Value from, int64_t count) {
    BatchMultiples m = multiplesOf(from), result(rankedType(op->getResult(0)).getRank(), 0);
    for (int64_t i = 0; i < count && i < (int64_t)m.size(); ++i)
      result[i] = m[i];
    return result;
  }

  FailureOr<BatchMultiples> reduction(Operation *op) {
    BatchMultiples m = multiplesOf(op->getOperand(0));
    auto dims = op->getAttrOfType<DenseI64ArrayAttr>("dims").asArrayRef();
    bool keepdim = false;
    if (auto attr = op->getAttrOfType<BoolAttr>("keepdim"))
      keepdim = attr.getValue();
    std::string why;
    auto normalized = normalizeDims(dims, m.size(), why);
    if (failed(normalized))
      return op->emitOpError() << why;
    BatchMultiples result;
    for (int64_t i = 0; i < (int64_t)m.size(); ++i) {
      if (!llvm::is_contained(*normalized, i))
        result.push_back(m[i]);
      else if (keepdim)
        result.push_back(0);
    }
    return result;
  }

  FailureOr<BatchMultiples> reshape(ReshapeOp op) {
    BatchMultiples in = multiplesOf(op.getInput());
    auto inShape = rankedType(op.getInput()).getShape();
    auto outShape = op.getType().getShape();
    BatchMultiples result(outShape.size(), 0);
    SmallVector<int64_t> dynamicIn;
    for (size_t i = 0; i < in.size(); ++i)
      if (in[i])
        dynamicIn.push_back(in[i]);
    // The verifier checked the counts of dynamic dims agree (checkReshape).
    if (dynamicIn.size() == 1) {
      int64_t staticIn = 1, staticOut = 1;
      for (int64_t d : inShape)
        staticIn *= ShapedType::isDynamic(d) ? 1 : d;
      for (int64_t d : outShape)
        staticOut *= ShapedType::isDynamic(d) ? 1 : d;
      // k_in * B * staticIn == k_out * B * staticOut
      int64_t elements = dynamicIn[0] * staticIn;
      if (staticOut == 0 || elements % staticOut != 0)
        return op.emitOpError() << "cannot reshape " << formatShape(inShape) << " with sizes "
                                << formatMultiples(in) << " (" << elements << "B elements) to "
                                << formatShape(outShape) << ": " << elements << "B / "
                                << staticOut << " is no whole multiple of the batch B";
      for (size_t i = 0; i < outShape.size(); ++i)
        if (ShapedType::isDynamic(outShape[i]))
          result[i] = elements / staticOut;
      return result;
    }
    // Several dynamic dims keep their places and sizes, in order.
    size_t next = 0;
    for (size_t i = 0; i < outShape.size(); ++i)
      if (ShapedType::isDynamic(outShape[i]) && next < dynamicIn.size())
        result[i] = dynamicIn[next++];
    return result;
  }

  FailureOr<BatchMultiples> transpose(TransposeOp op) {
    BatchMultiples in = multiplesOf(op.getInput()), result;
    int64_t rank = in.size();
    for (int64_t p : op.getPermutation())
      result.push_back(in[p < 0 ? p + rank : p]);
    return result;
  }

  FailureOr<BatchMultiples> broadcastTo(BroadcastToOp op) {
    BatchMultiples in = multiplesOf(op.getInput());
    auto to = op.getType().getShape();
    int64_t lead = to.size() - in.size();
    BatchMultiples like;
    if (op.getLike())
      like = multiplesOf(op.getLike());
    BatchMultiples result(to.size(), 0);
    for (int64_t i = 0; i < (int64_t)to.size(); ++i) {
      int64_t fromOperand = i >= lead ? in[i - lead] : 0;
      int64_t fromLike = like.empty() ? 0 : like[i];
      if (fromOperand && fromLike &&
          failed(agree(op, fromOperand, fromLike,
                       "the operand's and 'like''s sizes of dimension " + std::to_string(i))))
        return failure();
      result[i] = fromOperand ? fromOperand : fromLike;
    }
    return result;
  }

  /// The indices' multiples, then the table's after its rows.
  FailureOr<BatchMultiples> gather(GatherOp op) {
    BatchMultiples result = multiplesOf(op.getIndices());
    BatchMultiples table = multiplesOf(op.getTable());
    result.append(table.begin() + 1, table.end());
    return result;
  }

  FailureOr<BatchMultiples> concat(ConcatOp op) {
    int64_t rank = rankedType(op.getResult()).getRank();
    int64_t dim = static_cast<int64_t>(op.getDim());
    dim = dim < 0 ? dim + rank : dim;
    BatchMultiples result(rank, 0);
    bool first = true;
    for (Value input : op.getInputs()) {
      BatchMultiples m = multiplesOf(input);
      for (int64_t i = 0; i < rank; ++i) {
        if (i == dim)
          result[i] += m[i]; // k1*B + k2*B; the verifier refused k*B + n
        else if (first)
          result[i] = m[i];
        else if (failed(agree(op, result[i], m[i],
                              "the operands' sizes of dimension " + std::to_string(i))))
          return failure();
      }
      first = false;
    }
    return result;
  }

  BatchMultipleAnalysis &out_;
  CalleeResults &callees_;
};

FailureOr<BatchMultipleAnalysis> BatchMultipleAnalysis::run(FunctionOpInterface function) {
  BatchMultipleAnalysis analysis;
  CalleeResults callees;
  if (failed(BatchMultipleBuilder(analysis, callees).run(function)))
    return failure();
  return analysis;
}

const BatchMultiples &BatchMultipleAnalysis::of(Value value) const {
  static const BatchMultiples none;
  auto it = multiples_.find(value);
  return it == multiples_.end() ? none : it->second;
}

SmallVector<int64_t> specializeShape(ArrayRef<int64_t> shape, ArrayRef<int64_t> multiples,
                                     int64_t batch) {
  SmallVector<int64_t> out(shape);
  for (size_t i = 0; i < out.size(); ++i)
    if (ShapedType::isDynamic(out[i]))
      out[i] = (i < multiples.size() && multiples[i] ? multiples[i] : 1) * batch;
  return out;
}

} // namespace graphc::graph
