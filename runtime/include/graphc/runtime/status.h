/*
 * graphc runtime: status objects.
 *
 * Every fallible runtime function returns a graphc_status_t. NULL means
 * success, so the common path costs nothing and needs no cleanup; a non-NULL
 * status is owned by the caller and must be freed with graphc_status_free().
 * Messages are complete sentences that name the file, tensor or argument
 * involved and what was expected, so a tool can print them verbatim.
 */
#ifndef GRAPHC_RUNTIME_STATUS_H_
#define GRAPHC_RUNTIME_STATUS_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque; NULL is the OK status. */
typedef struct graphc_status_s* graphc_status_t;

typedef enum graphc_status_code_e {
  GRAPHC_OK = 0,
  GRAPHC_INVALID_ARGUMENT = 1,  /* the caller passed something invalid */
  GRAPHC_OUT_OF_RANGE = 2,      /* a value does not fit where it must go */
  GRAPHC_NOT_FOUND = 3,         /* a named file, tensor or key is missing */
  GRAPHC_IO_ERROR = 4,          /* the OS failed to read or write */
  GRAPHC_DATA_LOSS = 5,         /* a file is corrupt or malformed */
  GRAPHC_INTERNAL = 6,          /* a bug in graphc */
  GRAPHC_UNIMPLEMENTED = 7,     /* valid input that graphc does not support */
  GRAPHC_RESOURCE_EXHAUSTED = 8, /* out of memory */
  GRAPHC_UNAVAILABLE = 9         /* a driver or device the call needs is not there (CUDA) */
} graphc_status_code_t;

/* GRAPHC_OK for NULL. */
graphc_status_code_t graphc_status_code(graphc_status_t status);

/* "" for NULL. The string lives as long as the status. */
const char* graphc_status_message(graphc_status_t status);

/* "OK", "INVALID_ARGUMENT", ...; "UNKNOWN" for values outside the enum. */
const char* graphc_status_code_name(graphc_status_code_t code);

/* Accepts NULL. */
void graphc_status_free(graphc_status_t status);

/* Frees memory the runtime handed to the caller (e.g. graphc_tensor_format's
 * string). Accepts NULL. */
void graphc_free(void* ptr);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRAPHC_RUNTIME_STATUS_H_ */
