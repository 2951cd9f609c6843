// libFuzzer target for the safetensors reader (runtime/src/safetensors_reader.cc):
// any bytes are written to a file and loaded; when they load, every tensor
// and every metadata entry is read. A malformed file must give a status
// naming the problem, never a crash or a read past the data.
//
//   build/bin/safetensors_fuzzer -max_total_time=600 CORPUS_DIR
#include "graphc/runtime/safetensors.h"
#include "graphc/runtime/tensor.h"

#include "FuzzInputFile.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = writeFuzzInputFile("safetensors", data, size);
  if (path.empty())
    return 0;
  graphc_safetensors_t *file = nullptr;
  if (graphc_status_t status = graphc_safetensors_load(path.c_str(), &file)) {
    graphc_status_free(status);
    return 0;
  }
  for (size_t i = 0; i < graphc_safetensors_count(file); ++i) {
    graphc_tensor_t *tensor = nullptr; // borrowed from the file
    if (graphc_status_t status =
            graphc_safetensors_get(file, graphc_safetensors_name(file, i), &tensor)) {
      graphc_status_free(status);
      continue;
    }
    // Touch every byte: a tensor must lie inside the file's data.
    volatile uint8_t sum = 0;
    const auto *bytes = static_cast<const uint8_t *>(graphc_tensor_data(tensor));
    for (size_t b = 0; b < graphc_tensor_nbytes(tensor); ++b)
      sum = sum + bytes[b];
  }
  for (size_t i = 0; i < graphc_safetensors_metadata_count(file); ++i)
    (void)graphc_safetensors_metadata(file, graphc_safetensors_metadata_key(file, i));
  graphc_safetensors_release(file);
  return 0;
}
