/* graphc runtime: the contract between a standalone training executable's
 * generic main (libgraphc_standalone.a) and the model graphc compiled into it
 * (`graphc --train --emit=exe`): the model's object file defines this pointer
 * to its graphc_model_t (NAME_model), which the main runs through a program
 * object (graphc/runtime/program.h). */
#ifndef GRAPHC_RUNTIME_STANDALONE_H_
#define GRAPHC_RUNTIME_STANDALONE_H_

#include "graphc/runtime/program.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const graphc_model_t* const graphc_standalone_model;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GRAPHC_RUNTIME_STANDALONE_H_ */
