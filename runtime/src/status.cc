#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>

#include "status_internal.h"

struct graphc_status_s {
  graphc_status_code_t code;
  // The out-of-memory status is a static object: allocating a status to
  // report that allocation failed would itself fail.
  bool is_static;
  std::string message;
};

namespace {

graphc_status_s g_out_of_memory{GRAPHC_RESOURCE_EXHAUSTED, true,
                                "out of memory while running a graphc runtime function"};

}  // namespace

namespace graphc::rt::detail {

graphc_status_t make_status(graphc_status_code_t code, std::string message) noexcept {
  // An OK status is NULL by contract; callers never mean to build one, but
  // returning NULL keeps the contract even if they do.
  if (code == GRAPHC_OK) return nullptr;
  try {
    return new graphc_status_s{code, false, std::move(message)};
  } catch (...) {
    return &g_out_of_memory;
  }
}

graphc_status_t make_statusf(graphc_status_code_t code, const char* format, ...) noexcept {
  if (code == GRAPHC_OK) return nullptr;
  try {
    va_list args;
    va_start(args, format);
    va_list args_copy;
    va_copy(args_copy, args);
    int length = std::vsnprintf(nullptr, 0, format, args);
    va_end(args);
    std::string message;
    if (length > 0) {
      message.resize(static_cast<size_t>(length));
      // vsnprintf writes the terminating NUL into message[length], which
      // std::string guarantees is addressable since C++11.
      std::vsnprintf(message.data(), static_cast<size_t>(length) + 1, format, args_copy);
    }
    va_end(args_copy);
    return new graphc_status_s{code, false, std::move(message)};
  } catch (...) {
    return &g_out_of_memory;
  }
}

graphc_status_t out_of_memory_status() noexcept { return &g_out_of_memory; }

std::string printable(const std::string& text, size_t max_length) {
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (out.size() >= max_length) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  }
  return out;
}

}  // namespace graphc::rt::detail

extern "C" {

graphc_status_code_t graphc_status_code(graphc_status_t status) {
  return status ? status->code : GRAPHC_OK;
}

const char* graphc_status_message(graphc_status_t status) {
  return status ? status->message.c_str() : "";
}

const char* graphc_status_code_name(graphc_status_code_t code) {
  switch (code) {
    case GRAPHC_OK:
      return "OK";
    case GRAPHC_INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case GRAPHC_OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case GRAPHC_NOT_FOUND:
      return "NOT_FOUND";
    case GRAPHC_IO_ERROR:
      return "IO_ERROR";
    case GRAPHC_DATA_LOSS:
      return "DATA_LOSS";
    case GRAPHC_INTERNAL:
      return "INTERNAL";
    case GRAPHC_UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case GRAPHC_RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case GRAPHC_UNAVAILABLE:
      return "UNAVAILABLE";
  }
  return "UNKNOWN";
}

void graphc_status_free(graphc_status_t status) {
  if (status && !status->is_static) delete status;
}

void graphc_free(void* ptr) { std::free(ptr); }

}  // extern "C"
