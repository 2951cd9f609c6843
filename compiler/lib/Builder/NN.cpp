//===- NN.cpp - torch.nn-shaped modules -----------------------------------===//

#include "graphc/Builder/NN.h"
#include "graphc/runtime/shape_text.hpp"

#include <cmath>
#include <cstdio>
#include <cxxabi.h>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

namespace graphc {

std::ostream &operator<<(std::ostream &os, const Parameter &parameter) {
  std::string text = parameter.value().str();
  if (!parameter.requiresGrad())
    return os << text;
  // torch's _add_suffixes: ", requires_grad=True" goes on the last line, or
  // on a new indented line when it would pass the 80-column line width.
  const std::string suffix = "requires_grad=True";
  text.pop_back(); // the closing parenthesis
  size_t lastLine = text.size() - (text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  if (lastLine + suffix.size() + 2 > 80)
    text += ",\n       " + suffix;
  else
    text += ", " + suffix;
  return os << text << ")";
}

std::string gradString(const Parameter &parameter) {
  return parameter.grad().get() ? parameter.grad().str() : "None";
}

std::string sizeString(const std::vector<int64_t> &shape) {
  return "torch.Size(" + rt::shapeText(shape) + ")";
}

} // namespace graphc

namespace graphc::nn {

namespace {

/// PyTorch's _addindent: indents every line but the first.
std::string addIndent(const std::string &text, int spaces) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n')
      out += std::string(spaces, ' ');
  }
  return out;
}

std::string tuple(Pair p) { return "(" + std::to_string(p.h) + ", " + std::to_string(p.w) + ")"; }
/// Pooling modules print what the user gave: an int when both sides agree.
std::string intOrTuple(Pair p) { return p.h == p.w ? std::to_string(p.h) : tuple(p); }

/// kaiming_uniform_(a=sqrt(5)) then uniform bias, as torch.nn.Linear/Conv2d
/// reset_parameters: both bounds come out as 1/sqrt(fan_in).
void initLikePyTorch(Parameter &weight, Parameter *bias, int64_t fanIn) {
  double gain = std::sqrt(2.0 / (1.0 + 5.0));
  double bound = std::sqrt(3.0) * (gain / std::sqrt(static_cast<double>(fanIn)));
  rt::Tensor w = weight.value();
  defaultGenerator().uniform(w, -bound, bound);
  weight.setInitBound(bound);
  if (bias) {
    double biasBound = fanIn > 0 ? 1.0 / std::sqrt(static_cast<double>(fanIn)) : 0;
    rt::Tensor b = bias->value();
    defaultGenerator().uniform(b, -biasBound, biasBound);
    bias->setInitBound(biasBound);
  }
}

} // namespace

namespace {
/// Call sites of the module calls in progress on this thread, innermost last.
thread_local std::vector<SourceLoc> moduleCalls;

/// Is `loc` inside graphc's own Builder sources (a built-in module's body)?
bool insideBuilder(const SourceLoc &loc) {
  static const std::string here = __FILE__; // .../compiler/lib/Builder/NN.cpp
  static const std::string dir = here.substr(0, here.rfind('/') + 1);
  return loc.file && std::string(loc.file).rfind(dir, 0) == 0;
}
} // namespace

SourceLoc moduleCallSite(SourceLoc fallback) {
  // The innermost call made from user code: built-in modules calling each
  // other (Sequential) do not count.
  for (auto it = moduleCalls.rbegin(); it != moduleCalls.rend(); ++it)
    if (!insideBuilder(*it))
      return *it;
  return fallback;
}

Tensor Module::operator()(const Tensor &input, SourceLoc loc) {
  moduleCalls.push_back(loc);
  struct Pop {
    ~Pop() { moduleCalls.pop_back(); }
  } pop;
  return forward(input);
}

Tensor Module::forward(const Tensor &) {
  throw std::logic_error(name() + " has no single-input forward()");
}

Parameter Module::registerParameter(const std::string &name, rt::Tensor value) {
  Parameter p(std::move(value));
  parameters_.emplace_back(name, p);
  return p;
}

std::vector<std::pair<std::string, Parameter>> Module::namedParameters() const {
  std::vector<std::pair<std::string, Parameter>> out(parameters_);
  for (const auto &[childName, child] : children_)
    for (auto &[name, p] : child->namedParameters())
      out.emplace_back(childName + "." + name, p);
  return out;
}

Buffer Module::registerBuffer(const std::string &name, rt::Tensor value) {
  Buffer b(std::move(value));
  buffers_.emplace_back(name, b);
  return b;
}

std::vector<std::pair<std::string, Buffer>> Module::namedBuffers() const {
  std::vector<std::pair<std::string, Buffer>> out(buffers_);
  for (const auto &[childName, child] : children_)
    for (auto &[name, b] : child->namedBuffers())
      out.emplace_back(childName + "." + name, b);
  return out;
}

bool Module::dependsOnMode() const {
  if (ownForwardDependsOnMode())
    return true;
  for (auto &[name, child] : children_)
    if (child->dependsOnMode())
      return true;
  return false;
}

Module &Module::train(bool mode) {
  training_ = mode;
  for (auto &[name, child] : children_)
    child->train(mode);
  return *this;
}

std::vector<Parameter> Module::parameters() const {
  std::vector<Parameter> out;
  for (auto &[name, p] : namedParameters())
    out.push_back(p);
  return out;
}

int64_t Module::numParameters() const {
  int64_t n = 0;
  for (auto &[name, p] : namedParameters())
    n += p.value().numel();
  return n;
}

void Module::zeroGrad() {
  for (auto &[name, p] : namedParameters())
    p.zeroGrad();
}

std::map<std::string, rt::Tensor> Module::stateDict() const {
  std::map<std::string, rt::Tensor> out;
  for (auto &[name, p] : namedParameters())
    out.emplace(name, p.value());
  for (auto &[name, b] : namedBuffers())
    out.emplace(name, b.value());
  return out;
}

void Module::loadStateDict(const std::map<std::string, rt::Tensor> &state) {
  // Parameters and buffers alike: a buffer is a parameter that needs no gradient.
  auto named = namedParameters();
  for (auto &[name, b] : namedBuffers())
    named.emplace_back(name, b.asParameter());
  std::vector<std::string> missing, unexpected;
  for (auto &[name, p] : named) {
    auto it = state.find(name);
    if (it == state.end()) {
      missing.push_back(name);
      continue;
    }
    const rt::Tensor &value = it->second;
    if (value.shape() != p.shape() || value.dtype() != p.value().dtype())
      throw std::invalid_argument(
          "size mismatch for " + name + ": copying a param with shape " +
          rt::shapeText(value.shape()) + " (" + graphc_dtype_name(value.dtype()) +
          "), the shape in the current model is " + rt::shapeText(p.shape()) + " (" +
          graphc_dtype_name(p.value().dtype()) + ")");
  }
  for (auto &[name, value] : state) {
    bool known = false;
    for (auto &[n, p] : named)
      known |= n == name;
    if (!known)
      unexpected.push_back(name);
  }
  if (!missing.empty() || !unexpected.empty()) {
    std::string message = "error(s) in loading state_dict for " + this->name() + ":";
    auto list = [](const std::vector<std::string> &keys) {
      std::string s;
      for (size_t i = 0; i < keys.size(); ++i)
        s += (i ? ", \"" : "\"") + keys[i] + "\"";
      return s;
    };
    if (!missing.empty())
      message += " missing key(s): " + list(missing) + ".";
    if (!unexpected.empty())
      message += " unexpected key(s): " + list(unexpected) + ".";
    throw std::invalid_argument(message);
  }
  // Validated: now copy, so a failure never leaves the module half-loaded.
  for (auto &[name, p] : named) {
    const rt::Tensor &value = state.at(name);
    rt::Tensor copy = rt::Tensor::zeros(value.shape(), value.dtype());
    std::copy(static_cast<const char *>(value.rawData()),
              static_cast<const char *>(value.rawData()) + value.nbytes(),
              static_cast<char *>(copy.rawData()));
    p.setValue(copy);
  }
}

std::string Module::name() const {
  // The C++ class name without namespaces, as PyTorch prints the Python class name.
  int status = 0;
  const char *mangled = typeid(*this).name();
  char *demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string full = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  size_t colon = full.rfind("::");
  return colon == std::string::npos ? full : full.substr(colon + 2);
}

std::string Module::str() const {
  std::vector<std::string> lines;
  std::string extra = extraRepr();
  std::vector<std::string> extraLines;
  if (!extra.empty()) {
    std::istringstream in(extra);
    for (std::string line; std::getline(in, line);)
      extraLines.push_back(line);
  }
  lines = extraLines;
  for (const auto &[childName, child] : children_)
    lines.push_back("(" + childName + "): " + addIndent(child->str(), 2));
  std::string out = name() + "(";
  if (extraLines.size() == 1 && children_.empty()) {
    out += extraLines[0];
  } else if (!lines.empty()) {
    out += "\n  ";
    for (size_t i = 0; i < lines.size(); ++i)
      out += (i ? "\n  " : "") + lines[i];
    out += "\n";
  }
  return out + ")";
}

std::ostream &operator<<(std::ostream &os, const Module &module) { return os << module.str(); }

Linear::Linear(int64_t inFeatures, int64_t outFeatures, bool withBias)
    : inFeatures(inFeatures), outFeatures(outFeatures) {
  weight = registerParameter("weight", rt::Tensor::zeros({outFeatures, inFeatures}));
  if (withBias)
    bias = registerParameter("bias", rt::Tensor::zeros({outFeatures}));
  initLikePyTorch(weight, withBias ? &bias : nullptr, inFeatures);
}

Tensor Linear::forward(const Tensor &input) {
  return linear(input, weight, bias.defined() ? Tensor(bias) : Tensor(), moduleCallSite());
}

std::string Linear::extraRepr() const {
  return "in_features=" + std::to_string(inFeatures) + ", out_features=" +
         std::to_string(outFeatures) + ", bias=" + (bias.defined() ? "True" : "False");
}

Conv2d::Conv2d(int64_t inChannels, int64_t outChannels, Pair kernelSize, Pair stride,
               Pair padding, Pair dilation, int64_t groups, bool withBias)
    : inChannels(inChannels), outChannels(outChannels), groups(groups), kernelSize(kernelSize),
      stride(stride), padding(padding), dilation(dilation) {
  if (groups < 1 || inChannels % groups || outChannels % groups)
    throw std::invalid_argument("Conv2d: in_channels (" + std::to_string(inChannels) +
                                ") and out_channels (" + std::to_string(outChannels) +
                                ") must be divisible by groups (" + std::to_string(groups) + ")");
  weight = registerParameter(
      "weight",
      rt::Tensor::zeros({outChannels, inChannels / groups, kernelSize.h, kernelSize.w}));
  if (withBias)
    bias = registerParameter("bias", rt::Tensor::zeros({outChannels}));
  initLikePyTorch(weight, withBias ? &bias : nullptr,
                  inChannels / groups * kernelSize.h * kernelSize.w);
}

Tensor Conv2d::forward(const Tensor &input) {
  return conv2d(input, weight, bias.defined() ? Tensor(bias) : Tensor(), stride, padding,
                dilation, groups, moduleCallSite());
}

std::string Conv2d::extraRepr() const {
  std::string s = std::to_string(inChannels) + ", " + std::to_string(outChannels) +
                  ", kernel_size=" + tuple(kernelSize) + ", stride=" + tuple(stride);
  if (!(padding == Pair(0)))
    s += ", padding=" + tuple(padding);
  if (!(dilation == Pair(1)))
    s += ", dilation=" + tuple(dilation);
  if (groups != 1)
    s += ", groups=" + std::to_string(groups);
  if (!bias.defined())
    s += ", bias=False";
  return s;
}

MaxPool2d::MaxPool2d(Pair kernelSize, Pair stride, Pair padding)
    : kernelSize(kernelSize), stride(stride == Pair(0) ? kernelSize : stride), padding(padding) {}

Tensor MaxPool2d::forward(const Tensor &input) {
  return max_pool2d(input, kernelSize, stride, padding, moduleCallSite());
}

std::string MaxPool2d::extraRepr() const {
  return "kernel_size=" + intOrTuple(kernelSize) + ", stride=" + intOrTuple(stride) +
         ", padding=" + intOrTuple(padding) + ", dilation=1, ceil_mode=False";
}

AvgPool2d::AvgPool2d(Pair kernelSize, Pair stride, Pair padding)
    : kernelSize(kernelSize), stride(stride == Pair(0) ? kernelSize : stride), padding(padding) {}

Tensor AvgPool2d::forward(const Tensor &input) {
  return avg_pool2d(input, kernelSize, stride, padding, moduleCallSite());
}

std::string AvgPool2d::extraRepr() const {
  return "kernel_size=" + intOrTuple(kernelSize) + ", stride=" + intOrTuple(stride) +
         ", padding=" + intOrTuple(padding);
}

namespace {
/// Python's repr of a float: the shortest digits that read back the same
/// value, in exponent form below 1e-4 or from 1e16 up ("1e-05", "0.01",
/// "1.0"), so that extra_repr texts match PyTorch's.
std::string pythonFloat(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  char digits[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(digits, sizeof digits, "%.*e", precision - 1, value);
    if (std::strtod(digits, nullptr) == value)
      break;
  }
  // digits is "d.ddde[+-]XX": split the mantissa and the exponent.
  std::string text = digits;
  size_t e = text.find('e');
  int exponent = std::atoi(text.c_str() + e + 1);
  std::string mantissa = text.substr(0, e);
  bool negative = mantissa[0] == '-';
  if (negative)
    mantissa.erase(0, 1);
  std::string figures;
  for (char c : mantissa)
    if (c != '.')
      figures += c;
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = figures.substr(0, 1);
    if (figures.size() > 1)
      out += "." + figures.substr(1);
    char exp[8];
    std::snprintf(exp, sizeof exp, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += exp;
  } else if (exponent < 0) {
    out = "0." + std::string(-exponent - 1, '0') + figures;
  } else {
    if (figures.size() <= static_cast<size_t>(exponent) + 1)
      figures += std::string(exponent + 1 - figures.size(), '0');
    out = figures.substr(0, exponent + 1) + "." +
          (figures.size() > static_cast<size_t>(exponent) + 1 ? figures.substr(exponent + 1)
                                                             : "0");
  }
  return (negative ? "-" : "") + out;
}
} // namespace

std::string LeakyReLU::extraRepr() const { return "negative_slope=" + pythonFloat(negativeSlope); }

std::string GELU::extraRepr() const {
  return std::string("approximate='") +
         (approximate == GeluApproximation::Tanh ? "tanh" : "none") + "'";
}

std::string Softplus::extraRepr() const {
  return "beta=" + pythonFloat(beta) + ", threshold=" + pythonFloat(threshold);
}

std::string ELU::extraRepr() const { return "alpha=" + pythonFloat(alpha); }

LayerNorm::LayerNorm(std::vector<int64_t> normalizedShape, double eps, bool elementwiseAffine,
                     bool withBias)
    : normalizedShape(std::move(normalizedShape)), eps(eps),
      elementwiseAffine(elementwiseAffine) {
  if (this->normalizedShape.empty())
    throw std::invalid_argument("LayerNorm: normalized_shape must not be empty");
  for (int64_t size : this->normalizedShape)
    if (size <= 0)
      throw std::invalid_argument("LayerNorm: normalized_shape " +
                                  rt::shapeText(this->normalizedShape) +
                                  " must have positive sizes");
  if (elementwiseAffine) {
    weight = registerParameter("weight", rt::Tensor::ones(this->normalizedShape));
    if (withBias)
      bias = registerParameter("bias", rt::Tensor::zeros(this->normalizedShape));
  }
}

Tensor LayerNorm::forward(const Tensor &input) {
  return layer_norm(input, normalizedShape, weight.defined() ? Tensor(weight) : Tensor(),
                    bias.defined() ? Tensor(bias) : Tensor(), eps, moduleCallSite());
}

std::string LayerNorm::extraRepr() const {
  // PyTorch prints the shape as a Python tuple: (64,) or (4, 5).
  std::string shape = "(";
  for (size_t i = 0; i < normalizedShape.size(); ++i)
    shape += (i ? ", " : "") + std::to_string(normalizedShape[i]);
  shape += normalizedShape.size() == 1 ? ",)" : ")";
  return shape + ", eps=" + pythonFloat(eps) +
         ", elementwise_affine=" + (elementwiseAffine ? "True" : "False");
}

BatchNorm::BatchNorm(int64_t numFeatures, double eps, std::optional<double> momentum,
                     bool affine, bool trackRunningStats, std::vector<int64_t> ranks,
                     const char *kind)
    : numFeatures(numFeatures), eps(eps), momentum(momentum), affine(affine),
      trackRunningStats(trackRunningStats), ranks_(std::move(ranks)), kind_(kind) {
  if (numFeatures <= 0)
    throw std::invalid_argument(std::string(kind) + ": num_features must be positive, got " +
                                std::to_string(numFeatures));
  // PyTorch's registration order, which is the state_dict's.
  if (affine) {
    weight = registerParameter("weight", rt::Tensor::ones({numFeatures}));
    bias = registerParameter("bias", rt::Tensor::zeros({numFeatures}));
  }
  if (trackRunningStats) {
    runningMean = registerBuffer("running_mean", rt::Tensor::zeros({numFeatures}));
    runningVar = registerBuffer("running_var", rt::Tensor::ones({numFeatures}));
    numBatchesTracked = registerBuffer("num_batches_tracked", rt::Tensor::zeros({}, GRAPHC_DTYPE_I64));
  }
}

std::string BatchNorm::extraRepr() const {
  return std::to_string(numFeatures) + ", eps=" + pythonFloat(eps) +
         ", momentum=" + (momentum ? pythonFloat(*momentum) : "None") +
         ", affine=" + (affine ? "True" : "False") +
         ", track_running_stats=" + (trackRunningStats ? "True" : "False");
}

Embedding::Embedding(int64_t numEmbeddings, int64_t embeddingDim,
                     std::optional<int64_t> paddingIdx)
    : numEmbeddings(numEmbeddings), embeddingDim(embeddingDim), paddingIdx(paddingIdx) {
  if (numEmbeddings <= 0 || embeddingDim <= 0)
    throw std::invalid_argument("Embedding: num_embeddings and embedding_dim must be positive");
  if (paddingIdx) {
    if (*paddingIdx < -numEmbeddings || *paddingIdx >= numEmbeddings)
      throw std::invalid_argument("Padding_idx must be within num_embeddings");
    if (*paddingIdx < 0)
      *this->paddingIdx += numEmbeddings;
  }
  rt::Tensor w = rt::Tensor::zeros({numEmbeddings, embeddingDim});
  defaultGenerator().normal(w, 0.0, 1.0); // init.normal_(weight)
  if (this->paddingIdx) // _fill_padding_idx_with_zero
    std::fill_n(w.data<float>() + *this->paddingIdx * embeddingDim, embeddingDim, 0.0f);
  weight = registerParameter("weight", w);
  // Drawn, not PyTorch's U(-b, b): the standalone executable takes the value.
  weight.setInitBound(0);
}

std::string Embedding::extraRepr() const {
  return std::to_string(numEmbeddings) + ", " + std::to_string(embeddingDim) +
         (paddingIdx ? ", padding_idx=" + std::to_string(*paddingIdx) : "");
}

Dropout::Dropout(double p) : p(p) {
  if (!(p >= 0 && p <= 1))
    throw std::invalid_argument("dropout probability has to be between 0 and 1, but got " +
                                pythonFloat(p));
}

std::string Dropout::extraRepr() const { return "p=" + pythonFloat(p) + ", inplace=False"; }

std::string Flatten::extraRepr() const {
  return "start_dim=" + std::to_string(startDim) + ", end_dim=" + std::to_string(endDim);
}

Sequential::Sequential(std::vector<std::shared_ptr<Module>> modules) {
  for (auto &m : modules)
    append(std::move(m));
}

void Sequential::append(std::shared_ptr<Module> module) {
  layers_.push_back(registerModule(std::to_string(layers_.size()), std::move(module)));
}

Tensor Sequential::forward(const Tensor &input) {
  Tensor x = input;
  for (auto &layer : layers_)
    x = (*layer)(x);
  return x;
}

} // namespace graphc::nn
