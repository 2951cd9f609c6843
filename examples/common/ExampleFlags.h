// The examples' command lines: llvm::cl, with every flag of the program in
// one category, so that --help lists those flags only. libLLVM and MLIR
// register hundreds of options of their own (--aarch64-neon-syntax, ...),
// which --help listed before them.
#ifndef GRAPHC_EXAMPLES_EXAMPLEFLAGS_H
#define GRAPHC_EXAMPLES_EXAMPLEFLAGS_H

#include "llvm/Support/CommandLine.h"

namespace example_flags {

/// The category of every flag an example declares (cl::cat(category())).
/// A function-local static: flags in other headers are constructed in an
/// unspecified order and must not find it unconstructed.
inline llvm::cl::OptionCategory &category() {
  static llvm::cl::OptionCategory flags("Flags");
  return flags;
}

/// ParseCommandLineOptions with only the program's flags (and --help,
/// --version) shown by --help.
inline void parse(int argc, char **argv, const char *overview) {
  llvm::cl::HideUnrelatedOptions(category());
  llvm::cl::ParseCommandLineOptions(argc, argv, overview);
}

} // namespace example_flags

#endif // GRAPHC_EXAMPLES_EXAMPLEFLAGS_H
