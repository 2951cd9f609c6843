// libFuzzer target for a standalone training executable's flag parser
// (runtime/src/standalone_flags.cc): the input's bytes, split at newlines
// into at most 32 arguments, are parsed as argv. Any argument list must
// either parse or give a UsageError; never a crash, a read past an argument
// or an exit.
//
//   build/bin/standalone_flags_fuzzer -max_total_time=600 CORPUS_DIR
#include "graphc/runtime/standalone_flags.hpp"

#include <getopt.h>

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<std::string> args{"model"};
  std::string current;
  for (size_t i = 0; i < size && args.size() < 32; ++i) {
    if (data[i] == '\n') {
      args.push_back(current);
      current.clear();
    } else if (data[i] != '\0') { // argv strings end at their first NUL
      current.push_back(static_cast<char>(data[i]));
    }
  }
  if (!current.empty() && args.size() < 32)
    args.push_back(current);
  std::vector<char *> argv;
  for (std::string &arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  // getopt reports an unknown flag on stderr; keep the fuzzer's log readable.
  opterr = 0;
  try {
    graphc::rt::StandaloneFlags flags =
        graphc::rt::parseStandaloneFlags(static_cast<int>(args.size()), argv.data());
    (void)flags;
  } catch (const graphc::rt::UsageError &) {
  }
  return 0;
}
