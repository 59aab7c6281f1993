// The safetensors reader and writer: round trips, and every kind of corrupt file rejected
// with a message that names the tensor or byte offset at fault.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "libgrpo/error.h"
#include "libgrpo/safetensors.h"

namespace fs = std::filesystem;
using namespace grpo;

namespace {

const fs::path kScratch = fs::temp_directory_path() / ("libgrpo_st_" + std::to_string(::getpid()));

// Each test runs in its own process; its scratch files go when it exits.
struct RemoveScratch {
  ~RemoveScratch() { fs::remove_all(kScratch); }
} remove_scratch;

fs::path scratch(const std::string& name) {
  fs::create_directories(kScratch);
  return kScratch / name;
}

// A file made of the given JSON header followed by `data_bytes` zero bytes.
fs::path raw_file(const std::string& name, const std::string& header, size_t data_bytes) {
  fs::path path = scratch(name);
  std::ofstream out(path, std::ios::binary);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xff));
  out << header << std::string(data_bytes, '\0');
  return path;
}

// Expects opening `path` to fail with a message containing `needle`.
void expect_rejected(const fs::path& path, const std::string& needle) {
  try {
    safetensors::File::open(path);
    ADD_FAILURE() << path << " was accepted; expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find(needle), std::string::npos) << "message: " << e.message();
  }
}

}  // namespace

TEST(Safetensors, RoundTripsEveryDtype) {
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (auto dtype : {torch::kFloat, torch::kDouble, torch::kBFloat16, torch::kHalf, torch::kLong, torch::kInt,
                     torch::kShort, torch::kChar, torch::kByte, torch::kBool, torch::kFloat8_e4m3fn})
    tensors.emplace_back(std::string("t_") + c10::toString(dtype), (torch::randn({3, 5}) * 4).to(dtype));
  tensors.emplace_back("empty", torch::empty({0, 7}));
  tensors.emplace_back("scalar", torch::tensor(3.5));
  tensors.emplace_back("strided", torch::arange(12, torch::kFloat).view({3, 4}).t());
  auto path = scratch("all.safetensors");
  safetensors::save(path, tensors, {{"format", "pt"}, {"step", "7"}});
  auto file = safetensors::File::open(path);
  EXPECT_EQ(file.header().metadata.at("step"), "7");
  EXPECT_EQ(file.header().data_start % 8, 0u);
  for (const auto& [name, t] : tensors) {
    auto got = file.tensor(name);
    EXPECT_EQ(got.scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(got.sizes(), t.sizes()) << name;
    if (t.numel() > 0) {
      EXPECT_TRUE(torch::equal(got.to(torch::kFloat), t.to(torch::kFloat))) << name;
    }
  }
}

TEST(Safetensors, TensorsOutliveTheFileAndAreViews) {
  auto path = scratch("view.safetensors");
  safetensors::save(path, {{"w", torch::arange(1024, torch::kFloat)}});
  torch::Tensor w;
  {
    auto file = safetensors::File::open(path);
    w = file.tensor("w");
  }
  EXPECT_EQ(w[1023].item<float>(), 1023.f);
}

TEST(Safetensors, ReadsFilesWrittenByThePythonLibrary) {
  // The model fixtures' expected.safetensors come from safetensors.torch.save_file.
  auto file = safetensors::File::open(fs::path(LIBGRPO_MODEL_FIXTURES) / "qwen2" / "expected.safetensors");
  EXPECT_EQ(file.tensor("input_ids_right").scalar_type(), torch::kLong);
  EXPECT_EQ(file.tensor("logits_right").dim(), 3);
}

TEST(SafetensorsBadInput, TooShortOrEmpty) {
  fs::path empty = scratch("empty.safetensors");
  std::ofstream(empty).close();
  expect_rejected(empty, "too short");
  expect_rejected(scratch("does-not-exist.safetensors"), "cannot open");
}

TEST(SafetensorsBadInput, HeaderLengthOutOfRange) {
  fs::path path = scratch("huge.safetensors");
  std::ofstream out(path, std::ios::binary);
  out << std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) << "{}";
  out.close();
  expect_rejected(path, "exceeds the limit");
  fs::path past = scratch("past.safetensors");
  std::ofstream(past, std::ios::binary) << std::string("\x40\x00\x00\x00\x00\x00\x00\x00", 8) << "{}";
  expect_rejected(past, "runs past the end");
}

TEST(SafetensorsBadInput, TruncatedData) {
  auto path = scratch("trunc.safetensors");
  safetensors::save(path, {{"a", torch::ones({4})}, {"b", torch::ones({16})}});
  fs::resize_file(path, fs::file_size(path) - 10);
  expect_rejected(path, "tensor 'b'");
  expect_rejected(path, "past the end of the file");
}

TEST(SafetensorsBadInput, OverlapsGapsAndLeftovers) {
  std::string f32 = R"("dtype":"F32","shape":[2])";
  expect_rejected(raw_file("overlap.st", "{\"a\":{" + f32 + R"(,"data_offsets":[0,8]},"b":{)" + f32 +
                                             R"(,"data_offsets":[4,12]}})", 12),
                  "'b' overlaps");
  expect_rejected(raw_file("gap.st", "{\"a\":{" + f32 + R"(,"data_offsets":[4,12]}})", 12), "gap of 4 bytes");
  expect_rejected(raw_file("tail.st", "{\"a\":{" + f32 + R"(,"data_offsets":[0,8]}})", 20),
                  "12 bytes after the last tensor at byte");
  expect_rejected(raw_file("oob.st", "{\"a\":{" + f32 + R"(,"data_offsets":[0,8]}})", 4), "run past the end");
  expect_rejected(raw_file("rev.st", "{\"a\":{" + f32 + R"(,"data_offsets":[8,0]}})", 8), "end before begin");
}

TEST(SafetensorsBadInput, ShapeDtypeAndSchema) {
  expect_rejected(raw_file("size.st", R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8),
                  "tensor 'w': data_offsets [0, 8] hold 8 bytes but dtype F32 and shape [3] need 12");
  expect_rejected(raw_file("dtype.st", R"({"w":{"dtype":"F17","shape":[2],"data_offsets":[0,8]}})", 8),
                  "tensor 'w' has unknown dtype 'F17'");
  expect_rejected(raw_file("neg.st", R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
                  "not a non-negative integer");
  expect_rejected(raw_file("overflow.st",
                           R"({"w":{"dtype":"F64","shape":[4611686018427387904,8],"data_offsets":[0,8]}})", 8),
                  "overflows");
  expect_rejected(raw_file("missing.st", R"({"w":{"dtype":"F32","shape":[2]}})", 8), "has no 'data_offsets'");
  expect_rejected(raw_file("meta.st", R"({"__metadata__":{"format":3}})", 0), "is not a string");
  expect_rejected(raw_file("json.st", R"({"w":{"dtype":"F32",)", 0), "not valid JSON near byte");
  expect_rejected(raw_file("brace.st", R"(["w"])", 0), "does not start with '{'");
}

TEST(SafetensorsBadInput, MisalignedDataIsCopiedNotViewed) {
  // A 7-byte header (no padding) leaves float data at an odd address.
  std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  ASSERT_NE((8 + header.size()) % 4, 0u);
  auto path = raw_file("misaligned.st", header, 4);
  auto t = safetensors::File::open(path).tensor("a");
  EXPECT_EQ(t.item<float>(), 0.f);
}
