//===- BufferViews.h - the buffer a memref view is a view of --------------===//
//
// Shared by the passes on buffers that reason about which memory a view
// touches (graphc-fold-transposes-into-consumers, graphc-sink-into-kernels,
// graphc-vectorize-row-copies).
//
//===----------------------------------------------------------------------===//

#ifndef GRAPHC_TRANSFORMS_BUFFERVIEWS_H
#define GRAPHC_TRANSFORMS_BUFFERVIEWS_H

#include "mlir/Interfaces/ViewLikeInterface.h"

namespace graphc::buffer_views {

/// The buffer `value` is a view of through any chain of views (subviews,
/// casts, reshapes): an allocation, a global's address, an argument, or
/// whatever else produced it.
inline mlir::Value rootOf(mlir::Value value) {
  while (auto view = value.getDefiningOp<mlir::ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

} // namespace graphc::buffer_views

#endif // GRAPHC_TRANSFORMS_BUFFERVIEWS_H
