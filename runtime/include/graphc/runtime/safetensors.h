/*
 * graphc runtime: safetensors files (https://github.com/huggingface/safetensors).
 *
 * Layout: an 8-byte little-endian header length N, N bytes of JSON mapping
 * each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} plus
 * an optional "__metadata__" string-to-string map, then the data section the
 * offsets point into. graphc supports the dtypes F32, F64, I32, I64 and BOOL.
 *
 * Checkpoints use this format so that a PyTorch state_dict saved with
 * safetensors.torch.save_file loads into graphc and the other way round.
 */
#ifndef GRAPHC_RUNTIME_SAFETENSORS_H_
#define GRAPHC_RUNTIME_SAFETENSORS_H_

#include <stddef.h>
#include <stdint.h>

#include "graphc/runtime/status.h"
#include "graphc/runtime/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Reading ----------------------------------------------------------- */

/* The tensors of one file, loaded into memory (each tensor owns a copy of
 * its data, so the file may change or vanish afterwards). */
typedef struct graphc_safetensors_s graphc_safetensors_t;

/* Reads and validates the whole file. The reader follows the reference
 * implementation's rules: the header must be a JSON object; every tensor
 * needs a supported dtype, a shape of at most GRAPHC_TENSOR_MAX_RANK
 * non-negative dimensions and data_offsets whose span equals the shape's
 * byte size; the tensors must tile the data section exactly (no overlap, no
 * gap, nothing past the end, no trailing bytes). Errors name the file, the
 * tensor and what was expected vs found:
 *   GRAPHC_NOT_FOUND       the file does not exist
 *   GRAPHC_IO_ERROR        it cannot be opened or read
 *   GRAPHC_DATA_LOSS       it is truncated, corrupt or not safetensors
 *   GRAPHC_UNIMPLEMENTED   a valid file with a dtype or rank graphc lacks
 * BOOL bytes other than 0 are read as 1 (true), as torch does. */
graphc_status_t graphc_safetensors_load(const char* path, graphc_safetensors_t** out_file);

/* Both accept NULL. Tensors obtained from the file stay valid only while the
 * file object is alive, unless the caller retains them. */
void graphc_safetensors_retain(graphc_safetensors_t* file);
void graphc_safetensors_release(graphc_safetensors_t* file);

/* The path the file was loaded from. */
const char* graphc_safetensors_path(const graphc_safetensors_t* file);

/* Tensors are indexed in ascending byte-wise order of their names (the
 * order safetensors' safe_open().keys() reports), independent of the order
 * of keys or data in the file. */
size_t graphc_safetensors_count(const graphc_safetensors_t* file);

/* NULL when index >= count. The strings live as long as the file object. */
const char* graphc_safetensors_name(const graphc_safetensors_t* file, size_t index);

/* Borrowed; NULL when index >= count. */
graphc_tensor_t* graphc_safetensors_tensor_at(const graphc_safetensors_t* file, size_t index);

/* Looks a tensor up by name. On success *out_tensor is borrowed from the
 * file (retain it to keep it longer). A missing name is GRAPHC_NOT_FOUND
 * with a message naming the file and the tensor. */
graphc_status_t graphc_safetensors_get(const graphc_safetensors_t* file, const char* name,
                                       graphc_tensor_t** out_tensor);

/* The "__metadata__" entries, in ascending key order. */
size_t graphc_safetensors_metadata_count(const graphc_safetensors_t* file);
const char* graphc_safetensors_metadata_key(const graphc_safetensors_t* file, size_t index);

/* The value stored under `key`, or NULL when there is none. */
const char* graphc_safetensors_metadata(const graphc_safetensors_t* file, const char* key);

/* ---- Writing ----------------------------------------------------------- */

typedef struct graphc_safetensors_writer_s graphc_safetensors_writer_t;

graphc_status_t graphc_safetensors_writer_create(graphc_safetensors_writer_t** out_writer);

/* Both accept NULL. */
void graphc_safetensors_writer_retain(graphc_safetensors_writer_t* writer);
void graphc_safetensors_writer_release(graphc_safetensors_writer_t* writer);

/* Adds a tensor under `name` (non-empty UTF-8, not "__metadata__", not
 * already added). The writer retains the tensor and reads its data when
 * saving, so later writes to the tensor before save are saved too. */
graphc_status_t graphc_safetensors_writer_add(graphc_safetensors_writer_t* writer, const char* name,
                                              graphc_tensor_t* tensor);

/* Sets (or replaces) a "__metadata__" entry; key and value must be UTF-8.
 * No "__metadata__" object is written when no entry was set. */
graphc_status_t graphc_safetensors_writer_set_metadata(graphc_safetensors_writer_t* writer,
                                                       const char* key, const char* value);

/* Writes the file atomically: the bytes go to a temporary file in the same
 * directory, which is fsync'ed and then renamed over `path`, so `path` holds
 * either its old contents or the complete new file, never a partial one.
 * The layout matches safetensors' own writer: tensors ordered by dtype
 * (I64, F64, F32, I32, BOOL, i.e. widest first) then by name, data packed
 * in that order, header compact JSON padded with spaces to a multiple of 8
 * bytes, which keeps every tensor naturally aligned. With at most one
 * metadata entry the file is byte-identical to safetensors' (which writes
 * several entries in hash order; graphc writes them sorted by key). The
 * writer may save again. */
graphc_status_t graphc_safetensors_writer_save(const graphc_safetensors_writer_t* writer,
                                               const char* path);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRAPHC_RUNTIME_SAFETENSORS_H_ */
