// See model_location.h.
#include "engine/model/model_location.h"

#include "engine/core/error.h"

#include <filesystem>
#include <fstream>
#include <vector>

namespace lwb {

namespace {

namespace fs = std::filesystem;

// The first line of refs/main, without surrounding white space.
std::string firstLineOf(const fs::path &file)
{
    std::ifstream in(file);
    if (!in)
        throw Error("model.path", file.string() + ": cannot open");
    std::string line;
    std::getline(in, line);
    const auto first = line.find_first_not_of(" \t\r\n");
    const auto last = line.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? std::string() : line.substr(first, last - first + 1);
}

} // namespace

std::string resolveHubCacheFolder(const std::string &path)
{
    const fs::path repo(path);
    std::error_code error;
    if (fs::is_regular_file(repo / "config.json", error) || !fs::is_directory(repo / "snapshots", error))
        return path; // a plain folder, a snapshot, or not a model at all (the caller says so)

    const auto snapshots = repo / "snapshots";
    const auto ref = repo / "refs" / "main";
    if (fs::is_regular_file(ref, error)) {
        const auto hash = firstLineOf(ref);
        if (hash.empty() || hash.find('/') != std::string::npos)
            throw Error("model.path", ref.string() + ": expected a commit hash, found \"" + hash + "\"");
        const auto snapshot = snapshots / hash;
        if (!fs::is_directory(snapshot, error))
            throw Error("model.path", ref.string() + " names snapshot " + hash + ", but " + snapshot.string()
                                          + " does not exist (an interrupted download?)");
        return snapshot.string();
    }
    std::vector<fs::path> found;
    for (const auto &entry : fs::directory_iterator(snapshots, error))
        if (entry.is_directory())
            found.push_back(entry.path());
    if (found.size() == 1)
        return found.front().string();
    throw Error("model.path", path + " is a Hugging Face hub-cache folder without refs/main and with "
                                  + std::to_string(found.size()) + " snapshots: name one of " + snapshots.string()
                                  + "/HASH");
}

} // namespace lwb
