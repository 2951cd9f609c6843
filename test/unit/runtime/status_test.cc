#include "graphc/runtime/status.h"

#include <string>

#include "status_internal.h"
#include "test_util.h"

namespace graphc::rt::testing {
namespace {

TEST(StatusTest, NullIsOk) {
  EXPECT_EQ(graphc_status_code(nullptr), GRAPHC_OK);
  EXPECT_STREQ(graphc_status_message(nullptr), "");
  graphc_status_free(nullptr);  // must be a no-op
}

TEST(StatusTest, MakeStatusfFormatsMessage) {
  StatusPtr status(detail::make_statusf(GRAPHC_NOT_FOUND, "tensor '%s' has %d dims", "w", 3));
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(graphc_status_code(status.get()), GRAPHC_NOT_FOUND);
  EXPECT_STREQ(graphc_status_message(status.get()), "tensor 'w' has 3 dims");
}

TEST(StatusTest, MakeStatusTakesStdString) {
  // A '%' in a std::string message must be kept verbatim, not interpreted.
  StatusPtr status(detail::make_status(GRAPHC_DATA_LOSS, std::string("100% corrupt")));
  EXPECT_EQ(graphc_status_code(status.get()), GRAPHC_DATA_LOSS);
  EXPECT_STREQ(graphc_status_message(status.get()), "100% corrupt");
}

TEST(StatusTest, LongMessageIsNotTruncated) {
  std::string long_name(5000, 'x');
  StatusPtr status(detail::make_statusf(GRAPHC_INTERNAL, "[%s]", long_name.c_str()));
  EXPECT_EQ(std::string(graphc_status_message(status.get())), "[" + long_name + "]");
}

TEST(StatusTest, OkCodeMakesNull) {
  EXPECT_EQ(detail::make_status(GRAPHC_OK, "ignored"), nullptr);
  EXPECT_EQ(detail::make_statusf(GRAPHC_OK, "ignored"), nullptr);
}

TEST(StatusTest, OutOfMemoryStatusIsStaticAndFreeable) {
  graphc_status_t status = detail::out_of_memory_status();
  EXPECT_EQ(graphc_status_code(status), GRAPHC_RESOURCE_EXHAUSTED);
  graphc_status_free(status);  // must not free the static object
  EXPECT_EQ(graphc_status_code(detail::out_of_memory_status()), GRAPHC_RESOURCE_EXHAUSTED);
}

TEST(StatusTest, CodeNames) {
  EXPECT_STREQ(graphc_status_code_name(GRAPHC_OK), "OK");
  EXPECT_STREQ(graphc_status_code_name(GRAPHC_INVALID_ARGUMENT), "INVALID_ARGUMENT");
  EXPECT_STREQ(graphc_status_code_name(GRAPHC_OUT_OF_RANGE), "OUT_OF_RANGE");
  EXPECT_STREQ(graphc_status_code_name(GRAPHC_NOT_FOUND), "NOT_FOUND");
  EXPECT_STREQ(graphc_status_code_name(GRAPHC_IO_ERROR), "IO_ERROR");
  EXPECT_STREQ(graphc_status_code_name(GRAPHC_DATA_LOSS), "DATA_LOSS");
  EXPECT_STREQ(graphc_status_code_name(GRAPHC_INTERNAL), "INTERNAL");
  EXPECT_STREQ(graphc_status_code_name(GRAPHC_UNIMPLEMENTED), "UNIMPLEMENTED");
  EXPECT_STREQ(graphc_status_code_name(GRAPHC_RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
  // 15 is the largest value C++ lets this enum hold (its range is 0..15);
  // anything beyond is undefined behavior before our code even runs.
  EXPECT_STREQ(graphc_status_code_name(static_cast<graphc_status_code_t>(15)), "UNKNOWN");
}

TEST(StatusTest, FreeAcceptsNull) { graphc_free(nullptr); }

}  // namespace
}  // namespace graphc::rt::testing
