//===- Utils.h - helpers shared by the GraphToLinalg patterns ---*- C++ -*-===//
#ifndef GRAPHC_LIB_CONVERSION_GRAPHTOLINALG_UTILS_H
#define GRAPHC_LIB_CONVERSION_GRAPHTOLINALG_UTILS_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

namespace graphc::lowering {

/// Size of dimension `dim` of `tensor` as an index value (a constant when static).
mlir::Value dimSize(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tensor, int64_t dim);

/// tensor.empty of `type`; each dynamic dimension `i` takes `dynamicSize(i)`.
mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                        llvm::function_ref<mlir::Value(int64_t)> dynamicSize);

/// tensor.empty of `type` whose dynamic sizes come from the broadcast operands:
/// result dimension i takes the size of the first operand whose aligned
/// dimension i is dynamic.
mlir::Value createBroadcastEmpty(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::RankedTensorType type, mlir::ValueRange operands);

/// The indexing map that reads `operand` broadcast to `resultShape`
/// (right-aligned; size-1 dims that stretch read index 0).
mlir::AffineMap broadcastMap(mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> operandShape,
                             llvm::ArrayRef<int64_t> resultShape);

/// A scalar constant of `type` (float or integer) holding `value`.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type,
                           double value);

/// The lowest value of `type`: -inf for floats, the minimum for integers.
mlir::Value lowestValue(mlir::OpBuilder &b, mlir::Location loc, mlir::Type type);

/// linalg.fill of a fresh tensor.empty of `type` with `value`.
mlir::Value createFilled(mlir::OpBuilder &b, mlir::Location loc, mlir::RankedTensorType type,
                         mlir::Value value,
                         llvm::function_ref<mlir::Value(int64_t)> dynamicSize);

/// Zero-pads (or pads with `padValue`) the two trailing spatial dims of an NCHW tensor.
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                       llvm::ArrayRef<int64_t> padding, mlir::Value padValue);

/// The same with separate amounts before (`low`) and after (`high`) each of
/// the two spatial dims.
mlir::Value padSpatial(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                       llvm::ArrayRef<int64_t> low, llvm::ArrayRef<int64_t> high,
                       mlir::Value padValue);

/// Element count of the dims `dims` of `tensor` as a scalar of float `type`.
mlir::Value elementCount(mlir::OpBuilder &b, mlir::Location loc, mlir::Value tensor,
                         llvm::ArrayRef<int64_t> dims, mlir::Type type);

/// A linalg.generic applying `fn` to every element of `input` (same type).
mlir::Value mapElements(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                        llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                                       mlir::Value)>
                            fn);

/// tensor.expand_shape whose dynamic output sizes are read from `sizeSource`
/// (a tensor of the same rank as `resultType` or the source's sizes by group).
mlir::Value expandTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value source,
                     mlir::RankedTensorType resultType,
                     llvm::ArrayRef<mlir::ReassociationIndices> groups,
                     llvm::function_ref<mlir::Value(int64_t)> dynamicSize);

/// The window index `o` whose receptive field puts kernel offset `k` on
/// input position `pos` (o * stride - pad + k * dilation == pos), for the
/// gather form of convolution and pooling gradients. Returns {valid, o},
/// with o clamped to 0 where no such window exists, so loads stay in bounds.
std::pair<mlir::Value, mlir::Value> windowOf(mlir::OpBuilder &b, mlir::Location loc,
                                             mlir::Value pos, mlir::Value k, int64_t stride,
                                             int64_t pad, int64_t dilation, int64_t outSize);

/// acc + a * b for a reduction body, with the fast-math flags that let LLVM
/// fuse it into an FMA and reorder the sum (so reductions vectorize). The
/// result can differ from a strictly sequential sum in the last bits, as
/// PyTorch's blocked kernels do.
mlir::Value multiplyAccumulate(mlir::OpBuilder &b, mlir::Location loc, mlir::Value acc,
                               mlir::Value x, mlir::Value y);

} // namespace graphc::lowering

#endif // GRAPHC_LIB_CONVERSION_GRAPHTOLINALG_UTILS_H
