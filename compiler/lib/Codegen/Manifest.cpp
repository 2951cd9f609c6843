//===- Manifest.cpp - the JSON manifest of a compiled model ---------------===//

#include "graphc/Codegen/CInterface.h"
#include "CInterfaceUtils.h"

#include "llvm/ADT/STLExtras.h"

#include <nlohmann/json.hpp>

namespace graphc {

using namespace detail;

/// The role as the graph writes it (#graph.role<...>).
static const char *roleName(graphc_model_role_t role) {
  switch (role) {
  case GRAPHC_ROLE_INPUT:
    return "input";
  case GRAPHC_ROLE_TARGET:
    return "target";
  case GRAPHC_ROLE_PARAMETER:
    return "parameter";
  case GRAPHC_ROLE_STATE:
    return "optimizer_state";
  case GRAPHC_ROLE_STEP:
    return "step";
  case GRAPHC_ROLE_LR:
    return "lr";
  case GRAPHC_ROLE_RESULT:
    return "result";
  case GRAPHC_ROLE_BUFFER:
    return "buffer";
  case GRAPHC_ROLE_RNG_STATE:
    return "rng_state";
  case GRAPHC_ROLE_GRADIENT:
    return "gradient";
  }
  return "unknown";
}

void emitJsonManifest(llvm::raw_ostream &os, llvm::StringRef prefix,
                      const llvm::StringMap<FunctionSignature> &signatures) {
  auto tensor = [](const TensorSignature &t, bool updated) {
    nlohmann::json j = {{"name", t.name},
                        {"dtype", graphc_dtype_name(t.dtype)},
                        {"shape", t.shape},
                        {"updated_in_place", updated}};
    if (t.initBound > 0)
      j["init_bound"] = t.initBound;
    if (!t.initData.empty())
      j["has_initial_value"] = true;
    if (t.role == GRAPHC_ROLE_STATE)
      j["optimizer_state"] = true;
    if (t.role != GRAPHC_ROLE_RESULT)
      j["role"] = roleName(t.role);
    return j;
  };
  nlohmann::json functions = nlohmann::json::array();
  for (auto &[name, sig] : ordered(signatures)) {
    nlohmann::json arguments = nlohmann::json::array(), results = nlohmann::json::array();
    for (size_t i = 0; i < sig->arguments.size(); ++i)
      arguments.push_back(tensor(sig->arguments[i], llvm::is_contained(sig->updatedArguments, i)));
    for (const TensorSignature &r : sig->results)
      results.push_back(tensor(r, false));
    functions.push_back({{"name", name},
                         {"c_function", cIdentifier(prefix) + "_" + cIdentifier(name)},
                         {"arguments", arguments},
                         {"results", results}});
  }
  nlohmann::json manifest = {{"model", prefix.str()},
                             {"format", "graphc-model-1"},
                             {"batch", "a dimension -k is k times the batch B (-1 is B)"},
                             {"functions", functions}};
  os << manifest.dump(2) << "\n";
}

} // namespace graphc
