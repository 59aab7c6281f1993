#include "libgrpo/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "libgrpo/error.h"

namespace grpo::safetensors {

struct File::Mapping {
  std::filesystem::path path;
  Header header;
  const uint8_t* data = nullptr;
  size_t size = 0;

  ~Mapping() {
    if (data && size > 0) munmap(const_cast<uint8_t*>(data), size);
  }
};

namespace {

struct TorchDType {
  DType dtype;
  torch::ScalarType scalar;
};

constexpr TorchDType kTorchDTypes[] = {
    {DType::BOOL, torch::kBool},    {DType::U8, torch::kByte},          {DType::I8, torch::kChar},
    {DType::I16, torch::kShort},    {DType::U16, torch::kUInt16},       {DType::I32, torch::kInt},
    {DType::U32, torch::kUInt32},   {DType::I64, torch::kLong},         {DType::U64, torch::kUInt64},
    {DType::F16, torch::kHalf},     {DType::BF16, torch::kBFloat16},    {DType::F32, torch::kFloat},
    {DType::F64, torch::kDouble},   {DType::F8_E4M3, torch::kFloat8_e4m3fn},
    {DType::F8_E5M2, torch::kFloat8_e5m2},
};

std::string errno_text() { return std::strerror(errno); }

}  // namespace

torch::ScalarType to_torch(DType dtype) {
  for (const auto& e : kTorchDTypes)
    if (e.dtype == dtype) return e.scalar;
  GRPO_FAIL("safetensors: no torch dtype for ", dtype_name(dtype));
}

DType from_torch(torch::ScalarType scalar) {
  for (const auto& e : kTorchDTypes)
    if (e.scalar == scalar) return e.dtype;
  GRPO_FAIL("safetensors: torch dtype ", c10::toString(scalar), " has no safetensors equivalent");
}

File File::open(const std::filesystem::path& path) {
  auto mapping = std::make_shared<Mapping>();
  mapping->path = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  GRPO_CHECK(fd >= 0, "cannot open ", path, ": ", errno_text());
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    std::string why = errno_text();
    ::close(fd);
    GRPO_FAIL("cannot stat ", path, ": ", why);
  }
  mapping->size = static_cast<size_t>(st.st_size);
  if (mapping->size > 0) {
    void* p = mmap(nullptr, mapping->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      std::string why = errno_text();
      ::close(fd);
      GRPO_FAIL("cannot map ", path, ": ", why);
    }
    mapping->data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  try {
    mapping->header = parse_header(mapping->data, mapping->size, mapping->size);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.message(), e.file(), e.line());
  }
  File file;
  file.mapping_ = std::move(mapping);
  const auto& tensors = file.mapping_->header.tensors;
  for (size_t i = 0; i < tensors.size(); ++i) file.index_[tensors[i].name] = i;
  return file;
}

const std::filesystem::path& File::path() const { return mapping_->path; }
const Header& File::header() const { return mapping_->header; }
bool File::contains(const std::string& name) const { return index_.count(name) > 0; }

const TensorInfo& File::info(const std::string& name) const {
  auto it = index_.find(name);
  GRPO_CHECK(it != index_.end(), mapping_->path, ": no tensor named '", name, "'");
  return mapping_->header.tensors[it->second];
}

std::vector<std::string> File::names() const {
  std::vector<std::string> out;
  for (const auto& t : mapping_->header.tensors) out.push_back(t.name);
  return out;
}

torch::Tensor File::tensor(const std::string& name) const {
  const TensorInfo& t = info(name);
  auto options = torch::TensorOptions().dtype(to_torch(t.dtype));
  const uint8_t* at = mapping_->data + mapping_->header.data_start + t.begin;
  if (t.end == t.begin) return torch::empty(t.shape, options);
  // Writers pad the header so data is aligned, but the format does not promise it; a
  // misaligned tensor is copied rather than viewed.
  if (reinterpret_cast<uintptr_t>(at) % dtype_size(t.dtype) != 0) {
    auto out = torch::empty(t.shape, options);
    std::memcpy(out.data_ptr(), at, t.end - t.begin);
    return out;
  }
  auto keep = mapping_;
  return torch::from_blob(const_cast<uint8_t*>(at), t.shape, [keep](void*) {}, options);
}

void save(const std::filesystem::path& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
          const std::map<std::string, std::string>& metadata) {
  std::vector<TensorInfo> infos;
  std::vector<torch::Tensor> host;
  uint64_t at = 0;
  for (const auto& [name, tensor] : tensors) {
    GRPO_CHECK(tensor.defined(), "safetensors: tensor '", name, "' is undefined");
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    TensorInfo info;
    info.name = name;
    info.dtype = from_torch(t.scalar_type());
    info.shape = t.sizes().vec();
    info.begin = at;
    info.end = at + t.nbytes();
    at = info.end;
    infos.push_back(std::move(info));
    host.push_back(std::move(t));
  }
  std::string head = serialize_header(infos, metadata);

  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    GRPO_CHECK(out, "cannot write ", tmp, ": ", errno_text());
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    for (const auto& t : host) out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
    out.flush();
    GRPO_CHECK(out, "error writing ", tmp, " (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  GRPO_CHECK(!ec, "cannot rename ", tmp, " to ", path, ": ", ec.message());
}

}  // namespace grpo::safetensors
