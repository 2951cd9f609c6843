// graphc runtime tooling: the flags of a standalone training executable
// (`graphc --train --emit=exe`), parsed apart from its main so that the
// parser can be tested and fuzzed (test/fuzz/StandaloneFlagsFuzzer.cpp).
#ifndef GRAPHC_RUNTIME_STANDALONE_FLAGS_HPP_
#define GRAPHC_RUNTIME_STANDALONE_FLAGS_HPP_

#include <cstdio>
#include <stdexcept>
#include <string>

#include "graphc/runtime/training.hpp"

namespace graphc::rt {

extern const char kStandaloneUsage[];  // printf format; %s is the program's name

struct StandaloneFlags {
  TrainingConfig config;
  int threads = 0;          // 0: OMP_NUM_THREADS, else every core
  bool batchGiven = false;  // --batch was given (a fixed-batch model keeps its own otherwise)
  bool reportStartup = false;
  bool cudaGraphs = true;   // --no-cuda-graphs: a --target=cuda model launches every kernel
  bool help = false;
};

// A flag the executable cannot take: the message names the flag, the value
// and what it expected ("--batch 5x: expected an integer from 1 to 16777216").
// The executable prints it and the usage and exits with 2.
class UsageError : public std::runtime_error {
 public:
  // `message` empty: getopt printed it already. `showUsage`: print the usage
  // line after it (an unknown flag or a stray argument).
  UsageError(const std::string& message, bool showUsage)
      : std::runtime_error(message), showUsage_(showUsage) {}
  bool showUsage() const { return showUsage_; }

 private:
  bool showUsage_;
};

// Parses argv (getopt_long: "--flag value" or "--flag=value"; getopt's own
// message for an unknown flag goes to stderr first). Throws UsageError;
// never exits.
StandaloneFlags parseStandaloneFlags(int argc, char** argv);

// The flags' help, one line each with its default (the executable's --help).
void printStandaloneFlags(std::FILE* out);

}  // namespace graphc::rt

#endif  // GRAPHC_RUNTIME_STANDALONE_FLAGS_HPP_
