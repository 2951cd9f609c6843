// The CUDA driver as the runtime uses it inside (cuda_driver.cc loads it;
// cuda_launch.cc and program_cuda.cc call it). Not installed.
//
// The driver types are declared by hand instead of including the toolkit's
// cuda.h, so the runtime builds without CUDA: they are the driver API's
// stable C ABI (handles are pointers, CUdeviceptr a 64-bit integer, CUresult
// an int; the option and error numbers are fixed by NVIDIA's headers).
#ifndef GRAPHC_RUNTIME_SRC_CUDA_INTERNAL_H_
#define GRAPHC_RUNTIME_SRC_CUDA_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "graphc/runtime/status.h"

namespace graphc::rt::cuda {

using CUresult = int;
using CUdevice = int;
using CUcontext = struct CUctx_st*;
using CUmodule = struct CUmod_st*;
using CUfunction = struct CUfunc_st*;
using CUstream = struct CUstream_st*;
using CUevent = struct CUevent_st*;
using CUgraph = struct CUgraph_st*;
using CUgraphExec = struct CUgraphExec_st*;
using CUdeviceptr = unsigned long long;

constexpr CUresult kSuccess = 0;

// Every driver entry point graphc calls, looked up once.
struct Driver {
  void* library = nullptr;
  CUresult (*getProcAddress)(const char*, void**, int, uint64_t, int*) = nullptr;
  CUresult (*init)(unsigned) = nullptr;
  CUresult (*driverGetVersion)(int*) = nullptr;
  CUresult (*deviceGetCount)(int*) = nullptr;
  CUresult (*deviceGet)(CUdevice*, int) = nullptr;
  CUresult (*deviceGetName)(char*, int, CUdevice) = nullptr;
  CUresult (*deviceGetAttribute)(int*, int, CUdevice) = nullptr;
  CUresult (*primaryCtxRetain)(CUcontext*, CUdevice) = nullptr;
  CUresult (*ctxSetCurrent)(CUcontext) = nullptr;
  CUresult (*moduleLoadDataEx)(CUmodule*, const void*, unsigned, int*, void**) = nullptr;
  CUresult (*moduleGetFunction)(CUfunction*, CUmodule, const char*) = nullptr;
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, CUstream, void**, void**) = nullptr;
  CUresult (*memAlloc)(CUdeviceptr*, size_t) = nullptr;
  CUresult (*memFree)(CUdeviceptr) = nullptr;
  CUresult (*memHostAlloc)(void**, size_t, unsigned) = nullptr;
  CUresult (*memFreeHost)(void*) = nullptr;
  CUresult (*memcpyHtoDAsync)(CUdeviceptr, const void*, size_t, CUstream) = nullptr;
  CUresult (*memcpyDtoHAsync)(void*, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*memsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream) = nullptr;
  CUresult (*streamCreate)(CUstream*, unsigned) = nullptr;
  CUresult (*streamDestroy)(CUstream) = nullptr;
  CUresult (*streamSynchronize)(CUstream) = nullptr;
  CUresult (*streamWaitEvent)(CUstream, CUevent, unsigned) = nullptr;
  CUresult (*eventCreate)(CUevent*, unsigned) = nullptr;
  CUresult (*eventDestroy)(CUevent) = nullptr;
  CUresult (*eventRecord)(CUevent, CUstream) = nullptr;
  CUresult (*eventSynchronize)(CUevent) = nullptr;
  CUresult (*streamBeginCapture)(CUstream, int) = nullptr;
  CUresult (*streamEndCapture)(CUstream, CUgraph*) = nullptr;
  CUresult (*graphInstantiate)(CUgraphExec*, CUgraph, unsigned long long) = nullptr;
  CUresult (*graphLaunch)(CUgraphExec, CUstream) = nullptr;
  CUresult (*graphDestroy)(CUgraph) = nullptr;
  CUresult (*graphExecDestroy)(CUgraphExec) = nullptr;
  int version = 0;
  int devices = 0;
  CUcontext context = nullptr;  // device 0's primary context
  std::string unavailable;      // why CUDA cannot be used; empty when it can
};

// Loads and initializes the driver and device 0's primary context once;
// `unavailable` says why when that failed.
const Driver& driver();

// "CUDA_ERROR_ILLEGAL_ADDRESS (700)".
std::string describe(CUresult result);

// NULL, or GRAPHC_UNAVAILABLE saying why CUDA cannot be used; makes graphc's
// context current on the calling thread.
graphc_status_t useContext();

// What the generated entry points' launches run on, for the calling thread
// (cuda_launch.cc): the stream, and whether it is being captured into a CUDA
// graph (a capture must not synchronize).
struct CallState {
  CUstream stream = nullptr;
  bool capturing = false;
  std::string error;  // the first failure of the current call; empty: none
};
CallState& callState();

}  // namespace graphc::rt::cuda

#endif  // GRAPHC_RUNTIME_SRC_CUDA_INTERNAL_H_
