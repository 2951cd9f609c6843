// libFuzzer target for the IDX reader (runtime/src/idx_reader.cc), plain and
// gzip-compressed: any bytes are written to a file and loaded; a tensor that
// loads is read to its end. A malformed or truncated file must give a status
// naming it, never a crash or a read past the data.
//
//   build/bin/idx_fuzzer -max_total_time=600 CORPUS_DIR
#include "graphc/runtime/data.h"
#include "graphc/runtime/tensor.h"

#include "FuzzInputFile.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = writeFuzzInputFile("idx", data, size);
  if (path.empty())
    return 0;
  graphc_tensor_t *tensor = nullptr;
  if (graphc_status_t status = graphc_idx_load(path.c_str(), &tensor)) {
    graphc_status_free(status);
    return 0;
  }
  volatile uint8_t sum = 0;
  const auto *bytes = static_cast<const uint8_t *>(graphc_tensor_data(tensor));
  for (size_t b = 0; b < graphc_tensor_nbytes(tensor); ++b)
    sum = sum + bytes[b];
  graphc_tensor_release(tensor);
  return 0;
}
