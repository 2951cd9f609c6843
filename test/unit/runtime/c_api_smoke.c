/* Compiled as C11 with -pedantic-errors: proves the public headers are
 * plain C (the C ABI contract) and exercises the API the way a C program
 * embedding graphc would. Returns 0 on success, or the failing line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
