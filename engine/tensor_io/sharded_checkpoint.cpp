// ShardedCheckpoint: index parsing, shard opening and cross-checking.
#include "engine/tensor_io/sharded_checkpoint.h"

#include "engine/core/error.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include <sys/stat.h>

namespace lwb {

namespace {

bool isDirectory(const std::string &path)
{
    struct stat st = {};
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isFile(const std::string &path)
{
    struct stat st = {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool endsWith(const std::string &text, const std::string &suffix)
{
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string directoryOf(const std::string &path)
{
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

ShardedCheckpoint::ShardedCheckpoint(const std::string &path)
{
    if (isDirectory(path)) {
        const std::string index = path + "/" + kIndexFileName;
        const std::string single = path + "/" + kSingleFileName;
        if (isFile(index))
            openIndex(index);
        else if (isFile(single))
            openSingle(single);
        else
            throw Error(path, std::string("no ") + kIndexFileName + " or " + kSingleFileName + " in this directory");
    } else if (endsWith(path, ".json")) {
        openIndex(path);
    } else {
        openSingle(path);
    }
}

void ShardedCheckpoint::openSingle(const std::string &filePath)
{
    sourcePath_ = filePath;
    shards_.push_back(std::make_unique<SafetensorsReader>(filePath));
    for (const std::string &name : shards_.back()->names())
        shardOf_[name] = 0;
}

void ShardedCheckpoint::openIndex(const std::string &indexPath)
{
    sourcePath_ = indexPath;
    std::ifstream in(indexPath, std::ios::binary);
    if (!in)
        throw Error(indexPath, "cannot open the checkpoint index");
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json index;
    try {
        index = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::exception &e) {
        throw Error(indexPath, std::string("not valid JSON (") + e.what() + ")");
    }
    if (!index.is_object())
        throw Error(indexPath, "the index must be a JSON object");
    const auto mapIt = index.find("weight_map");
    if (mapIt == index.end() || !mapIt->is_object())
        throw Error(indexPath + ": weight_map", "missing or not a JSON object");

    const std::string dir = directoryOf(indexPath);
    std::map<std::string, std::size_t> shardIndex; // shard file name -> shards_ slot
    std::vector<std::string> shardNames;
    for (const auto &[tensor, shardValue] : mapIt->items()) {
        const std::string where = indexPath + ": weight_map." + tensor;
        if (!shardValue.is_string())
            throw Error(where, "the shard name must be a string");
        const std::string shard = shardValue.get<std::string>();
        if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
            throw Error(where, "shard \"" + shard + "\" must be a plain file name beside the index");
        auto [it, inserted] = shardIndex.emplace(shard, shardNames.size());
        if (inserted)
            shardNames.push_back(shard);
        shardOf_[tensor] = it->second;
    }

    for (const std::string &shard : shardNames) {
        const std::string shardPath = dir + "/" + shard;
        if (!isFile(shardPath))
            throw Error(indexPath, "shard \"" + shard + "\" listed in weight_map does not exist (" + shardPath + ")");
        shards_.push_back(std::make_unique<SafetensorsReader>(shardPath));
    }

    for (const auto &[tensor, slot] : shardOf_) {
        if (!shards_[slot]->contains(tensor))
            throw Error(indexPath, "tensor '" + tensor + "': weight_map puts it in shard \"" + shardNames[slot]
                                       + "\", which does not hold it");
    }
    for (std::size_t slot = 0; slot < shards_.size(); ++slot) {
        for (const std::string &tensor : shards_[slot]->names()) {
            const auto it = shardOf_.find(tensor);
            if (it == shardOf_.end() || it->second != slot)
                throw Error(indexPath, "tensor '" + tensor + "': shard \"" + shardNames[slot]
                                           + "\" holds it but weight_map "
                                           + (it == shardOf_.end() ? std::string("does not list it")
                                                                   : "puts it in \"" + shardNames[it->second] + "\""));
        }
    }
}

std::vector<std::string> ShardedCheckpoint::names() const
{
    std::vector<std::string> result;
    result.reserve(shardOf_.size());
    for (const auto &entry : shardOf_)
        result.push_back(entry.first);
    return result;
}

bool ShardedCheckpoint::contains(const std::string &name) const
{
    return shardOf_.count(name) != 0;
}

const SafetensorsReader &ShardedCheckpoint::readerFor(const std::string &name) const
{
    const auto it = shardOf_.find(name);
    if (it == shardOf_.end())
        throw Error(sourcePath_, "tensor '" + name + "': not in this checkpoint");
    return *shards_[it->second];
}

const SafetensorsTensorInfo &ShardedCheckpoint::info(const std::string &name) const
{
    return readerFor(name).info(name);
}

const std::string &ShardedCheckpoint::shardPath(const std::string &name) const
{
    return readerFor(name).path();
}

at::Tensor ShardedCheckpoint::load(const std::string &name, c10::ScalarType type) const
{
    return readerFor(name).load(name, type);
}

} // namespace lwb
