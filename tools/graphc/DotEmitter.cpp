//===- DotEmitter.cpp - graph functions as Graphviz DOT -------------------===//

#include "DotEmitter.h"
#include "graphc/Dialect/Graph/GraphDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;

namespace graphc {

namespace {

std::string shapeOf(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return "";
  std::string s = "[";
  for (int64_t i = 0; i < tensor.getRank(); ++i)
    s += (i ? ", " : "") +
         (tensor.isDynamicDim(i) ? std::string("?") : std::to_string(tensor.getDimSize(i)));
  std::string element;
  llvm::raw_string_ostream os(element);
  os << tensor.getElementType();
  return s + "] " + element;
}

std::string escape(StringRef text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

} // namespace

void emitDot(ModuleOp module, llvm::raw_ostream &os) {
  os << "digraph graphc {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n";
  int cluster = 0;
  module.walk([&](func::FuncOp func) {
    if (func.isExternal())
      return;
    llvm::DenseMap<Value, std::string> names;
    std::string prefix = "f" + std::to_string(cluster) + "_";
    os << "  subgraph cluster_" << cluster++ << " {\n    label=\"" << escape(func.getName())
       << "\";\n";
    for (BlockArgument arg : func.getArguments()) {
      std::string id = prefix + "arg" + std::to_string(arg.getArgNumber());
      names[arg] = id;
      auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), graphc::graph::GraphDialect::getNameAttrName());
      os << "    " << id << " [shape=ellipse, label=\""
         << escape(name ? name.getValue() : StringRef("arg")) << "\\n"
         << escape(shapeOf(arg.getType())) << "\"];\n";
    }
    int index = 0;
    func.walk([&](Operation *op) {
      if (op == func.getOperation())
        return;
      std::string id = prefix + "op" + std::to_string(index++);
      for (Value result : op->getResults())
        names[result] = id;
      std::string label = op->getName().getStringRef().str();
      if (op->getNumResults() == 1)
        label += "\\n" + escape(shapeOf(op->getResult(0).getType()));
      os << "    " << id << " [label=\"" << label << "\"];\n";
      for (Value operand : op->getOperands()) {
        auto it = names.find(operand);
        if (it != names.end())
          os << "    " << it->second << " -> " << id << ";\n";
      }
    });
    os << "  }\n";
  });
  os << "}\n";
}

} // namespace graphc
