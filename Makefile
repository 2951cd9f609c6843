# graphc's front door. `make demo` and `make test` work on a fresh machine:
# both install what is missing (scripts/bootstrap.sh), configure, and build.
BUILD_DIR ?= build
# ccache: paths under the checkout hash as relative ones, so a fresh clone (CI)
# reuses what an earlier build of any clone compiled.
export CCACHE_BASEDIR ?= $(CURDIR)
JOBS ?= 2
LLVM_DIR ?= /usr/lib/llvm-19
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DMLIR_DIR=$(LLVM_DIR)/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=$(LLVM_DIR)/build/utils/lit/lit.py \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DLLVM_USE_LINKER=lld

.PHONY: all bootstrap configure build test test-sanitize demo clean

all: build

bootstrap:
	@bash scripts/bootstrap.sh

$(BUILD_DIR)/build.ninja: CMakeLists.txt | bootstrap
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

configure: bootstrap $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Every test: GoogleTest suites, the lit suite and the examples, through CTest.
test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# Every test again in an AddressSanitizer + UndefinedBehaviorSanitizer build
# (its own build directory; about 40 minutes to build on two cores, so not
# part of `make test`). CXX and LDFLAGS reach the tests that link outside the
# build (graphc --emit=exe, the installed package).
SANITIZE_DIR ?= build-sanitize
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize=vptr
test-sanitize: bootstrap
	cmake -S . -B $(SANITIZE_DIR) $(CMAKE_FLAGS) \
	  -DCMAKE_C_FLAGS="$(SANITIZE_FLAGS)" -DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS)"
	# allow_user_poisoning=0: graphc's sources are instrumented, Debian's MLIR
	# and LLVM libraries are not, and LLVM's inline allocator code poisons
	# memory in one and not the other (a false use-after-poison inside MLIR's
	# context setup; test/fuzz/GraphParserFuzzer.cpp). Heap, stack and UB
	# checks stay on. The build needs it too: it runs the instrumented graphc
	# to make the examples' models.
	ASAN_OPTIONS=allow_user_poisoning=0 cmake --build $(SANITIZE_DIR) -j $(JOBS)
	printf '#!/bin/sh\nexec clang++-19 $(SANITIZE_FLAGS) "$$@"\n' > $(SANITIZE_DIR)/cxx-sanitize
	chmod +x $(SANITIZE_DIR)/cxx-sanitize
	cd $(SANITIZE_DIR) && CXX=$(CURDIR)/$(SANITIZE_DIR)/cxx-sanitize \
	  ASAN_OPTIONS=allow_user_poisoning=0 \
	  LDFLAGS="$(SANITIZE_FLAGS)" ctest --output-on-failure -j $(JOBS)

# The main job: train the seeds' LeNet-style CNN on Fashion-MNIST (one epoch
# of Adam by default; DEMO_FLAGS="--epochs 5" for more) with a standalone
# executable that graphc builds: the DSL traces the model (lenet_train
# --emit-graph), `graphc --train --emit=exe` compiles it with its training
# step, and build/demo/lenet trains it. Writes build/demo/lenet.safetensors
# and build/demo/metrics.jsonl (with metrics.svg beside it).
DEMO_FLAGS ?= --epochs 1
demo: build
	@mkdir -p $(BUILD_DIR)/demo
	$(BUILD_DIR)/bin/lenet_train --emit-graph $(BUILD_DIR)/demo/lenet.mlir
	$(BUILD_DIR)/bin/graphc $(BUILD_DIR)/demo/lenet.mlir --train --loss=cross_entropy \
	  --optimizer=adam --emit=exe -o $(BUILD_DIR)/demo/lenet
	$(BUILD_DIR)/demo/lenet $(DEMO_FLAGS) --lr 0.001 --batch 64 \
	  --save $(BUILD_DIR)/demo/lenet.safetensors --metrics $(BUILD_DIR)/demo/metrics.jsonl

clean:
	rm -rf $(BUILD_DIR)
