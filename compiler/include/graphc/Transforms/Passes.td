//===- Passes.td - graphc transform passes -----------------*- tablegen -*-===//

#ifndef GRAPHC_TRANSFORMS_PASSES_TD
#define GRAPHC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def StridedCopyToLinalg : Pass<"graphc-strided-copy-to-linalg", "mlir::func::FuncOp"> {
  let summary = "Rewrites memref.copy between non-contiguous buffers as linalg.copy";
  let description = [{
    The LLVM lowering of a memref.copy that is not between two contiguous
    (identity-layout) buffers calls `memrefCopy` from MLIR's C runner
    utilities, a library graphc's JIT and standalone executables do not
    carry. As a linalg.copy the copy becomes plain loops instead. Contiguous
    copies are left alone: they lower to llvm.memcpy, unless `all-copies` is
    set (the CUDA pipeline: a copy between device buffers is a kernel like
    any other loop nest).
  }];
  let options = [
    Option<"allCopies", "all-copies", "bool", /*default=*/"false",
           "Rewrite contiguous copies too">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def Autodiff : Pass<"graphc-autodiff", "mlir::ModuleOp"> {
  let summary = "Appends reverse-mode gradient functions to the module";
  let description = [{
    For every public function with arguments marked `graph.requires_grad`,
    adds `<name>_grad`: the same arguments, plus a trailing `grad_output`
    argument of the first result's type unless that result is a scalar
    (then the seed is 1, as `loss.backward()`). It returns the original
    results followed by the gradient of the first result with respect to
    each marked argument, in argument order, each named
    `graph.name = "grad.<argument name>"`.

    The backward graph is built by walking the forward ops in reverse and
    calling each op's gradient rule (GradientOpInterface), summing the
    contributions of values used more than once. Only ops on a path from a
    marked argument to the result are differentiated; an op on such a path
    without a rule fails the pass with an error naming it.
  }];
  let options = [
    Option<"suffix", "suffix", "std::string", /*default=*/"\"_grad\"",
           "Name suffix of the generated gradient functions">,
  ];
}

def Optimizer : Pass<"graphc-optimizer", "mlir::ModuleOp"> {
  let summary = "Builds the training step: loss, gradients and the optimizer update";
  let description = [{
    From `<function>` (the loss) and `<function>_grad` (from --graphc-autodiff),
    builds `train_step`, one function that computes the loss, the gradients
    and PyTorch's update for every argument marked `graph.requires_grad`:

      train_step(inputs..., params..., state..., step: f64, lr: f64)
          -> (loss, params'..., state'..., step + 1)

    SGD (momentum, dampening, nesterov, weight_decay; a momentum buffer per
    parameter), Adam and AdamW (betas, eps, weight_decay, bias correction;
    exp_avg and exp_avg_sq per parameter), RMSprop (alpha, eps, weight_decay,
    momentum, centered; square_avg, then momentum_buffer and grad_avg when
    used) and Adagrad (lr_decay, weight_decay, initial_accumulator_value,
    eps; sum) follow torch.optim's single-tensor formulas. State arguments are named `<state>.<parameter>`, so a
    checkpoint can hold them. `step` counts completed steps (PyTorch's
    state['step']); the learning rate is an argument, so schedules need no
    recompilation. Each updated value is returned with
    `graph.updates_argument = i`, which --graphc-update-in-place turns into a
    write into argument i's buffer.

    With `data-parallel`, the same step is also built in two halves, for
    data-parallel training (docs/distributed.md), which sums the gradients
    of every process between them:

      train_step_gradients(inputs..., params...)
          -> (loss, new buffer and generator state..., gradients...)
      train_step_apply(params..., state..., gradients..., step, lr)
          -> (params'..., state'..., step + 1)

    Gradients are results and arguments with `graph.role = gradient`, named
    after their parameter. The new values of buffers (BatchNorm's running
    statistics) and of the generator state are results with their role and
    name, not written in place: the caller decides which process's values
    the model keeps.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"forward\"",
           "The loss function (its gradient function must exist)">,
    Option<"dataParallel", "data-parallel", "bool", /*default=*/"false",
           "Also build train_step_gradients and train_step_apply">,
    Option<"optimizer", "optimizer", "std::string", /*default=*/"\"sgd\"",
           "sgd, adam, adamw, rmsprop or adagrad">,
    Option<"momentum", "momentum", "double", /*default=*/"0.0", "SGD and RMSprop momentum">,
    Option<"dampening", "dampening", "double", /*default=*/"0.0", "SGD dampening">,
    Option<"nesterov", "nesterov", "bool", /*default=*/"false", "SGD Nesterov momentum">,
    Option<"weightDecay", "weight-decay", "double", /*default=*/"-1.0",
           "L2 penalty (decoupled for adamw); -1 means the optimizer's default "
           "(0, or 0.01 for adamw)">,
    Option<"beta1", "beta1", "double", /*default=*/"0.9", "Adam beta1">,
    Option<"beta2", "beta2", "double", /*default=*/"0.999", "Adam beta2">,
    Option<"eps", "eps", "double", /*default=*/"-1.0",
           "Epsilon of Adam, AdamW, RMSprop and Adagrad; -1 means the optimizer's "
           "default (1e-8, or 1e-10 for adagrad)">,
    Option<"alpha", "alpha", "double", /*default=*/"0.99", "RMSprop smoothing constant">,
    Option<"centered", "centered", "bool", /*default=*/"false",
           "RMSprop: normalize by the gradient's estimated variance">,
    Option<"lrDecay", "lr-decay", "double", /*default=*/"0.0", "Adagrad learning-rate decay">,
    Option<"initialAccumulatorValue", "initial-accumulator-value", "double",
           /*default=*/"0.0", "Adagrad: the sum's starting value">,
  ];
}

def UpdateInPlace : Pass<"graphc-update-in-place", "mlir::func::FuncOp"> {
  let summary = "Makes updated values write into the argument they replace";
  let description = [{
    Runs on linalg-on-tensors, before bufferization. For every result marked
    `graph.updates_argument = i` that an elementwise linalg.generic computes
    into a fresh tensor.empty, the generic's output becomes argument i
    itself and the argument is marked writable. One-shot bufferization then
    writes the update into the caller's buffer (it still copies if the old
    value is read afterwards), and dropping equivalent results removes the
    result from the compiled signature: parameters and optimizer state are
    updated in place, with no copy per step. An argument returned unchanged
    as an ordinary result is copied, so that only marked results are dropped.
  }];
  let dependentDialects = ["mlir::bufferization::BufferizationDialect"];
}

def SequentializeNestedParallel : Pass<"graphc-sequentialize-nested-parallel", "mlir::func::FuncOp"> {
  let summary = "Turns scf.parallel loops nested in another scf.parallel into scf.for";
  let description = [{
    Only the outermost parallel loop of each loop nest becomes an OpenMP
    parallel region (--convert-scf-to-openmp); an inner parallel loop would
    otherwise open a nested region on every iteration of the loops around
    it, which costs far more than it can save. The inner loops run
    sequentially inside each thread instead.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect"];
}

def SequentializeSmallParallel : Pass<"graphc-sequentialize-small-parallel", "mlir::func::FuncOp"> {
  let summary = "Runs an outermost scf.parallel whose work is known to be small as scf.for";
  let description = [{
    Each outermost scf.parallel becomes an OpenMP parallel region, whose
    fork and join cost more than a small loop saves. A loop nest whose work,
    counted in element operations (each op once per iteration of the loops
    around it, a vector op once per element), is known at compile time to be
    below `min-work` becomes a nest of scf.for that runs on the calling
    thread. A loop with a bound that is not a constant stays parallel, as do
    loops with reductions.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"65536",
           "Element operations below which a loop nest runs on one thread">,
  ];
  let dependentDialects = ["mlir::scf::SCFDialect"];
}

def MergeParallelRegions : Pass<"graphc-merge-parallel-regions", "mlir::ModuleOp"> {
  let summary = "Runs consecutive OpenMP parallel regions of a function as one region";
  let description = [{
    In each function's body, consecutive omp.parallel ops without clauses
    become one region: the ops between two regions that are free of side
    effects (or allocations) with operands available before the first region
    move before it; the others run on thread 0 (`omp_get_thread_num() ==
    0`, an scf.if) between a barrier and a barrier; each later region's body
    follows the one before it, after a barrier where that one does not end
    with one (a worksharing loop without nowait, or a loop of them, already
    does). So every thread finishes a region's work before any starts the
    next, as the join and the fork made them, and the serial ops run once,
    in order, in between: results are unchanged, and bitwise so, since each
    loop splits its iterations as before. A run stops before ops that open a
    parallel region (they would nest, serialized) or compute a value that
    something after them uses (only thread 0 would have it), and before a
    region that would take the merged region past `max-ops` ops. A fork and
    join cost about twice a barrier inside a region (bench/omp_fork_join.c).
  }];
  let options = [
    Option<"maxOps", "max-ops", "int64_t", /*default=*/"1500",
           "The most ops a merged region holds (its regions' and gaps' ops, nested "
           "ones included): LLVM compiles one large function more slowly than the "
           "same code in several">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::func::FuncDialect",
                           "mlir::omp::OpenMPDialect", "mlir::scf::SCFDialect"];
}

def PartitionWorksharingLoops : Pass<"graphc-partition-worksharing-loops", "mlir::ModuleOp"> {
  let summary = "Computes each thread's share of a static worksharing loop in the generated code";
  let description = [{
    An omp.wsloop with the default static schedule (no chunk) and no clause
    that needs the runtime (reductions, linear, ordered, order, simd), over
    one induction variable with a positive constant step, inside an
    omp.parallel, becomes an scf.for over the calling thread's iterations
    and an omp.barrier (none if the loop was nowait). The thread and the
    team size come from `omp_get_thread_num` and `omp_get_num_threads`,
    called once at the region's entry. The split is libomp's balanced static
    one (trips / threads each, the first trips % threads threads one more,
    in thread order), the same as its default for two threads; every
    iteration computes what it did, so results are bit-identical for every
    thread count. Why: Debian's libomp (LLVM 19) is built with KMP_DEBUG,
    and every `__kmpc_for_static_init` formats its trace message (malloc,
    vsnprintf, free) before checking whether tracing is on: 6 % of the
    samples of a 4.4 us matmul (op_bench, the MLP's fc3 input gradient),
    about 0.3 us per loop and thread. Loops with more induction variables
    (collapsed) or other schedules are left to the runtime.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::func::FuncDialect",
                           "mlir::omp::OpenMPDialect", "mlir::scf::SCFDialect"];
}

def HoistParallelRegions : Pass<"graphc-hoist-parallel-regions", "mlir::func::FuncOp"> {
  let summary = "Runs an scf.for around an OpenMP parallel region inside one region instead";
  let description = [{
    A weight gradient in lanes with few position blocks an image
    (--graphc-tile-convolutions) is a loop over chunks of images around a
    parallel loop over output-channel blocks; after
    --convert-scf-to-openmp each chunk forks the team and joins it (LeNet's
    step at batch 256: 32 regions of about 33 us per weight gradient, and
    two threads ran conv2's only 1.3x faster than one). An scf.for whose
    body is side-effect-free ops and one omp.parallel (no clauses) whose own
    body is side-effect-free ops and one omp.wsloop ending in its implicit
    barrier (not nowait) becomes one omp.parallel around the scf.for: every
    thread runs the loop, each iteration's worksharing loop splits its
    iterations as before, and its barrier keeps iteration k + 1 from starting
    before every thread has finished k, as the join did. The same static
    schedule gives each thread the same iterations: results are bit-identical
    for every thread count. Applied from the innermost loop out, so a nest of
    such loops becomes one region. On LeNet it bought a few percent of each
    weight gradient on two threads: the fork and join were not what keeps
    them from scaling (docs/performance.md).
  }];
  let dependentDialects = ["mlir::omp::OpenMPDialect"];
}

def SequentializeInnermostDim : Pass<"graphc-sequentialize-innermost-dim", "mlir::func::FuncOp"> {
  let summary = "Runs the innermost dimension of a multi-dimensional scf.parallel as an scf.for";
  let description = [{
    --convert-scf-to-openmp collapses every dimension of an scf.parallel
    into one OpenMP loop, whose iteration recovers each index with a
    division and a remainder: the innermost, contiguous dimension is then no
    loop of its own, and LLVM vectorizes nothing (an elementwise op, a fill
    or a copy runs one element at a time). This pass keeps the outer
    dimensions parallel and moves the innermost one into an scf.for inside
    them, which LLVM vectorizes. Loops with reductions, and loops nested in
    another scf.parallel (see --graphc-sequentialize-nested-parallel), are
    left alone.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect"];
}

def LowerReductionsToLoops : Pass<"graphc-lower-reductions-to-loops", "mlir::func::FuncOp"> {
  let summary = "Lowers a reduction linalg.generic on buffers to loops that carry its accumulators in registers";
  let description = [{
    --convert-linalg-to-parallel-loops lowers a reduction (a bias gradient's
    sum over images and positions, a softmax row's sum) to loops whose
    innermost body loads the output element, adds one input element and
    stores it back: a chain through memory that LLVM neither promotes to a
    register (the output and the inputs may alias, as far as it can tell)
    nor vectorizes, about 5 cycles per element. This pass lowers each
    generic on buffers whose innermost loop is a reduction itself:

    - its parallel dimensions (in their order) become one scf.parallel, the
      reduction dimensions (in theirs) nested scf.for loops inside it;
    - each output element is loaded once before the reduction loops,
      carried through them as an iter_arg and stored once after them;
    - trailing reduction dimensions that are contiguous in every input that
      reads them (a row of an image: height and width) become one loop over
      a collapsed view, so the innermost loop is long;
    - the op that combines an accumulator with the next value (an addf, a
      mulf, a maximumf or minimumf whose operand is the accumulator) gets the
      `reassoc` fast-math flag, which lets LLVM's loop vectorizer keep
      partial sums in vector lanes.

    The order in which the partial sums are added depends only on the
    loop's trip count and the target's vector width, never on the thread
    count: each output element is computed by one thread, as before.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect", "mlir::memref::MemRefDialect",
                           "mlir::affine::AffineDialect", "mlir::arith::ArithDialect"];
}

def InlineAllocaScopes : Pass<"graphc-inline-alloca-scopes", "mlir::func::FuncOp"> {
  let summary = "Inlines memref.alloca_scope regions that allocate nothing";
  let description = [{
    --convert-scf-to-openmp wraps every parallel loop body in a
    memref.alloca_scope, whose region must stay a single block; lowering the
    sequential loops inside it to branches then breaks it. graphc's loop
    bodies allocate nothing on the stack (buffers are allocated once, outside
    the loops), so the scope is only a wrapper: its body moves out and the
    scope goes away. A scope holding a memref.alloca is left alone.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def PlanTemporaryArena : Pass<"graphc-plan-temporary-arena", "mlir::func::FuncOp"> {
  let summary = "Places a function's temporary buffers in one preplanned arena";
  let description = [{
    After bufferization every temporary is its own memref.alloc (malloc) and
    memref.dealloc (free): a training step of LeNet makes dozens of heap
    calls per batch. This pass gathers the statically shaped temporaries
    that are allocated and freed in the function's entry block, gives each a
    byte offset in one arena (first fit over the live intervals, so buffers
    whose lifetimes do not overlap share memory, 64-byte aligned), and
    replaces them with memref.view ops of that arena. The arena is one
    allocation at entry, freed before each return. Buffers that are returned
    (the caller owns them), dynamically shaped, allocated inside loops or
    freed conditionally keep their own allocation.

    With `arena-argument`, a public function takes its arena from the caller
    instead, so that a program object can allocate it once and reuse it for
    every call: the arena becomes a trailing `memref<?xi8>` argument (marked
    `graph.arena`, 64-byte aligned by the caller), and the function's
    `graph.arena_bytes = [perBatch, fixed]` says how many bytes it needs for
    a batch B: perBatch * B + fixed. That needs the batch to be the size of a
    dynamic argument dimension (every dynamic size of the C interface is the
    batch); otherwise the function keeps allocating its arena itself.
  }];
  let options = [
    Option<"arenaArgument", "arena-argument", "bool", /*default=*/"false",
           "Take the arena from the caller as a trailing argument (public functions)">,
  ];
  let dependentDialects = ["mlir::memref::MemRefDialect", "mlir::arith::ArithDialect"];
}

def SpecializeBatch : Pass<"graphc-specialize-batch", "mlir::ModuleOp"> {
  let summary = "Gives a function's dynamic batch a static size";
  let description = [{
    Gives the batch B of `function` the static size `batch` (the driver's
    --batch=N): every dynamic size of every value, which the batch-multiple
    analysis (BatchMultiples.h) knows as k*B, becomes k*batch, so the
    lowering sees static shapes throughout.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"forward\"",
           "The function to specialize">,
    Option<"batch", "batch", "int64_t", /*default=*/"1", "The static batch size">,
  ];
}

def SpecializeMicroBatch : Pass<"graphc-specialize-micro-batch", "mlir::ModuleOp"> {
  let summary = "Adds the data-parallel step's first half at a static part size";
  let description = [{
    Clones `train_step_gradients` (the first half of the data-parallel step,
    --graphc-optimizer's data-parallel option) as
    `train_step_micro_gradients`, with its dynamic batch the static `rows`
    (as --graphc-specialize-batch). The runtime computes a larger batch's
    gradients as the row-weighted sum of those of its parts of `rows` rows
    (graphc_program_gradients), the last part of fewer rows through the
    dynamic half: a step's activations then fit the caches at any batch.
    `train_step` is erased: the step runs as its halves
    (graphc_program_train_step). Refused at the function when the half
    returns buffers or generator state (BatchNorm, Dropout), which couple
    the batch's rows, or gradients other than float32 (the runtime's sum),
    or when its batch is static.
  }];
  let options = [
    Option<"rows", "rows", "int64_t", /*default=*/"64", "Rows per part">,
  ];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def FoldTransposedProducts : Pass<"graphc-fold-transposed-products", "mlir::func::FuncOp"> {
  let summary = "Computes a transposed matmul result as the product of the transposed operands";
  let description = [{
    `graph.transpose(graph.matmul(a, b))` with the last two dimensions
    swapped becomes `graph.matmul(transpose(b), transpose(a))` ((A B)^T =
    B^T A^T), where a transpose of an operand that is itself such a
    transpose is its input. Autodiff writes the gradient of `x . W^T` with
    respect to `W` as `transpose(matmul(transpose(x), dy))`: it becomes
    `matmul(transpose(dy), x)`, one transpose of the output gradient instead
    of the input's and the result's. Only a matmul with no other use, both
    operands of the result's rank (2-D or batched on both sides), and a
    product whose shape is the transpose's by the shape rules. Each element
    is the same sum of the same products in the same order.
  }];
  let dependentDialects = ["graphc::graph::GraphDialect"];
}

def MaskPooledGradients : Pass<"graphc-mask-pooled-gradients", "mlir::func::FuncOp"> {
  let summary = "Applies a mask over a max pooling's input gradient to its windows instead";
  let description = [{
    `graph.select(cmp(x, t), 0, graph.max_pool2d_grad(dy, x))` (the zero
    either side; `cmp` any comparison, `t` rank-0; the zero +0.0) becomes
    `graph.max_pool2d_grad(graph.select(cmp(m, t), 0, dy), x)`, `m` the
    windows' maxima (the forward pass's `graph.max_pool2d` of `x` with the
    same attributes, or a new one). Autodiff writes the first form for a
    ReLU before a max pooling: the mask over the input's resolution becomes
    one over the windows. Only a pooling gradient with no other use. The
    position that gets a window's gradient holds exactly the value the
    forward pass took as its maximum, so results are bitwise unchanged.
  }];
  let dependentDialects = ["graphc::graph::GraphDialect"];
}

def UnfoldWindowColumns : Pass<"graphc-unfold-window-columns", "mlir::func::FuncOp"> {
  let summary = "Computes a narrow-row convolution as one over column-shifted copies of its input";
  let description = [{
    A stride-1, dilation-1, one-group `graph.conv2d` or
    `graph.conv2d_weight_grad` with static channels, rows and kernel, a
    kernel KW > 1 columns wide over rows W wide, and either no column
    padding and KW - 1 at least a quarter of W (LeNet's conv2) or, with
    `for-weight-gradients`, column padding (no larger than the image), an
    input that has a weight gradient and an unfolded copy no larger than
    the output gradient widened to the padded W (LeNet's conv1), reads
    instead `X'`, the concat along the channels of
    the KW column slices `X[:, :, :, kw : kw + OW]`, with the kernel
    `K'[f, kw*C + c, kh, 0] = K[f, c, kh, kw]` (a transpose and a reshape
    of `K`; the weight gradient's result taken back the same way). With
    column padding, `X` is padded first (a graph.slice_grad: zeros with X
    placed inside) and the
    unfolded convolution has no padding. Over flattened rows
    (GraphToLinalg), a convolution computes every row at the input's full
    width and drops KW - 1 garbage columns, and its weight gradient reads
    the output gradient widened to that width; one column wide, it has
    neither. The same products, summed in another order.
  }];
  let options = [
    Option<"forWeightGradients", "for-weight-gradients", "bool", /*default=*/"true",
           "Also unfold an input with a weight gradient whose unfolded copy is no larger "
           "than the widened output gradient (measured on the CPU target only)">,
  ];
  let dependentDialects = ["graphc::graph::GraphDialect"];
}

def VerifyBatchMultiples : Pass<"graphc-verify-batch-multiples", "mlir::ModuleOp"> {
  let summary = "Refuses functions whose dynamic sizes are not multiples of the batch";
  let description = [{
    Runs the batch-multiple analysis (graphc/Dialect/Graph/BatchMultiples.h)
    on every function with a body: each dynamic size must be k*B for the one
    run-time batch B and a k known at compile time, and each dynamic
    argument size is B. An op outside that model (a dynamic size meeting a
    static one, two different multiples that must agree, a reshape to a
    fraction of B) gets an error. The first pass of the graph pipelines, so
    no layer below ever sees a size it cannot compute from B.
  }];
}

def MarkCInterface : Pass<"graphc-mark-c-interface", "mlir::ModuleOp"> {
  let summary = "Gives every public function a C interface and read-only arguments";
  let description = [{
    Marks every public function `llvm.emit_c_interface`, which produces the
    `_mlir_ciface_NAME` wrapper (memref descriptors by pointer) that the JIT
    calls and an object file exports, and every argument not already marked
    `bufferization.writable` as read-only, so that compiled code never
    writes into a caller's input unless --graphc-update-in-place chose to.
    The first step of the CPU pipeline's lowering below linalg.
  }];
  let dependentDialects = ["mlir::LLVM::LLVMDialect",
                           "mlir::bufferization::BufferizationDialect"];
}

def VerifyUpdatesInPlace : Pass<"graphc-verify-updates-in-place", "mlir::func::FuncOp"> {
  let summary = "Refuses an updated value that bufferization did not write in place";
  let description = [{
    Runs after one-shot bufferization and before
    --drop-equivalent-buffer-results. Every result marked
    `graph.updates_argument = i` must return argument i's own buffer (through
    casts), so that dropping equivalent results removes it: the compiled
    signature is then the one the graph promises (parameters and optimizer
    state updated in place). Otherwise the function gets the error
    `'F': N of M updated arguments could not be updated in place (names)`.
  }];
}

def StripGraphArgumentAttributes : Pass<"graphc-strip-graph-argument-attributes", "mlir::func::FuncOp"> {
  let summary = "Removes the graph dialect's argument and result attributes";
  let description = [{
    The `graph.*` attributes on function arguments and results (names,
    roles, updated arguments) have served once the functions are on
    memrefs: the C interface and the model table are built from the
    signatures read at the graph level. The conversion to the LLVM dialect
    would copy them onto the `_mlir_ciface_` wrappers, where the LLVM IR
    translation does not know them. Function attributes (`graph.arena_bytes`)
    stay: the JIT and the driver read them from the LLVM dialect.
  }];
}

def NumberConstantGlobals : Pass<"graphc-number-constant-globals", "mlir::ModuleOp"> {
  let summary = "Names bufferization's constant globals by their first use";
  let description = [{
    One-shot bufferization turns each constant tensor into a private
    `memref.global` named `__constant_<type>_<n>`, numbered in the order it
    visits the functions, which MLIR 19 takes from a map keyed on pointers:
    the same input gives other names and another order from run to run, so
    neither the LLVM dialect nor the object file would be reproducible. This
    pass renames them `__constant_<i>`, i counting first uses in the
    module's order (unused ones last, by value), and puts them at the top of
    the module in that order.
  }];
}

def AppendLoss : Pass<"graphc-append-loss", "mlir::ModuleOp"> {
  let summary = "Appends the loss and eval functions of a model function";
  let description = [{
    For the model `function` (its first result is the prediction), adds
      `loss-function`(the model's arguments..., target) -> mean loss
      `eval-function`(the model's arguments..., target) -> (summed loss, correct count)
    which call the model and apply `loss` (mse, cross_entropy, nll,
    bce_with_logits) written in graph ops, op for op as the DSL's losses. The
    target (graph.role target) is int64 class indices [B] for cross_entropy
    and nll, else of the prediction's type; the correct count is 0 for mse
    and bce_with_logits. Every argument keeps its attributes; the model and
    eval lose graph.requires_grad (after their roles are recorded), so only
    the loss is differentiated. A prediction the loss cannot take (not float,
    not [B, C] for the class losses, other multiples of the batch than B) is
    refused at the model's return. The first pass of the training pipeline.
  }];
  let options = [
    Option<"function", "function", "std::string", /*default=*/"\"forward\"",
           "The model function">,
    Option<"loss", "loss", "std::string", /*default=*/"\"cross_entropy\"",
           "mse, cross_entropy, nll or bce_with_logits">,
    Option<"lossFunction", "loss-function", "std::string", /*default=*/"\"loss\"",
           "The name of the appended loss function">,
    Option<"evalFunction", "eval-function", "std::string", /*default=*/"\"eval\"",
           "The name of the appended eval function">,
  ];
  let dependentDialects = ["graphc::graph::GraphDialect", "mlir::func::FuncDialect"];
}

def KeepEntryPoints : Pass<"graphc-keep-entry-points", "mlir::ModuleOp"> {
  let summary = "Erases the public functions not listed";
  let description = [{
    Keeps the public functions named by `functions` and erases the others, so
    that no code is generated for entry points a client never calls (a
    standalone training executable runs eval and its step only: train_step,
    or the step's two halves). A listed
    function that does not exist, or an unlisted one that a kept function
    calls, is an error at it.
  }];
  let options = [
    ListOption<"functions", "functions", "std::string", "The entry points to keep">,
  ];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def FuseElementwise : Pass<"graphc-fuse-elementwise", "mlir::func::FuncOp"> {
  let summary = "Fuses chains of elementwise generics, producers with several uses included";
  let description = [{
    Producer/consumer pairs of elementwise linalg.generics become one generic
    (linalg::fuseElementwiseOps). A producer with other users is fused when
    they all come after the consumer: the fused op yields the producer's
    result for them, and the producer is gone. Nothing is fused into a
    multiply-accumulate generic (matmuls and convolutions, which the tiling
    passes take) or through a broadcast (which would compute an element once
    per row); a reduction takes only producers it alone uses; a producer
    reading an argument updated in place (a result marked
    graph.updates_argument) is not fused into a consumer after that update,
    unless the update is the producer itself. linalg.reduce
    ops are generalized first. Each fused op's location fuses its parts'
    locations. Runs on tensors, before the tiling passes; results are
    bitwise unchanged.
  }];
  let dependentDialects = ["mlir::affine::AffineDialect", "mlir::linalg::LinalgDialect"];
}

def ApplyEpiloguesBeforeCrop : Pass<"graphc-apply-epilogues-before-crop", "mlir::func::FuncOp"> {
  let summary = "Applies a flat convolution's elementwise epilogue to its flat result, then crops it, on tensors";
  let description = [{
    A stride-1 convolution of the lowering computes [N, F, OH*W] over whole
    input rows and crops the OW valid columns out of the expanded result
    (tensor.expand_shape, then an extract_slice at offset 0). An all-parallel
    generic that reads that crop through the identity map (the bias add and
    activation), whose other inputs vary along the image and channel dims
    only and whose results start from tensor.empty, is applied to the flat
    result instead, and its results are cropped the same way:
    graphc-tile-convolutions then computes it in the convolution's register
    tiles. Operand dims read at index 0 (a bias reshaped to [F, 1, 1]) are
    collapsed, so that every map is a projected permutation. The valid
    elements' arithmetic is unchanged.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

def TileMatmuls : Pass<"graphc-tile-matmuls", "mlir::func::FuncOp"> {
  let summary = "Register-tiles and vectorizes the matmuls, on tensors";
  let description = [{
    Each matmul generic of the lowering (loops (m, k, n), A[m, k] * B[k, n]
    into C[m, n]) becomes loops over `rows` x `columns` tiles of C whose
    accumulator stays in vector registers through the k loop: m and n tiled
    (the zero fill of C fused), partial tiles peeled (the remaining rows of
    a dynamic batch as one full row tile shifted back to end at the last
    row, or 1 x columns tiles under `rows` rows; a static m of at most
    `max-rows` is one row tile, and a static n over half a register's lanes
    and under all of them one column tile, not a power-of-two split; with
    fewer rows than columns,
    both static, the column tiles are the outer, shared loop where they
    share out no worse between two threads: the smaller operand, A, is the
    one read again), A read in place from A^T where it is a 2-D transpose
    (a weight gradient's dY^T), k tiled by 1, the static tiles
    vectorized, the C tile's transfers hoisted out of the k loop, and
    vector.contract lowered to outer products and FMAs. A matmul's epilogue
    (graphc::epilogueOf: the all-parallel generic that alone reads C through
    the identity map, such as a bias add and ReLU) is tiled instead, with the
    matmul and its fill fused into each tile: a vectorized tile's
    accumulator goes through it as vectors and C is not written (tiles that
    stay scalar write C's tile and read it back). Runs before bufferization. The
    summation order over k is unchanged: results are bitwise those of the
    untiled loops.
  }];
  let options = [
    Option<"rows", "rows", "int64_t", /*default=*/"8", "Rows of C per register tile">,
    Option<"columns", "columns", "int64_t", /*default=*/"32", "Columns of C per register tile">,
    Option<"maxRows", "max-rows", "int64_t", /*default=*/"12",
           "A static m of at most this many rows is one row tile (its accumulators, B "
           "vectors and broadcast still fit the vector registers)">,
  ];
  let dependentDialects = ["mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect"];
}

def TileNarrowMatmuls : Pass<"graphc-tile-narrow-matmuls", "mlir::func::FuncOp"> {
  let summary = "Computes a matmul with few columns over its rows, 4 rows in each 128-bit quad";
  let description = [{
    A matmul generic of the lowering (loops (m, k, n), A[m, k] * B[k, n]
    into C[m, n], C a fill) on static f32 tensors, whose n is at most
    `max-columns` and m a multiple of 4, is computed over its rows: 4 rows of
    C per 128-bit quad of a vector and 16 columns of A across its 4 quads.
    B is packed once (per column j of C and c = 0..3, a vector whose quad q
    holds B[4q + c, j] four times, zeros past k; read from B^T in place where
    B is a 2-D transpose, else from a small transposed copy). Each 4 x 16
    block of A is transposed within quads (unpck shuffles only), each of its
    4 vectors multiplied by the n packed vectors of B into n accumulators
    (two groups of 4 rows per step when their 2n accumulators fit the 32
    registers and m is a multiple of 8); after the k loop the accumulators'
    quads are added up four columns at a time and each row's n elements are
    written, the fill added unless it is +0. A k past the last whole block
    is read padded with zeros on both sides. Tiled over its n columns
    (graphc-tile-matmuls), such a matmul fills n of a register's 16 lanes.
    The loop over rows is marked graph.independent_iterations. Runs before
    bufferization. The rounding differs from graphc-tile-matmuls' (four
    partial sums per element), and is the same for any thread count.
  }];
  let options = [
    Option<"maxColumns", "max-columns", "int64_t", /*default=*/"12",
           "The widest C computed over its rows: at most this many of 16 lanes filled "
           "over its columns">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect"];
}

def BandConvolutionRows : Pass<"graphc-band-convolution-rows", "mlir::func::FuncOp"> {
  let summary = "Skips the kernel rows that read only zero padding of a flat convolution, on tensors";
  let description = [{
    A flat convolution (loops (n, f, c, kh, kw, p), the input read at
    p + kh*W + kw) whose input is a zero fill with the data inserted into
    rows [r0, r0 + h) and columns [c0, c0 + w), as the lowering pads it,
    reads only zeros for kernel row kh at every flat position outside
    [r0*W + c0 - kh*W - (KW - 1), (r0 + h - 1)*W + c0 + w - kh*W). When
    those bands cover at most 80 % of the KH full passes (LeNet's conv2
    input gradient, a 10 x 10 gradient padded by 4 on every side: 71 %),
    the convolution becomes a loop over images, marked
    graph.independent_iterations, of one convolution per kernel row over
    its band of positions, each adding into the image's output (zero
    filled first). The products skipped are those with a zero operand, so
    each result is the same sum in another order (kh outermost): equal up
    to rounding and a zero's sign, and the same for any thread count.
    Each band is a flat convolution again, which graphc-tile-convolutions
    then tiles.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect"];
}

def CollapseContiguousDims : Pass<"graphc-collapse-contiguous-dims", "mlir::func::FuncOp"> {
  let summary = "Runs the trailing loop dims of an elementwise generic that every operand reads contiguously as one, on buffers";
  let description = [{
    An all-parallel linalg.generic on memrefs without linalg.index runs the
    longest suffix of its loop dims, never the outermost (the threads' loop),
    that every operand reads as consecutive dims of a collapsible memref (or not at all, as a broadcast bias) as one
    dim over memref.collapse_shape views: the innermost loop covers whole
    images or channels instead of one narrow row (LeNet's rows are 5 to 28
    wide, which LLVM vectorized 4 or 8 lanes wide or not at all). A
    linalg.fill of a memref of rank 3 or more whose dims past the first
    collapse fills a [first, rest] view of it. Each element's arithmetic is
    unchanged.
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def TileConvolutions : Pass<"graphc-tile-convolutions", "mlir::func::FuncOp"> {
  let summary = "Register-tiles and vectorizes the stride-1 convolutions, on tensors";
  let description = [{
    The lowering's flat convolutions (loops (n, f, c, kh, kw, p), the input
    read at the flat window offset p + kh*W + kw; the forward pass and the
    input gradient) become tiles of one image, `channels` output channels
    and `positions` flat positions (doubled while the tile's accumulators
    stay within the budget, 3/4 of the `vector-bits` target's registers:
    24 of AVX-512's 32 registers of 16 floats, where 6 channels take 64
    positions; 12 of AVX2's 16 of 8) whose accumulator stays in vector
    registers through the (c, kh, kw) loops.
    The weight gradient's partial sums (loops (o, c, kh, kw, n, p)) become
    tiles of at most `grad-channels` output channels (fewer where the
    budget holds fewer), `grad-inputs` input channels and `grad-positions` positions
    carried through chunks of at most `grad-images` images (fewer when a
    chunk's output gradient and input pass 448 KB; `grad-positions` doubled,
    up to 4 times, while a tile carries fewer than 8 accumulator vectors),
    positions and chunks
    outermost (so that a chunk's data stays in cache for every tile). The
    partial sums in lanes (loops (o, c, kh, kw, n, block, lane), the
    positions block * L + lane) become tiles of output and input channels
    (output channels bounded as above; of the input-channel counts up to
    `grad-inputs`, the one whose output-channel blocks take two threads the
    fewest steps, then one thread) carried in registers through all of an
    image's position blocks: with at least 16 blocks an image and more
    than one block of output channels, the blocks
    of output channels (in equal blocks, marked
    graph.independent_iterations) outermost and one image at a time inside
    them (its data stays in L1; the accumulators go through memory once an
    image); with fewer, through a chunk of images, chunks outermost (the
    batch read once) and the blocks of output channels inside them marked. A
    weight-gradient tile whose accumulators for all KW window columns fit in
    the budget has its kw loop marked graph.unroll_and_jam, for
    --graphc-unroll-and-jam after bufferization. Partial tiles are peeled, the zero fill
    fused, kh and kw tiled by 1 and dropped, and the tiles vectorized and
    lowered to FMAs as in graphc-tile-matmuls, a forward convolution's
    epilogue on its flat rows (graphc-apply-epilogues-before-crop) computed
    in its tiles as a matmul's is (not for one computed in bands), and a
    tile that accumulates into a fill starts from zero vectors. The outermost tile loop of the
    other forms is marked graph.independent_iterations. Runs before bufferization; every
    element's summation order is unchanged, so results are bitwise those of
    the untiled loops.
  }];
  let options = [
    Option<"channels", "channels", "int64_t", /*default=*/"8",
           "Output channels per convolution register tile">,
    Option<"positions", "positions", "int64_t", /*default=*/"32",
           "Flat output positions per convolution register tile, at least (doubled while the tile's accumulators stay within 3/4 of the registers)">,
    Option<"gradChannels", "grad-channels", "int64_t", /*default=*/"4",
           "Most output channels per weight-gradient register tile">,
    Option<"gradInputs", "grad-inputs", "int64_t", /*default=*/"6",
           "Input channels per weight-gradient register tile">,
    Option<"gradPositions", "grad-positions", "int64_t", /*default=*/"16",
           "Flat positions per weight-gradient register tile">,
    Option<"gradImages", "grad-images", "int64_t", /*default=*/"8",
           "Most images per pass of the weight-gradient tiles over the batch (fewer when a chunk's output gradient and input would pass 448 KB); partial sums in lanes with fewer than 16 blocks an image: 8 images (4, 8, 16: LeNet's conv2 1.50, 1.40, 2.00 ms, op_bench at batch 256); with more, one">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"512",
           "Bits of the target's vector registers: 512 (AVX-512: 32 registers of 16 floats) or 256 (AVX2: 16 of 8); the accumulator budget that widens, jams or bounds a tile is 3/4 of the registers">,
  ];
  let dependentDialects = ["mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect"];
}

def VectorizeTransposes : Pass<"graphc-vectorize-transposes", "mlir::func::FuncOp"> {
  let summary = "Transposes 2-D f32 tensors in 16 x 16 blocks of vector shuffles, on tensors";
  let description = [{
    Each 2-D f32 `linalg.transpose` on tensors is tiled in 16 x 16 blocks
    (partial blocks peeled; the loop over block rows marked
    graph.independent_iterations). A full block becomes one 16 x 16 read, a
    `vector.transpose` lowered to upstream's 16 x 16 shuffle network, and one
    16 x 16 write; partial blocks stay loops. Lowered to loops, a transpose
    reads with a stride per element, which LLVM vectorized with gathers.
  }];
  let dependentDialects = ["mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
                           "mlir::scf::SCFDialect", "mlir::tensor::TensorDialect",
                           "mlir::vector::VectorDialect"];
}

def VectorizeWindowPooling : Pass<"graphc-vectorize-window-pooling", "mlir::func::FuncOp"> {
  let summary = "Vectorizes pooling over non-overlapping windows row by row, on tensors";
  let description = [{
    The lowering's pooling over non-overlapping KH x KW windows (max pooling
    and its gradient at stride = kernel, no padding) is an elementwise
    generic over the windows [N, C, OH, OW] whose operands are window
    slices: position (kh, kw) of every window, strided by the kernel. The
    gradient's results are such slices of one result tensor, inserted back.
    Each row of windows (n, c, oh) becomes vector code: the input's rows
    loaded whole (or in chunks of 16 windows when a row holds more than 32),
    split by shuffles into one vector per window position, the generic's
    body applied to vectors (its ops must be elementwise-mappable, so every
    element's arithmetic and the results are unchanged), and the
    gradient's results interleaved back into whole rows of the result
    tensor, with no slices or copies. The loop over images is marked
    graph.independent_iterations. Runs before bufferization, on the CPU
    only: the CUDA target maps the generic to threads as it is.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::scf::SCFDialect",
                           "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect"];
}

def VectorizeRowCopies : Pass<"graphc-vectorize-row-copies", "mlir::func::FuncOp"> {
  let summary = "Copies short contiguous rows of strided buffers one vector a row";
  let description = [{
    A `linalg.copy` on buffers whose innermost dim has a static length up to
    64 and unit stride on both sides (the column slices of
    graphc-unfold-window-columns, rows of 10) becomes loops over its rows,
    each row one `vector.transfer_read` and one `vector.transfer_write` of
    the row's length, in bounds; the outermost loop marked
    `graph.independent_iterations`. Consecutive such copies of one shape
    (their dynamic sizes the same values), with only ops without memory
    effects between them, share one nest when their targets are disjoint
    views of allocations that no copy of the nest reads and their sources
    views of allocations, globals or the function's arguments; a copy that
    may read what it writes, and copies of i1, are left as they are.
    Lowered as a linalg.copy, the row was a loop LLVM left scalar. Values
    are copied unchanged.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
                           "mlir::scf::SCFDialect", "mlir::vector::VectorDialect",
                           "graphc::graph::GraphDialect"];
}

def ParallelizeIndependentLoops : Pass<"graphc-parallelize-independent-loops", "mlir::func::FuncOp"> {
  let summary = "Runs loops marked graph.independent_iterations as scf.parallel";
  let description = [{
    --graphc-tile-matmuls marks the loop over a matmul's full row tiles (or
    column tiles, when those are outermost) `graph.independent_iterations`:
    each iteration writes its own rows (columns) of C.
    After bufferization such a loop passes its buffer through unchanged; it
    becomes an scf.parallel, which the OpenMP conversion runs on threads.
    A marked loop that still carries a value keeps running in order. The
    marker is removed either way.
  }];
  let dependentDialects = ["mlir::scf::SCFDialect"];
}

def UnrollAndJam : Pass<"graphc-unroll-and-jam", "mlir::func::FuncOp"> {
  let summary = "Unrolls and jams the loops marked graph.unroll_and_jam, after bufferization";
  let description = [{
    --graphc-tile-convolutions marks a weight gradient's loop over the
    window's columns (kw) when one tile can carry the accumulators of all of
    them. Each column's tile loops over a chunk of images (or one image's
    position blocks) on its own, reloading the same output-gradient vectors
    for every column; unrolled and jammed (upstream's scf unroll-and-jam, by
    the loop's whole constant trip count), one loop carries every column's
    accumulators and loads each output-gradient vector once. The marked
    iterations write disjoint data, so no element's summation order
    changes. A marked loop that carries values or whose inner loops' bounds
    depend on it runs as it is. The marker is removed either way.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::scf::SCFDialect"];
}

def ParallelDimsFirst : Pass<"graphc-parallel-dims-first", "mlir::func::FuncOp"> {
  let summary = "Interchanges each linalg.generic's loops so its parallel dimensions come first";
  let description = [{
    For the GPU, every loop nest becomes one kernel over its parallel
    dimensions, each thread running the reduction dimensions as a loop of its
    own. --convert-linalg-to-parallel-loops keeps a generic's loop order, so a
    matmul written [parallel, reduction, parallel] would become a host loop
    over k around a kernel per iteration. The interchange puts every parallel
    dimension first (in their order) and the reductions after them (in
    theirs); the indexing maps change with it, the computation does not.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def MapLoopsToGpu : Pass<"graphc-map-loops-to-gpu", "mlir::func::FuncOp"> {
  let summary = "Maps each outermost loop nest to GPU blocks and threads, one kernel per nest";
  let description = [{
    Runs on the loops --convert-linalg-to-parallel-loops made from the
    parallel-first generics (--graphc-parallel-dims-first): each outermost
    scf.parallel has the nest's parallel dimensions, with any reduction
    loops inside. Its dimensions are collapsed into one, row-major, so that
    the innermost (memory-contiguous) dimension varies fastest across the
    threads of a block and every dimension is mapped whatever the rank; the
    collapsed loop is tiled by `block-size` into blocks (gpu block x) and
    threads (gpu thread x, guarded at the end). A parallel loop nested
    inside runs sequentially in its thread. An outermost scf.for (a nest
    with reduction dimensions only, like a loss) runs as a kernel of one
    thread, so no host loop ever reads device memory; so do the loads and
    stores a nest of no loops leaves at the top level (a 0-D fill or copy),
    each run of them with the arithmetic between. The mapped loops are what
    --convert-parallel-loops-to-gpu turns into gpu.launch.
  }];
  let options = [
    Option<"blockSize", "block-size", "int64_t", /*default=*/"256",
           "Threads per block">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::gpu::GPUDialect",
                           "mlir::scf::SCFDialect"];
}

def SplitReductions : Pass<"graphc-split-reductions", "mlir::func::FuncOp"> {
  let summary = "Cuts a reduction with few outputs in two nests, for the GPU's threads";
  let description = [{
    On the GPU each output element of a loop nest is one thread running the
    nest's reductions alone: a convolution's weight gradient is a few hundred
    threads each summing 50,000 terms. A linalg op on buffers with one
    output, whose body combines the output with a value computed without it
    (addf, addi, mulf, max/min), and whose parallel sizes promise fewer than
    `min-threads` threads (a dynamic size counts as 32) over at least
    `min-work` static reduction steps, becomes: a fill of a partials buffer
    with the combiner's identity; the same op with its largest static
    reduction dimensions made parallel (until there are `min-threads`
    threads), writing one partial per output and position along them; and a
    nest that combines each output with its partials in order. A dimension
    that would give more than 4 x min-threads threads whole is factored
    instead (split-K: a matmul's K = outer x inner, each input reading it
    viewed with that dimension as (outer, inner), outer parallel and at most
    max-combine, inner at least 8 steps); then a dynamic output (the batch)
    may be split too, its partials sized by the output allocation's own
    sizes. A plain combine of a buffer's trailing static dimensions is
    combined in levels directly. Where an output has
    more than `max-combine` partials, they are combined in levels first: the
    partials viewed as (outputs, groups, members), each group of at most
    `max-combine` combined by a thread into a smaller buffer, until one
    thread per output reads at most `max-combine` (a count with no divisor
    between max-combine / 8 and max-combine is combined serially). The
    result does not depend on thread scheduling (no atomics). Every partials
    buffer is a temporary like any other (an arena slice after
    graphc-plan-temporary-arena).
  }];
  let options = [
    Option<"minThreads", "min-threads", "int64_t", /*default=*/"65536",
           "Split until the first nest has this many threads">,
    Option<"minWork", "min-work", "int64_t", /*default=*/"64",
           "Leave reductions of fewer static steps per output alone">,
    Option<"maxCombine", "max-combine", "int64_t", /*default=*/"64",
           "The most partials one thread of a combining nest reads">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect"];
}

def ComputeIntoPadding : Pass<"graphc-compute-into-padding", "mlir::func::FuncOp"> {
  let summary = "Readies a padded value to be computed into its padding's buffer, on tensors";
  let description = [{
    The lowering pads a tensor by inserting it (tensor.insert_slice) into a
    linalg.fill with zero of a tensor.empty of the padded shape, created
    where the padded tensor's consumer is lowered, after the op that
    computes the value, which bufferization then computes into a buffer of
    its own and copies. When every other reader of the value is a sum of it
    (a linalg.generic adding its only input, read through the identity map,
    into its output) over at least the padded dims, the fill and its
    tensor.empty move before the op that computes the value, the insertion
    right after it, and the sums read the padded tensor (the padding adds
    zeros); eliminate-empty-tensors, next in the pipeline, then computes the
    value into the padded buffer's subview. LeNet: the pooling's gradient
    written straight into conv1's widened output gradient (rows of 32), the
    bias gradient summed over those rows, a copy less (4.8 MB read, 5.5 MB
    written a step at batch 256). Nothing moves when an operand is not
    defined early enough, or when which dims are padded is not known (a
    dynamic offset or stride, or a dynamic dim whose size is not the padded
    tensor's own). Results are unchanged but for the order of the sums'
    (reassociable) adds.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"];
}

def FuseFillsIntoConsumers : Pass<"graphc-fuse-fills-into-consumers", "mlir::func::FuncOp"> {
  let summary = "Folds a temporary's linalg.fill into the generic that writes it next";
  let description = [{
    Each loop nest is a GPU kernel, and a reduction's accumulator is filled by
    a kernel of its own first. When a linalg.fill of a memref.alloc is
    followed, before any other use of the buffer, by a linalg.generic on
    buffers that writes every element of it (its only output, indexed by
    all its parallel dimensions) and does not read it as an input, the
    generic's body reads the fill's (constant) value instead of the output
    where every reduction index is 0 (`select`), and the fill is erased.
    The result is the same; a kernel less.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect"];
}

def FoldTransposesIntoConsumers : Pass<"graphc-fold-transposes-into-consumers",
                                        "mlir::func::FuncOp"> {
  let summary = "Reads a transposed temporary's source through permuted indexing maps";
  let description = [{
    A linalg.transpose into a memref.alloc whose readers, up to the buffer's
    next write or dealloc, are all linalg.generic inputs, with the source
    unchanged until the last of them: each reader reads the source through
    its indexing map permuted, and the transpose is erased. On the GPU a
    transpose is a kernel of its own (a matmul's weight, every step); the
    CPU keeps them for its tiled matmuls' contiguous loads.
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def SinkIntoKernels : Pass<"graphc-sink-into-kernels", "mlir::func::FuncOp"> {
  let summary = "Moves constants, index computations and constant globals into each gpu.launch";
  let description = [{
    What a kernel uses but the host function defines becomes a kernel
    argument when the kernel is outlined. For index computations (constants,
    memref.dim, select, cmpi) that is only wasted parameters (upstream's
    --gpu-launch-sink-index-computations sinks those); for a constant table
    (memref.get_global of a memref.global, such as the class indices that
    cross-entropy compares labels with) it is a host pointer handed to a
    kernel, which faults on a GPU. Sunk into the launch, the global is cloned
    into the kernels' gpu.module by the outlining and lives in device memory.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect", "mlir::memref::MemRefDialect"];
}

def MergeGpuModules : Pass<"graphc-merge-gpu-modules", "mlir::ModuleOp"> {
  let summary = "Moves every outlined kernel into one gpu.module";
  let description = [{
    --gpu-kernel-outlining gives each kernel a gpu.module of its own, which
    would make one PTX module (one cuModuleLoad, one .version header) per
    kernel. A program's kernels go into one gpu.module instead, each named
    after the module it came from (`forward_kernel_3`, unique in the
    program), and every gpu.launch_func is pointed at its new place: one PTX
    module per program, loaded once. The constant globals the outlining
    cloned into several kernels' modules are kept once (they are clones of
    one host global of that name).
  }];
  let options = [
    Option<"moduleName", "module-name", "std::string", /*default=*/"\"graphc_kernels\"",
           "The gpu.module that holds the kernels">,
  ];
  let dependentDialects = ["mlir::gpu::GPUDialect"];
}

def EmulateGpuLaunches : Pass<"graphc-emulate-gpu-launches", "mlir::func::FuncOp"> {
  let summary = "Runs each gpu.launch on the CPU: loops over its blocks and threads";
  let description = [{
    A test lowering for machines without a GPU (this one and CI): each
    gpu.launch (before outlining) becomes an scf.parallel over its blocks
    around scf.for loops over its threads (z, y, x; x innermost), with the
    body inlined and the block and thread ids and the grid and block sizes
    replaced by the loops' values. The CPU pipeline then compiles it, so the
    kernels as mapped to blocks and threads run and can be compared with the
    CPU target (CpuPipelineOptions::emulateGpuKernels, the JIT's
    JitOptions::emulateGpuKernels). Kernels whose threads wait for each other
    (gpu.barrier) or share memory are refused: their threads cannot run one
    after another.
  }];
  let dependentDialects = ["mlir::arith::ArithDialect", "mlir::scf::SCFDialect"];
}

#endif // GRAPHC_TRANSFORMS_PASSES_TD
