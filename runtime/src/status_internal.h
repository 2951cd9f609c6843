// Internal helpers for building graphc_status_t values inside the runtime.
// Not installed: callers of the C API only ever inspect and free statuses.
#ifndef GRAPHC_RUNTIME_SRC_STATUS_INTERNAL_H_
#define GRAPHC_RUNTIME_SRC_STATUS_INTERNAL_H_

#include <cstddef>
#include <string>

#include "graphc/runtime/status.h"

namespace graphc::rt::detail {

// Never throws: if the status itself cannot be allocated, a static
// RESOURCE_EXHAUSTED status is returned instead (graphc_status_free ignores it).
graphc_status_t make_status(graphc_status_code_t code, std::string message) noexcept;

// printf-style variant; the format is checked by the compiler.
graphc_status_t make_statusf(graphc_status_code_t code, const char* format, ...) noexcept
    __attribute__((format(printf, 2, 3)));

// The status to return when a std::bad_alloc reaches a C API boundary.
graphc_status_t out_of_memory_status() noexcept;

// Error messages quote names, paths and parser output taken from files; this
// keeps them printable (other bytes become '?') and at most `max_length`
// characters plus "...", so a corrupt file cannot garble a terminal.
std::string printable(const std::string& text, size_t max_length = 200);

}  // namespace graphc::rt::detail

// Converts any C++ exception escaping a C API body into a status, so no
// exception ever crosses the extern "C" boundary.
#define GRAPHC_CATCH_ALL_RETURN_STATUS(function_name)                                              \
  catch (const std::bad_alloc&) {                                                                  \
    return ::graphc::rt::detail::out_of_memory_status();                                           \
  }                                                                                                \
  catch (const std::exception& e) {                                                                \
    return ::graphc::rt::detail::make_statusf(GRAPHC_INTERNAL, "%s: unexpected exception: %s",     \
                                              function_name, e.what());                            \
  }                                                                                                \
  catch (...) {                                                                                    \
    return ::graphc::rt::detail::make_statusf(GRAPHC_INTERNAL, "%s: unexpected unknown exception", \
                                              function_name);                                      \
  }

#endif  // GRAPHC_RUNTIME_SRC_STATUS_INTERNAL_H_
