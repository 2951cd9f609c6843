/* embed_c: a plain C11 program that uses a graphc-compiled model.
 *
 * The model is the seed-003 MLP, traced by examples/mlp_forward
 * (--emit-graph) and compiled by `graphc --emit=header` and `--emit=lib` at
 * build time. The program loads a safetensors checkpoint with PyTorch's
 * state_dict names, classifies the 10,000 Fashion-MNIST test images and
 * prints the accuracy. It does so twice: calling the generated function
 * `mlp_forward` with its own buffers, and through the runtime's program
 * object over the model's table `mlp_model` (which holds the parameters and
 * one arena for the temporaries); both must predict the same classes:
 *
 *   embed_c CHECKPOINT.safetensors [FASHION_MNIST_DIR]
 */
#include <stdio.h>
#include <stdlib.h>

#include "graphc/runtime/data.h"
#include "graphc/runtime/program.h"
#include "graphc/runtime/safetensors.h"
#include "mlp.h"

static int fail(graphc_status_t status) {
  fprintf(stderr, "embed_c: %s\n", graphc_status_message(status));
  graphc_status_free(status);
  return 1;
}

/* The checkpoint's tensor for the function argument `index`, by its name. */
static const float* parameter(graphc_safetensors_t* file, int index, graphc_status_t* status) {
  graphc_tensor_t* tensor = NULL;
  *status = graphc_safetensors_get(file, mlp_forward_arguments[index].name, &tensor);
  return *status ? NULL : (const float*)graphc_tensor_data(tensor);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: embed_c CHECKPOINT.safetensors [FASHION_MNIST_DIR]\n");
    return 2;
  }
  graphc_safetensors_t* checkpoint = NULL;
  graphc_status_t status = graphc_safetensors_load(argv[1], &checkpoint);
  if (status) return fail(status);

  /* Arguments: the images, then the parameters in state_dict order. */
  const float* p[6];
  for (int i = 0; i < 6; ++i) {
    p[i] = parameter(checkpoint, i + 1, &status);
    if (status) return fail(status);
  }

  graphc_dataset_t* test = NULL;
  status = graphc_dataset_load_mnist(argc > 2 ? argv[2] : NULL, false, &test);
  if (status) return fail(status);
  /* The model reads 784 values per image: check the images have them (a
   * data set of 1x1 images read past the end of every batch before). The
   * header's table says what the model's input is, batch first. */
  int64_t perImage = 1, modelPerImage = 1;
  for (int32_t d = 0; d < graphc_dataset_image_rank(test); ++d)
    perImage *= graphc_dataset_image_shape(test)[d];
  const graphc_model_tensor_info* input = &mlp_forward_arguments[0]; /* from mlp.h */
  for (int32_t d = 1; d < input->rank; ++d) modelPerImage *= input->shape[d];
  if (perImage != modelPerImage) {
    fprintf(stderr, "embed_c: the images in %s have %lld values, the model takes %lld\n",
            argc > 2 ? argv[2] : GRAPHC_FASHION_MNIST_DIR, (long long)perImage,
            (long long)modelPerImage);
    graphc_dataset_release(test);
    return 1;
  }
  graphc_loader_t* loader = NULL;
  status = graphc_loader_create(test, 100, false, false, 0, 0.5f, 0.5f, &loader);
  if (status) return fail(status);

  /* The same model as a program object, its parameters from the checkpoint. */
  graphc_program_t* program = NULL;
  status = graphc_program_create(&mlp_model, &program);
  if (status) return fail(status);
  status = graphc_program_load(program, argv[1], 0);
  if (status) return fail(status);

  int64_t correct = 0, total = 0, disagreements = 0;
  float* logp = malloc(sizeof(float) * 100 * 10);
  for (;;) {
    graphc_tensor_t *images = NULL, *labels = NULL;
    status = graphc_loader_next(loader, &images, &labels);
    if (status && graphc_status_code(status) == GRAPHC_OUT_OF_RANGE) {
      graphc_status_free(status);
      break;
    }
    if (status) return fail(status);
    int64_t batch = graphc_tensor_shape(labels)[0];
    /* [B, 1, 28, 28] images are the model's [B, 784] input, byte for byte. */
    if (mlp_forward(batch, graphc_tensor_data(images), p[0], p[1], p[2], p[3], p[4], p[5], logp)) {
      fprintf(stderr, "embed_c: mlp_forward failed\n");
      return 1;
    }
    /* The program checks shapes: hand it the images as [B, 784], a view of
     * the same bytes (wrapped, not copied). */
    const int64_t flatShape[2] = {batch, 784};
    graphc_tensor_t *flat = NULL, *output = NULL;
    status = graphc_tensor_wrap(GRAPHC_DTYPE_F32, 2, flatShape, graphc_tensor_data(images), NULL,
                                NULL, &flat);
    if (status) return fail(status);
    status = graphc_program_forward(program, flat, &output);
    graphc_tensor_release(flat);
    if (status) return fail(status);
    const float* programLogp = graphc_tensor_data(output);
    const int64_t* y = graphc_tensor_data(labels);
    for (int64_t i = 0; i < batch; ++i) {
      int best = 0, programBest = 0;
      for (int c = 1; c < 10; ++c) {
        if (logp[i * 10 + c] > logp[i * 10 + best]) best = c;
        if (programLogp[i * 10 + c] > programLogp[i * 10 + programBest]) programBest = c;
      }
      correct += best == y[i];
      disagreements += best != programBest;
    }
    graphc_tensor_release(output);
    total += batch;
    graphc_tensor_release(images);
    graphc_tensor_release(labels);
  }
  printf("accuracy: %.2f%% (%lld/%lld)\n", 100.0 * correct / total, (long long)correct,
         (long long)total);
  printf("program object: %lld predictions differ, arena allocated %lld time(s)\n",
         (long long)disagreements, (long long)graphc_program_arena_allocations(program));
  free(logp);
  graphc_program_release(program);
  graphc_loader_release(loader);
  graphc_dataset_release(test);
  graphc_safetensors_release(checkpoint);
  return disagreements == 0 ? 0 : 1;
}
