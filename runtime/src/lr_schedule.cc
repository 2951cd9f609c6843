// graphc runtime: learning-rate schedules (graphc/runtime/lr_schedule.hpp).

#include "graphc/runtime/lr_schedule.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace graphc::rt {

double LrSchedule::rate(double base, int64_t epoch) const {
  switch (kind) {
    case Kind::Constant:
      return base;
    case Kind::Step:
      return base * std::pow(gamma, static_cast<double>(epoch / stepSize));
    case Kind::Cosine:
      // The closed form (PyTorch's _get_closed_form_lr); PyTorch's get_lr()
      // reaches the same values by a recurrence, equal up to rounding.
      return etaMin + (base - etaMin) * (1 + std::cos(M_PI * static_cast<double>(epoch) /
                                                      static_cast<double>(tMax))) / 2;
  }
  return base;
}

namespace {
// %g with round-trip precision: "0.1", "1e-05".
std::string number(double value) {
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}
}  // namespace

std::string LrSchedule::text() const {
  switch (kind) {
    case Kind::Constant: return "constant";
    case Kind::Step: return "step:" + std::to_string(stepSize) + ":" + number(gamma);
    case Kind::Cosine: return "cosine:" + std::to_string(tMax) + ":" + number(etaMin);
  }
  return "constant";
}

LrSchedule parseLrSchedule(const std::string &text) {
  const std::string expected =
      "--lr-schedule expects constant, step:STEP_SIZE[:GAMMA] or cosine:T_MAX[:ETA_MIN], got '" +
      text + "'";
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
  if (!text.empty() && text.back() == ':') parts.push_back("");
  auto whole = [&](const std::string &part, int64_t low) {
    errno = 0;
    char *end = nullptr;
    long long value = std::strtoll(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || errno == ERANGE || value < low)
      throw std::invalid_argument(expected + " (" + part + ": an integer >= " +
                                  std::to_string(low) + ")");
    return static_cast<int64_t>(value);
  };
  auto real = [&](const std::string &part) {
    errno = 0;
    char *end = nullptr;
    double value = std::strtod(part.c_str(), &end);
    if (part.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value) || value < 0)
      throw std::invalid_argument(expected + " (" + part + ": a finite number >= 0)");
    return value;
  };
  LrSchedule schedule;
  if (parts.size() == 1 && parts[0] == "constant") return schedule;
  if (parts.size() >= 2 && parts.size() <= 3 && parts[0] == "step") {
    schedule.kind = LrSchedule::Kind::Step;
    schedule.stepSize = whole(parts[1], 1);
    if (parts.size() == 3) schedule.gamma = real(parts[2]);
    return schedule;
  }
  if (parts.size() >= 2 && parts.size() <= 3 && parts[0] == "cosine") {
    schedule.kind = LrSchedule::Kind::Cosine;
    schedule.tMax = whole(parts[1], 1);
    if (parts.size() == 3) schedule.etaMin = real(parts[2]);
    return schedule;
  }
  throw std::invalid_argument(expected);
}

}  // namespace graphc::rt
