//===- Tracer.cpp - the graph being recorded ------------------------------===//

#include "Tracer.h"
#include "graphc/Builder/NN.h"
#include "graphc/Builder/Random.h"
#include "graphc/Dialect/Graph/GraphOps.h"
#include "graphc/JIT/Jit.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace graphc {

namespace {
thread_local Tracer *activeTracer = nullptr;
} // namespace

Tracer::Tracer(MLIRContext *ctx, ModuleOp module, llvm::StringRef name)
    : builder_(ctx), previous_(activeTracer) {
  builder_.setInsertionPointToEnd(module.getBody());
  function_ = builder_.create<func::FuncOp>(UnknownLoc::get(ctx), name,
                                            builder_.getFunctionType({}, {}));
  builder_.setInsertionPointToStart(function_.addEntryBlock());
  activeTracer = this;
}

Tracer::~Tracer() { activeTracer = previous_; }

Tracer *Tracer::active() { return activeTracer; }

Location Tracer::location(const SourceLoc &loc) {
  return FileLineColLoc::get(context(), loc.file ? loc.file : "<unknown>", loc.line, 0);
}

Tensor Tracer::addArgument(Type type, llvm::StringRef name, graph::ArgumentRole role,
                           bool requiresGrad) {
  Block &entry = function_.front();
  BlockArgument arg = entry.addArgument(type, NameLoc::get(builder_.getStringAttr(name)));
  SmallVector<Type> inputs(entry.getArgumentTypes());
  function_.setType(builder_.getFunctionType(inputs, {}));
  function_.setArgAttr(arg.getArgNumber(), graph::GraphDialect::getNameAttrName(),
                       builder_.getStringAttr(name));
  function_.setArgAttr(arg.getArgNumber(), graph::GraphDialect::getRoleAttrName(),
                       graph::ArgumentRoleAttr::get(context(), role));
  if (requiresGrad)
    function_.setArgAttr(arg.getArgNumber(), graph::GraphDialect::getRequiresGradAttrName(),
                         builder_.getUnitAttr());
  return wrap(arg);
}

void Tracer::setArgumentAttr(const Tensor &argument, llvm::StringRef name, Attribute value) {
  auto arg = llvm::cast<BlockArgument>(argument.impl()->value);
  function_.setArgAttr(arg.getArgNumber(), name, value);
}

Tensor Tracer::parameter(const void *id) const {
  auto it = parameters_.find(id);
  if (it == parameters_.end())
    throw std::logic_error("a Parameter used in forward() is not registered in the traced "
                           "module (registerParameter or registerModule it)");
  return it->second;
}

void Tracer::assignBuffer(const void *id, const Tensor &value, const SourceLoc &loc) {
  auto it = parameters_.find(id);
  if (it == parameters_.end())
    throw std::logic_error("a Buffer assigned in forward() is not registered in the traced "
                           "module (registerBuffer or registerModule it)");
  auto arg = llvm::cast<BlockArgument>(it->second.impl()->value);
  if (function_.getArgAttrOfType<graph::ArgumentRoleAttr>(arg.getArgNumber(),
                                                          graph::GraphDialect::getRoleAttrName())
          .getValue() != graph::ArgumentRole::Buffer)
    throw TraceError(loc, "assign", "only a module buffer can be assigned");
  Value v = valueOf(value, loc, "assign");
  if (v.getType() != arg.getType()) {
    auto text = [](Type type) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << type;
      return s;
    };
    throw TraceError(loc, "assign",
                     "the new value of buffer '" +
                         function_.getArgAttrOfType<StringAttr>(
                                      arg.getArgNumber(), graph::GraphDialect::getNameAttrName())
                             .str() +
                         "' must have its type " + text(arg.getType()) + ", got " +
                         text(v.getType()));
  }
  for (auto &[number, update] : bufferUpdates_)
    if (number == arg.getArgNumber()) {
      update = value;
      return;
    }
  bufferUpdates_.emplace_back(arg.getArgNumber(), value);
}

Tensor Tracer::randomUniform(const Tensor &like, Type elementType, const SourceLoc &loc) {
  Value likeValue = valueOf(like, loc, "rand_like");
  Location at = location(loc);
  if (!rngState_.defined()) {
    auto stateType = RankedTensorType::get({2}, builder_.getI64Type());
    rngState_ = addArgument(stateType, "rng_state", graph::ArgumentRole::RngState);
    // The seed of graphc's default generator (manualSeed), which a program
    // object starts from; graphc_program_init(seed) sets the same [seed, 0],
    // so `lenet_train --seed N` and a standalone executable's `--seed N`
    // draw the same masks.
    int64_t seed = static_cast<int64_t>(defaultGenerator().initialSeed());
    setArgumentAttr(rngState_, graph::GraphDialect::getInitValueAttrName(),
                    DenseElementsAttr::get(stateType, ArrayRef<int64_t>{seed, 0}));
  }
  auto type = RankedTensorType::get(llvm::cast<RankedTensorType>(likeValue.getType()).getShape(),
                                    elementType);
  Value u = builder_.create<graph::RandomUniformOp>(at, type, likeValue, rngState_.impl()->value,
                                                    builder_.getI64IntegerAttr(nextStream_++));
  return wrap(u);
}

Tensor Tracer::wrap(Value value) {
  return Tensor(std::make_shared<Tensor::Impl>(Tensor::Impl{this, value}));
}

void Tracer::finish(const std::vector<Tensor> &results) {
  SmallVector<Value> values;
  for (const Tensor &t : results)
    values.push_back(valueOf(t, SourceLoc{"<trace>", 0}, "return"));
  // The generator state leaves the call with one more call counted, written
  // after every draw has read it (so that it can be updated in place).
  if (rngState_.defined()) {
    Location at = UnknownLoc::get(context());
    auto stateType = llvm::cast<RankedTensorType>(rngState_.impl()->value.getType());
    Value one = builder_.create<graph::ConstantOp>(
        at, DenseElementsAttr::get(stateType, ArrayRef<int64_t>{0, 1}));
    Value next = builder_.create<graph::AddOp>(at, rngState_.impl()->value, one);
    bufferUpdates_.emplace_back(llvm::cast<BlockArgument>(rngState_.impl()->value).getArgNumber(),
                                wrap(next));
  }
  // The buffers' new values follow the results, each tied to its argument:
  // the compiled function writes them in place and does not return them.
  SmallVector<unsigned> updated;
  for (auto &[number, value] : bufferUpdates_) {
    values.push_back(valueOf(value, SourceLoc{"<trace>", 0}, "return"));
    updated.push_back(number);
  }
  builder_.create<func::ReturnOp>(UnknownLoc::get(context()), values);
  SmallVector<Type> inputs(function_.front().getArgumentTypes());
  SmallVector<Type> outputs;
  for (Value v : values)
    outputs.push_back(v.getType());
  function_.setType(builder_.getFunctionType(inputs, outputs));
  for (size_t k = 0; k < updated.size(); ++k) {
    unsigned result = results.size() + k;
    function_.setResultAttr(result, graph::GraphDialect::getUpdatesArgumentAttrName(),
                            builder_.getI64IntegerAttr(updated[k]));
    function_.setResultAttr(result, graph::GraphDialect::getNameAttrName(),
                            function_.getArgAttr(updated[k], graph::GraphDialect::getNameAttrName()));
  }
}

namespace {
thread_local bool gradEnabled = true;
} // namespace

NoGradGuard::NoGradGuard() : previous_(gradEnabled) { gradEnabled = false; }
NoGradGuard::~NoGradGuard() { gradEnabled = previous_; }
bool isGradEnabled() { return gradEnabled; }

Value Tracer::detached(Value value, Location loc) {
  auto it = detached_.find(value);
  if (it != detached_.end())
    return it->second;
  if (value.getDefiningOp<graph::DetachOp>() || value.getDefiningOp<graph::ConstantOp>())
    return value; // nothing to cut
  Value d = builder_.create<graph::DetachOp>(loc, value.getType(), value);
  detached_[value] = d;
  return d;
}

Value valueOf(const Tensor &t, const SourceLoc &loc, llvm::StringRef op) {
  if (!t.defined())
    throw TraceError(loc, op.str(), "an operand is an undefined Tensor");
  Tracer *tracer = Tracer::active();
  if (!tracer)
    throw TraceError(loc, op.str(), "ops can only be recorded inside trace()");
  if (t.impl()->tracer != tracer)
    throw TraceError(loc, op.str(), "an operand belongs to another trace");
  // Inside torch.no_grad(): the op computes from detached values.
  if (!gradEnabled && op != "return")
    return tracer->detached(t.impl()->value, tracer->location(loc));
  return t.impl()->value;
}

Tensor Tensor::detach(SourceLoc loc) const {
  Value v = valueOf(*this, loc, "detach");
  Tracer *tracer = Tracer::active();
  return tracer->wrap(tracer->detached(v, tracer->location(loc)));
}

Type elementTypeFor(MLIRContext *ctx, graphc_dtype_t dtype) {
  switch (dtype) {
  case GRAPHC_DTYPE_F32:
    return Float32Type::get(ctx);
  case GRAPHC_DTYPE_F64:
    return Float64Type::get(ctx);
  case GRAPHC_DTYPE_I32:
    return IntegerType::get(ctx, 32);
  case GRAPHC_DTYPE_I64:
    return IntegerType::get(ctx, 64);
  case GRAPHC_DTYPE_BOOL:
    return IntegerType::get(ctx, 1);
  }
  throw std::invalid_argument("unknown dtype " + std::to_string(dtype));
}

Tensor::Tensor(const Parameter &parameter) {
  Tracer *tracer = Tracer::active();
  if (!tracer)
    throw std::logic_error("a Parameter can only be used as a Tensor inside trace()");
  *this = tracer->parameter(parameter.id());
}

Tensor::Tensor(const Buffer &buffer) {
  Tracer *tracer = Tracer::active();
  if (!tracer)
    throw std::logic_error("a Buffer can only be used as a Tensor inside trace()");
  *this = tracer->parameter(buffer.id());
}

void Buffer::assign(const Tensor &newValue, SourceLoc loc) const {
  Tracer *tracer = Tracer::active();
  if (!tracer)
    throw TraceError(loc, "assign", "a Buffer can only be assigned inside trace()");
  tracer->assignBuffer(id(), newValue, loc);
}

DenseElementsAttr denseElementsOf(RankedTensorType type, const rt::Tensor &value) {
  if (value.dtype() == GRAPHC_DTYPE_BOOL) {
    // Dense bool attributes are bit-packed in MLIR, so they cannot take the raw bytes.
    const auto *bytes = static_cast<const uint8_t *>(value.rawData());
    SmallVector<bool> bits(bytes, bytes + value.numel());
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  return DenseElementsAttr::getFromRawBuffer(
      type, ArrayRef<char>(static_cast<const char *>(value.rawData()), value.nbytes()));
}

} // namespace graphc
