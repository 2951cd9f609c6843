/* Compiled as C11 with -pedantic-errors: proves the public headers are
 * plain C (the C ABI contract) and exercises the API the way a C program
 * embedding graphc would. Returns 0 on success, or the failing line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graphc/runtime/cuda.h"
#include "graphc/runtime/data.h"
#include "graphc/runtime/program.h"
#include "graphc/runtime/safetensors.h"
#include "graphc/runtime/status.h"
#include "graphc/runtime/tensor.h"

#define CHECK(cond)               \
  do {                            \
    if (!(cond)) return __LINE__; \
  } while (0)

static int g_released = 0;

static void on_release(void* user) {
  (void)user;
  g_released++;
}

int graphc_c_api_smoke(const char* scratch_path) {
  float values[6] = {3, 9, 15, 3, 9, 15};
  int64_t shape[2] = {2, 3};
  graphc_tensor_t* tensor = NULL;
  graphc_tensor_t* wrapped = NULL;
  graphc_tensor_t* loaded = NULL;
  graphc_safetensors_writer_t* writer = NULL;
  graphc_safetensors_t* file = NULL;
  graphc_status_t status;
  char* text = NULL;

  g_released = 0; /* so the test also passes under --gtest_repeat */
  status = graphc_tensor_create(GRAPHC_DTYPE_F32, 2, shape, values, &tensor);
  CHECK(status == NULL);
  CHECK(graphc_tensor_numel(tensor) == 6);

  status = graphc_tensor_format(tensor, &text);
  CHECK(status == NULL);
  CHECK(strcmp(text, "tensor([[ 3.,  9., 15.],\n        [ 3.,  9., 15.]])") == 0);
  graphc_free(text);

  shape[1] = -3;
  status = graphc_tensor_create(GRAPHC_DTYPE_F32, 2, shape, NULL, &wrapped);
  CHECK(graphc_status_code(status) == GRAPHC_INVALID_ARGUMENT);
  CHECK(strstr(graphc_status_message(status), "shape[1] is -3") != NULL);
  graphc_status_free(status);
  shape[1] = 3;

  status = graphc_tensor_wrap(GRAPHC_DTYPE_F32, 2, shape, values, on_release, NULL, &wrapped);
  CHECK(status == NULL);

  status = graphc_safetensors_writer_create(&writer);
  CHECK(status == NULL);
  CHECK(graphc_safetensors_writer_add(writer, "w", wrapped) == NULL);
  CHECK(graphc_safetensors_writer_set_metadata(writer, "format", "pt") == NULL);
  CHECK(graphc_safetensors_writer_save(writer, scratch_path) == NULL);
  graphc_safetensors_writer_release(writer);
  graphc_tensor_release(wrapped);
  CHECK(g_released == 1); /* the writer's reference was the last one */

  status = graphc_safetensors_load(scratch_path, &file);
  CHECK(status == NULL);
  CHECK(graphc_safetensors_count(file) == 1);
  CHECK(graphc_safetensors_get(file, "w", &loaded) == NULL);
  CHECK(memcmp(graphc_tensor_data(loaded), values, sizeof(values)) == 0);
  CHECK(strcmp(graphc_safetensors_metadata(file, "format"), "pt") == 0);
  graphc_safetensors_release(file);

  graphc_tensor_release(tensor);
  return 0;
}

/* A dataset of 5 one-pixel images and a shuffling loader, as a C training
 * loop would drive them. */
int graphc_c_api_data_smoke(void) {
  float pixels[5] = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f};
  int64_t labels[5] = {0, 1, 2, 3, 4};
  int64_t image_shape[4] = {5, 1, 1, 1};
  int64_t label_shape[1] = {5};
  graphc_tensor_t* images = NULL;
  graphc_tensor_t* targets = NULL;
  graphc_dataset_t* dataset = NULL;
  graphc_loader_t* loader = NULL;
  graphc_tensor_t* x = NULL;
  graphc_tensor_t* y = NULL;
  graphc_status_t status;
  int64_t seen = 0;
  int64_t label_sum = 0;
  int batches = 0;

  CHECK(graphc_tensor_wrap(GRAPHC_DTYPE_F32, 4, image_shape, pixels, NULL, NULL, &images) == NULL);
  CHECK(graphc_tensor_wrap(GRAPHC_DTYPE_I64, 1, label_shape, labels, NULL, NULL, &targets) == NULL);
  CHECK(graphc_dataset_create(images, targets, &dataset) == NULL);
  graphc_tensor_release(images); /* the dataset holds its own references */
  graphc_tensor_release(targets);
  CHECK(graphc_dataset_count(dataset) == 5);
  CHECK(graphc_dataset_image_rank(dataset) == 3);

  CHECK(graphc_loader_create(dataset, 2, true, false, 42, 0.5f, 0.5f, &loader) == NULL);
  graphc_dataset_release(dataset);
  CHECK(graphc_loader_num_batches(loader) == 3);
  CHECK(graphc_loader_set_epoch(loader, 1) == NULL);
  while ((status = graphc_loader_next(loader, &x, &y)) == NULL) {
    int64_t i;
    const float* xs = (const float*)graphc_tensor_data(x);
    const int64_t* ys = (const int64_t*)graphc_tensor_data(y);
    for (i = 0; i < graphc_tensor_numel(y); ++i) {
      /* (pixel - 0.5) / 0.5 with pixel = label / 4 */
      CHECK(xs[i] == ((float)ys[i] / 4.0f - 0.5f) / 0.5f);
      label_sum += ys[i];
    }
    seen += graphc_tensor_numel(y);
    ++batches;
    graphc_tensor_release(x);
    graphc_tensor_release(y);
  }
  CHECK(graphc_status_code(status) == GRAPHC_OUT_OF_RANGE);
  graphc_status_free(status);
  CHECK(batches == 3 && seen == 5 && label_sum == 10);
  graphc_loader_release(loader);
  return 0;
}
