//===- Importer.cpp - ONNX ModelProto to the graph dialect ----------------===//

#include "graphc/Import/Onnx.h"
#include "Importer.h"

#include "graphc/Dialect/Graph/GraphDialect.h"
#include "graphc/Dialect/Graph/ShapeRules.h"
#include "graphc/Support/InputLimits.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

#include "llvm/Support/Path.h"

#include <onnx/checker.h>
#include <onnx/defs/function.h>
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <climits>
#include <map>

using namespace mlir;

namespace graphc::onnx_import {

// ---- Tensors ------------------------------------------------------------

Type elementType(MLIRContext *context, int32_t onnxType) {
  Builder b(context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return Type();
  }
}

static std::string typeName(int32_t onnxType) {
  return onnx::TensorProto::DataType_IsValid(onnxType)
             ? onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(onnxType))
             : "type " + std::to_string(onnxType);
}

DenseElementsAttr tensorValue(MLIRContext *context, const onnx::TensorProto &tensor) {
  std::string name = tensor.name().empty() ? "a tensor" : "tensor '" + tensor.name() + "'";
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
    throw Unsupported(name + " keeps its data in an external file; save the model with its "
                             "data inside (onnx.save(..., save_as_external_data=False))");
  Type element = elementType(context, tensor.data_type());
  if (!element)
    throw Unsupported(name + " is " + typeName(tensor.data_type()) +
                      "; graphc takes float32, float64, int32, int64 and bool tensors");
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && count > (int64_t(1) << 40) / d))
      throw Unsupported(name + " has an invalid or huge dimension " + std::to_string(d));
    shape.push_back(d);
    count *= d;
  }
  auto type = RankedTensorType::get(shape, element);
  auto mismatch = [&](int64_t have) {
    return Unsupported(name + " holds " + std::to_string(have) + " values; its dims " +
                       graph::formatShape(shape) + " say " + std::to_string(count));
  };
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    unsigned bytes = element.isInteger(1) ? 1 : element.getIntOrFloatBitWidth() / 8;
    if (raw.size() != static_cast<size_t>(count) * bytes)
      throw mismatch(static_cast<int64_t>(raw.size() / bytes));
    if (element.isInteger(1)) {
      SmallVector<bool> values;
      for (char c : raw)
        values.push_back(c != 0);
      return DenseElementsAttr::get(type, values);
    }
    return DenseElementsAttr::getFromRawBuffer(type, ArrayRef<char>(raw.data(), raw.size()));
  }
  auto check = [&](int64_t have) {
    if (have != count)
      throw mismatch(have);
  };
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    check(tensor.float_data_size());
    return DenseElementsAttr::get(type, ArrayRef<float>(tensor.float_data().data(), count));
  case onnx::TensorProto::DOUBLE:
    check(tensor.double_data_size());
    return DenseElementsAttr::get(type, ArrayRef<double>(tensor.double_data().data(), count));
  case onnx::TensorProto::INT64:
    check(tensor.int64_data_size());
    return DenseElementsAttr::get(type, ArrayRef<int64_t>(tensor.int64_data().data(), count));
  case onnx::TensorProto::INT32:
    check(tensor.int32_data_size());
    return DenseElementsAttr::get(type, ArrayRef<int32_t>(tensor.int32_data().data(), count));
  default: { // BOOL: int32_data
    check(tensor.int32_data_size());
    SmallVector<bool> values(tensor.int32_data().begin(), tensor.int32_data().end());
    return DenseElementsAttr::get(type, values);
  }
  }
}

// ---- Node -----------------------------------------------------------------

int Node::opset() const { return importer_.opset; }

Value Node::input(int i) const {
  if (!hasInput(i))
    throw Unsupported("input #" + std::to_string(i) + " is missing");
  const std::string &name = proto_.input(i);
  if (Value v = importer_.values.lookup(name))
    return v;
  auto constant = importer_.constants.find(name);
  if (constant == importer_.constants.end())
    throw Unsupported("input '" + name + "' is defined by no node, input or initializer");
  // A constant used as data: materialized once, where first used.
  Value v = b.create<graph::ConstantOp>(loc, constant->second);
  importer_.values[name] = v;
  return v;
}

std::optional<DenseElementsAttr> Node::constantInput(int i) const {
  if (!hasInput(i))
    return std::nullopt;
  auto it = importer_.constants.find(proto_.input(i));
  if (it == importer_.constants.end())
    return std::nullopt;
  return it->second;
}

SmallVector<int64_t> Node::integers(int i) const {
  std::optional<DenseElementsAttr> value = constantInput(i);
  if (!value)
    throw Unsupported("input '" + proto_.input(i) +
                      "' must be known when the model is compiled (a shape, axes or pads), "
                      "but it depends on the data");
  SmallVector<int64_t> out;
  if (!isa<IntegerType>(value->getElementType()))
    throw Unsupported("input '" + proto_.input(i) + "' must hold integers");
  for (const APInt &v : value->getValues<APInt>())
    out.push_back(value->getElementType().isInteger(1) ? v.getZExtValue() : v.getSExtValue());
  return out;
}

const onnx::AttributeProto *Node::attribute(StringRef name) const {
  for (const onnx::AttributeProto &a : proto_.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t Node::i(StringRef name, int64_t otherwise) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? a->i() : otherwise;
}

float Node::f(StringRef name, float otherwise) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? a->f() : otherwise;
}

std::string Node::s(StringRef name, StringRef otherwise) const {
  const onnx::AttributeProto *a = attribute(name);
  return a ? a->s() : otherwise.str();
}

SmallVector<int64_t> Node::ints(StringRef name, ArrayRef<int64_t> otherwise) const {
  const onnx::AttributeProto *a = attribute(name);
  if (!a)
    return SmallVector<int64_t>(otherwise);
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

void Node::setOutput(int i, Value value) {
  if (hasOutput(i))
    importer_.values[proto_.output(i)] = value;
}

void Node::setConstantOutput(int i, DenseElementsAttr value) {
  if (!hasOutput(i))
    return;
  importer_.constants[proto_.output(i)] = value;
  importer_.values.erase(proto_.output(i)); // materialized where first used
}

int64_t Node::normalizeAxis(int64_t axis, int64_t rank) const {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    throw Unsupported("axis " + std::to_string(axis) + " is outside a tensor of rank " +
                      std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Value Node::transpose(Value x, ArrayRef<int64_t> permutation) {
  bool identity = true;
  for (auto [k, p] : llvm::enumerate(permutation))
    identity &= static_cast<int64_t>(k) == p;
  if (identity)
    return x;
  std::string why;
  if (failed(graph::transposeShape(typeOf(x).getShape(), permutation, why)))
    throw Unsupported(why);
  return b.create<graph::TransposeOp>(loc, x, b.getDenseI64ArrayAttr(permutation));
}

Value Node::pad(Value x, int64_t dim, int64_t before, int64_t after, double value) {
  for (int side = 0; side < 2; ++side) {
    int64_t amount = side == 0 ? before : after;
    if (amount == 0)
      continue;
    auto type = typeOf(x);
    if (!type.hasStaticShape())
      throw Unsupported("padding needs static shapes, got " + graph::formatShape(type.getShape()));
    SmallVector<int64_t> shape(type.getShape());
    shape[dim] = amount;
    Type element = type.getElementType();
    Attribute fillValue = isa<FloatType>(element) ? Attribute(b.getFloatAttr(element, value))
                                                  : Attribute(b.getIntegerAttr(element, (int64_t)value));
    Value fill = b.create<graph::ConstantOp>(
        loc, DenseElementsAttr::get(RankedTensorType::get(shape, element), fillValue));
    SmallVector<Value> parts = side == 0 ? SmallVector<Value>{fill, x} : SmallVector<Value>{x, fill};
    x = b.create<graph::ConcatOp>(loc, parts, b.getI64IntegerAttr(dim));
  }
  return x;
}

void Node::checkBroadcast(Value x, Value y) const {
  if (typeOf(x).getElementType() != typeOf(y).getElementType())
    throw Unsupported("its operands have different element types");
  std::string why;
  if (failed(graph::broadcastShapes(typeOf(x).getShape(), typeOf(y).getShape(), why)))
    throw Unsupported(why);
}

void Node::requireFloat(Value v, StringRef what) const {
  if (!isa<FloatType>(typeOf(v).getElementType()))
    throw Unsupported(what.str() + " must be float32 or float64");
}

} // namespace graphc::onnx_import

// ---- The model ------------------------------------------------------------

namespace {

using namespace graphc::onnx_import;

const ConverterTable &converters() {
  static const ConverterTable table = [] {
    ConverterTable t;
    addElementwiseConverters(t);
    addNeuralNetworkConverters(t);
    addShapeConverters(t);
    addReductionConverters(t);
    addLossConverters(t);
    return t;
  }();
  return table;
}

/// The nodes of ops the importer has no converter for, whose ONNX schema
/// defines them as a function of other ops, replaced by that function's body
/// (again for the ops of a body, a few rounds deep): the ONNX library's own
/// FunctionExpandHelper, with types from its shape inference for the
/// functions that depend on them. Runs in the child process with the rest of
/// libonnx.
void expandFunctions(onnx::ModelProto &model, int opset) {
  try {
    onnx::shape_inference::InferShapes(model);
  } catch (const std::exception &) {
    // Types are only needed by context-dependent functions; go on without.
  }
  std::map<std::string, onnx::TypeProto> types;
  const onnx::GraphProto &graph = model.graph();
  for (const auto *list : {&graph.input(), &graph.value_info(), &graph.output()})
    for (const onnx::ValueInfoProto &info : *list)
      types[info.name()] = info.type();
  for (int round = 0; round < 4; ++round) {
    onnx::GraphProto expanded = model.graph();
    expanded.clear_node();
    bool changed = false;
    int counter = 0;
    for (const onnx::NodeProto &node : model.graph().node()) {
      const onnx::OpSchema *schema = nullptr;
      if ((node.domain().empty() || node.domain() == "ai.onnx") && !converters().count(node.op_type()))
        schema = onnx::OpSchemaRegistry::Schema(node.op_type(), opset, "");
      onnx::FunctionProto body;
      bool haveBody = false;
      if (schema && schema->HasFunction() && schema->GetFunction()) {
        body = *schema->GetFunction();
        haveBody = true;
      } else if (schema && schema->HasContextDependentFunction()) {
        std::vector<onnx::TypeProto> inputTypes;
        for (const std::string &input : node.input())
          inputTypes.push_back(types.count(input) ? types[input] : onnx::TypeProto());
        onnx::FunctionBodyBuildContextImpl context(node, inputTypes);
        try {
          haveBody = schema->BuildContextDependentFunction(context, body);
        } catch (const std::exception &) {
          haveBody = false;
        }
      }
      if (!haveBody) {
        *expanded.add_node() = node;
        continue;
      }
      onnx::FunctionExpandHelper(node, body, expanded,
                                 (node.name().empty() ? node.op_type() : node.name()) +
                                     "_function" + std::to_string(counter++) + "_");
      changed = true;
    }
    *model.mutable_graph() = expanded;
    if (!changed)
      break;
  }
}

/// A graph input's or output's type: a tensor of a dialect type, dims
/// static or (a named or unknown dim) dynamic.
RankedTensorType valueType(MLIRContext *context, const onnx::ValueInfoProto &info) {
  if (!info.type().has_tensor_type())
    throw Unsupported("'" + info.name() +
                      "' is not a tensor (sequences, maps and optional values are not supported)");
  const onnx::TypeProto::Tensor &tensor = info.type().tensor_type();
  Type element = elementType(context, tensor.elem_type());
  if (!element)
    throw Unsupported("'" + info.name() + "' is " + typeName(tensor.elem_type()) +
                      "; graphc takes float32, float64, int32, int64 and bool tensors");
  if (!tensor.has_shape())
    throw Unsupported("'" + info.name() + "' has no shape; give the input its rank and sizes");
  SmallVector<int64_t> shape;
  for (const auto &dim : tensor.shape().dim())
    shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value()
                                                                 : ShapedType::kDynamic);
  return RankedTensorType::get(shape, element);
}

} // namespace

OwningOpRef<ModuleOp> graphc::importOnnx(MLIRContext *context, llvm::StringRef bytes,
                                         llvm::StringRef path, std::string &error,
                                         llvm::StringRef function,
                                         const llvm::StringMap<std::string> *knownInputs) {
  context->loadDialect<graph::GraphDialect, func::FuncDialect>();
  std::string file = path.str();
  // ONNX's own library (protobuf parsing, the checker, the version
  // converter) runs in a child process: its version converter crashes on
  // some models the checker accepts (onnx_fuzzer found them), and none of it
  // may take graphc down. The child replies 'M' and the checked (and
  // converted) model, or 'E' and why it refuses the file.
  auto check = [&]() -> std::string {
    onnx::ModelProto model;
    if (bytes.size() > INT_MAX || !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      return "Enot an ONNX model (the protobuf does not parse)";
    try {
      onnx::checker::check_model(model);
    } catch (const std::exception &e) {
      return std::string("Ethe ONNX checker refuses the model: ") + e.what();
    }
    int opset = 0;
    for (const onnx::OperatorSetIdProto &set : model.opset_import())
      if (set.domain().empty() || set.domain() == "ai.onnx")
        opset = static_cast<int>(set.version());
    if (opset < 1 || opset > 17)
      return "Eopset " + std::to_string(opset) +
             " of the default domain; graphc imports opsets 1 to 17 (6 to 17 always, older "
             "ones where ONNX's version converter brings them to 17)";
    // One form of each op: models of older opsets are converted to 17 by
    // ONNX's version converter (attributes that became inputs, renamed
    // attributes); where it cannot convert, the converters read the old form
    // of opsets 6 and later.
    if (opset < 17) {
      try {
        model = onnx::version_conversion::ConvertVersion(model, 17);
        opset = 17;
      } catch (const std::exception &e) {
        if (opset < 6)
          return "Eopset " + std::to_string(opset) + " is older than graphc reads (6), and ONNX's "
                 "version converter cannot bring it to 17: " + e.what();
      }
    }
    try {
      expandFunctions(model, opset);
    } catch (const std::exception &e) {
      return std::string("Eexpanding the model's function ops failed: ") + e.what();
    }
    return "M" + model.SerializeAsString();
  };
  std::string failure;
  std::optional<std::string> reply = runIsolated(check, "ONNX's model checker", failure);
  if (!reply || reply->empty()) {
    error = file + ": " + (reply ? "ONNX's model checker gave no answer" : failure);
    return nullptr;
  }
  if ((*reply)[0] != 'M') {
    error = file + ": " + reply->substr(1);
    return nullptr;
  }
  onnx::ModelProto model;
  if (!model.ParseFromString(reply->substr(1))) {
    error = file + ": not an ONNX model (the protobuf does not parse)";
    return nullptr;
  }
  Importer importer(context);
  importer.opset = 0;
  for (const onnx::OperatorSetIdProto &set : model.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx")
      importer.opset = static_cast<int>(set.version());

  OpBuilder b(context);
  Location fileLoc = FileLineColLoc::get(context, file, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  const onnx::GraphProto &graph = model.graph();
  std::string where;
  try {
    // Initializers: float ones are the model's parameters, others (shapes,
    // indices) constants known at import.
    llvm::StringMap<DenseElementsAttr> parameters;
    SmallVector<std::string> parameterOrder;
    for (const onnx::TensorProto &init : graph.initializer()) {
      where = "initializer '" + init.name() + "'";
      DenseElementsAttr value = tensorValue(context, init);
      if (isa<FloatType>(value.getElementType())) {
        parameters[init.name()] = value;
        parameterOrder.push_back(init.name());
      } else {
        importer.constants[init.name()] = value;
      }
    }
    SmallVector<Type> argTypes;
    SmallVector<DictionaryAttr> argAttrs;
    SmallVector<std::string> argNames;
    auto named = [&](StringRef name, graph::ArgumentRole role) {
      SmallVector<NamedAttribute> attrs{
          b.getNamedAttr(graph::GraphDialect::getNameAttrName(), b.getStringAttr(name)),
          b.getNamedAttr(graph::GraphDialect::getRoleAttrName(),
                         graph::ArgumentRoleAttr::get(context, role))};
      return attrs;
    };
    for (const onnx::ValueInfoProto &input : graph.input()) {
      // Models of IR version < 4 list their initializers as inputs too.
      if (parameters.count(input.name()) || importer.constants.count(input.name()))
        continue;
      where = "input '" + input.name() + "'";
      if (knownInputs && knownInputs->count(input.name())) {
        onnx::TensorProto value;
        const std::string &serialized = knownInputs->find(input.name())->second;
        if (!value.ParseFromString(serialized))
          throw Unsupported("its given value is not a TensorProto");
        importer.constants[input.name()] = tensorValue(context, value);
        continue;
      }
      argTypes.push_back(valueType(context, input));
      argAttrs.push_back(b.getDictionaryAttr(named(input.name(), graph::ArgumentRole::Input)));
      argNames.push_back(input.name());
    }
    for (const std::string &name : parameterOrder) {
      DenseElementsAttr value = parameters[name];
      argTypes.push_back(value.getType());
      SmallVector<NamedAttribute> attrs = named(name, graph::ArgumentRole::Parameter);
      attrs.push_back(b.getNamedAttr(graph::GraphDialect::getRequiresGradAttrName(), b.getUnitAttr()));
      attrs.push_back(b.getNamedAttr(graph::GraphDialect::getInitValueAttrName(), value));
      argAttrs.push_back(b.getDictionaryAttr(attrs));
      argNames.push_back(name);
    }
    b.setInsertionPointToEnd(module->getBody());
    auto func = b.create<func::FuncOp>(fileLoc, function, b.getFunctionType(argTypes, {}));
    func.setAllArgAttrs(argAttrs);
    Block *entry = func.addEntryBlock();
    for (auto [k, name] : llvm::enumerate(argNames))
      importer.values[name] = entry->getArgument(k);
    b.setInsertionPointToEnd(entry);

    for (const onnx::NodeProto &node : graph.node()) {
      where = "node '" + (node.name().empty() ? node.output_size() ? node.output(0) : "?"
                                              : node.name()) +
              "' (" + node.op_type() + ")";
      if (!node.domain().empty() && node.domain() != "ai.onnx")
        throw Unsupported("is in domain '" + node.domain() +
                          "'; graphc imports the default ONNX domain only");
      if (node.op_type() == "If" || node.op_type() == "Loop" || node.op_type() == "Scan")
        throw Unsupported("is control flow, which graphc does not import (its programs are "
                          "static graphs)");
      auto converter = converters().find(node.op_type());
      if (converter == converters().end())
        throw Unsupported("is an op graphc does not import (docs/onnx.md lists the ones it does)");
      Location loc = NameLoc::get(b.getStringAttr(node.name().empty() ? node.op_type() : node.name()),
                                  fileLoc);
      Node n(importer, node, b, loc);
      converter->second(n);
      for (int i = 0; i < node.output_size(); ++i)
        if (!node.output(i).empty() && !importer.values.count(node.output(i)) &&
            !importer.constants.count(node.output(i)))
          throw Unsupported("output #" + std::to_string(i) + " ('" + node.output(i) +
                            "') is not supported");
    }
    SmallVector<Value> results;
    SmallVector<Attribute> resultAttrs;
    for (const onnx::ValueInfoProto &output : graph.output()) {
      where = "output '" + output.name() + "'";
      onnx::NodeProto probe;
      probe.add_input(output.name());
      Node reader(importer, probe, b, fileLoc);
      results.push_back(reader.input(0));
      resultAttrs.push_back(b.getDictionaryAttr(
          b.getNamedAttr(graph::GraphDialect::getNameAttrName(), b.getStringAttr(output.name()))));
    }
    b.create<func::ReturnOp>(fileLoc, results);
    SmallVector<Type> resultTypes;
    for (Value v : results)
      resultTypes.push_back(v.getType());
    func.setType(b.getFunctionType(argTypes, resultTypes));
    func.setAllResultAttrs(resultAttrs);
  } catch (const Unsupported &e) {
    error = file + ": " + where + ": " + e.what();
    return nullptr;
  }
  // The ops' own verifiers: what the converters built must be valid graph
  // ops; a message here names the node through its location.
  std::string diagnostics;
  {
    ScopedDiagnosticHandler handler(context, [&](Diagnostic &diag) {
      llvm::raw_string_ostream os(diagnostics);
      os << diag.getLocation() << ": " << diag << "\n";
      return success();
    });
    if (failed(verify(*module))) {
      error = file + ": the imported graph is invalid:\n" + diagnostics;
      return nullptr;
    }
  }
  return module;
}
