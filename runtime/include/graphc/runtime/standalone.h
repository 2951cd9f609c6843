/* graphc runtime: the contract between a standalone training executable's
 * generic main (libgraphc_standalone.a) and the model graphc compiled into it
 * (`graphc --train --emit=exe`): the model's object file defines
 * graphc_standalone, which points at its graphc_model_t (NAME_model), run by
 * the main through a program object (graphc/runtime/program.h), and says
 * what the executable's --help and its label checks need. */
#ifndef GRAPHC_RUNTIME_STANDALONE_H_
#define GRAPHC_RUNTIME_STANDALONE_H_

#include "graphc/runtime/program.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct graphc_standalone_s {
  const graphc_model_t* model;
  /* The number of classes of the model's prediction [B, C] (the traced
   * function's first result), 0 when it is not such a prediction. The object
   * holds train_step and eval only, so the table has no forward to read it
   * from. Labels outside [0, C) are refused. */
  int64_t num_classes;
  /* The loss and the optimizer with its settings, as compiled:
   * "cross_entropy", "adam (beta1 0.9, beta2 0.999, eps 1e-08, weight decay 0)". */
  const char* loss;
  const char* optimizer;
} graphc_standalone_t;

extern const graphc_standalone_t graphc_standalone;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRAPHC_RUNTIME_STANDALONE_H_ */
