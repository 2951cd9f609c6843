//===- Shape.cpp - ONNX data movement and shape arithmetic -----------------===//
//
// Reshape, Transpose, Squeeze, Concat, Slice, Gather, Expand, ... as graph
// ops. Shapes in ONNX are tensors computed by the graph itself (Shape ->
// Gather -> Concat -> Reshape in PyTorch's exports); such integer tensors are
// folded to constants here, so that every shape the compiler sees is known.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "graphc/Dialect/Graph/ShapeRules.h"

using namespace mlir;

namespace graphc::onnx_import {
namespace {

DenseElementsAttr int64s(Node &n, ArrayRef<int64_t> values, bool scalar = false) {
  auto type = RankedTensorType::get(scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
                                    n.b.getI64Type());
  return DenseElementsAttr::get(type, values);
}

SmallVector<int64_t> staticShape(Node &n, Value x, StringRef what) {
  auto type = n.typeOf(x);
  if (!type.hasStaticShape())
    throw Unsupported(what.str() + " needs the static shape of its input, which is " +
                      graph::formatShape(type.getShape()));
  return SmallVector<int64_t>(type.getShape());
}

/// An integer constant's values and shape.
struct IntConstant {
  SmallVector<int64_t> values, shape;
};
std::optional<IntConstant> intConstant(Node &n, int i) {
  std::optional<DenseElementsAttr> c = n.constantInput(i);
  if (!c || !isa<IntegerType>(c->getElementType()) || c->getElementType().isInteger(1))
    return std::nullopt;
  IntConstant out;
  for (const APInt &v : c->getValues<APInt>())
    out.values.push_back(v.getSExtValue());
  out.shape.assign(c->getType().getShape().begin(), c->getType().getShape().end());
  return out;
}

DenseElementsAttr intAttr(Node &n, ArrayRef<int64_t> values, ArrayRef<int64_t> shape, Type element) {
  SmallVector<APInt> bits;
  for (int64_t v : values)
    bits.push_back(APInt(element.getIntOrFloatBitWidth(), v, /*isSigned=*/true));
  return DenseElementsAttr::get(RankedTensorType::get(shape, element), bits);
}

Value reshapeTo(Node &n, Value x, ArrayRef<int64_t> shape) {
  std::string why;
  if (failed(graph::checkReshape(n.typeOf(x).getShape(), shape, why)))
    throw Unsupported(why);
  return n.reshape(x, shape);
}

/// Reshape's target: 0 copies the input's size (unless allowzero), -1 is
/// what remains.
SmallVector<int64_t> reshapeTarget(Node &n, ArrayRef<int64_t> input, ArrayRef<int64_t> requested,
                                   bool allowZero) {
  SmallVector<int64_t> shape(requested);
  int64_t known = 1, inferred = -1;
  bool dynamic = false;
  for (auto [k, d] : llvm::enumerate(shape)) {
    if (d == 0 && !allowZero) {
      if (k >= input.size())
        throw Unsupported("shape entry 0 at " + std::to_string(k) + " copies a dimension the input lacks");
      d = input[k];
    }
    if (d == -1) {
      if (inferred >= 0)
        throw Unsupported("the shape has more than one -1");
      inferred = k;
    } else if (ShapedType::isDynamic(d)) {
      dynamic = true;
    } else {
      known *= d;
    }
  }
  if (inferred >= 0) {
    int64_t total = 1;
    for (int64_t d : input) {
      if (ShapedType::isDynamic(d))
        dynamic = true;
      else
        total *= d;
    }
    if (dynamic)
      shape[inferred] = ShapedType::kDynamic;
    else if (known == 0 || total % known)
      throw Unsupported("cannot reshape " + graph::formatShape(input) + " to " +
                        graph::formatShape(requested));
    else
      shape[inferred] = total / known;
  }
  return shape;
}

/// Axes of Squeeze/Unsqueeze/Reduce*: the input (opset 13) or the attribute.
SmallVector<int64_t> axesOf(Node &n, int input) {
  if (n.hasInput(input))
    return n.integers(input);
  return n.ints("axes");
}

Value gather(Node &n, Value data, Value indices, int64_t axis) {
  auto dataType = n.typeOf(data);
  int64_t rank = dataType.getRank();
  axis = n.normalizeAxis(axis, rank);
  if (!isa<IntegerType>(n.typeOf(indices).getElementType()) ||
      n.typeOf(indices).getElementType().isInteger(1))
    throw Unsupported("its indices must be int32 or int64");
  // Negative indices count from the end of the axis.
  int64_t size = dataType.getDimSize(axis);
  if (!ShapedType::isDynamic(size)) {
    Value zero = n.scalarLike(indices, 0);
    Value wrapped = n.b.create<graph::AddOp>(n.loc, indices, n.scalarLike(indices, size));
    Value negative = n.b.create<graph::LtOp>(n.loc, indices, zero);
    indices = n.b.create<graph::SelectOp>(n.loc, negative, wrapped, indices);
  }
  // The dialect gathers rows (axis 0): move `axis` first, gather, and put
  // the index dims where the axis was.
  SmallVector<int64_t> toFront{axis};
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      toFront.push_back(d);
  Value table = n.transpose(data, toFront);
  std::string why;
  FailureOr<graph::Shape> shape =
      graph::gatherShape(n.typeOf(table).getShape(), n.typeOf(indices).getShape(), why);
  if (failed(shape))
    throw Unsupported(why);
  auto type = RankedTensorType::get(*shape, dataType.getElementType());
  Value rows = n.b.create<graph::GatherOp>(n.loc, type, table, indices, IntegerAttr());
  int64_t indexRank = n.rankOf(indices);
  // rows: [indices..., data dims but axis]; wanted: [data[:axis], indices..., data[axis+1:]].
  SmallVector<int64_t> back;
  for (int64_t d = 0; d < axis; ++d)
    back.push_back(indexRank + d);
  for (int64_t d = 0; d < indexRank; ++d)
    back.push_back(d);
  for (int64_t d = axis; d < rank - 1; ++d)
    back.push_back(indexRank + d);
  return n.transpose(rows, back);
}

/// A constant bool [rows, cols] with `keep(i, j)`.
Value boolMatrix(Node &n, int64_t rows, int64_t cols, llvm::function_ref<bool(int64_t, int64_t)> keep) {
  SmallVector<bool> values;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      values.push_back(keep(i, j));
  auto type = RankedTensorType::get({rows, cols}, n.b.getI1Type());
  return n.b.create<graph::ConstantOp>(n.loc, DenseElementsAttr::get(type, values));
}

/// 0, 1, ..., size - 1 as int64 of shape [1, ..., size, ..., 1] (`size` at
/// `dim` of `rank`).
Value iota(Node &n, int64_t size, int64_t dim, int64_t rank, Type element) {
  SmallVector<int64_t> shape(rank, 1);
  shape[dim] = size;
  SmallVector<APInt> values;
  for (int64_t k = 0; k < size; ++k)
    values.push_back(APInt(element.getIntOrFloatBitWidth(), k));
  return n.b.create<graph::ConstantOp>(
      n.loc, DenseElementsAttr::get(RankedTensorType::get(shape, element), values));
}

} // namespace

void addShapeConverters(ConverterTable &t) {
  t["GatherElements"] = [](Node &n) {
    // out[i...] = data[i... with indices[i...] at `axis`]: a one-hot mask of
    // the indices against the axis, times the data, summed over it.
    Value data = n.input(0), indices = n.input(1);
    auto dataType = n.typeOf(data), indexType = n.typeOf(indices);
    int64_t rank = dataType.getRank();
    if (indexType.getRank() != rank)
      throw Unsupported("data and indices must have the same rank");
    if (!dataType.hasStaticShape() || !indexType.hasStaticShape())
      throw Unsupported("needs static shapes");
    if (!isa<FloatType>(dataType.getElementType()))
      throw Unsupported("only float data is supported");
    int64_t axis = n.normalizeAxis(n.i("axis", 0), rank);
    int64_t size = dataType.getDimSize(axis);
    Type indexElement = indexType.getElementType();
    // Negative indices count from the end.
    Value wrapped = n.b.create<graph::AddOp>(n.loc, indices, n.ops.constant(size, indexElement));
    Value negative = n.b.create<graph::LtOp>(n.loc, indices, n.ops.constant(0, indexElement));
    indices = n.b.create<graph::SelectOp>(n.loc, negative, wrapped, indices);
    // data cut to the indices' extent on the other axes, the axis moved last
    // and a 1 left in its place: [s..., 1 at axis, ..., K].
    SmallVector<int64_t> start(rank, 0), stop, step(rank, 1);
    for (int64_t d = 0; d < rank; ++d) {
      int64_t want = d == axis ? size : indexType.getDimSize(d);
      if (want > dataType.getDimSize(d))
        throw Unsupported("indices are larger than the data on axis " + std::to_string(d));
      stop.push_back(want);
    }
    Value cut = n.b.create<graph::SliceOp>(n.loc, data, n.b.getDenseI64ArrayAttr(start),
                                           n.b.getDenseI64ArrayAttr(stop), n.b.getDenseI64ArrayAttr(step));
    SmallVector<int64_t> toLast;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        toLast.push_back(d);
    toLast.push_back(axis);
    Value moved = n.transpose(cut, toLast);
    SmallVector<int64_t> spread(indexType.getShape());
    spread[axis] = 1;
    spread.push_back(size);
    Value table = n.reshape(moved, spread);
    SmallVector<int64_t> expanded(indexType.getShape());
    expanded.push_back(1);
    Value hot = n.binary<graph::EqOp>(n.reshape(indices, expanded), iota(n, size, rank, rank + 1, indexElement));
    Value picked = n.binary<graph::MulOp>(table, n.ops.to(hot, dataType.getElementType()));
    n.setOutput(0, n.ops.sum(picked, {rank}, false));
  };
  t["Trilu"] = [](Node &n) {
    Value x = n.input(0);
    auto shape = n.typeOf(x).getShape();
    if (shape.size() < 2 || ShapedType::isDynamic(shape[shape.size() - 2]) ||
        ShapedType::isDynamic(shape.back()))
      throw Unsupported("the last two dimensions must be static");
    int64_t k = n.hasInput(1) ? n.integers(1).front() : 0;
    bool upper = n.i("upper", 1) != 0;
    Value keep = boolMatrix(n, shape[shape.size() - 2], shape.back(), [&](int64_t i, int64_t j) {
      return upper ? j - i >= k : j - i <= k;
    });
    Value zero = isa<FloatType>(n.typeOf(x).getElementType())
                     ? n.scalarLike(x, 0)
                     : n.ops.constant(0, n.typeOf(x).getElementType());
    n.setOutput(0, n.b.create<graph::SelectOp>(n.loc, keep, x, zero));
  };
  t["CumSum"] = [](Node &n) {
    // Along the axis as a matmul with a triangle of ones.
    Value x = n.input(0);
    n.requireFloat(x, "CumSum's input (integer sums are not supported)");
    int64_t rank = n.rankOf(x);
    int64_t axis = n.normalizeAxis(n.integers(1).front(), rank);
    int64_t size = n.typeOf(x).getDimSize(axis);
    if (ShapedType::isDynamic(size))
      throw Unsupported("the summed axis must be static");
    bool exclusive = n.i("exclusive", 0), reverse = n.i("reverse", 0);
    SmallVector<float> triangle;
    for (int64_t i = 0; i < size; ++i)
      for (int64_t j = 0; j < size; ++j) {
        bool in = reverse ? (exclusive ? i > j : i >= j) : (exclusive ? i < j : i <= j);
        triangle.push_back(in ? 1.0f : 0.0f);
      }
    Type element = n.typeOf(x).getElementType();
    auto type = RankedTensorType::get({size, size}, n.b.getF32Type());
    Value ones = n.ops.to(n.b.create<graph::ConstantOp>(n.loc, DenseElementsAttr::get(type, ArrayRef<float>(triangle))), element);
    SmallVector<int64_t> toLast;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        toLast.push_back(d);
    toLast.push_back(axis);
    SmallVector<int64_t> back(rank);
    for (int64_t d = 0; d < rank; ++d)
      back[toLast[d]] = d;
    Value moved = n.transpose(x, toLast);
    auto movedShape = n.typeOf(moved).getShape();
    int64_t rows = 1;
    for (int64_t d : movedShape.drop_back()) {
      if (ShapedType::isDynamic(d))
        throw Unsupported("needs static shapes");
      rows *= d;
    }
    Value flat = n.reshape(moved, {rows, size});
    Value summed = n.b.create<graph::MatmulOp>(n.loc, flat, ones);
    n.setOutput(0, n.transpose(n.reshape(summed, movedShape), back));
  };
  t["EyeLike"] = [](Node &n) {
    Value x = n.input(0);
    auto shape = n.typeOf(x).getShape();
    if (shape.size() != 2 || !n.typeOf(x).hasStaticShape())
      throw Unsupported("the input must be a static matrix");
    Type element = n.has("dtype") ? elementType(n.b.getContext(), (int32_t)n.i("dtype", 1))
                                  : n.typeOf(x).getElementType();
    if (!element)
      throw Unsupported("dtype is a type graphc does not have");
    int64_t k = n.i("k", 0);
    Value ones = boolMatrix(n, shape[0], shape[1], [&](int64_t i, int64_t j) { return j - i == k; });
    n.setOutput(0, n.ops.to(ones, element));
  };
  t["OneHot"] = [](Node &n) {
    Value indices = n.input(0);
    SmallVector<int64_t> depthValue = n.constantInput(1) && isa<FloatType>(n.constantInput(1)->getElementType())
                                          ? SmallVector<int64_t>{(int64_t)(*n.constantInput(1)->getValues<APFloat>().begin()).convertToDouble()}
                                          : n.integers(1);
    int64_t depth = depthValue.front();
    if (depth < 1)
      throw Unsupported("depth must be at least 1");
    Value values = n.input(2);
    auto indexType = n.typeOf(indices);
    Type indexElement = indexType.getElementType();
    if (isa<FloatType>(indexElement))
      indices = n.ops.to(indices, n.b.getI64Type()), indexElement = n.b.getI64Type();
    int64_t rank = indexType.getRank() + 1;
    int64_t axis = n.normalizeAxis(n.i("axis", -1), rank);
    // Negative indices count from the end.
    Value wrapped = n.b.create<graph::AddOp>(n.loc, indices, n.ops.constant(depth, indexElement));
    Value negative = n.b.create<graph::LtOp>(n.loc, indices, n.ops.constant(0, indexElement));
    indices = n.b.create<graph::SelectOp>(n.loc, negative, wrapped, indices);
    SmallVector<int64_t> shape(indexType.getShape());
    shape.insert(shape.begin() + axis, 1);
    Value hot = n.binary<graph::EqOp>(n.reshape(indices, shape), iota(n, depth, axis, rank, indexElement));
    auto valuesType = n.typeOf(values);
    if (valuesType.getNumElements() != 2 || !valuesType.hasStaticShape())
      throw Unsupported("values must hold [off, on]");
    Type element = valuesType.getElementType();
    auto pick = [&](int64_t k) {
      Value v = n.b.create<graph::SliceOp>(n.loc, values, n.b.getDenseI64ArrayAttr({k}),
                                           n.b.getDenseI64ArrayAttr({k + 1}), n.b.getDenseI64ArrayAttr({1}));
      return n.reshape(v, {});
    };
    (void)element;
    n.setOutput(0, n.b.create<graph::SelectOp>(n.loc, hot, pick(1), pick(0)));
  };
  t["Constant"] = [](Node &n) {
    MLIRContext *ctx = n.b.getContext();
    if (const onnx::AttributeProto *a = n.attribute("value"))
      return n.setConstantOutput(0, tensorValue(ctx, a->t()));
    if (const onnx::AttributeProto *a = n.attribute("value_float"))
      return n.setConstantOutput(
          0, DenseElementsAttr::get(RankedTensorType::get({}, n.b.getF32Type()), a->f()));
    if (const onnx::AttributeProto *a = n.attribute("value_floats")) {
      SmallVector<float> v(a->floats().begin(), a->floats().end());
      return n.setConstantOutput(
          0, DenseElementsAttr::get(RankedTensorType::get({(int64_t)v.size()}, n.b.getF32Type()),
                                    ArrayRef<float>(v)));
    }
    if (const onnx::AttributeProto *a = n.attribute("value_int"))
      return n.setConstantOutput(0, int64s(n, {a->i()}, /*scalar=*/true));
    if (n.has("value_ints"))
      return n.setConstantOutput(0, int64s(n, n.ints("value_ints")));
    throw Unsupported("only tensor, float and int values are supported (not strings or sparse)");
  };
  t["Shape"] = [](Node &n) {
    SmallVector<int64_t> shape = staticShape(n, n.input(0), "Shape");
    int64_t rank = shape.size();
    int64_t start = n.i("start", 0), end = n.i("end", rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    n.setConstantOutput(0, int64s(n, ArrayRef<int64_t>(shape).slice(start, std::max<int64_t>(0, end - start))));
  };
  t["Size"] = [](Node &n) {
    int64_t count = 1;
    for (int64_t d : staticShape(n, n.input(0), "Size"))
      count *= d;
    n.setConstantOutput(0, int64s(n, {count}, /*scalar=*/true));
  };
  t["Reshape"] = [](Node &n) {
    SmallVector<int64_t> requested = n.integers(1);
    if (auto c = intConstant(n, 0)) {
      SmallVector<int64_t> shape = reshapeTarget(n, c->shape, requested, n.i("allowzero", 0));
      return n.setConstantOutput(0, intAttr(n, c->values, shape, n.constantInput(0)->getElementType()));
    }
    Value x = n.input(0);
    n.setOutput(0, reshapeTo(n, x, reshapeTarget(n, n.typeOf(x).getShape(), requested, n.i("allowzero", 0))));
  };
  t["Flatten"] = [](Node &n) {
    Value x = n.input(0);
    auto shape = n.typeOf(x).getShape();
    int64_t rank = shape.size();
    int64_t axis = n.i("axis", 1);
    axis = axis < 0 ? axis + rank : axis;
    if (axis < 0 || axis > rank)
      throw Unsupported("axis " + std::to_string(n.i("axis", 1)) + " is outside rank " + std::to_string(rank));
    auto product = [&](int64_t from, int64_t to) {
      int64_t p = 1;
      for (int64_t d = from; d < to; ++d) {
        if (ShapedType::isDynamic(shape[d]))
          return ShapedType::kDynamic;
        p *= shape[d];
      }
      return p;
    };
    n.setOutput(0, reshapeTo(n, x, {product(0, axis), product(axis, rank)}));
  };
  t["Transpose"] = [](Node &n) {
    Value x = n.input(0);
    int64_t rank = n.rankOf(x);
    SmallVector<int64_t> reversed;
    for (int64_t d = rank - 1; d >= 0; --d)
      reversed.push_back(d);
    n.setOutput(0, n.transpose(x, n.ints("perm", reversed)));
  };
  t["Squeeze"] = [](Node &n) {
    Value x = n.input(0);
    auto shape = n.typeOf(x).getShape();
    SmallVector<int64_t> axes = axesOf(n, 1);
    SmallVector<bool> drop(shape.size(), false);
    if (axes.empty()) {
      for (auto [k, d] : llvm::enumerate(shape))
        drop[k] = d == 1;
    }
    for (int64_t a : axes) {
      int64_t axis = n.normalizeAxis(a, shape.size());
      if (shape[axis] != 1)
        throw Unsupported("axis " + std::to_string(a) + " has size " + graph::formatShape({shape[axis]}) + ", not 1");
      drop[axis] = true;
    }
    SmallVector<int64_t> out;
    for (auto [k, d] : llvm::enumerate(shape))
      if (!drop[k])
        out.push_back(d);
    if (auto c = intConstant(n, 0))
      return n.setConstantOutput(0, intAttr(n, c->values, out, n.constantInput(0)->getElementType()));
    n.setOutput(0, reshapeTo(n, x, out));
  };
  t["Unsqueeze"] = [](Node &n) {
    std::optional<IntConstant> c = intConstant(n, 0);
    SmallVector<int64_t> shape;
    if (c)
      shape = c->shape;
    else
      shape.assign(n.typeOf(n.input(0)).getShape().begin(), n.typeOf(n.input(0)).getShape().end());
    SmallVector<int64_t> axes = axesOf(n, 1);
    int64_t rank = shape.size() + axes.size();
    SmallVector<bool> inserted(rank, false);
    for (int64_t a : axes)
      inserted[n.normalizeAxis(a, rank)] = true;
    SmallVector<int64_t> out;
    for (int64_t d = 0, next = 0; d < rank; ++d)
      out.push_back(inserted[d] ? 1 : shape[next++]);
    if (c)
      return n.setConstantOutput(0, intAttr(n, c->values, out, n.constantInput(0)->getElementType()));
    n.setOutput(0, reshapeTo(n, n.input(0), out));
  };
  t["Concat"] = [](Node &n) {
    // All constant integers: folded (a shape being assembled).
    bool folded = true;
    SmallVector<int64_t> values;
    for (int i = 0; i < n.numInputs() && folded; ++i) {
      std::optional<IntConstant> c = intConstant(n, i);
      folded = c && c->shape.size() <= 1;
      if (folded)
        values.append(c->values);
    }
    if (folded && n.numInputs() > 0)
      return n.setConstantOutput(0, intAttr(n, values, {(int64_t)values.size()},
                                            n.constantInput(0)->getElementType()));
    SmallVector<Value> inputs;
    SmallVector<SmallVector<int64_t>> shapes;
    for (int i = 0; i < n.numInputs(); ++i) {
      Value v = n.input(i);
      if (n.typeOf(v).getNumElements() == 0 && n.typeOf(v).hasStaticShape())
        continue; // an empty piece adds nothing
      inputs.push_back(v);
      shapes.emplace_back(n.typeOf(v).getShape());
    }
    if (inputs.empty())
      throw Unsupported("every input is empty");
    int64_t axis = n.normalizeAxis(n.i("axis", 0), n.rankOf(inputs[0]));
    std::string why;
    if (failed(graph::concatShape(shapes, axis, why)))
      throw Unsupported(why);
    n.setOutput(0, inputs.size() == 1 ? inputs[0]
                                      : n.b.create<graph::ConcatOp>(n.loc, inputs, n.b.getI64IntegerAttr(axis)));
  };
  t["Slice"] = [](Node &n) {
    SmallVector<int64_t> starts, ends, axes, steps;
    if (n.hasInput(1)) {
      starts = n.integers(1);
      ends = n.integers(2);
      if (n.hasInput(3))
        axes = n.integers(3);
      if (n.hasInput(4))
        steps = n.integers(4);
    } else { // opset < 10
      starts = n.ints("starts");
      ends = n.ints("ends");
      axes = n.ints("axes");
    }
    std::optional<IntConstant> c = intConstant(n, 0);
    SmallVector<int64_t> shape = c ? c->shape : SmallVector<int64_t>(n.typeOf(n.input(0)).getShape());
    int64_t rank = shape.size();
    if (axes.empty())
      for (int64_t d = 0; d < (int64_t)starts.size(); ++d)
        axes.push_back(d);
    if (steps.empty())
      steps.assign(starts.size(), 1);
    if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size())
      throw Unsupported("starts, ends, axes and steps differ in length");
    SmallVector<int64_t> start(rank, 0), stop(shape), step(rank, 1);
    for (size_t k = 0; k < axes.size(); ++k) {
      int64_t axis = n.normalizeAxis(axes[k], rank), size = shape[axis];
      if (steps[k] <= 0)
        throw Unsupported("a step of " + std::to_string(steps[k]) + " (graphc slices forward only)");
      if (ShapedType::isDynamic(size))
        throw Unsupported("slicing a dynamic dimension is not supported");
      auto clampIndex = [&](int64_t v) {
        if (v < 0)
          v += size;
        return std::clamp<int64_t>(v, 0, size);
      };
      start[axis] = clampIndex(starts[k]);
      stop[axis] = std::max(start[axis], clampIndex(ends[k]));
      step[axis] = steps[k];
    }
    if (c && rank == 1) {
      SmallVector<int64_t> values;
      for (int64_t k = start[0]; k < stop[0]; k += step[0])
        values.push_back(c->values[k]);
      return n.setConstantOutput(0, intAttr(n, values, {(int64_t)values.size()},
                                            n.constantInput(0)->getElementType()));
    }
    Value x = n.input(0);
    std::string why;
    if (failed(graph::sliceShape(shape, start, stop, step, why)))
      throw Unsupported(why);
    n.setOutput(0, n.b.create<graph::SliceOp>(n.loc, x, n.b.getDenseI64ArrayAttr(start),
                                              n.b.getDenseI64ArrayAttr(stop), n.b.getDenseI64ArrayAttr(step)));
  };
  t["Gather"] = [](Node &n) {
    std::optional<IntConstant> data = intConstant(n, 0), indices = intConstant(n, 1);
    if (data && indices && data->shape.size() == 1) {
      SmallVector<int64_t> values;
      int64_t size = data->values.size();
      for (int64_t i : indices->values) {
        if (i < -size || i >= size)
          throw Unsupported("index " + std::to_string(i) + " is outside " + std::to_string(size) + " values");
        values.push_back(data->values[i < 0 ? i + size : i]);
      }
      return n.setConstantOutput(0, intAttr(n, values, indices->shape, n.constantInput(0)->getElementType()));
    }
    n.setOutput(0, gather(n, n.input(0), n.input(1), n.i("axis", 0)));
  };
  t["Expand"] = [](Node &n) {
    Value x = n.input(0);
    SmallVector<int64_t> requested = n.integers(1);
    std::string why;
    FailureOr<graph::Shape> shape = graph::broadcastShapes(n.typeOf(x).getShape(), requested, why);
    if (failed(shape))
      throw Unsupported(why);
    if (llvm::equal(*shape, n.typeOf(x).getShape()))
      return n.setOutput(0, x);
    auto type = RankedTensorType::get(*shape, n.typeOf(x).getElementType());
    n.setOutput(0, n.b.create<graph::BroadcastToOp>(n.loc, type, x));
  };
  t["Tile"] = [](Node &n) {
    Value x = n.input(0);
    SmallVector<int64_t> repeats = n.integers(1);
    if ((int64_t)repeats.size() != n.rankOf(x))
      throw Unsupported("repeats has " + std::to_string(repeats.size()) + " entries for rank " +
                        std::to_string(n.rankOf(x)));
    for (auto [d, r] : llvm::enumerate(repeats)) {
      if (r < 1)
        throw Unsupported("a repeat of " + std::to_string(r));
      if (r == 1)
        continue;
      SmallVector<Value> copies(r, x);
      x = n.b.create<graph::ConcatOp>(n.loc, copies, n.b.getI64IntegerAttr(d));
    }
    n.setOutput(0, x);
  };
  t["Split"] = [](Node &n) {
    Value x = n.input(0);
    int64_t axis = n.normalizeAxis(n.i("axis", 0), n.rankOf(x));
    int64_t size = n.typeOf(x).getDimSize(axis);
    if (ShapedType::isDynamic(size))
      throw Unsupported("splitting a dynamic dimension is not supported");
    SmallVector<int64_t> sizes = n.hasInput(1) ? n.integers(1) : n.ints("split");
    int64_t parts = n.numOutputs();
    if (sizes.empty()) {
      int64_t each = (size + parts - 1) / parts;
      for (int64_t p = 0, left = size; p < parts; ++p, left -= each)
        sizes.push_back(std::min(each, left));
    }
    if ((int64_t)sizes.size() != parts)
      throw Unsupported("split has " + std::to_string(sizes.size()) + " sizes for " +
                        std::to_string(parts) + " outputs");
    int64_t at = 0;
    auto shape = n.typeOf(x).getShape();
    for (int64_t p = 0; p < parts; ++p) {
      SmallVector<int64_t> start(shape.size(), 0), stop(shape), step(shape.size(), 1);
      start[axis] = at;
      stop[axis] = at + sizes[p];
      at += sizes[p];
      if (at > size)
        throw Unsupported("the split sizes add up to more than " + std::to_string(size));
      n.setOutput(p, n.b.create<graph::SliceOp>(n.loc, x, n.b.getDenseI64ArrayAttr(start),
                                                n.b.getDenseI64ArrayAttr(stop), n.b.getDenseI64ArrayAttr(step)));
    }
  };
  t["ConstantOfShape"] = [](Node &n) {
    SmallVector<int64_t> shape = n.integers(0);
    DenseElementsAttr value = n.has("value")
                                  ? tensorValue(n.b.getContext(), n.attribute("value")->t())
                                  : DenseElementsAttr::get(RankedTensorType::get({1}, n.b.getF32Type()), 0.0f);
    if (value.getNumElements() != 1)
      throw Unsupported("value must hold one element");
    auto type = RankedTensorType::get(shape, value.getElementType());
    n.setConstantOutput(0, DenseElementsAttr::get(type, value.getValues<Attribute>()[0]));
  };
  t["Range"] = [](Node &n) {
    for (int i = 0; i < 3; ++i)
      if (!n.constantInput(i))
        throw Unsupported("start, limit and delta must be known when the model is compiled");
    Type element = n.constantInput(0)->getElementType();
    auto read = [&](int i) {
      DenseElementsAttr c = *n.constantInput(i);
      return isa<FloatType>(element) ? (*c.getValues<APFloat>().begin()).convertToDouble()
                                     : (double)(*c.getValues<APInt>().begin()).getSExtValue();
    };
    double start = read(0), limit = read(1), delta = read(2);
    if (delta == 0)
      throw Unsupported("delta is 0");
    int64_t count = std::max<int64_t>(0, (int64_t)std::ceil((limit - start) / delta));
    auto type = RankedTensorType::get({count}, element);
    if (isa<FloatType>(element)) {
      SmallVector<APFloat> values;
      for (int64_t k = 0; k < count; ++k) {
        APFloat v(start + k * delta);
        bool lost;
        v.convert(cast<FloatType>(element).getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
        values.push_back(v);
      }
      return n.setConstantOutput(0, DenseElementsAttr::get(type, values));
    }
    SmallVector<int64_t> values;
    for (int64_t k = 0; k < count; ++k)
      values.push_back((int64_t)start + k * (int64_t)delta);
    n.setConstantOutput(0, intAttr(n, values, {count}, element));
  };
  t["Pad"] = [](Node &n) {
    Value x = n.input(0);
    if (n.s("mode", "constant") != "constant")
      throw Unsupported("mode '" + n.s("mode", "constant") + "' (only constant padding is supported)");
    SmallVector<int64_t> pads = n.hasInput(1) ? n.integers(1) : n.ints("pads");
    int64_t rank = n.rankOf(x);
    SmallVector<int64_t> axes;
    if (n.hasInput(3))
      axes = n.integers(3);
    else
      for (int64_t d = 0; d < rank; ++d)
        axes.push_back(d);
    if (pads.size() != 2 * axes.size())
      throw Unsupported("pads has " + std::to_string(pads.size()) + " entries for " +
                        std::to_string(axes.size()) + " axes");
    double value = 0;
    if (n.hasInput(2)) {
      DenseElementsAttr c = n.constantInput(2).value_or(DenseElementsAttr());
      if (!c)
        throw Unsupported("the pad value must be known when the model is compiled");
      value = isa<FloatType>(c.getElementType()) ? (*c.getValues<APFloat>().begin()).convertToDouble()
                                                 : (double)(*c.getValues<APInt>().begin()).getSExtValue();
    } else if (n.has("value")) {
      value = n.f("value", 0);
    }
    for (size_t k = 0; k < axes.size(); ++k) {
      int64_t before = pads[k], after = pads[axes.size() + k];
      if (before < 0 || after < 0)
        throw Unsupported("negative pads (cropping) are not supported");
      x = n.pad(x, n.normalizeAxis(axes[k], rank), before, after, value);
    }
    n.setOutput(0, x);
  };
}

} // namespace graphc::onnx_import
