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
include "graphc/Dialect/Graph/GraphInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

/// Ops with a gradient rule (GradientRules.cpp).
defvar Graph_HasGradient = DeclareOpInterfaceMethods<Graph_GradientOpInterface>;

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
    Graph_Op<mnemonic, !listconcat(traits, [Pure, SameOperandsAndResultType, Graph_HasGradient])> {
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
def Graph_ErfOp : Graph_UnaryOp<"erf", Graph_FloatTensor, "erf(x)">;
// Rounding (gradient zero, as in PyTorch); round is half to even, as
// torch.round and ONNX's Round.
def Graph_FloorOp : Graph_UnaryOp<"floor", Graph_FloatTensor, "floor(x)">;
def Graph_CeilOp : Graph_UnaryOp<"ceil", Graph_FloatTensor, "ceil(x)">;
def Graph_RoundOp : Graph_UnaryOp<"round", Graph_FloatTensor, "x rounded half to even">;
// Trigonometric and hyperbolic functions.
def Graph_SinOp : Graph_UnaryOp<"sin", Graph_FloatTensor, "sin(x)">;
def Graph_CosOp : Graph_UnaryOp<"cos", Graph_FloatTensor, "cos(x)">;
def Graph_TanOp : Graph_UnaryOp<"tan", Graph_FloatTensor, "tan(x)">;
def Graph_AsinOp : Graph_UnaryOp<"asin", Graph_FloatTensor, "asin(x)">;
def Graph_AcosOp : Graph_UnaryOp<"acos", Graph_FloatTensor, "acos(x)">;
def Graph_AtanOp : Graph_UnaryOp<"atan", Graph_FloatTensor, "atan(x)">;
def Graph_SinhOp : Graph_UnaryOp<"sinh", Graph_FloatTensor, "sinh(x)">;
def Graph_CoshOp : Graph_UnaryOp<"cosh", Graph_FloatTensor, "cosh(x)">;
def Graph_AsinhOp : Graph_UnaryOp<"asinh", Graph_FloatTensor, "asinh(x)">;
def Graph_AcoshOp : Graph_UnaryOp<"acosh", Graph_FloatTensor, "acosh(x)">;
def Graph_AtanhOp : Graph_UnaryOp<"atanh", Graph_FloatTensor, "atanh(x)">;
// torch's x.detach(): the value itself, through which no gradient flows
// (the DSL's NoGradGuard detaches every operand recorded in its scope).
def Graph_DetachOp : Graph_UnaryOp<"detach", Graph_AnyTensor, "x, with no gradient">;

//===----------------------------------------------------------------------===//
// Elementwise binary ops with NumPy/PyTorch broadcasting
//===----------------------------------------------------------------------===//

class Graph_BroadcastingOp<string mnemonic, list<Trait> traits = []> :
    Graph_Op<mnemonic, !listconcat(traits,
        [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, Graph_HasGradient])> {
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
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, Graph_HasGradient]> {
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
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, Graph_HasGradient]> {
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
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, Graph_HasGradient]> {
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
    Graph_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, Graph_HasGradient]> {
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

def Graph_ReshapeOp : Graph_Op<"reshape", [Pure, Graph_HasGradient]> {
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
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, Graph_HasGradient]> {
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

def Graph_BroadcastToOp : Graph_Op<"broadcast_to", [Pure, Graph_HasGradient]> {
  let summary = "broadcasts to the result type's shape, like torch.broadcast_to / expand_as";
  let description = [{
    Stretches size-1 dimensions and adds leading dimensions so the operand
    takes the result's shape, following the broadcasting rule of the binary ops.
    A dynamic result dimension that the operand cannot supply (the operand
    has size 1 there) takes its size from the same dimension of `like`, which
    has the result's rank: this is how a gradient is spread back over a
    dynamic batch.

    Example:
    ```mlir
    %b = graph.broadcast_to %x : tensor<10xf32> -> tensor<3x10xf32>
    %g = graph.broadcast_to %dy like %x : tensor<f32>, tensor<?x10xf32> -> tensor<?x10xf32>
    ```
  }];
  let arguments = (ins Graph_AnyTensor:$input, Optional<Graph_AnyTensor>:$like);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = [{
    $input (`like` $like^)? attr-dict `:` type($input) (`,` type($like)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Type":$resultType, "::mlir::Value":$input), [{
      build($_builder, $_state, resultType, input, ::mlir::Value());
    }]>,
  ];
}

def Graph_SliceOp : Graph_Op<"slice",
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, Graph_HasGradient]> {
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
    [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, Graph_HasGradient]> {
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
    [ConstantLike, Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>, Graph_HasGradient]> {
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

def Graph_GatherOp : Graph_Op<"gather", [Pure, Graph_HasGradient]> {
  let summary = "rows of a table selected by integer indices (embedding lookup)";
  let description = [{
    `result[i..., j...] = table[indices[i...], j...]`: the result's sizes are
    the indices' followed by the table's after its first (torch's
    `F.embedding`, `table[indices]`). An index outside [0, rows) gives a row
    of zeros (PyTorch raises an IndexError; generated code cannot, so it
    stays in bounds). `padding_idx`, when given, is the row whose gradient is
    zero (`F.embedding`'s padding_idx); it does not change the result.

    Example:
    ```mlir
    %e = graph.gather %table, %ids : tensor<100x16xf32>, tensor<?x8xi64> -> tensor<?x8x16xf32>
    ```
  }];
  let arguments = (ins Graph_NumericTensor:$table, TensorOf<[I32, I64]>:$indices,
                       OptionalAttr<I64Attr>:$padding_idx);
  let results = (outs Graph_NumericTensor:$result);
  let assemblyFormat =
      "$table `,` $indices attr-dict `:` type($table) `,` type($indices) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_RandomUniformOp : Graph_Op<"random_uniform", [Pure, Graph_HasGradient]> {
  let summary = "uniform random numbers in [0, 1), counter-based (Philox4x32-10)";
  let description = [{
    A tensor of `like`'s shape (only its sizes are read) of independent
    uniform numbers in [0, 1). Element i (row-major) is a function of the
    generator state `state` = [seed, calls] and of `stream` alone:
    Philox4x32-10 with key (seed low 32 bits, seed high 32 bits) on counter
    (i low 32 bits, i high 32 bits, stream, calls low 32 bits); f32 takes the
    top 24 bits of the first word, f64 the top 53 bits of the first two.
    So the numbers do not depend on how the loop nest is split over threads
    or GPU blocks, two ops of one call (distinct streams) draw independent
    numbers, and a call with the next `calls` draws new ones: a training
    run is reproducible and resumable bit for bit from its state.

    Example:
    ```mlir
    %u = graph.random_uniform %x, %state {stream = 0 : i64}
        : tensor<?x128xf32>, tensor<2xi64> -> tensor<?x128xf32>
    ```
  }];
  let arguments = (ins Graph_AnyTensor:$like, TensorOf<[I64]>:$state, I64Attr:$stream);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat = "$like `,` $state attr-dict `:` type($like) `,` type($state) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_CastOp : Graph_Op<"cast", [Pure, SameOperandsAndResultShape, Graph_HasGradient]> {
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

//===----------------------------------------------------------------------===//
// Gradient primitives
//
// The backward passes of convolution, pooling and slicing cannot be written
// with the ops above without losing the dynamic batch (a conv's weight
// gradient as a conv puts the batch in the channel position) or without a
// scatter. They are primitives of their own, emitted by the gradient rules;
// they have no gradient rule themselves (no second derivatives).
//===----------------------------------------------------------------------===//

def Graph_Conv2DInputGradOp : Graph_Op<"conv2d_input_grad", [Pure]> {
  let summary = "gradient of conv2d with respect to its input";
  let description = [{
    Given `grad_output` `[N, O, OH, OW]` and the conv's weight
    `[O, C/groups, KH, KW]`, computes the gradient with respect to the input,
    whose type (`[N, C, H, W]`) is the result type. Attributes are the
    forward conv's.

    Example:
    ```mlir
    %dx = graph.conv2d_input_grad %dy, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>,
                                          dilation = array<i64: 1, 1>, groups = 1 : i64}
        : tensor<?x6x30x30xf32>, tensor<6x1x3x3xf32> -> tensor<?x1x32x32xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$grad_output, Graph_FloatTensor:$weight,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat =
      "$grad_output `,` $weight attr-dict `:` type($grad_output) `,` type($weight) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_Conv2DWeightGradOp : Graph_Op<"conv2d_weight_grad", [Pure]> {
  let summary = "gradient of conv2d with respect to its weight";
  let description = [{
    Given `grad_output` `[N, O, OH, OW]` and the conv's input `[N, C, H, W]`,
    computes the gradient with respect to the weight, whose type
    (`[O, C/groups, KH, KW]`) is the result type: the sum over the batch and
    the output positions. Attributes are the forward conv's.

    Example:
    ```mlir
    %dw = graph.conv2d_weight_grad %dy, %x {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>,
                                           dilation = array<i64: 1, 1>, groups = 1 : i64}
        : tensor<?x6x30x30xf32>, tensor<?x1x32x32xf32> -> tensor<6x1x3x3xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$grad_output, Graph_FloatTensor:$input,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       DenseI64ArrayAttr:$dilation, I64Attr:$groups);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat =
      "$grad_output `,` $input attr-dict `:` type($grad_output) `,` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_MaxPool2DGradOp : Graph_Op<"max_pool2d_grad", [Pure]> {
  let summary = "gradient of max_pool2d with respect to its input";
  let description = [{
    Routes each window's gradient to the position the forward max_pool2d
    takes its maximum from, as PyTorch does: the first (row-major within the
    window) holding the maximum, or the window's last NaN; a window of -inf
    only sends nothing. Positions in several windows sum their shares.
    `input` is the forward input; the result has its type.

    Example:
    ```mlir
    %dx = graph.max_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>,
                                        padding = array<i64: 0, 0>}
        : tensor<?x6x15x15xf32>, tensor<?x6x30x30xf32> -> tensor<?x6x30x30xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$grad_output, Graph_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel_size, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat =
      "$grad_output `,` $input attr-dict `:` type($grad_output) `,` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_AvgPool2DGradOp : Graph_Op<"avg_pool2d_grad", [Pure]> {
  let summary = "gradient of avg_pool2d with respect to its input";
  let description = [{
    Spreads each window's gradient evenly over the window (padding counted,
    as in the forward op). `input` is the forward input, read only for its
    shape; the result has its type.

    Example:
    ```mlir
    %dx = graph.avg_pool2d_grad %dy, %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>,
                                        padding = array<i64: 0, 0>}
        : tensor<?x6x15x15xf32>, tensor<?x6x30x30xf32> -> tensor<?x6x30x30xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$grad_output, Graph_FloatTensor:$input,
                       DenseI64ArrayAttr:$kernel_size, DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$padding);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat =
      "$grad_output `,` $input attr-dict `:` type($grad_output) `,` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_GatherGradOp : Graph_Op<"gather_grad", [Pure]> {
  let summary = "gradient of gather: each index's gradient added to its row";
  let description = [{
    `result[r, j...] = sum over i... with indices[i...] == r of
    grad_output[i..., j...]` (a scatter-add into `rows` rows, zero where no
    index points, and for the row `padding_idx`). The result is the
    gathered table's type.

    Example:
    ```mlir
    %dt = graph.gather_grad %dy, %ids {rows = 100 : i64}
        : tensor<?x8x16xf32>, tensor<?x8xi64> -> tensor<100x16xf32>
    ```
  }];
  let arguments = (ins Graph_FloatTensor:$grad_output, TensorOf<[I32, I64]>:$indices,
                       I64Attr:$rows, OptionalAttr<I64Attr>:$padding_idx);
  let results = (outs Graph_FloatTensor:$result);
  let assemblyFormat =
      "$grad_output `,` $indices attr-dict `:` type($grad_output) `,` type($indices) `->` type($result)";
  let hasVerifier = 1;
}

def Graph_SliceGradOp : Graph_Op<"slice_grad", [Pure]> {
  let summary = "gradient of slice: the slice's gradient placed in zeros";
  let description = [{
    The result (the sliced tensor's type) is zero except at the positions
    `start:stop:step` took, which hold `grad_output`. Dynamic dimensions
    were kept whole by the slice and take `grad_output`'s size.

    Example:
    ```mlir
    %dx = graph.slice_grad %dy {start = array<i64: 0, 1>, stop = array<i64: 4, 3>, step = array<i64: 1, 1>}
        : tensor<4x2xf32> -> tensor<4x3xf32>
    ```
  }];
  let arguments = (ins Graph_AnyTensor:$grad_output, DenseI64ArrayAttr:$start,
                       DenseI64ArrayAttr:$stop, DenseI64ArrayAttr:$step);
  let results = (outs Graph_AnyTensor:$result);
  let assemblyFormat = "$grad_output attr-dict `:` type($grad_output) `->` type($result)";
  let hasVerifier = 1;
}

#endif // GRAPHC_DIALECT_GRAPH_GRAPHOPS_TD
