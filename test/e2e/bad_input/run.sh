#!/usr/bin/env bash
# Bad input to a standalone training executable and its training loop
# (CTest: e2e.bad_input, issue 11): each case runs the executable and checks
# that it fails with the expected exit code and a message naming the flag,
# file or value; the good cases check what is printed. One line per case,
# then "N passed, M failed".
#
# Usage: run.sh GRAPHC MLP_TRAIN WORK_DIR
#   MLP_TRAIN writes the seeds' MLP graph (--emit-graph); the data is Debian's
#   dataset-fashion-mnist, which the bootstrap installs.
set -uo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: $0 GRAPHC MLP_TRAIN WORK_DIR" >&2
  exit 2
fi
graphc=$1 mlp_train=$2 work=$3
rm -rf "$work" && mkdir -p "$work" || exit 2
"$mlp_train" --emit-graph "$work/mlp.mlir" > /dev/null 2>&1 &&
  "$graphc" "$work/mlp.mlir" --train --loss=nll --optimizer=sgd --emit=exe -o "$work/mlp" || {
    echo "could not build the executable" >&2
    exit 2
  }
exe=$work/mlp
quick=(--limit-train 128 --limit-test 64 --batch 64)
passed=0 failed=0

# expect CODE "FRAGMENT" ARGS...: the executable exits with CODE and its
# output contains FRAGMENT.
expect() {
  local code=$1 fragment=$2
  shift 2
  local output status
  output=$("$exe" "$@" 2>&1)
  status=$?
  if [[ $status -eq $code && $output == *"$fragment"* ]]; then
    echo "PASS $* -> exit $status, '$fragment'"
    passed=$((passed + 1))
  else
    echo "FAIL $* -> exit $status (expected $code), output:"
    echo "$output" | head -5 | sed 's/^/    /'
    echo "    (expected to contain '$fragment')"
    failed=$((failed + 1))
  fi
}

# Flags: parsed whole and range checked, named with their value.
expect 2 "--epochs 1e99: expected an integer from 1 to 1000000" --epochs 1e99
expect 2 "--epochs 2abc: expected an integer from 1 to 1000000" --epochs 2abc
expect 2 "--epochs 0: expected an integer from 1 to 1000000" --epochs 0
expect 2 "--batch 1e3: expected an integer from 1 to 16777216" --batch 1e3
expect 2 "--batch abc: expected an integer" --batch abc
expect 2 "--batch 5x: expected an integer" --batch 5x
expect 2 "--seed -1: expected an integer from 0 to 18446744073709551615" --seed -1
expect 2 "--threads -3: expected an integer from 1 to 1024" --threads -3
expect 2 "--threads 100000: expected an integer from 1 to 1024" --threads 100000
expect 2 "--limit-train -5: expected an integer from 0" --limit-train -5
expect 2 "--lr -1: expected a finite number >= 0" --lr -1
expect 2 "--lr nan: expected a finite number >= 0" --lr nan
expect 2 "--lr inf: expected a finite number >= 0" --lr inf
expect 2 "unrecognized option" --no-such-flag
expect 2 "requires an argument" --epochs
expect 2 "unexpected argument 'stray'" stray

# Contradicting flags are refused before any work.
expect 1 "--resume and --load both give the starting weights" --resume a --load b "${quick[@]}"
expect 1 "--eval-only trains nothing, so --save would" --eval-only --save "$work/x" "${quick[@]}"

# A checkpoint to resume from, then its metadata corrupted.
"$exe" "${quick[@]}" --epochs 1 --save "$work/ck.safetensors" > /dev/null 2>&1 ||
  echo "FAIL: the quick training run for a checkpoint failed"
expect 0 "resumed from epoch 1, step 2 of $work/ck.safetensors" "${quick[@]}" --epochs 2 \
  --resume "$work/ck.safetensors"
expect 0 "the run finished 1 of 1 epoch(s) already; nothing to train" "${quick[@]}" --epochs 1 \
  --resume "$work/ck.safetensors"
# ... and prints the checkpoint's accuracy, not 0.00%.
output=$("$exe" "${quick[@]}" --epochs 1 --resume "$work/ck.safetensors" 2>&1)
if [[ $output == *"test accuracy: "* && $output != *"test accuracy: 0.00%"* ]]; then
  echo "PASS a finished run resumed prints the checkpoint's accuracy"
  passed=$((passed + 1))
else
  echo "FAIL a finished run resumed prints: $output"
  failed=$((failed + 1))
fi
for bad in -5 2junk abc ""; do
  python3 - "$work/ck.safetensors" "$work/bad.safetensors" "$bad" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
header["__metadata__"]["epoch"] = sys.argv[3]
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + data[8 + n:])
PY
  expect 1 "the checkpoint's metadata 'epoch' is '$bad', expected an integer from 0" \
    "${quick[@]}" --epochs 3 --resume "$work/bad.safetensors"
done

# pass NAME CONDITION...: one check of a file's state.
pass() {
  local name=$1
  shift
  if "$@"; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
  fi
}

# --save never destroys a user's file: a read-only file is refused and kept;
# a symbolic link is written through and stays a link.
cp "$work/ck.safetensors" "$work/ro.safetensors"
chmod 444 "$work/ro.safetensors"
expect 1 "ro.safetensors': is read-only; not replacing it" "${quick[@]}" --epochs 1 \
  --save "$work/ro.safetensors"
pass "the read-only checkpoint is unchanged" cmp -s "$work/ck.safetensors" "$work/ro.safetensors"
cp "$work/ck.safetensors" "$work/target.safetensors"
ln -sf "$work/target.safetensors" "$work/link.safetensors"
expect 0 "epoch 1:" "${quick[@]}" --epochs 1 --seed 7 --save "$work/link.safetensors"
pass "--save through a link keeps the link" test -L "$work/link.safetensors"
pass "--save through a link writes the file it names" \
  bash -c "! cmp -s '$work/ck.safetensors' '$work/target.safetensors'"

# The temporary file of a save killed half-way (its process is gone) is
# removed by the next save.
dead=$(sh -c 'echo $$')
touch "$work/st.safetensors.tmp-$dead-0"
expect 0 "epoch 1:" "${quick[@]}" --epochs 1 --save "$work/st.safetensors"
pass "a dead process's temporary checkpoint is removed" test ! -e "$work/st.safetensors.tmp-$dead-0"

# A second run writing the same checkpoint or metrics is refused.
flock "$work/busy.safetensors.lock" sleep 5 &
holder=$!
sleep 0.5
expect 1 "another run is writing $work/busy.safetensors" "${quick[@]}" --save "$work/busy.safetensors"
flock "$work/busy.jsonl.lock" sleep 5 &
holder2=$!
sleep 0.5
expect 1 "another run is writing $work/busy.jsonl" "${quick[@]}" --metrics "$work/busy.jsonl"
kill $holder $holder2 2> /dev/null

# Outputs are checked before the first step, not after an epoch.
output=$("$exe" "${quick[@]}" --save /nonexistent-dir/ck.safetensors 2>&1)
status=$?
if [[ $status -ne 0 && $output == *"cannot write beside /nonexistent-dir/ck.safetensors"* &&
      $output != *"epoch 1:"* ]]; then
  echo "PASS --save into a missing directory fails before training"
  passed=$((passed + 1))
else
  echo "FAIL --save into a missing directory: exit $status, $output"
  failed=$((failed + 1))
fi

# Data the model cannot use is refused before the first step, naming the
# set: a label outside its 10 classes, images of another size, an empty set.
make_data() { # DIR ROWS COLS COUNT BAD_LABEL
  python3 - "$@" <<'PY'
import os, struct, sys
d, rows, cols, n, bad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
os.makedirs(d, exist_ok=True)
for split in ("train", "t10k"):
    with open(f"{d}/{split}-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, rows, cols) + bytes((i * 7) % 256 for i in range(n * rows * cols)))
    labels = [i % 10 for i in range(n)]
    if split == "train" and n > 3 and bad >= 0:
        labels[3] = bad
    with open(f"{d}/{split}-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 2049, n) + bytes(labels))
PY
}
make_data "$work/labels" 28 28 16 200
expect 1 "the training set in $work/labels: label 3 is 200, outside the model's 10 classes" \
  --data "$work/labels" --batch 8
make_data "$work/small" 8 8 16 -1
expect 1 "the test set in $work/small has images of 1x8x8 (64 values); the model takes 784 per sample" \
  --data "$work/small" --batch 8
make_data "$work/empty" 28 28 0 -1
expect 1 "the test set in $work/empty is empty" --data "$work/empty" --batch 8

# SIGINT and SIGTERM: the step finishes, a checkpoint of the exact position
# is written, the run exits with 130 / 143, and --resume continues with the
# next batch, ending byte for byte where an uninterrupted run ends.
# (GRAPHC_RAISE_SIGNAL_AT_STEP=N:SIG raises the signal after step N.)
run=(--limit-train 640 --limit-test 64 --batch 64 --epochs 2 --seed 3)
"$exe" "${run[@]}" --save "$work/full.safetensors" > "$work/full.txt" 2>&1
GRAPHC_RAISE_SIGNAL_AT_STEP=13:2 expect 130 \
  "interrupted by SIGINT at epoch 2, batch 3 of 10 (step 13)" "${run[@]}" --save "$work/part.safetensors"
output=$(GRAPHC_RAISE_SIGNAL_AT_STEP=13:2 "$exe" "${run[@]}" --save "$work/part.safetensors" 2>&1)
pass "the interrupted run says how to resume" \
  test -n "$(grep -F "continue with --resume $work/part.safetensors" <<< "$output")"
expect 0 "resumed from epoch 2, batch 3, step 13 of $work/part.safetensors" "${run[@]}" \
  --resume "$work/part.safetensors" --save "$work/part.safetensors"
pass "interrupted + resumed ends byte for byte as uninterrupted" \
  cmp -s "$work/full.safetensors" "$work/part.safetensors"
GRAPHC_RAISE_SIGNAL_AT_STEP=13:2 "$exe" "${run[@]}" --save "$work/part2.safetensors" > /dev/null 2>&1
"$exe" "${run[@]}" --resume "$work/part2.safetensors" --save "$work/part2.safetensors" 2>&1 |
  grep '^epoch 2:' | sed 's/, [0-9]* images.s//' > "$work/resumed_epoch2.txt"
grep '^epoch 2:' "$work/full.txt" | sed 's/, [0-9]* images.s//' > "$work/full_epoch2.txt"
pass "the resumed epoch's line equals the uninterrupted one's" \
  bash -c "test -s '$work/full_epoch2.txt' && diff -q '$work/full_epoch2.txt' '$work/resumed_epoch2.txt'"
GRAPHC_RAISE_SIGNAL_AT_STEP=13:2 "$exe" "${run[@]}" --save "$work/part3.safetensors" > /dev/null 2>&1
expect 1 "stopped inside an epoch with --seed 3; resuming it with --seed 4 would train a different data order" \
  --limit-train 640 --limit-test 64 --batch 64 --epochs 2 --seed 4 --resume "$work/part3.safetensors"
# A signal during an epoch's last batch (or its evaluation) stops after that
# epoch's checkpoint.
GRAPHC_RAISE_SIGNAL_AT_STEP=10:2 expect 130 \
  "interrupted by SIGINT after epoch 1 (step 10); continue with --resume $work/last.safetensors" \
  "${run[@]}" --save "$work/last.safetensors"
GRAPHC_RAISE_SIGNAL_AT_STEP=4:15 expect 143 "interrupted by SIGTERM at epoch 1, batch 4 of 10" \
  "${run[@]}" --save "$work/term.safetensors"
GRAPHC_RAISE_SIGNAL_AT_STEP=4:2 expect 130 "nothing saved (no --save)" "${run[@]}"

# graphc --emit=exe refuses at compile time a model the executable cannot
# train (its data loader gives images and int64 class labels).
output=$("$graphc" "$work/mlp.mlir" --train --loss=mse --emit=exe -o "$work/mse_exe" 2>&1)
pass "--emit=exe refuses an MSE target at compile time" \
  test -n "$(grep -F "trains from class labels (int64 [B]); the loss takes a target of float32" <<< "$output")"
pass "... and writes no executable" test ! -e "$work/mse_exe"

# A fixed-batch executable (--batch=64) trains at 64, drops the last partial
# training batch, still evaluates every test image, and refuses another --batch.
"$graphc" "$work/mlp.mlir" --train --loss=nll --batch=64 --emit=exe -o "$work/mlp64" ||
  echo "FAIL: graphc --batch=64 --emit=exe"
exe_dynamic=$exe
exe=$work/mlp64
expect 0 "epoch 1: train loss" --limit-train 150 --limit-test 100 --epochs 1
expect 0 "/100), " --limit-train 150 --limit-test 100 --epochs 1
expect 1 "the training step was compiled for batches of 64 (graphc --batch=64); --batch 32 cannot run it" \
  --batch 32 --limit-train 150 --limit-test 100
exe=$exe_dynamic

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
