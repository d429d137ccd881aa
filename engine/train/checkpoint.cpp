// See checkpoint.h. The archive is LibTorch's own (torch::serialize), which
// both LibTorch 1.13 and 2.x read and write. Parameter names contain dots,
// which archive keys may not, so tensors are stored by position with the
// names alongside.
#include "engine/train/checkpoint.h"

#include "engine/core/error.h"

#include <torch/serialize.h>
#include <torch/serialize/archive.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lwb {

namespace fs = std::filesystem;

namespace {

std::vector<std::pair<std::string, torch::Tensor>> adapterParameters(torch::nn::Module &model)
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto &item : model.named_parameters()) {
        if (item.value().requires_grad())
            out.emplace_back(item.key(), item.value());
    }
    return out;
}

// Adapter state that is not trained but must survive a resume (ResLoRA's
// windows of input norms): the buffers under an "adapter" module.
std::vector<std::pair<std::string, torch::Tensor>> adapterBuffers(torch::nn::Module &model)
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto &item : model.named_buffers()) {
        const auto &name = item.key();
        if (name.rfind("adapter.", 0) == 0 || name.find(".adapter.") != std::string::npos)
            out.emplace_back(name, item.value());
    }
    return out;
}

void writeFileAtomically(const fs::path &path, const std::string &contents)
{
    const auto temp = path.string() + ".tmp";
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << contents;
        if (!out.flush())
            throw Error(temp, "cannot write (disk full or no permission?)");
    }
    fs::rename(temp, path);
}

} // namespace

std::string saveCheckpoint(const std::string &outputDir, std::int64_t step, const std::string &configJson,
                           torch::nn::Module &model, torch::optim::Optimizer &optimizer, int worldSize)
{
    const auto dir = fs::path(outputDir) / "checkpoints";
    std::error_code error;
    fs::create_directories(dir, error);
    if (error)
        throw Error(dir.string(), "cannot create the checkpoint directory: " + error.message());

    char name[32];
    std::snprintf(name, sizeof name, "step-%06lld.pt", static_cast<long long>(step));
    const auto path = dir / name;
    const auto temp = path.string() + ".tmp";

    torch::serialize::OutputArchive archive;
    archive.write("step", torch::tensor(step, torch::kInt64));
    archive.write("config_json", c10::IValue(configJson));
    archive.write("world_size", torch::tensor(static_cast<std::int64_t>(worldSize), torch::kInt64));
    std::string names;
    std::int64_t index = 0;
    for (const auto &[parameterName, tensor] : adapterParameters(model)) {
        names += parameterName + "\n";
        archive.write("adapter_" + std::to_string(index++), tensor.detach().to(torch::kCPU));
    }
    archive.write("adapter_names", c10::IValue(names));
    std::string bufferNames;
    index = 0;
    for (const auto &[bufferName, tensor] : adapterBuffers(model)) {
        bufferNames += bufferName + "\n";
        archive.write("buffer_" + std::to_string(index++), tensor.detach().to(torch::kCPU));
    }
    archive.write("buffer_names", c10::IValue(bufferNames));
    torch::serialize::OutputArchive optimizerArchive;
    optimizer.save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
    try {
        archive.save_to(temp);
    } catch (const c10::Error &e) {
        throw Error(temp, std::string("cannot write the checkpoint: ") + e.what_without_backtrace());
    }
    fs::rename(temp, path);
    writeFileAtomically(dir / "latest", std::string(name) + "\n");
    return path.string();
}

std::string resolveCheckpoint(const std::string &fileOrDir)
{
    const fs::path path(fileOrDir);
    if (fs::is_regular_file(path))
        return path.string();
    if (!fs::is_directory(path))
        throw Error(fileOrDir, "no such checkpoint file or run output directory");
    const auto latest = path / "checkpoints" / "latest";
    std::ifstream in(latest);
    std::string name;
    if (!in || !std::getline(in, name) || name.empty())
        throw Error(latest.string(), "no checkpoint recorded in this output directory");
    const auto file = path / "checkpoints" / name;
    if (!fs::is_regular_file(file))
        throw Error(file.string(), "named by checkpoints/latest but missing");
    return file.string();
}

namespace {

CheckpointInfo readInfo(torch::serialize::InputArchive &archive, const std::string &path, std::string *names)
{
    CheckpointInfo info;
    try {
        archive.load_from(path);
        torch::Tensor step;
        archive.read("step", step);
        info.step = step.item<std::int64_t>();
        c10::IValue value;
        archive.read("config_json", value);
        info.configJson = value.toStringRef();
        torch::Tensor worldSize; // absent in checkpoints older than data-parallel runs: one process
        if (archive.try_read("world_size", worldSize))
            info.worldSize = static_cast<int>(worldSize.item<std::int64_t>());
        archive.read("adapter_names", value);
        if (names)
            *names = value.toStringRef();
    } catch (const c10::Error &e) {
        throw Error(path, std::string("not a LoRA Workbench checkpoint: ") + e.what_without_backtrace());
    }
    return info;
}

CheckpointInfo loadAdapterTensors(torch::serialize::InputArchive &archive, const std::string &path,
                                  torch::nn::Module &model)
{
    std::string names;
    const auto info = readInfo(archive, path, &names);
    std::map<std::string, std::int64_t> stored;
    std::istringstream lines(names);
    std::string line;
    for (std::int64_t index = 0; std::getline(lines, line); ++index)
        stored[line] = index;

    torch::NoGradGuard noGrad;
    const auto expected = adapterParameters(model);
    if (expected.size() != stored.size())
        throw Error(path, "holds " + std::to_string(stored.size()) + " adapter tensors, the model has "
                              + std::to_string(expected.size()) + " (another adapter config?)");
    for (const auto &[name, parameter] : expected) {
        const auto found = stored.find(name);
        if (found == stored.end())
            throw Error(path, "has no tensor for adapter parameter " + name + " (another adapter config?)");
        torch::Tensor tensor;
        archive.read("adapter_" + std::to_string(found->second), tensor);
        if (tensor.sizes() != parameter.sizes()) {
            std::ostringstream shapes;
            shapes << "tensor " << name << " has shape " << tensor.sizes() << ", the model expects "
                   << parameter.sizes();
            throw Error(path, shapes.str());
        }
        parameter.copy_(tensor);
    }
    // Checkpoints written before adapters had buffers hold none.
    c10::IValue bufferNames;
    std::map<std::string, std::int64_t> storedBuffers;
    if (archive.try_read("buffer_names", bufferNames)) {
        std::istringstream bufferLines(bufferNames.toStringRef());
        for (std::int64_t index = 0; std::getline(bufferLines, line); ++index)
            storedBuffers[line] = index;
    }
    for (const auto &[name, buffer] : adapterBuffers(model)) {
        const auto found = storedBuffers.find(name);
        if (found == storedBuffers.end())
            throw Error(path, "has no tensor for adapter buffer " + name + " (another adapter config?)");
        torch::Tensor tensor;
        archive.read("buffer_" + std::to_string(found->second), tensor);
        if (tensor.sizes() != buffer.sizes()) {
            std::ostringstream shapes;
            shapes << "buffer " << name << " has shape " << tensor.sizes() << ", the model expects " << buffer.sizes();
            throw Error(path, shapes.str());
        }
        buffer.copy_(tensor);
    }
    return info;
}

} // namespace

CheckpointInfo loadCheckpoint(const std::string &path, torch::nn::Module &model, torch::optim::Optimizer &optimizer)
{
    torch::serialize::InputArchive archive;
    const auto info = loadAdapterTensors(archive, path, model);
    torch::serialize::InputArchive optimizerArchive;
    archive.read("optimizer", optimizerArchive);
    optimizer.load(optimizerArchive);
    return info;
}

CheckpointInfo readCheckpointInfo(const std::string &path)
{
    torch::serialize::InputArchive archive;
    return readInfo(archive, path, nullptr);
}

CheckpointInfo loadCheckpointWeights(const std::string &path, torch::nn::Module &model)
{
    torch::serialize::InputArchive archive;
    return loadAdapterTensors(archive, path, model);
}

CheckpointTensors readCheckpointTensors(const std::string &path)
{
    torch::serialize::InputArchive archive;
    CheckpointTensors out;
    std::string names;
    out.info = readInfo(archive, path, &names);
    std::istringstream lines(names);
    std::string name;
    try {
        for (std::int64_t index = 0; std::getline(lines, name); ++index) {
            torch::Tensor tensor;
            archive.read("adapter_" + std::to_string(index), tensor);
            out.tensors.emplace_back(name, tensor);
        }
    } catch (const c10::Error &e) {
        throw Error(path, "adapter tensor " + name + " cannot be read: " + e.what_without_backtrace());
    }
    return out;
}

} // namespace lwb
