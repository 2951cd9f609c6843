// The runtime's readers take a path: a fuzz input goes to a scratch file of
// the process first (shared by the reader fuzz targets).
#ifndef GRAPHC_TEST_FUZZ_FUZZINPUTFILE_H
#define GRAPHC_TEST_FUZZ_FUZZINPUTFILE_H

#include <cstdint>
#include <cstdio>
#include <string>
#include <unistd.h>

/// Writes `data` to /tmp/graphc_NAME_fuzz_PID and returns the path, or an
/// empty string when it cannot.
inline std::string writeFuzzInputFile(const char *name, const uint8_t *data, size_t size) {
  std::string path = std::string("/tmp/graphc_") + name + "_fuzz_" +
                     std::to_string(static_cast<long>(::getpid()));
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    return "";
  bool written = std::fwrite(data, 1, size, f) == size;
  written &= std::fclose(f) == 0;
  return written ? path : "";
}

#endif // GRAPHC_TEST_FUZZ_FUZZINPUTFILE_H
