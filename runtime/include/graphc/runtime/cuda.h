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

/* Device memory for calling the entry points of a --target=cuda object
 * directly (a program object does this itself): every tensor pointer such an
 * entry point takes is device memory of device 0 (docs/gpu.md, "The C ABI").
 * Allocations are 256-byte aligned. */
graphc_status_t graphc_cuda_malloc(size_t bytes, void** out_device_pointer);
void graphc_cuda_free(void* device_pointer);
graphc_status_t graphc_cuda_copy_to_device(void* device_destination, const void* host_source,
                                           size_t bytes);
graphc_status_t graphc_cuda_copy_to_host(void* host_destination, const void* device_source,
                                         size_t bytes);

/* Why the last call of an entry point of a --target=cuda object on this
 * thread returned 4: no usable driver, a module the driver could not load
 * (with its JIT log), or a launch that failed, naming the kernel. NULL when
 * it did not fail. The caller frees the status. */
graphc_status_t graphc_cuda_last_error(void);

/* Called by the generated entry points of --target=cuda objects, not by
 * users: 0 or 4 (graphc_cuda_last_error says why); device memory for an
 * arena the caller did not pass (NULL when none is left). */
int32_t graphc_cuda_begin_call(void);
int32_t graphc_cuda_end_call(void);
void* graphc_cuda_arena_alloc(int64_t bytes);
void graphc_cuda_arena_free(void* device_pointer);

#ifdef __cplusplus
}
#endif

#endif /* GRAPHC_RUNTIME_CUDA_H_ */
