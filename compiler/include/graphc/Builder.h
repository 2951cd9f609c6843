//===- Builder.h - everything a graphc DSL program includes -----*- C++ -*-===//
#ifndef GRAPHC_BUILDER_H
#define GRAPHC_BUILDER_H

#include "graphc/Builder/Fit.h"
#include "graphc/Builder/Functional.h"
#include "graphc/Builder/Losses.h"
#include "graphc/Builder/NN.h"
#include "graphc/Builder/Random.h"
#include "graphc/Builder/Tensor.h"
#include "graphc/Builder/Trace.h"

#endif // GRAPHC_BUILDER_H
