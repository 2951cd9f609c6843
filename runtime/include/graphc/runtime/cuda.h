/* graphc runtime: the CUDA driver, loaded at run time.
 *
 * The runtime never links CUDA: libcuda.so.1 is opened with dlopen the first
 * time one of these functions is called, and every driver entry point is
 * looked up with cuGetProcAddress (as IREE's CUDA HAL does), so every CPU
 * path works on a machine without CUDA, and a CUDA program there gets an
 * error saying what is missing instead of a loader failure.
 *
 * graphc_cuda_is_available() is PyTorch's torch.cuda.is_available().
 */
#ifndef GRAPHC_RUNTIME_CUDA_H_
#define GRAPHC_RUNTIME_CUDA_H_

#include <stddef.h>
#include <stdint.h>

#include "graphc/runtime/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* NULL when a CUDA driver and at least one device are usable; otherwise
 * GRAPHC_UNAVAILABLE saying why: no driver library (the dlopen error), a
 * stub driver (the toolkit's stubs/libcuda.so, no real driver installed), a
 * driver older than CUDA 12, or no device; each with the driver's error name
 * and number. The driver is loaded and initialized once; later calls return
 * the same answer. GRAPHC_LIBCUDA names another library to load (tests). */
graphc_status_t graphc_cuda_check(void);

/* 1 when graphc_cuda_check() would return NULL, else 0. */
int32_t graphc_cuda_is_available(void);

/* The number of CUDA devices (0 without a usable driver). */
int32_t graphc_cuda_device_count(void);

/* Device `device`'s name ("NVIDIA H200"), NUL-terminated in `buffer`
 * (truncated to `size` bytes), and its compute capability (9.0 for sm_90). */
graphc_status_t graphc_cuda_device_info(int32_t device, char* buffer, size_t size,
                                        int32_t* out_major, int32_t* out_minor);

/* The driver's CUDA version (13000 for CUDA 13.0). */
graphc_status_t graphc_cuda_driver_version(int32_t* out_version);

#ifdef __cplusplus
}
#endif

#endif /* GRAPHC_RUNTIME_CUDA_H_ */
