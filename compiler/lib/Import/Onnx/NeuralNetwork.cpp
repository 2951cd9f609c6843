//===- NeuralNetwork.cpp - ONNX matmul, conv, pooling, normalization ------===//
//
// MatMul and Gemm, 2-D Conv and pooling (ONNX's pads, auto_pad, ceil_mode
// and count_include_pad mapped onto the dialect's symmetric padding), the
// softmaxes and the inference forms of the normalizations.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

#include "graphc/Dialect/Graph/ShapeRules.h"

#include <limits>

using namespace mlir;

namespace graphc::onnx_import {
namespace {


Value matmul(Node &n, Value a, Value b) {
  n.requireFloat(a, "MatMul's inputs");
  // NumPy's matmul over more than one batch dim, same sizes: the batch dims
  // flattened into one, then restored.
  auto aShape = n.typeOf(a).getShape(), bShape = n.typeOf(b).getShape();
  if (aShape.size() > 3 && aShape.size() == bShape.size() &&
      aShape.drop_back(2) == bShape.drop_back(2) && n.typeOf(a).hasStaticShape() &&
      n.typeOf(b).hasStaticShape()) {
    int64_t batch = 1;
    for (int64_t d : aShape.drop_back(2))
      batch *= d;
    int64_t m = aShape[aShape.size() - 2], k = aShape.back(), cols = bShape.back();
    Value y = matmul(n, n.reshape(a, {batch, m, k}), n.reshape(b, {batch, k, cols}));
    SmallVector<int64_t> shape(aShape.drop_back(2));
    shape.append({m, cols});
    return n.reshape(y, shape);
  }
  std::string why;
  if (failed(graph::matmulShape(n.typeOf(a).getShape(), n.typeOf(b).getShape(), why)))
    throw Unsupported(why);
  return n.b.create<graph::MatmulOp>(n.loc, a, b);
}

/// `x` padded with `value` by `before[k]` / `after[k]` along dims 2 and 3.
Value pad2d(Node &n, Value x, ArrayRef<int64_t> before, ArrayRef<int64_t> after, double value) {
  for (int k = 0; k < 2; ++k)
    x = n.pad(x, 2 + k, before[k], after[k], value);
  return x;
}

struct Window {
  SmallVector<int64_t> kernel, stride, dilation, before, after;
};

/// ONNX's window attributes for a 2-D op over `x` [N, C, H, W]: pads
/// [top, left, bottom, right], or auto_pad's SAME_UPPER / SAME_LOWER / VALID.
/// A 1-D op's window as the 2-D op's over a height of 1.
SmallVector<int64_t> asTwoD(ArrayRef<int64_t> values, int64_t neutral, bool pads) {
  if (pads && values.size() == 2)
    return {neutral, values[0], neutral, values[1]};
  if (!pads && values.size() == 1)
    return {neutral, values[0]};
  return SmallVector<int64_t>(values);
}

Window window(Node &n, Value x, ArrayRef<int64_t> kernel, bool oneD = false) {
  if (n.rankOf(x) != 4)
    throw Unsupported("only 1-D and 2-D (NCL, NCHW) inputs are supported, got rank " +
                      std::to_string(n.rankOf(x) - (oneD ? 1 : 0)));
  Window w;
  w.kernel.assign(kernel.begin(), kernel.end());
  w.stride = n.ints("strides", oneD ? SmallVector<int64_t>{1} : SmallVector<int64_t>{1, 1});
  w.dilation = n.ints("dilations", oneD ? SmallVector<int64_t>{1} : SmallVector<int64_t>{1, 1});
  SmallVector<int64_t> pads =
      n.ints("pads", oneD ? SmallVector<int64_t>{0, 0} : SmallVector<int64_t>{0, 0, 0, 0});
  if (oneD) {
    w.kernel = asTwoD(w.kernel, 1, false);
    w.stride = asTwoD(w.stride, 1, false);
    w.dilation = asTwoD(w.dilation, 1, false);
    pads = asTwoD(pads, 0, true);
  }
  if (w.kernel.size() != 2 || w.stride.size() != 2 || w.dilation.size() != 2 || pads.size() != 4)
    throw Unsupported("kernel, strides, dilations and pads must be for 2 spatial dims");
  w.before = {pads[0], pads[1]};
  w.after = {pads[2], pads[3]};
  std::string autoPad = n.s("auto_pad", "NOTSET");
  if (autoPad == "VALID") {
    w.before = {0, 0};
    w.after = {0, 0};
  } else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    for (int k = 0; k < 2; ++k) {
      int64_t in = n.typeOf(x).getDimSize(2 + k);
      if (ShapedType::isDynamic(in))
        throw Unsupported("auto_pad needs static spatial sizes");
      int64_t out = (in + w.stride[k] - 1) / w.stride[k];
      int64_t total = std::max<int64_t>(0, (out - 1) * w.stride[k] + (w.kernel[k] - 1) * w.dilation[k] + 1 - in);
      w.before[k] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.after[k] = total - w.before[k];
    }
  } else if (autoPad != "NOTSET") {
    throw Unsupported("auto_pad '" + autoPad + "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
  }
  return w;
}

/// The symmetric part of the padding for the op, the rest applied to `x`.
SmallVector<int64_t> symmetricPadding(Node &n, Value &x, const Window &w, double fill) {
  SmallVector<int64_t> common{std::min(w.before[0], w.after[0]), std::min(w.before[1], w.after[1])};
  // The dialect's ops pad by at most half the window (PyTorch's rule); more
  // is padded explicitly.
  for (int k = 0; k < 2; ++k)
    if (common[k] > w.kernel[k] / 2)
      common[k] = 0;
  SmallVector<int64_t> before{w.before[0] - common[0], w.before[1] - common[1]};
  SmallVector<int64_t> after{w.after[0] - common[0], w.after[1] - common[1]};
  x = pad2d(n, x, before, after, fill);
  return common;
}

/// [N, C, L] as [N, C, 1, L].
Value withHeightOne(Node &n, Value x) {
  SmallVector<int64_t> shape(n.typeOf(x).getShape());
  shape.insert(shape.begin() + 2, 1);
  return n.reshape(x, shape);
}

/// [N, C, 1, L] back to [N, C, L].
Value withoutHeight(Node &n, Value y) {
  SmallVector<int64_t> shape(n.typeOf(y).getShape());
  shape.erase(shape.begin() + 2);
  return n.reshape(y, shape);
}

void convert2dConv(Node &n) {
  Value x = n.input(0), weight = n.input(1);
  n.requireFloat(x, "Conv's input");
  bool oneD = n.typeOf(weight).getRank() == 3;
  if (oneD) {
    x = withHeightOne(n, x);
    weight = withHeightOne(n, weight);
  }
  auto wType = n.typeOf(weight);
  if (wType.getRank() != 4)
    throw Unsupported("only 1-D and 2-D convolutions are supported (the weight has rank " +
                      std::to_string(wType.getRank()) + ")");
  SmallVector<int64_t> kernel = n.ints("kernel_shape");
  if (kernel.empty())
    kernel = oneD ? SmallVector<int64_t>{wType.getDimSize(3)}
                  : SmallVector<int64_t>{wType.getDimSize(2), wType.getDimSize(3)};
  if (oneD)
    kernel = asTwoD(kernel, 1, false);
  Window w = window(n, x, kernel, oneD);
  w.kernel = kernel;
  SmallVector<int64_t> padding = symmetricPadding(n, x, w, 0.0);
  int64_t groups = n.i("group", 1);
  std::string why;
  if (failed(graph::conv2dShape(n.typeOf(x).getShape(), wType.getShape(), w.stride, padding,
                                w.dilation, groups, why)))
    throw Unsupported(why);
  Value y = n.b.create<graph::Conv2DOp>(n.loc, x, weight, n.b.getDenseI64ArrayAttr(w.stride),
                                        n.b.getDenseI64ArrayAttr(padding),
                                        n.b.getDenseI64ArrayAttr(w.dilation),
                                        n.b.getI64IntegerAttr(groups));
  if (n.hasInput(2)) {
    Value bias = n.input(2);
    y = n.binary<graph::AddOp>(y, n.reshape(bias, {n.typeOf(bias).getDimSize(0), 1, 1}));
  }
  n.setOutput(0, oneD ? withoutHeight(n, y) : y);
}

/// ConvTranspose: the gradient of a convolution with respect to its input
/// (the dialect's conv2d_input_grad), whose forward convolution maps the
/// output back onto X. Inference only: conv2d_input_grad has no gradient.
void convertConvTranspose(Node &n) {
  Value x = n.input(0), weight = n.input(1);
  n.requireFloat(x, "ConvTranspose's input");
  bool oneD = n.typeOf(weight).getRank() == 3;
  if (oneD) {
    x = withHeightOne(n, x);
    weight = withHeightOne(n, weight);
  }
  auto xType = n.typeOf(x), wType = n.typeOf(weight);
  if (xType.getRank() != 4 || wType.getRank() != 4)
    throw Unsupported("only 1-D and 2-D transposed convolutions are supported");
  if (!xType.hasStaticShape() || !wType.hasStaticShape())
    throw Unsupported("needs static shapes");
  auto twoD = [&](SmallVector<int64_t> v, int64_t neutral, bool pads) {
    return oneD ? asTwoD(v, neutral, pads) : v;
  };
  SmallVector<int64_t> stride = twoD(n.ints("strides", oneD ? SmallVector<int64_t>{1} : SmallVector<int64_t>{1, 1}), 1, false);
  SmallVector<int64_t> dilation = twoD(n.ints("dilations", oneD ? SmallVector<int64_t>{1} : SmallVector<int64_t>{1, 1}), 1, false);
  SmallVector<int64_t> pads = twoD(n.ints("pads", oneD ? SmallVector<int64_t>{0, 0} : SmallVector<int64_t>{0, 0, 0, 0}), 0, true);
  SmallVector<int64_t> outputPadding = twoD(n.ints("output_padding", oneD ? SmallVector<int64_t>{0} : SmallVector<int64_t>{0, 0}), 0, false);
  if (stride.size() != 2 || dilation.size() != 2 || pads.size() != 4 || outputPadding.size() != 2)
    throw Unsupported("strides, dilations, pads and output_padding must be for 2 spatial dims");
  int64_t groups = n.i("group", 1);
  int64_t outChannels = wType.getDimSize(1) * groups;
  SmallVector<int64_t> shape{xType.getDimSize(0), outChannels, 0, 0};
  SmallVector<int64_t> explicitShape = n.ints("output_shape");
  std::string autoPad = n.s("auto_pad", "NOTSET");
  for (int k = 0; k < 2; ++k) {
    int64_t in = xType.getDimSize(2 + k), kernel = wType.getDimSize(2 + k);
    int64_t full = (in - 1) * stride[k] + (kernel - 1) * dilation[k] + 1 + outputPadding[k];
    if (!explicitShape.empty() || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      int64_t want = !explicitShape.empty() ? explicitShape[explicitShape.size() - 2 + k] : in * stride[k];
      int64_t total = full - want;
      if (total < 0)
        throw Unsupported("output_shape is larger than the transposed convolution gives");
      bool upper = autoPad != "SAME_LOWER";
      pads[k] = upper ? total / 2 : total - total / 2;
      pads[2 + k] = total - pads[k];
    }
    if (pads[k] != pads[2 + k])
      throw Unsupported("asymmetric pads are not supported for ConvTranspose");
    shape[2 + k] = full - pads[k] - pads[2 + k];
  }
  SmallVector<int64_t> padding{pads[0], pads[1]};
  // The forward convolution of the result must give X's shape back.
  std::string why;
  FailureOr<graph::Shape> forward =
      graph::conv2dShape(shape, wType.getShape(), stride, padding, dilation, groups, why);
  if (failed(forward) || *forward != xType.getShape())
    throw Unsupported(why.empty() ? "output_padding leaves a shape the forward convolution does not map back"
                                  : why);
  auto type = RankedTensorType::get(shape, xType.getElementType());
  Value y = n.b.create<graph::Conv2DInputGradOp>(
      n.loc, type, x, weight, n.b.getDenseI64ArrayAttr(stride), n.b.getDenseI64ArrayAttr(padding),
      n.b.getDenseI64ArrayAttr(dilation), n.b.getI64IntegerAttr(groups));
  if (n.hasInput(2))
    y = n.binary<graph::AddOp>(y, n.reshape(n.input(2), {outChannels, 1, 1}));
  n.setOutput(0, oneD ? withoutHeight(n, y) : y);
}

template <class Op>
Value pool(Node &n, Value x, ArrayRef<int64_t> kernel, ArrayRef<int64_t> stride,
           ArrayRef<int64_t> padding) {
  std::string why;
  if (failed(graph::pool2dShape(n.typeOf(x).getShape(), kernel, stride, padding, why)))
    throw Unsupported(why);
  return n.b.create<Op>(n.loc, x, n.b.getDenseI64ArrayAttr(kernel), n.b.getDenseI64ArrayAttr(stride),
                        n.b.getDenseI64ArrayAttr(padding));
}

/// ceil_mode: the extra rows and columns at the end that the last window
/// reaches past the padding.
void ceilModePadding(Node &n, Value x, Window &w) {
  if (!n.i("ceil_mode", 0))
    return;
  for (int k = 0; k < 2; ++k) {
    int64_t in = n.typeOf(x).getDimSize(2 + k);
    if (ShapedType::isDynamic(in))
      throw Unsupported("ceil_mode needs static spatial sizes");
    int64_t span = in + w.before[k] + w.after[k] - w.kernel[k];
    int64_t out = (span + w.stride[k] - 1) / w.stride[k] + 1;
    // PyTorch and ONNX: the last window must start inside the input or its
    // leading padding.
    if ((out - 1) * w.stride[k] >= in + w.before[k])
      --out;
    w.after[k] += std::max<int64_t>(0, (out - 1) * w.stride[k] + w.kernel[k] - (in + w.before[k] + w.after[k]));
  }
}

/// A pooling node's input as [N, C, H, W] (1-D pooling over a height of 1)
/// and its window.
struct PoolInput {
  Value x;
  bool oneD;
  Window w;
};
PoolInput poolInput(Node &n, StringRef what) {
  Value x = n.input(0);
  n.requireFloat(x, what.str() + "'s input");
  bool oneD = n.rankOf(x) == 3;
  if (oneD)
    x = withHeightOne(n, x);
  SmallVector<int64_t> kernel = n.ints("kernel_shape");
  if (oneD)
    kernel = asTwoD(kernel, 1, false);
  Window w = window(n, x, kernel, oneD);
  w.kernel = kernel;
  return {x, oneD, w};
}

void convertMaxPool(Node &n) {
  if (n.hasOutput(1))
    throw Unsupported("the Indices output is not supported");
  if (n.i("storage_order", 0) != 0)
    throw Unsupported("storage_order=1 is not supported");
  auto [x, oneD, w] = poolInput(n, "MaxPool");
  if (w.dilation[0] != 1 || w.dilation[1] != 1)
    throw Unsupported("dilated pooling is not supported");
  ceilModePadding(n, x, w);
  double lowest = -std::numeric_limits<double>::infinity();
  SmallVector<int64_t> padding = symmetricPadding(n, x, w, lowest);
  Value y = pool<graph::MaxPool2DOp>(n, x, w.kernel, w.stride, padding);
  n.setOutput(0, oneD ? withoutHeight(n, y) : y);
}

void convertAveragePool(Node &n) {
  auto [x, oneD, w] = poolInput(n, "AveragePool");
  if (n.i("ceil_mode", 0))
    throw Unsupported("ceil_mode=1 is not supported for average pooling");
  bool padded = w.before[0] || w.before[1] || w.after[0] || w.after[1];
  Value input = x;
  SmallVector<int64_t> padding = symmetricPadding(n, input, w, 0.0);
  // The dialect's average counts the padding (PyTorch's default); ONNX's
  // default does not: divide by the share of each window inside the input,
  // itself an average pool of ones.
  Value y = pool<graph::AvgPool2DOp>(n, input, w.kernel, w.stride, padding);
  if (padded && !n.i("count_include_pad", 0)) {
    auto type = n.typeOf(x);
    if (ShapedType::isDynamic(type.getDimSize(2)) || ShapedType::isDynamic(type.getDimSize(3)))
      throw Unsupported("count_include_pad=0 with padding needs static spatial sizes");
    auto onesType = RankedTensorType::get({1, 1, type.getDimSize(2), type.getDimSize(3)},
                                          type.getElementType());
    Value ones = n.b.create<graph::ConstantOp>(
        n.loc, DenseElementsAttr::get(onesType, n.b.getFloatAttr(type.getElementType(), 1.0)));
    SmallVector<int64_t> unused = symmetricPadding(n, ones, w, 0.0);
    Value share = pool<graph::AvgPool2DOp>(n, ones, w.kernel, w.stride, padding);
    y = n.binary<graph::DivOp>(y, share);
  }
  n.setOutput(0, oneD ? withoutHeight(n, y) : y);
}

/// The softmaxes over `axis`; before opset 13 over the flattened dims from
/// `axis` on.
Value softmax(Node &n, Value x, bool log) {
  n.requireFloat(x, "its input");
  int64_t rank = n.rankOf(x);
  int64_t axis = n.normalizeAxis(n.i("axis", n.opset() < 13 ? 1 : -1), rank);
  auto shape = n.typeOf(x).getShape();
  Value in = x;
  int64_t dim = axis;
  if (n.opset() < 13 && axis != rank - 1) {
    int64_t inner = 1;
    for (int64_t d = axis; d < rank; ++d) {
      if (ShapedType::isDynamic(shape[d]))
        throw Unsupported("the flattened softmax of opset < 13 needs static trailing sizes");
      inner *= shape[d];
    }
    SmallVector<int64_t> flat(shape.begin(), shape.begin() + axis);
    flat.push_back(inner);
    in = n.reshape(x, flat);
    dim = axis;
  }
  Value max = n.ops.amax(in, {dim}, /*keepdim=*/true);
  Value shifted = n.binary<graph::SubOp>(in, max);
  Value exp = n.create1<graph::ExpOp>(shifted);
  Value sum = n.ops.sum(exp, {dim}, /*keepdim=*/true);
  Value y = log ? n.binary<graph::SubOp>(shifted, n.create1<graph::LogOp>(sum))
                : n.binary<graph::DivOp>(exp, sum);
  return in == x ? y : n.reshape(y, shape);
}

/// (x - mean) / sqrt(var + eps) over `dims`, keeping them.
Value normalize(Node &n, Value x, ArrayRef<int64_t> dims, double epsilon, Value *meanOut = nullptr,
                Value *invStdOut = nullptr) {
  Value mean = n.ops.reduce<graph::ReduceMeanOp>(x, dims, true);
  Value centered = n.binary<graph::SubOp>(x, mean);
  Value var = n.ops.reduce<graph::ReduceMeanOp>(n.binary<graph::MulOp>(centered, centered), dims, true);
  Value invStd = n.create1<graph::RsqrtOp>(n.binary<graph::AddOp>(var, n.scalarLike(x, epsilon)));
  if (meanOut)
    *meanOut = mean;
  if (invStdOut)
    *invStdOut = invStd;
  return n.binary<graph::MulOp>(centered, invStd);
}

/// A per-channel vector [C] shaped to broadcast over [N, C, ...] of `rank`.
Value perChannel(Node &n, Value v, int64_t rank) {
  SmallVector<int64_t> shape{n.typeOf(v).getDimSize(0)};
  shape.append(rank - 2, 1);
  return n.reshape(v, shape);
}

} // namespace

void addNeuralNetworkConverters(ConverterTable &t) {
  t["MatMul"] = [](Node &n) { n.setOutput(0, matmul(n, n.input(0), n.input(1))); };
  t["Gemm"] = [](Node &n) {
    Value a = n.input(0), b = n.input(1);
    if (n.rankOf(a) != 2 || n.rankOf(b) != 2)
      throw Unsupported("A and B must be matrices");
    if (n.i("transA", 0))
      a = n.transpose(a, {1, 0});
    if (n.i("transB", 0))
      b = n.transpose(b, {1, 0});
    Value y = matmul(n, a, b);
    double alpha = n.f("alpha", 1), beta = n.f("beta", 1);
    if (alpha != 1)
      y = n.binary<graph::MulOp>(y, n.scalarLike(y, alpha));
    if (n.hasInput(2)) {
      Value c = n.input(2);
      if (beta != 1)
        c = n.binary<graph::MulOp>(c, n.scalarLike(c, beta));
      y = n.binary<graph::AddOp>(y, c);
    }
    n.setOutput(0, y);
  };
  t["Conv"] = convert2dConv;
  t["ConvTranspose"] = convertConvTranspose;
  t["MaxPool"] = convertMaxPool;
  t["AveragePool"] = convertAveragePool;
  t["GlobalAveragePool"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    SmallVector<int64_t> dims;
    for (int64_t d = 2; d < n.rankOf(x); ++d)
      dims.push_back(d);
    n.setOutput(0, n.ops.reduce<graph::ReduceMeanOp>(x, dims, true));
  };
  t["GlobalMaxPool"] = [](Node &n) {
    Value x = n.input(0);
    SmallVector<int64_t> dims;
    for (int64_t d = 2; d < n.rankOf(x); ++d)
      dims.push_back(d);
    n.setOutput(0, n.ops.amax(x, dims, true));
  };
  t["Softmax"] = [](Node &n) { n.setOutput(0, softmax(n, n.input(0), false)); };
  t["LogSoftmax"] = [](Node &n) { n.setOutput(0, softmax(n, n.input(0), true)); };
  t["BatchNormalization"] = [](Node &n) {
    if (n.i("training_mode", 0) || n.hasOutput(1) || n.hasOutput(2))
      throw Unsupported("only the inference form (training_mode=0, one output) is supported");
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    int64_t rank = n.rankOf(x);
    if (rank < 2)
      throw Unsupported("the input needs a channel dimension");
    Value scale = perChannel(n, n.input(1), rank), bias = perChannel(n, n.input(2), rank);
    Value mean = perChannel(n, n.input(3), rank), var = perChannel(n, n.input(4), rank);
    Value invStd = n.create1<graph::RsqrtOp>(
        n.binary<graph::AddOp>(var, n.scalarLike(var, n.f("epsilon", 1e-5f))));
    Value y = n.binary<graph::MulOp>(n.binary<graph::SubOp>(x, mean), n.binary<graph::MulOp>(invStd, scale));
    n.setOutput(0, n.binary<graph::AddOp>(y, bias));
  };
  t["InstanceNormalization"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    int64_t rank = n.rankOf(x);
    SmallVector<int64_t> dims;
    for (int64_t d = 2; d < rank; ++d)
      dims.push_back(d);
    if (dims.empty())
      throw Unsupported("the input needs spatial dimensions");
    Value y = normalize(n, x, dims, n.f("epsilon", 1e-5f));
    y = n.binary<graph::MulOp>(y, perChannel(n, n.input(1), rank));
    n.setOutput(0, n.binary<graph::AddOp>(y, perChannel(n, n.input(2), rank)));
  };
  t["LayerNormalization"] = [](Node &n) {
    Value x = n.input(0);
    n.requireFloat(x, "its input");
    int64_t rank = n.rankOf(x);
    int64_t axis = n.normalizeAxis(n.i("axis", -1), rank);
    SmallVector<int64_t> dims;
    for (int64_t d = axis; d < rank; ++d)
      dims.push_back(d);
    Value mean, invStd;
    Value y = normalize(n, x, dims, n.f("epsilon", 1e-5f), &mean, &invStd);
    y = n.binary<graph::MulOp>(y, n.input(1));
    if (n.hasInput(2))
      y = n.binary<graph::AddOp>(y, n.input(2));
    n.setOutput(0, y);
    n.setOutput(1, mean);
    n.setOutput(2, invStd);
  };
}

} // namespace graphc::onnx_import
