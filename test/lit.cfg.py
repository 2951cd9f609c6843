# -*- Python -*-
# lit configuration for graphc's FileCheck tests (test/Dialect, test/Conversion, ...).

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "GRAPHC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.graphc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "e2e", "difftest", "Inputs", "goldens", "fuzz", "package"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
# CXX and LDFLAGS: how `graphc --emit=exe` links (make test-sanitize hands it
# a compiler that links the sanitizers' runtime); ASAN_OPTIONS for the
# instrumented tools there.
llvm_config.with_system_environment(
    ["HOME", "INCLUDE", "LIB", "TMP", "TEMP", "CXX", "LDFLAGS", "ASAN_OPTIONS", "UBSAN_OPTIONS"])
llvm_config.use_default_substitutions()

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.graphc_tools_dir, append_path=True)

tool_dirs = [config.graphc_tools_dir, config.llvm_tools_dir]
tools = ["graphc-opt", "graphc"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
