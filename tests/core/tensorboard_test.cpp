// TensorBoardWriter: CRC-32C against published vectors, the TFRecord framing,
// and a golden test: TensorBoard's own Python loader reads what we wrote.
#include "libgrpo/tensorboard.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "libgrpo/metrics_log.h"

namespace fs = std::filesystem;
using grpo::crc32c;
using grpo::masked_crc32c;
using grpo::TensorBoardWriter;

namespace {

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

uint64_t little_endian(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < bytes.size(); ++i) value |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return value;
}

// What tests/golden/read_tensorboard.py, through TensorBoard's EventAccumulator, reads from dir.
nlohmann::json read_with_tensorboard(const fs::path& dir) {
  const std::string command = std::string("'") + LIBGRPO_TEST_PYTHON + "' '" + LIBGRPO_SOURCE_DIR +
                              "/tests/golden/read_tensorboard.py' '" + dir.string() + "'";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string output;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  int status = ::pclose(pipe);
  if (status != 0) throw std::runtime_error(command + " failed:\n" + output);
  auto result = nlohmann::json::parse(output);
  // A record TensorBoard rejects (bad CRC, bad framing) ends its reading there.
  if (!result["file_version"].is_number()) throw std::runtime_error("TensorBoard read no file_version event: " + output);
  return result;
}

class TensorBoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("libgrpo_tb_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// RFC 3720 (iSCSI) appendix B.4 and the usual check value.
TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending += static_cast<char>(i);
    descending += static_cast<char>(31 - i);
  }
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32c, MaskRotatesAndAddsTheConstant) {
  uint32_t crc = 0xE3069283u;
  EXPECT_EQ(masked_crc32c("123456789"), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
}

TEST_F(TensorBoardTest, FileNameAndRecordFraming) {
  fs::path path;
  {
    TensorBoardWriter writer(dir_);
    path = writer.path();
    writer.add_scalars(1, {{"reward", 0.5}}, 1700000000.0);
    writer.flush();
  }
  EXPECT_EQ(path.parent_path(), dir_);
  EXPECT_EQ(path.filename().string().rfind("events.out.tfevents.", 0), 0u) << path;
  std::string pid = ".";
  pid += std::to_string(::getpid());
  pid += '.';
  EXPECT_NE(path.filename().string().find(pid), std::string::npos) << path;

  // Two records, each length | crc(length) | data | crc(data), and nothing else.
  std::string bytes = read_file(path);
  std::string_view rest = bytes;
  std::vector<std::string> records;
  while (!rest.empty()) {
    ASSERT_GE(rest.size(), 12u);
    uint64_t length = little_endian(rest.substr(0, 8));
    EXPECT_EQ(little_endian(rest.substr(8, 4)), masked_crc32c(rest.substr(0, 8)));
    ASSERT_GE(rest.size(), 16 + length);
    std::string_view data = rest.substr(12, length);
    EXPECT_EQ(little_endian(rest.substr(12 + length, 4)), masked_crc32c(data));
    records.emplace_back(data);
    rest.remove_prefix(16 + length);
  }
  ASSERT_EQ(records.size(), 2u);
  EXPECT_NE(records[0].find("brain.Event:2"), std::string::npos);
  EXPECT_NE(records[1].find("reward"), std::string::npos);
}

TEST_F(TensorBoardTest, TwoWritersGetTwoFiles) {
  TensorBoardWriter a(dir_), b(dir_);
  EXPECT_NE(a.path(), b.path());
}

// What TensorBoard reads back: every tag, step and float32 value, wall times,
// NaN and infinities, and text.
TEST_F(TensorBoardTest, GoldenTensorBoardReadsOurEvents) {
  const std::vector<std::pair<int64_t, grpo::Metrics>> steps = {
      {0, {{"reward", 0.125}, {"kl", 0.0}, {"completions/mean_length", 412.0}}},
      {1, {{"reward", 0.1 + 0.2}, {"kl", 1e-5}, {"completions/mean_length", 398.5}}},
      {2, {{"reward", -1.0 / 3.0}, {"kl", std::nan("")}, {"completions/mean_length", INFINITY}}},
      {1000000007, {{"reward", 1e30}, {"kl", -INFINITY}, {"completions/mean_length", 3.0}}},
  };
  {
    TensorBoardWriter writer(dir_);
    for (const auto& [step, metrics] : steps) writer.add_scalars(step, metrics, 1700000000.0 + double(step) * 0.25);
    writer.add_text(2, "samples/completion", "The answer is **42**.\nÜnïcödé ok", 1700000002.0);
    writer.flush();
  }

  auto result = read_with_tensorboard(dir_);
  EXPECT_EQ(result["file_version"].get<double>(), 2.0);
  const auto& scalars = result["scalars"];
  ASSERT_EQ(scalars.size(), 3u) << scalars.dump();
  for (const std::string tag : {"reward", "kl", "completions/mean_length"}) {
    ASSERT_TRUE(scalars.contains(tag)) << tag;
    const auto& events = scalars[tag];
    ASSERT_EQ(events.size(), steps.size()) << tag;
    for (size_t i = 0; i < steps.size(); ++i) {
      const auto& [step, metrics] = steps[i];
      EXPECT_EQ(events[i][0].get<int64_t>(), step) << tag;
      EXPECT_DOUBLE_EQ(events[i][1].get<double>(), 1700000000.0 + double(step) * 0.25) << tag;
      float expected = static_cast<float>(metrics.at(tag));
      const auto& got = events[i][2];
      if (std::isnan(expected)) {
        EXPECT_EQ(got, "nan") << tag << " step " << step;
      } else if (std::isinf(expected)) {
        EXPECT_EQ(got, expected > 0 ? "inf" : "-inf") << tag << " step " << step;
      } else {
        // TensorBoard stores float32: equal after rounding, not to the double.
        EXPECT_EQ(static_cast<float>(got.get<double>()), expected) << tag << " step " << step;
      }
    }
  }
  ASSERT_TRUE(result["texts"].contains("samples/completion")) << result.dump();
  const auto& texts = result["texts"]["samples/completion"];
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0][0].get<int64_t>(), 2);
  EXPECT_EQ(texts[0][1].get<std::string>(), "The answer is **42**.\nÜnïcödé ok");
}

// A run killed after step 7 and resumed from its step-4 checkpoint: TensorBoard
// shows steps 1-4 of the first run and 5-6 of the second, nothing twice.
TEST_F(TensorBoardTest, GoldenResumeDropsStepsAfterTheCheckpoint) {
  {
    TensorBoardWriter first(dir_);
    for (int64_t step = 1; step <= 7; ++step) first.add_scalars(step, {{"reward", double(step)}}, double(step));
  }
  {
    TensorBoardWriter second(dir_);
    second.truncate_after(4, 100.0);
    for (int64_t step = 5; step <= 6; ++step) second.add_scalars(step, {{"reward", 10.0 * step}}, 100.0 + step);
  }
  auto result = read_with_tensorboard(dir_);
  std::vector<std::pair<int64_t, double>> got;
  for (const auto& event : result["scalars"]["reward"]) got.emplace_back(event[0].get<int64_t>(), event[2].get<double>());
  EXPECT_EQ(got, (std::vector<std::pair<int64_t, double>>{{1, 1.0}, {2, 2.0}, {3, 3.0}, {4, 4.0}, {5, 50.0}, {6, 60.0}}));
}

}  // namespace
