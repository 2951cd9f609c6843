/*
 * graphc runtime: program objects.
 *
 * A compiled model describes itself with a graphc_model_t: its entry points
 * (forward, train_step, eval, ...), each with the table of tensors it takes
 * and returns and the size of the arena its temporaries need. graphc emits
 * that description into every object file it writes (`NAME_model`, declared
 * in the generated header), and the in-process JIT builds the same one from
 * the same generated code, so a program object works identically over both.
 *
 * A graphc_program_t is one model made runnable: it owns the parameters
 * (under their PyTorch state_dict names), the optimizer state and step count,
 * and one arena for the temporaries of every call. The arena is planned when
 * the model is compiled (--graphc-plan-temporary-arena) and allocated by the
 * program the first time a call needs it; it is reused by every later call
 * and only grows when a larger batch arrives. Calls are not thread-safe on one
 * program (they share the arena); use one program per thread.
 *
 * Objects follow create/retain/release; fallible functions return a
 * graphc_status_t (NULL on success) whose message names the tensor and what
 * was expected.
 */
#ifndef GRAPHC_RUNTIME_PROGRAM_H_
#define GRAPHC_RUNTIME_PROGRAM_H_

#include <stdint.h>

#include "graphc/runtime/status.h"
#include "graphc/runtime/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layout of graphc_model_t below; a program refuses other versions. */
#define GRAPHC_MODEL_ABI_VERSION 3

/* What an entry point's argument is for: how a program fills it. The role is
 * recorded in the graph (graph.role) by whatever created the argument: the
 * DSL's tracer (inputs, parameters), the loss (target) and the optimizer
 * (state, step, lr). In a hand-written graph without roles, an argument marked
 * graph.requires_grad or given an init rule is a parameter, any other an
 * input. */
typedef enum graphc_model_role_e {
  GRAPHC_ROLE_INPUT = 0,     /* the model's input, batch first (the images) */
  GRAPHC_ROLE_TARGET = 1,    /* what the loss compares the output with */
  GRAPHC_ROLE_PARAMETER = 2, /* a parameter, by state_dict name (initial value: see below) */
  GRAPHC_ROLE_STATE = 3,     /* optimizer state (exp_avg.fc1.weight, ...), zero at first */
  GRAPHC_ROLE_STEP = 4,      /* float64 scalar: completed optimizer steps */
  GRAPHC_ROLE_LR = 5,        /* float64 scalar: the learning rate of this step */
  GRAPHC_ROLE_RESULT = 6,    /* a result of the entry point */
  GRAPHC_ROLE_BUFFER = 7     /* non-trainable module state by state_dict name (BatchNorm's
                                running_mean), initialized from init_data like a parameter,
                                saved and loaded with the parameters, never optimized */,
  GRAPHC_ROLE_RNG_STATE = 8  /* int64 [seed, calls]: the generator state of the graph's random
                                ops (Dropout), advanced in place by each call that draws;
                                [seed, 0] after graphc_program_init(seed) */,
  GRAPHC_ROLE_GRADIENT = 9   /* a parameter's gradient, under the parameter's name: the
                                results of train_step_gradients and the arguments of
                                train_step_apply (data-parallel training, below) */
} graphc_model_role_t;

typedef struct graphc_model_tensor_s {
  const char* name;
  int32_t dtype; /* graphc_dtype_t */
  int32_t rank;
  int64_t shape[GRAPHC_TENSOR_MAX_RANK]; /* n >= 0: static; -k: k times the batch (-1: the batch) */
  int32_t role;       /* graphc_model_role_t */
  int32_t updated;    /* the entry point writes the new value in place */
  /* A parameter's initial value: U(-init_bound, init_bound) when init_bound > 0
   * (PyTorch's default init), else the dense row-major bytes at init_data (a
   * value the model set by hand), else zero. */
  double init_bound;
  const void* init_data;
} graphc_model_tensor_t;

/* Runs an entry point. `arena` is at least arena_bytes(batch) bytes, 64-byte
 * aligned, or NULL (the call then allocates its own). `arguments` and
 * `results` point to dense row-major buffers whose dimensions of -k are
 * k * `batch`; the results are written there, so none may overlap an
 * argument. Returns 0, 1 when the batch is too large to address, 2 when
 * memory ran out (3, a result of another size than the table says, came from
 * objects whose entry points copied their results out: graphc before
 * 2026-12). */
typedef int32_t (*graphc_model_entry_fn)(void* arena, int64_t batch, void* const* arguments,
                                         void* const* results);

typedef struct graphc_model_entry_s {
  const char* name; /* forward, train_step, eval, loss, ... */
  graphc_model_entry_fn call;
  /* Arena bytes for a batch B: arena_bytes_per_batch * B + arena_bytes_fixed. */
  int64_t arena_bytes_per_batch;
  int64_t arena_bytes_fixed;
  int32_t num_arguments;
  const graphc_model_tensor_t* arguments;
  int32_t num_results;
  const graphc_model_tensor_t* results;
} graphc_model_entry_t;

typedef struct graphc_model_s {
  int32_t abi_version; /* GRAPHC_MODEL_ABI_VERSION */
  const char* name;
  int32_t num_entries;
  const graphc_model_entry_t* entries;
  /* graphc_device_t (tensor.h), graphc --target. GRAPHC_DEVICE_CUDA: the
   * entry points launch CUDA kernels (their PTX is in the object) on the
   * runtime's stream and return when they have finished; every tensor
   * pointer they take, and the arena, is device memory (docs/gpu.md, "The
   * C ABI"); a program object over such a model copies to and from it. */
  int32_t device;
} graphc_model_t;

typedef struct graphc_program_s graphc_program_t;

/* A program over `model` (which must outlive it), with every parameter,
 * optimizer state tensor and the step count zero. Fails naming the entry or
 * tensor when the description is malformed (a rank above 8, an unknown dtype,
 * a NULL name or function) or inconsistent (a parameter with two shapes). */
graphc_status_t graphc_program_create(const graphc_model_t* model, graphc_program_t** out_program);
void graphc_program_retain(graphc_program_t* program);
void graphc_program_release(graphc_program_t* program);

const graphc_model_t* graphc_program_model(const graphc_program_t* program);

/* The parameters as the DSL model has them after graphc::manualSeed(seed):
 * each with an init bound drawn U(-bound, bound) in state_dict order (the
 * draws of torch's default init after torch.manual_seed(seed)), each with
 * init_data copied from it, any other zero; the optimizer state and step
 * count reset to zero. */
graphc_status_t graphc_program_init(graphc_program_t* program, uint64_t seed);

/* The same initialization without a program: `buffers` holds one dense buffer
 * per parameter and module buffer (GRAPHC_ROLE_BUFFER) of entry point `entry`
 * of `model`, in the order of its argument table (the generated NAME_init
 * calls this). */
graphc_status_t graphc_model_init_parameters(const graphc_model_t* model, const char* entry,
                                             uint64_t seed, void* const* buffers);

/* The prefix of the optimizer's tensors in a checkpoint (optimizer.exp_avg.fc1.weight,
 * optimizer.step); parameters have none. */
#define GRAPHC_CHECKPOINT_OPTIMIZER_PREFIX "optimizer."

/* The program's tensors, parameters and buffers first (state_dict order), then the
 * optimizer state as `optimizer.<name>` and `optimizer.step`: the names a
 * checkpoint uses. The tensor is borrowed: it lives as long as the program
 * (or until graphc_program_bind replaces it). */
int32_t graphc_program_num_tensors(const graphc_program_t* program);
const char* graphc_program_tensor_name(const graphc_program_t* program, int32_t index);
graphc_tensor_t* graphc_program_tensor(const graphc_program_t* program, int32_t index);
/* GRAPHC_NOT_FOUND naming `name` if the program has no such tensor. */
graphc_status_t graphc_program_find_tensor(const graphc_program_t* program, const char* name,
                                           graphc_tensor_t** out_borrowed);

/* Makes the program use `tensor` (retained) as its tensor `name` instead of
 * its own buffer, so that its calls read and update the caller's memory (a
 * DSL module's parameters). Dtype and shape must match the model's. */
graphc_status_t graphc_program_bind(graphc_program_t* program, const char* name,
                                    graphc_tensor_t* tensor);

/* Copies the tensors a checkpoint file holds into the program: every
 * parameter and buffer, and with `with_optimizer` the optimizer state and step. Every
 * tensor is checked (present, dtype, shape) before anything is written. */
graphc_status_t graphc_program_load(graphc_program_t* program, const char* path,
                                    int32_t with_optimizer);
/* Writes the parameters, optimizer state and step as safetensors, atomically. */
graphc_status_t graphc_program_save(const graphc_program_t* program, const char* path);

/* Runs `forward` on `input` ([B, ...]); its first result goes to a new tensor. */
graphc_status_t graphc_program_forward(graphc_program_t* program, const graphc_tensor_t* input,
                                       graphc_tensor_t** out_output);
/* One optimizer step on a batch (`train_step`): updates the parameters,
 * optimizer state and step count in place and returns the batch's mean loss.
 * A model with only the step's two halves (a standalone executable compiled
 * with --data-parallel, its default) runs them, train_step_gradients then
 * train_step_apply: the same operations, so the same results. */
graphc_status_t graphc_program_train_step(graphc_program_t* program, const graphc_tensor_t* input,
                                          const graphc_tensor_t* target, double learning_rate,
                                          double* out_loss);
/* `eval` on a batch: the summed loss and the number of correct predictions. */
graphc_status_t graphc_program_eval(graphc_program_t* program, const graphc_tensor_t* input,
                                    const graphc_tensor_t* target, double* out_loss_sum,
                                    int64_t* out_correct);

/* Runs entry point `entry` (any of the model's): `data` fills its input and
 * target arguments in the order of its argument table (num_data of them),
 * the program's tensors every parameter and optimizer-state argument (those
 * updated in place are written there), and `learning_rate` its lr argument
 * if it has one. Its results go to new tensors in `out_results`, which has
 * room for exactly the entry's num_results. The batch is the first input's;
 * every data tensor is checked against the table for it. */
graphc_status_t graphc_program_run(graphc_program_t* program, const char* entry,
                                   const graphc_tensor_t* const* data, int32_t num_data,
                                   double learning_rate, graphc_tensor_t** out_results,
                                   int32_t num_results);
/* graphc_program_run writing into the caller's tensors: `results` holds one
 * tensor per result of the entry (exactly num_results), each of the dtype and
 * shape its table gives at the input's batch, and is overwritten. No tensor
 * is created, so a loop over the same buffers (a deployed kernel, a benchmark)
 * allocates nothing per call. A result must share no memory with the data,
 * the program's tensors or another result, since the entry point may write a
 * result before it has read every argument: such a call fails, naming both. */
graphc_status_t graphc_program_run_into(graphc_program_t* program, const char* entry,
                                        const graphc_tensor_t* const* data, int32_t num_data,
                                        double learning_rate, graphc_tensor_t* const* results,
                                        int32_t num_results);

/* Data-parallel training (docs/distributed.md): train_step in its two halves,
 * which a model has when graphc compiled it with --data-parallel (the default
 * for --emit=exe). A caller sums the gradients of several processes between
 * them. The gradients are one flat float32 buffer of
 * graphc_program_gradient_elements values: each parameter's gradient in
 * state_dict order, each starting at a multiple of 16 elements (64 bytes),
 * with zeros between. 0 elements: the model has no split step (the two calls
 * below then say why). */
int64_t graphc_program_gradient_elements(const graphc_program_t* program);
/* The part size of a model compiled with --micro-batch=M (docs/performance.md,
 * "Micro-batches"): M, and graphc_program_gradients (and with it
 * graphc_program_train_step) computes a batch of more than M rows in parts
 * of M rows, the last part shorter, and adds their gradients and losses
 * weighted by rows; a batch of at most M rows in one part. 0: no parts. */
int64_t graphc_program_micro_batch(const graphc_program_t* program);
/* `train_step_gradients` on a batch: the batch's mean loss, and its gradients
 * written to `gradients`. Nothing of the program changes, except that with
 * `keep_state` the new values of its buffers (BatchNorm's running statistics)
 * and generator state are kept, as train_step would. */
graphc_status_t graphc_program_gradients(graphc_program_t* program, const graphc_tensor_t* input,
                                         const graphc_tensor_t* target, float* gradients,
                                         int32_t keep_state, double* out_loss);
/* `train_step_apply`: the optimizer's update of every parameter from
 * `gradients` (laid out as above), as train_step's second half: parameters,
 * optimizer state and step count are updated in place. */
graphc_status_t graphc_program_apply_gradients(graphc_program_t* program, const float* gradients,
                                               double learning_rate);

/* Bytes of the program's arena now, and how many times it was allocated
 * (once for a fixed batch, however many calls). */
int64_t graphc_program_arena_bytes(const graphc_program_t* program);
int64_t graphc_program_arena_allocations(const graphc_program_t* program);

/* Where the program runs: its model's device (graphc_device_t). A program
 * over a GRAPHC_DEVICE_CUDA model keeps every parameter, buffer, optimizer
 * state tensor and its arena on GPU 0 across calls; a call copies only its
 * inputs, targets and learning rate there and its results back. The
 * tensors the functions above give (graphc_program_tensor, _find_tensor,
 * save) are host copies, brought up to date from the GPU by those calls;
 * what a caller writes into them is copied to the GPU before the next call.
 * So look a tensor up again after a call before reading or writing it (a
 * pointer kept across calls sees neither the GPU's new values nor has its
 * writes copied), and do not call these from two threads at once. Its
 * creation fails with GRAPHC_UNAVAILABLE saying why when there is no usable
 * GPU (docs/gpu.md). */
int32_t graphc_program_device(const graphc_program_t* program);
/* GPU programs: a call of an entry point at a batch size seen before is
 * captured into a CUDA graph and replayed from then on (one launch per step
 * instead of one per kernel). On by default; 0 turns it off (and frees the
 * graphs). No effect on CPU programs. */
void graphc_program_set_cuda_graphs(graphc_program_t* program, int32_t enabled);
/* How many calls replayed a CUDA graph. */
int64_t graphc_program_cuda_graph_replays(const graphc_program_t* program);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRAPHC_RUNTIME_PROGRAM_H_ */
