/*
 * graphc runtime: training data (IDX files, datasets, a batching loader).
 *
 * The analogue of torchvision.datasets.MNIST + transforms.ToTensor +
 * transforms.Normalize + torch.utils.data.DataLoader, for the datasets in
 * the MNIST IDX format (MNIST, Fashion-MNIST, KMNIST):
 *
 *   graphc_dataset_t* train = NULL;
 *   graphc_loader_t* loader = NULL;
 *   graphc_dataset_load_mnist(NULL, true, &train);        // Fashion-MNIST
 *   graphc_loader_create(train, 64, true, false, seed, 0.5f, 0.5f, &loader);
 *   for (uint64_t epoch = 0; epoch < epochs; ++epoch) {
 *     graphc_loader_set_epoch(loader, epoch);
 *     graphc_tensor_t *x, *y;
 *     while ((status = graphc_loader_next(loader, &x, &y)) == NULL) {
 *       ... x: float32 [B, 1, 28, 28], y: int64 [B] ...
 *       graphc_tensor_release(x); graphc_tensor_release(y);
 *     }
 *     // status is GRAPHC_OUT_OF_RANGE here: the epoch is over.
 *     graphc_status_free(status);
 *   }
 *
 * Ownership follows create/retain/release, as in tensor.h. Error messages
 * name the file or directory and what was expected versus found.
 */
#ifndef GRAPHC_RUNTIME_DATA_H_
#define GRAPHC_RUNTIME_DATA_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graphc/runtime/status.h"
#include "graphc/runtime/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- IDX files ---------------------------------------------------------- */

/* Loads an IDX file (http://yann.lecun.com/exdb/mnist/), gzip-compressed or
 * not: the format is detected from the content, not the file name. The file
 * is a big-endian header (magic number 0x000008DD where DD is the number of
 * dimensions, then DD 32-bit dimensions) followed by unsigned bytes. graphc
 * reads the two kinds the MNIST family uses:
 *   0x00000801 labels [N]      -> int64 [N], the byte values
 *   0x00000803 images [N,H,W]  -> float32 [N, 1, H, W], each byte / 255
 *                                 (transforms.ToTensor: pixels in [0, 1])
 * Errors name the file:
 *   GRAPHC_NOT_FOUND       the file does not exist
 *   GRAPHC_IO_ERROR        it cannot be opened or read
 *   GRAPHC_DATA_LOSS       a bad magic number (quoted in the message), a
 *                          truncated file or gzip stream ("expected N bytes
 *                          ..., found M"), corrupt gzip data, or bytes after
 *                          the data the header declares
 *   GRAPHC_UNIMPLEMENTED   a well-formed IDX header of another element type
 *                          or rank (e.g. float data)
 * Memory use is bounded by the data actually present in the file, so a
 * corrupt header cannot make the reader allocate gigabytes. */
graphc_status_t graphc_idx_load(const char* path, graphc_tensor_t** out_tensor);

/* ---- Datasets ----------------------------------------------------------- */

/* Where graphc_dataset_load_mnist looks when `dir` is NULL: the files of the
 * Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist). */
#define GRAPHC_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* An in-memory labelled dataset: `count` samples, images float32
 * [count, ...sample shape], labels int64 [count]. Immutable by convention:
 * loaders read the tensors when they build each batch. */
typedef struct graphc_dataset_s graphc_dataset_t;

/* Loads the training (`train`) or test split of an MNIST-format dataset
 * from `dir` (GRAPHC_FASHION_MNIST_DIR when NULL): the files
 *   {train,t10k}-images-idx3-ubyte.gz and {train,t10k}-labels-idx1-ubyte.gz,
 * or the same names without ".gz" (the .gz name wins when both exist).
 * Images are float32 [N, 1, H, W] in [0, 1] and labels int64 [N], as
 * graphc_idx_load returns them.
 * A missing directory or file is GRAPHC_NOT_FOUND with a message naming the
 * path and the Debian package dataset-fashion-mnist that provides it. An
 * images file holding labels (or the other way round) and a label count
 * different from the image count are GRAPHC_DATA_LOSS naming both files. */
graphc_status_t graphc_dataset_load_mnist(const char* dir, bool train,
                                          graphc_dataset_t** out_dataset);

/* Builds a dataset from tensors, which it retains (no copy): `images` is
 * float32 of rank >= 1 with the sample count as its first dimension,
 * `labels` is int64 [count]. GRAPHC_INVALID_ARGUMENT otherwise. */
graphc_status_t graphc_dataset_create(graphc_tensor_t* images, graphc_tensor_t* labels,
                                      graphc_dataset_t** out_dataset);

/* Both accept NULL. */
void graphc_dataset_retain(graphc_dataset_t* dataset);
void graphc_dataset_release(graphc_dataset_t* dataset);

/* Number of samples; 0 for NULL. */
int64_t graphc_dataset_count(const graphc_dataset_t* dataset);

/* The shape of one image, without the sample dimension ([1, 28, 28] for
 * Fashion-MNIST): graphc_dataset_image_rank entries, living as long as the
 * dataset. 0 / NULL for a NULL dataset. */
int32_t graphc_dataset_image_rank(const graphc_dataset_t* dataset);
const int64_t* graphc_dataset_image_shape(const graphc_dataset_t* dataset);

/* Borrowed: all images (float32 [count, ...]) and all labels (int64
 * [count]). Retain them to keep them longer than the dataset. */
graphc_tensor_t* graphc_dataset_images(const graphc_dataset_t* dataset);
graphc_tensor_t* graphc_dataset_labels(const graphc_dataset_t* dataset);

/* ---- Loader ------------------------------------------------------------- */

/* Cuts a dataset into batches, like torch.utils.data.DataLoader with
 * transforms.Normalize((mean,), (std,)). Not thread-safe: one thread
 * iterates a loader (several loaders may share a dataset). */
typedef struct graphc_loader_s graphc_loader_t;

/* Creates a loader over `dataset` (retained) positioned at the first batch
 * of epoch 0.
 *   batch_size  >= 1
 *   shuffle     visit the samples in a permutation that depends only on
 *               (seed, epoch); otherwise in dataset order
 *   drop_last   drop the last batch when it is smaller than batch_size;
 *               otherwise return it
 *   mean, std_dev
 *               every image element x becomes (x - mean) / std_dev, in
 *               float32 exactly as torch's Normalize((mean,), (std,)) does
 *               (the seeds use 0.5, 0.5; 0 and 1 leave the data unchanged).
 *               Both finite, std_dev non-zero.
 * GRAPHC_INVALID_ARGUMENT for anything else. */
graphc_status_t graphc_loader_create(graphc_dataset_t* dataset, int64_t batch_size, bool shuffle,
                                     bool drop_last, uint64_t seed, float mean, float std_dev,
                                     graphc_loader_t** out_loader);

/* Both accept NULL. */
void graphc_loader_retain(graphc_loader_t* loader);
void graphc_loader_release(graphc_loader_t* loader);

/* Starts epoch `epoch` from its first batch. With shuffle, the order is
 * recomputed from (seed, epoch) alone, whatever happened before, so the same
 * seed and epoch give the same order bit for bit, across runs, machines and
 * a resume. The algorithm (fixed; changing it changes every order):
 *   std::seed_seq seq{seed & 0xffffffff, seed >> 32,
 *                     epoch & 0xffffffff, epoch >> 32};
 *   std::mt19937_64 rng(seq);
 *   order = [0, 1, ..., count - 1];
 *   for i = count - 1 down to 1:          (Fisher-Yates)
 *     draw x = rng() until x >= 2^64 mod (i + 1); j = x mod (i + 1);
 *     swap(order[i], order[j]);
 * Both seed_seq and mt19937_64 are specified exactly by the C++ standard,
 * unlike std::uniform_int_distribution, which graphc therefore avoids. */
graphc_status_t graphc_loader_set_epoch(graphc_loader_t* loader, uint64_t epoch);

/* Goes back to the first batch of the current epoch (same order). */
graphc_status_t graphc_loader_reset(graphc_loader_t* loader);

/* Positions the loader so that the next batch is `batch_index` of the
 * current epoch (0 <= batch_index <= num_batches), e.g. to resume a run in
 * the middle of an epoch. */
graphc_status_t graphc_loader_seek(graphc_loader_t* loader, int64_t batch_index);

/* Data-parallel training: from now on every batch of B rows gives only rows
 * [B * begin / parts, B * end / parts) of it (integer division), the part of
 * the global batch one process trains on; the order and the number of
 * batches are unchanged, so every process takes the same steps. That part
 * may be empty (0 rows) for a last batch smaller than `parts`. (0, 1, 1), the
 * default, is the whole batch. */
graphc_status_t graphc_loader_set_shard(graphc_loader_t* loader, int64_t begin, int64_t end,
                                        int64_t parts);

/* Batches per epoch: ceil(count / batch_size), or floor with drop_last. */
int64_t graphc_loader_num_batches(const graphc_loader_t* loader);

/* The current epoch and the index of the batch graphc_loader_next returns
 * next (num_batches once the epoch is over). */
uint64_t graphc_loader_epoch(const graphc_loader_t* loader);
int64_t graphc_loader_batch_index(const graphc_loader_t* loader);

/* Returns the next batch as two fresh tensors owned by the caller (release
 * both): images float32 [B, ...image shape], normalized, and labels int64
 * [B]. B is batch_size except for a smaller last batch (never empty) when
 * drop_last is false. At the end of the epoch it returns GRAPHC_OUT_OF_RANGE
 * (the end-of-sequence signal, as in tf.data) and sets both outputs to NULL;
 * it keeps doing so until graphc_loader_set_epoch, _reset or _seek. */
graphc_status_t graphc_loader_next(graphc_loader_t* loader, graphc_tensor_t** out_images,
                                   graphc_tensor_t** out_labels);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRAPHC_RUNTIME_DATA_H_ */
