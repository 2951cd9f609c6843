//===- GraphOps.td - graph dialect ops ---------------------*- tablegen -*-===//
//
// The closed primitive op set. Shapes: every dimension is static except that
// any dimension may be `?` (in practice the batch). Shape rules live in
// GraphOps.cpp (inferReturnTypes); the verifiers reject what the shape rules
// cannot type and name the offending shapes.
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_DIALECT_GRAPH_GRAPHOPS_TD
#define GRAPHC_DIALECT_GRAPH_GRAPHOPS_TD

include "graphc/Dialect/Graph/GraphDialect.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Graph_FloatTensor : RankedTensorOf<[F32, F64]>;
def Graph_NumericTensor : RankedTensorOf<[F32, F64, I32, I64]>;
def Graph_BoolTensor : RankedTensorOf<[I1]>;
def Graph_AnyTensor : RankedTensorOf<[F32, F64, I32, I64, I1]>;

//===----------------------------------------------------------------------===//
// Elementwise unary ops
//===----------------------------------------------------------------------===//

class Graph_UnaryOp<string mnemonic, TypeConstraint operandType,
                    string formula, list<Trait> traits = []> :
    Graph_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType])> {
  let summary = "elementwise " # mnemonic;
  let description = [{
    Computes `}] # formula # [{` for every element. The result has the
    operand's type.

    Example:
    ```mlir
    %y = graph.}] # mnemonic # [{ %x : tensor<4x?xf32>
    ```
  }];
  let arguments = (ins operandType:$input);
  let results = (outs operandType:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Graph_NegOp : Graph_UnaryOp<"neg", Graph_NumericTensor, "-x">;
def Graph_ExpOp : Graph_UnaryOp<"exp", Graph_FloatTensor, "e^x">;
def Graph_LogOp : Graph_UnaryOp<"log", Graph_FloatTensor, "ln(x)">;
def Graph_SqrtOp : Graph_UnaryOp<"sqrt", Graph_FloatTensor, "sqrt(x)">;
def Graph_RsqrtOp : Graph_UnaryOp<"rsqrt", Graph_FloatTensor, "1/sqrt(x)">;
def Graph_AbsOp : Graph_UnaryOp<"abs", Graph_NumericTensor, "|x|">;
def Graph_ReluOp : Graph_UnaryOp<"relu", Graph_NumericTensor, "max(x, 0)">;
def Graph_SigmoidOp : Graph_UnaryOp<"sigmoid", Graph_FloatTensor, "1/(1+e^-x)">;
def Graph_TanhOp : Graph_UnaryOp<"tanh", Graph_FloatTensor, "tanh(x)">;

//===----------------------------------------------------------------------===//
// Elementwise binary ops with NumPy/PyTorch broadcasting
//===----------------------------------------------------------------------===//

class Graph_BroadcastingOp<string mnemonic, list<Trait> traits = []> :
    Graph_Op<mnemonic, !listconcat(traits,
        [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>])> {
  let hasVerifier = 1;
}

class Graph_BinaryOp<string mnemonic, TypeConstraint operandType,
                     string formula, list<Trait> traits = []> :
    Graph_BroadcastingOp<mnemonic, traits> {
  let summary = "elementwise " # mnemonic # " with broadcasting";
  let description = [{
    Computes `}] # formula # [{` elementwise. The operands have the same
    element type and broadcast as in NumPy and PyTorch: shapes are aligned on
    the right and a dimension of size 1 stretches to the other operand's size.

    Example:
    ```mlir
    %z = graph.}] # mnemonic # [{ %x, %b : tensor<?x10xf32>, tensor<10xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def Graph_AddOp : Graph_BinaryOp<"add", Graph_NumericTensor, "lhs + rhs", [Commutative]>;
def Graph_SubOp : Graph_BinaryOp<"sub", Graph_NumericTensor, "lhs - rhs">;
def Graph_MulOp : Graph_BinaryOp<"mul", Graph_NumericTensor, "lhs * rhs", [Commutative]>;
def Graph_DivOp : Graph_BinaryOp<"div", Graph_NumericTensor, "lhs / rhs">;
def Graph_PowOp : Graph_BinaryOp<"pow", Graph_FloatTensor, "lhs ^ rhs">;
def Graph_MaxOp : Graph_BinaryOp<"max", Graph_NumericTensor, "max(lhs, rhs)", [Commutative]>;
def Graph_MinOp : Graph_BinaryOp<"min", Graph_NumericTensor, "min(lhs, rhs)", [Commutative]>;

class Graph_CompareOp<string mnemonic, string formula> :
    Graph_BroadcastingOp<mnemonic> {
  let summary = "elementwise comparison `" # formula # "` with broadcasting";
  let description = [{
    Compares elementwise, `}] # formula # [{`, giving a tensor of i1. Operands
    broadcast like the arithmetic binary ops. Floats compare ordered, so a NaN
    compares false except under `ne`.

    Example:
    ```mlir
    %m = graph.}] # mnemonic # [{ %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xi1>
    ```
  }];
  let arguments = (ins Graph_NumericTensor:$lhs, Graph_NumericTensor:$rhs);
  let results = (outs Graph_BoolTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
}

def Graph_EqOp : Graph_CompareOp<"eq", "lhs == rhs">;
def Graph_NeOp : Graph_CompareOp<"ne", "lhs != rhs">;
def Graph_LtOp : Graph_CompareOp<"lt", "lhs < rhs">;
def Graph_LeOp : Graph_CompareOp<"le", "lhs <= rhs">;
def Graph_GtOp : Graph_CompareOp<"gt", "lhs > rhs">;
def Graph_GeOp : Graph_CompareOp<"ge", "lhs >= rhs">;

def Graph_SelectOp : Graph_BroadcastingOp<"select"> {
  let summary = "elementwise choice, like torch.where";
  let description = [{
    `select(cond, a, b)` is `a` where `cond` is true and `b` elsewhere. All
    three operands broadcast together; `a` and `b` have the same element type.

    Example:
    ```mlir
    %r = graph.select %c, %a, %b : tensor<4xi1>, tensor<4xf32>, tensor<f32> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Graph_BoolTensor:$condition, Graph_AnyTensor:$true_value,
                       Graph_AnyTensor:$false_value);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = [{
    $condition `,` $true_value `,` $false_value attr-dict `:`
    type($condition) `,` type($true_value) `,` type($false_value) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Linear algebra, convolution and pooling
//===----------------------------------------------------------------------===//

def Graph_MatmulOp : Graph_Op<"matmul",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "matrix product, 2-D or batched";
  let description = [{
    `[M,K] x [K,N] -> [M,N]`, or batched `[B,M,K] x [B,K,N] -> [B,M,N]`, or a
    batched lhs with a shared rhs `[B,M,K] x [K,N] -> [B,M,N]`. Both operands
    have the same float element type.

    Example:
    ```mlir
    %y = graph.matmul %x, %w : tensor<?x784xf32>, tensor<784x128xf32> -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$lhs, Graph_FloatTensor:$rhs);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_Conv2DOp : Graph_Op<"conv2d",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "2-D convolution, NCHW input and OIHW weight";
  let description = [{
    Cross-correlation as torch.nn.functional.conv2d without bias: input
    `[N, C, H, W]`, weight `[O, C/groups, KH, KW]`, result `[N, O, OH, OW]` with
    `OH = (H + 2*pad_h - dil_h*(KH-1) - 1) / stride_h + 1` (likewise OW).
    Zero padding. `stride`, `padding` and `dilation` are `[h, w]` pairs.

    Example:
    ```mlir
    %y = graph.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>,
                              dilation = array<i64: 1, 1>, groups = 1 : i64}
        : tensor<?x1x32x32xf32>, tensor<6x1x3x3xf32> -> tensor<?x6x30x30xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, Graph_FloatTensor:$weight,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat =
      "$input `,` $weight attr-dict `:` type($input) `,` type($weight) `->` type($result)";
  let hasVerifier = 1;
}

class Graph_Pool2DOp<string mnemonic, string what> : Graph_Op<mnemonic,
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "2-D " # what # " pooling over NCHW";
  let description = [{
    }] # what # [{ over `kernel_size` windows moved by `stride`, with `padding`
    on each side (as torch.nn.functional's pooling, ceil_mode=False; average
    pooling counts the padding, count_include_pad=True). Each attribute is an
    `[h, w]` pair. `OH = (H + 2*pad_h - KH) / stride_h + 1` (likewise OW).

    Example:
    ```mlir
    %y = graph.}] # mnemonic # [{ %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>,
                                 padding = array<i64: 0, 0>}
        : tensor<?x6x30x30xf32> -> tensor<?x6x15x15xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$input, DenseI64ArrayAttr:$kernel_size,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_MaxPool2DOp : Graph_Pool2DOp<"max_pool2d", "maximum">;
def Graph_AvgPool2DOp : Graph_Pool2DOp<"avg_pool2d", "average">;

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Graph_ReductionOp<string mnemonic, string what, TypeConstraint type> :
    Graph_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = what # " over a list of dimensions";
  let description = [{
    Reduces the operand over `dims` (distinct, in range; negative values count
    from the end) with }] # what # [{. With `keepdim` the reduced dimensions
    stay with size 1, as in PyTorch; otherwise they are removed.

    Example:
    ```mlir
    %s = graph.}] # mnemonic # [{ %x {dims = array<i64: 1>, keepdim = false}
        : tensor<?x10xf32> -> tensor<?xf32>
    ```
  }];
  let arguments = (ins type:$input, DenseI64ArrayAttr:$dims,
                       DefaultValuedAttr<BoolAttr, "false">:$keepdim);
  let results = (outs type:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_ReduceSumOp : Graph_ReductionOp<"reduce_sum", "the sum", Graph_NumericTensor>;
def Graph_ReduceMeanOp : Graph_ReductionOp<"reduce_mean", "the mean", Graph_FloatTensor>;
def Graph_ReduceMaxOp : Graph_ReductionOp<"reduce_max", "the maximum", Graph_NumericTensor>;

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def Graph_ReshapeOp : Graph_Op<"reshape", [Pure]> {
  let summary = "row-major reshape to the result type's shape";
  let description = [{
    Reinterprets the elements in row-major order with the result's shape
    (torch.reshape / view). At most one result dimension may be dynamic; it
    takes whatever the element count leaves.

    Example:
    ```mlir
    %f = graph.reshape %x : tensor<?x16x6x6xf32> -> tensor<?x576xf32>
    ```
  }];
  let arguments = (ins Graph_AnyTensor:$input);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Graph_TransposeOp : Graph_Op<"transpose",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "permutes dimensions, like torch.permute";
  let description = [{
    Result dimension `i` is input dimension `permutation[i]`.

    Example:
    ```mlir
    %t = graph.transpose %w {permutation = array<i64: 1, 0>} : tensor<120x576xf32> -> tensor<576x120xf32>
    ```
  }];
  let arguments = (ins Graph_AnyTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_BroadcastToOp : Graph_Op<"broadcast_to", [Pure]> {
  let summary = "broadcasts to the result type's shape, like torch.broadcast_to";
  let description = [{
    Stretches size-1 dimensions and adds leading dimensions so the operand
    takes the result's shape, following the broadcasting rule of the binary ops.

    Example:
    ```mlir
    %b = graph.broadcast_to %x : tensor<10xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Graph_AnyTensor:$input);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_SliceOp : Graph_Op<"slice",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "strided slice with start/stop/step per dimension";
  let description = [{
    Takes `x[start:stop:step]` along every dimension, like Python slicing with
    non-negative bounds: `0 <= start <= dim`, `stop` is clamped to the
    dimension, `step >= 1`. A dynamic dimension can only be kept whole
    (start 0, step 1, stop at least as large as any size, e.g. INT64_MAX).

    Example:
    ```mlir
    %s = graph.slice %x {start = array<i64: 0, 1>, stop = array<i64: 4, 3>, step = array<i64: 1, 1>}
        : tensor<4x3xf32> -> tensor<4x2xf32>
    ```
  }];
  let arguments = (ins Graph_AnyTensor:$input, DenseI64ArrayAttr:$start,
                       DenseI64ArrayAttr:$stop, DenseI64ArrayAttr:$step);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_ConcatOp : Graph_Op<"concat",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "joins tensors along one dimension, like torch.cat";
  let description = [{
    All operands have the same rank and element type and agree on every
    dimension but `dim`.

    Example:
    ```mlir
    %c = graph.concat %a, %b {dim = 0 : i64} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<6x3xf32>
    ```
  }];
  let arguments = (ins Variadic<Graph_AnyTensor>:$inputs, I64Attr:$dim);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_ConstantOp : Graph_Op<"constant",
    [ConstantLike, Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "a constant tensor";
  let description = [{
    A tensor whose value is known when the graph is built. The result type is
    the attribute's type.

    Example:
    ```mlir
    %c = graph.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

def Graph_CastOp : Graph_Op<"cast", [Pure, SameOperandsAndResultShape]> {
  let summary = "converts the element type (f32, f64, i32, i64, i1)";
  let description = [{
    Converts each element like torch's `.to(dtype)`: floats to integers
    truncate toward zero, i1 becomes 0 or 1, and a nonzero value cast to i1 is
    true.

    Example:
    ```mlir
    %f = graph.cast %labels : tensor<?xi64> -> tensor<?xf32>
    ```
  }];
  let arguments = (ins Graph_AnyTensor:$input);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

#endif // GRAPHC_DIALECT_GRAPH_GRAPHOPS_TD
