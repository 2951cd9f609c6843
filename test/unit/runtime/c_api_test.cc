#include "test_util.h"

extern "C" int graphc_c_api_smoke(const char* scratch_path);
extern "C" int graphc_c_api_data_smoke(void);

namespace graphc::rt::testing {
namespace {

TEST(CApiTest, SmokeFromC) {
  TempDir dir;
  const std::string path = dir.file("c.safetensors");
  EXPECT_EQ(graphc_c_api_smoke(path.c_str()), 0) << "nonzero is the failing line in c_api_smoke.c";
}

TEST(CApiTest, DataSmokeFromC) {
  EXPECT_EQ(graphc_c_api_data_smoke(), 0) << "nonzero is the failing line in c_api_smoke.c";
}

}  // namespace
}  // namespace graphc::rt::testing
