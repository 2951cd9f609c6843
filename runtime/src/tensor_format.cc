// PyTorch-compatible tensor printing.
//
// This is a line-by-line port of torch/_tensor_str.py (_Formatter,
// _vector_str, _tensor_str_with_formatter, get_summarized_data,
// _add_suffixes) with the default print options, so that the seeds' printed
// outputs can be compared with graphc's byte for byte. Where Python relies on
// its own float formatting, the helpers below reproduce it with printf: both
// round the exact binary value correctly, and only nan/inf spelling differs.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "graphc/runtime/tensor.h"
#include "status_internal.h"

namespace {

// torch's PRINT_OPTS defaults ("default" profile).
constexpr int kPrecision = 4;
constexpr int64_t kThreshold = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr int kLineWidth = 80;

// Python prints every NaN as "nan" (glibc would print "-nan" for a negative
// one) and infinities as "inf"/"-inf".
bool python_nonfinite(double value, std::string* out) {
  if (std::isnan(value)) {
    *out = "nan";
    return true;
  }
  if (std::isinf(value)) {
    *out = value < 0 ? "-inf" : "inf";
    return true;
  }
  return false;
}

std::string printf_double(const char* format, int precision, double value) {
  char small[64];
  int length = std::snprintf(small, sizeof(small), format, precision, value);
  // Formatting a double cannot fail in practice; if it ever did, an empty
  // string is a visible but harmless result.
  if (length < 0) return {};
  if (static_cast<size_t>(length) < sizeof(small)) {
    return std::string(small, static_cast<size_t>(length));
  }
  std::string big(static_cast<size_t>(length), '\0');
  std::snprintf(big.data(), big.size() + 1, format, precision, value);
  return big;
}

// Python's "{:.{precision}f}".format(value).
std::string python_fixed(double value, int precision) {
  std::string text;
  if (python_nonfinite(value, &text)) return text;
  return printf_double("%.*f", precision, value);
}

// Python's "{:.{precision}e}".format(value).
std::string python_sci(double value, int precision) {
  std::string text;
  if (python_nonfinite(value, &text)) return text;
  return printf_double("%.*e", precision, value);
}

std::string left_pad(std::string text, size_t width) {
  // Python's (width - len) * " " is empty for a negative count, which happens
  // for values excluded from the width computation (0, nan, inf).
  if (text.size() < width) text.insert(0, width - text.size(), ' ');
  return text;
}

// A read-only view of the elements, converted the way torch's .tolist()
// converts them: floats to Python float (double), integers to int, bool to
// True/False.
class ElementReader {
 public:
  explicit ElementReader(const graphc_tensor_t* tensor)
      : dtype_(graphc_tensor_dtype(tensor)),
        data_(static_cast<const unsigned char*>(graphc_tensor_data(tensor))) {}

  bool floating() const { return dtype_ == GRAPHC_DTYPE_F32 || dtype_ == GRAPHC_DTYPE_F64; }

  double as_double(int64_t index) const {
    if (dtype_ == GRAPHC_DTYPE_F32) return load<float>(index);
    return load<double>(index);
  }

  // str() of the Python int/bool the element becomes.
  std::string as_python_str(int64_t index) const {
    switch (dtype_) {
      case GRAPHC_DTYPE_I32:
        return std::to_string(load<int32_t>(index));
      case GRAPHC_DTYPE_I64:
        return std::to_string(load<int64_t>(index));
      // Read as a byte: any non-zero byte is true, and no bool object with
      // an invalid representation is ever formed.
      case GRAPHC_DTYPE_BOOL:
        return data_[index] ? "True" : "False";
      default:
        return {};
    }
  }

 private:
  template <class T>
  T load(int64_t index) const {
    T value;
    std::memcpy(&value, data_ + static_cast<size_t>(index) * sizeof(T), sizeof(T));
    return value;
  }

  graphc_dtype_t dtype_;
  const unsigned char* data_;
};

// torch._tensor_str._Formatter.
class Formatter {
 public:
  // `indices` are the flat indices of the elements torch would feed to the
  // formatter: all of them, or get_summarized_data's edges when summarizing.
  Formatter(const ElementReader& reader, const std::vector<int64_t>& indices)
      : reader_(reader), floating_(reader.floating()) {
    if (!floating_) {
      for (int64_t index : indices) {
        max_width_ = std::max(max_width_, reader_.as_python_str(index).size());
      }
      return;
    }
    std::vector<double> nonzero_finite;
    for (int64_t index : indices) {
      double value = reader_.as_double(index);
      if (std::isfinite(value) && value != 0) nonzero_finite.push_back(value);
    }
    if (nonzero_finite.empty()) return;

    double abs_min = std::fabs(nonzero_finite[0]);
    double abs_max = abs_min;
    for (double value : nonzero_finite) {
      abs_min = std::min(abs_min, std::fabs(value));
      abs_max = std::max(abs_max, std::fabs(value));
    }
    for (double value : nonzero_finite) {
      if (value != std::ceil(value)) {
        int_mode_ = false;
        break;
      }
    }
    sci_mode_ = abs_max / abs_min > 1000.0 || abs_max > 1.0e8 || abs_min < 1.0e-4;

    for (double value : nonzero_finite) {
      size_t width;
      if (sci_mode_) {
        width = python_sci(value, kPrecision).size();
      } else if (int_mode_) {
        // +1 for the "." appended to integral floats.
        width = python_fixed(value, 0).size() + 1;
      } else {
        width = python_fixed(value, kPrecision).size();
      }
      max_width_ = std::max(max_width_, width);
    }
  }

  size_t width() const { return max_width_; }

  std::string format(int64_t index) const {
    if (!floating_) return left_pad(reader_.as_python_str(index), max_width_);
    double value = reader_.as_double(index);
    std::string text;
    if (sci_mode_) {
      text = python_sci(value, kPrecision);
    } else if (int_mode_) {
      text = python_fixed(value, 0);
      if (std::isfinite(value)) text += ".";
    } else {
      text = python_fixed(value, kPrecision);
    }
    return left_pad(std::move(text), max_width_);
  }

 private:
  const ElementReader& reader_;
  bool floating_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  size_t max_width_ = 1;
};

class TensorPrinter {
 public:
  explicit TensorPrinter(const graphc_tensor_t* tensor)
      : rank_(graphc_tensor_rank(tensor)),
        shape_(graphc_tensor_shape(tensor)),
        reader_(tensor),
        summarize_(graphc_tensor_numel(tensor) > kThreshold) {
    // Row-major strides, in elements.
    int64_t stride = 1;
    for (int32_t d = rank_ - 1; d >= 0; --d) {
      strides_[d] = stride;
      stride *= shape_[d];
    }
  }

  // _tensor_str for a non-empty tensor.
  std::string str(int indent) {
    std::vector<int64_t> shown;
    collect_shown(0, 0, &shown);
    Formatter formatter(reader_, shown);
    return str_with_formatter(0, 0, indent, formatter);
  }

 private:
  // The indices along one dimension that are printed: all of them, or the
  // first and last kEdgeItems when summarizing a long dimension.
  bool elided(int32_t dim) const { return summarize_ && shape_[dim] > 2 * kEdgeItems; }

  template <class Fn>
  void for_each_shown(int32_t dim, Fn&& fn) const {
    const int64_t size = shape_[dim];
    if (elided(dim)) {
      for (int64_t i = 0; i < kEdgeItems; ++i) fn(i);
      for (int64_t i = size - kEdgeItems; i < size; ++i) fn(i);
    } else {
      for (int64_t i = 0; i < size; ++i) fn(i);
    }
  }

  // get_summarized_data, as the list of flat indices it keeps. These are
  // exactly the printed elements, which is why the widths line up.
  void collect_shown(int32_t dim, int64_t offset, std::vector<int64_t>* out) const {
    if (dim == rank_) {
      out->push_back(offset);
      return;
    }
    for_each_shown(dim,
                   [&](int64_t i) { collect_shown(dim + 1, offset + i * strides_[dim], out); });
  }

  // _tensor_str_with_formatter.
  std::string str_with_formatter(int32_t dim, int64_t offset, int indent,
                                 const Formatter& formatter) const {
    const int32_t remaining = rank_ - dim;
    if (remaining == 0) return formatter.format(offset);
    if (remaining == 1) return vector_str(dim, offset, indent, formatter);

    std::vector<std::string> slices;
    bool elide = elided(dim);
    for_each_shown(dim, [&](int64_t i) {
      if (elide && i == shape_[dim] - kEdgeItems) slices.push_back("...");
      slices.push_back(
          str_with_formatter(dim + 1, offset + i * strides_[dim], indent + 1, formatter));
    });
    // Sub-tensors of rank r are separated by r - 1 blank-line-producing
    // newlines, which is what puts an empty line between 2-D blocks.
    std::string separator = "," + std::string(static_cast<size_t>(remaining - 1), '\n') +
                            std::string(static_cast<size_t>(indent + 1), ' ');
    return "[" + join(slices, separator) + "]";
  }

  // _vector_str.
  std::string vector_str(int32_t dim, int64_t offset, int indent,
                         const Formatter& formatter) const {
    // Each element also takes ", ".
    const size_t element_length = formatter.width() + 2;
    int64_t elements_per_line = static_cast<int64_t>(
        std::floor(static_cast<double>(kLineWidth - indent) / static_cast<double>(element_length)));
    if (elements_per_line < 1) elements_per_line = 1;

    std::vector<std::string> data;
    bool elide = elided(dim);
    for_each_shown(dim, [&](int64_t i) {
      if (elide && i == shape_[dim] - kEdgeItems) data.push_back(" ...");
      data.push_back(formatter.format(offset + i * strides_[dim]));
    });

    std::vector<std::string> lines;
    std::vector<std::string> line;
    for (std::string& element : data) {
      line.push_back(std::move(element));
      if (line.size() == static_cast<size_t>(elements_per_line)) {
        lines.push_back(join(line, ", "));
        line.clear();
      }
    }
    if (!line.empty()) lines.push_back(join(line, ", "));
    return "[" + join(lines, ",\n" + std::string(static_cast<size_t>(indent + 1), ' ')) + "]";
  }

  static std::string join(const std::vector<std::string>& parts, const std::string& separator) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i) out += separator;
      out += parts[i];
    }
    return out;
  }

  int32_t rank_;
  const int64_t* shape_;
  int64_t strides_[GRAPHC_TENSOR_MAX_RANK] = {};
  ElementReader reader_;
  bool summarize_;
};

// _add_suffixes with force_newline=False.
std::string add_suffixes(std::string text, const std::vector<std::string>& suffixes, int indent) {
  // Python: len(s) - s.rfind("\n") + 1, with rfind returning -1 when absent.
  size_t newline = text.rfind('\n');
  int64_t last_line_len = static_cast<int64_t>(text.size()) -
                          (newline == std::string::npos ? -1 : static_cast<int64_t>(newline)) + 1;
  for (const std::string& suffix : suffixes) {
    const int64_t suffix_len = static_cast<int64_t>(suffix.size());
    if (last_line_len + suffix_len + 2 > kLineWidth) {
      text += ",\n" + std::string(static_cast<size_t>(indent), ' ') + suffix;
      last_line_len = indent + suffix_len;
    } else {
      text += ", " + suffix;
      last_line_len += suffix_len + 2;
    }
  }
  text += ")";
  return text;
}

std::string torch_dtype(graphc_dtype_t dtype) {
  return std::string("dtype=torch.") + graphc_dtype_name(dtype);
}

// _str_intern for a plain strided CPU tensor without autograd.
std::string format_tensor(const graphc_tensor_t* tensor) {
  const std::string prefix = "tensor(";
  const int indent = static_cast<int>(prefix.size());
  const graphc_dtype_t dtype = graphc_tensor_dtype(tensor);
  const int32_t rank = graphc_tensor_rank(tensor);
  const int64_t* shape = graphc_tensor_shape(tensor);
  std::vector<std::string> suffixes;
  std::string body;
  if (graphc_tensor_numel(tensor) == 0) {
    // Matches NumPy: the shape is spelled out unless it is (0,), and the
    // dtype whenever it is not the default, since no element shows it.
    if (rank != 1) {
      std::string size = "size=(";
      for (int32_t i = 0; i < rank; ++i) {
        if (i) size += ", ";
        size += std::to_string(shape[i]);
      }
      size += ")";
      suffixes.push_back(size);
    }
    if (dtype != GRAPHC_DTYPE_F32) suffixes.push_back(torch_dtype(dtype));
    body = "[]";
  } else {
    // float32 is torch's default dtype; int64 and bool are recognizable from
    // how their elements print.
    bool has_default_dtype =
        dtype == GRAPHC_DTYPE_F32 || dtype == GRAPHC_DTYPE_I64 || dtype == GRAPHC_DTYPE_BOOL;
    if (!has_default_dtype) suffixes.push_back(torch_dtype(dtype));
    body = TensorPrinter(tensor).str(indent);
  }
  return add_suffixes(prefix + body, suffixes, indent);
}

}  // namespace

extern "C" graphc_status_t graphc_tensor_format(const graphc_tensor_t* tensor, char** out_string) {
  static const char kWhat[] = "graphc_tensor_format";
  if (out_string == nullptr) {
    return graphc::rt::detail::make_statusf(
        GRAPHC_INVALID_ARGUMENT, "%s: out_string is NULL; expected a pointer to receive the text",
        kWhat);
  }
  *out_string = nullptr;
  if (tensor == nullptr) {
    return graphc::rt::detail::make_statusf(GRAPHC_INVALID_ARGUMENT,
                                            "%s: tensor is NULL; expected a tensor", kWhat);
  }
  try {
    std::string text = format_tensor(tensor);
    // malloc, not new[], because graphc_free is free() and C callers may
    // also hand the string to free().
    char* result = static_cast<char*>(std::malloc(text.size() + 1));
    if (result == nullptr) return graphc::rt::detail::out_of_memory_status();
    std::memcpy(result, text.c_str(), text.size() + 1);
    *out_string = result;
    return nullptr;
  }
  GRAPHC_CATCH_ALL_RETURN_STATUS(kWhat)
}
