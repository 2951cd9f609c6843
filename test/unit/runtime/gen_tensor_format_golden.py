#!/usr/bin/env python3
"""Regenerates tensor_format_golden.json: PyTorch's repr() of a varied set of
tensors, which tensor_format_test.cc compares graphc_tensor_format against
byte for byte. The test itself needs no Python or torch; rerun this script
(with torch installed) only when adding cases:

    python3 test/unit/runtime/gen_tensor_format_golden.py

Each case describes its data compactly so that the C++ test can rebuild the
exact same tensor:
  {"hex": "..."}                         raw little-endian element bytes
  {"lcg": {"seed", "bound", "scale_log2"}} pseudo-random k in [-bound, bound]
                                          (64-bit LCG, see lcg_ints), value
                                          k * 2**-scale_log2 (exact in float32)
  {"arange": {"start", "step"}}          start + i * step (exact dyadics)
  {"fill": v, "overrides": [[i, v]...]}  constant with a few elements set
                                          (non-finite values as "nan"/"inf"/"-inf")
"""

import json
import math
import os
import sys

import torch

MASK = (1 << 64) - 1
DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
}


def lcg_ints(seed, count, bound):
    """Must match LcgInts in tensor_format_test.cc."""
    x = seed & MASK
    out = []
    for _ in range(count):
        x = (x * 6364136223846793005 + 1442695040888963407) & MASK
        out.append(((x >> 33) % (2 * bound + 1)) - bound)
    return out


def numel(shape):
    return math.prod(shape)


def values_for(spec, shape, dtype):
    n = numel(shape)
    is_int = dtype in ("int32", "int64")
    if "lcg" in spec:
        p = spec["lcg"]
        ks = lcg_ints(p["seed"], n, p["bound"])
        if is_int:
            return ks
        if dtype == "bool":
            return [k != 0 for k in ks]
        return [k * 2.0 ** -p["scale_log2"] for k in ks]
    if "arange" in spec:
        p = spec["arange"]
        return [p["start"] + i * p["step"] for i in range(n)]
    if "fill" in spec:
        values = [spec["fill"]] * n
        for index, value in spec.get("overrides", []):
            values[index] = float(value)  # "nan"/"inf"/"-inf" strings too
        return values
    raise ValueError(spec)


def make_tensor(case):
    dtype = DTYPES[case["dtype"]]
    shape = case["shape"]
    spec = case["data"]
    if "values" in spec:
        # Convenience for writing cases; stored as hex so that nan/inf/-0.0
        # survive JSON.
        t = torch.tensor(spec.pop("values"), dtype=dtype).reshape(shape)
        spec["hex"] = t.numpy().tobytes().hex()
        return t
    values = values_for(spec, shape, case["dtype"])
    if case["dtype"] in ("float32", "float64"):
        values = [float(v) for v in values]
    return torch.tensor(values, dtype=dtype).reshape(shape)


nan, inf = float("nan"), float("inf")


def V(values):
    return {"values": values}


def lcg(seed, bound, scale_log2=0):
    return {"lcg": {"seed": seed, "bound": bound, "scale_log2": scale_log2}}


def arange(start, step):
    return {"arange": {"start": start, "step": step}}


CASES = [
    # The examples the design doc and the seeds rely on.
    ("scalar_float", "float32", [], V([2.0])),
    ("matrix_int_mode_width", "float32", [2, 3], V([3, 9, 15, 3, 9, 15])),
    ("vector_equal_values", "float32", [2], V([4, 4])),
    ("row_small_fractions", "float32", [1, 3], V([0.0363, -0.0747, 0.1019])),
    ("sci_small_and_one", "float32", [2], V([1e-5, 1.0])),
    # int_mode / fixed / scientific decisions.
    ("negative_int_mode", "float32", [3], V([-1.0, 2.0, -3.0])),
    ("negative_fractions", "float32", [4], V([1.5, -2.25, 100.125, -0.5])),
    ("rounding_to_precision", "float32", [3], V([0.12345, 1.23456, -9.87654])),
    ("sci_large_value", "float32", [2], V([1e10, 1.0])),
    ("sci_scalar_large", "float32", [], V([1e9])),
    ("sci_ratio_over_1000", "float32", [2], V([0.001, 2.0])),
    ("ratio_exactly_1000", "float32", [2], V([1.0, 1000.0])),
    ("min_near_1e-4", "float32", [2], V([0.0001, 0.1])),
    ("float64_min_exactly_1e-4", "float64", [2], V([0.0001, 0.1])),
    ("int_mode_wide", "float32", [2], V([123456.0, 1000.0])),
    ("int_mode_1e8", "float32", [2], V([1e8, 1e6])),
    ("subnormal", "float32", [], V([1e-40])),
    ("float64_huge_exponent", "float64", [3], V([1e300, -1e-300, 1.0])),
    ("scalar_negative_fraction", "float32", [], V([-0.5])),
    ("scalar_zero", "float32", [], V([0.0])),
    # Non-finite values and zeros, which are excluded from the width.
    ("nan_inf_fixed", "float32", [4], V([nan, inf, -inf, 1.5])),
    ("nan_int_mode", "float32", [3], V([nan, 1.0, 2.0])),
    ("all_nan", "float32", [2], V([nan, nan])),
    ("zero_and_nan", "float32", [2], V([0.0, nan])),
    ("neg_inf_int_mode", "float32", [2], V([1.0, -inf])),
    ("scalar_inf", "float32", [], V([inf])),
    ("scalar_nan", "float64", [], V([nan])),
    ("negative_zero", "float32", [2], V([-0.0, 1.0])),
    ("negative_zero_only", "float32", [2], V([-0.0, 0.0])),
    ("nan_sci", "float32", [3], V([nan, 1e-8, 1.0])),
    ("zeros_matrix", "float32", [2, 3], {"fill": 0.0}),
    # Empty tensors: shape and dtype suffixes.
    ("empty_1d", "float32", [0], {"fill": 0.0}),
    ("empty_2d", "float32", [2, 0], {"fill": 0.0}),
    ("empty_int64", "int64", [0], {"fill": 0}),
    ("empty_bool_3d", "bool", [0, 2, 1], {"fill": 0}),
    ("empty_float64_2d", "float64", [0, 3], {"fill": 0.0}),
    # Higher ranks: nested brackets, blank lines between blocks.
    ("rank3_arange", "float32", [2, 3, 4], arange(0.0, 1.0)),
    ("rank3_fractions", "float32", [2, 2, 3], lcg(7, 5000, 12)),
    ("rank4", "float32", [2, 2, 2, 2], arange(-8.0, 1.0)),
    ("rank4_int64", "int64", [2, 1, 2, 3], arange(-5, 1)),
    ("rank8", "float32", [1, 1, 1, 1, 1, 1, 1, 2], V([1.0, 2.0])),
    ("rank8_wide", "float64", [1, 1, 1, 1, 1, 1, 2, 9], lcg(11, 10 ** 6, 7)),
    ("singleton_dims", "int32", [1, 1, 3], V([1, -2, 3])),
    # Integers and booleans.
    ("int64_vector", "int64", [3], V([1, 2, 3])),
    ("int32_suffix", "int32", [2], V([-100, 5])),
    ("int64_extremes", "int64", [2], V([9223372036854775807, -9223372036854775808])),
    ("int64_scalar", "int64", [], V([-7])),
    ("int32_scalar", "int32", [], V([42])),
    ("bool_vector", "bool", [2], V([True, False])),
    ("bool_all_true", "bool", [2], V([True, True])),
    ("bool_matrix", "bool", [2, 2], V([True, False, False, True])),
    ("bool_scalar", "bool", [], V([False])),
    ("int_matrix_widths", "int64", [3, 3], V([1, -20, 300, 4, 5, 6, -7000, 8, 9])),
    # Line wrapping inside _vector_str.
    ("wrap_float_vector", "float32", [30], lcg(1, 100000, 10)),
    ("wrap_int_mode_arange", "float32", [100], arange(0.0, 1.0)),
    ("wrap_rows", "float32", [4, 30], lcg(2, 3000, 8)),
    ("wrap_int64", "int64", [50], lcg(3, 10 ** 6)),
    ("wrap_int32_suffix", "int32", [40], lcg(4, 1000)),
    ("wrap_bool", "bool", [40], lcg(5, 1)),
    ("wrap_small_fixed", "float32", [20], lcg(6, 2 ** 23, 30)),
    ("wrap_sci", "float32", [25], V([1e-3 * 1.7 ** i * (-1) ** i for i in range(25)])),
    ("wrap_sci_float64_rows", "float64", [3, 9], V([3.0 ** (i - 13) for i in range(27)])),
    ("wrap_rank3", "float64", [2, 2, 20], lcg(8, 10 ** 5, 3)),
    # dtype suffix placed on its own line when the last line is too long.
    *[
        (f"float64_suffix_len{n}", "float64", [n], lcg(20 + n, 10 ** 6, 10))
        for n in range(5, 13)
    ],
    ("float64_suffix_rows", "float64", [2, 7], lcg(40, 10 ** 6, 10)),
    # Summarization (numel > 1000): edge items only, and only edges set the format.
    ("summarize_arange", "float32", [2000], arange(0.0, 1.0)),
    ("summarize_1001", "float32", [1001], lcg(9, 5000, 10)),
    ("summarize_matrix", "float32", [40, 40], lcg(10, 100000, 12)),
    ("summarize_rank3", "float32", [10, 10, 12], lcg(12, 1000, 4)),
    ("summarize_short_inner", "float32", [500, 3], arange(-750.0, 0.5)),
    ("summarize_short_outer", "float32", [2, 600], arange(0.0, 0.25)),
    ("summarize_int64", "int64", [1001], arange(-500, 1)),
    ("summarize_bool", "bool", [1200], lcg(13, 1)),
    ("summarize_int32_matrix", "int32", [100, 100], lcg(14, 10 ** 9)),
    ("summarize_float64", "float64", [2000], lcg(15, 10 ** 7, 3)),
    ("summarize_hidden_large", "float32", [2000], {"fill": 0.5, "overrides": [[1000, 1e10]]}),
    ("summarize_hidden_nan", "float32", [2000], {"fill": 2.0, "overrides": [[3, nan], [1999, -inf]]}),
    ("summarize_rank4", "float32", [7, 2, 9, 8], lcg(16, 200, 2)),
    ("not_summarized_1000", "float32", [1000], arange(0.0, 1.0)),
]


def jsonable(value):
    """JSON has no nan/inf; the test reads these strings back with strtod."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    return value


def main():
    out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "tensor_format_golden.json")
    cases = []
    for name, dtype, shape, data in CASES:
        case = {"name": name, "dtype": dtype, "shape": shape, "data": dict(data)}
        tensor = make_tensor(case)
        case["data"] = jsonable(case["data"])
        assert list(tensor.shape) == shape, name
        case["expected"] = repr(tensor)
        cases.append(case)
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    with open(out_path, "w") as f:
        json.dump({"generator": "gen_tensor_format_golden.py",
                   "torch_version": torch.__version__,
                   "cases": cases}, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
