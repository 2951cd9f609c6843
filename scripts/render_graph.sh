#!/usr/bin/env bash
# Render one function of a graphc DOT file (graphc --emit=dot) as SVG.
#
#   scripts/render_graph.sh GRAPH.dot FUNCTION OUT.svg
#
# graphc draws one cluster per function, with all of the function's nodes and
# edges inside it (see tools/graphc/DotEmitter.cpp). This keeps the header and
# the cluster labelled FUNCTION, drops the others and runs `dot -Tsvg`.
# Example (the picture in docs/images/lenet_train_step.svg):
#
#   build/bin/lenet_train --emit-graph /tmp/lenet.mlir
#   build/bin/graphc /tmp/lenet.mlir --train --loss=cross_entropy --optimizer=adam \
#     --emit=dot -o /tmp/lenet_train.dot
#   scripts/render_graph.sh /tmp/lenet_train.dot train_step docs/images/lenet_train_step.svg
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 GRAPH.dot FUNCTION OUT.svg" >&2
  exit 2
fi
in=$1 function=$2 out=$3
command -v dot >/dev/null || { echo "$0: 'dot' not found (apt-get install graphviz)" >&2; exit 1; }

tmp=$(mktemp)
trap 'rm -f "$tmp" "$tmp.svg"' EXIT

# A cluster runs from "  subgraph cluster_N {" to its closing "  }"; its
# second line is 'label="NAME";'.
awk -v want="label=\"$function\";" '
  /^  subgraph cluster_[0-9]+ \{$/ { inside = 1; n = 0; buf = "" }
  inside {
    buf = buf $0 "\n"
    if (++n == 2) keep = ($1 == want)
    if ($0 == "  }") { if (keep) { printf "%s", buf; found = 1 } inside = 0; keep = 0 }
    next
  }
  { print }
  END { if (!found) exit 3 }
' "$in" >"$tmp" || {
  rc=$?
  [[ $rc -eq 3 ]] && echo "$0: no function '$function' in $in" >&2
  exit 1
}

dot -Tsvg "$tmp" -o "$tmp.svg"
mv "$tmp.svg" "$out"
echo "wrote $out ($(grep -c '<g id="node' "$out") nodes)"
