// See export_folder.h.
#include "engine/export/export_folder.h"

#include "engine/core/error.h"

#include <filesystem>
#include <random>

#include <unistd.h>

namespace lwb {

namespace fs = std::filesystem;

namespace {

std::string uniqueSuffix()
{
    std::random_device random;
    return std::to_string(::getpid()) + "-" + std::to_string(random());
}

} // namespace

std::string sanitizeExportName(const std::string &name)
{
    std::string safe;
    for (const char c : name) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                          || c == '_' || c == '-';
        safe += keep ? c : '_';
    }
    const auto first = safe.find_first_not_of("._-");
    safe = first == std::string::npos ? std::string() : safe.substr(first);
    if (safe.size() > 120)
        safe.resize(120);
    return safe.empty() ? "export" : safe;
}

ExportFolder::ExportFolder(const std::string &destination, const std::string &name, bool force)
    : force_(force)
{
    if (destination.empty())
        throw Error("export", "no destination folder given");
    std::error_code error;
    fs::create_directories(destination, error);
    if (error || !fs::is_directory(destination))
        throw Error(destination, "cannot create the destination folder" + (error ? ": " + error.message() : ""));
    const auto parent = fs::weakly_canonical(fs::absolute(destination));
    const auto target = parent / sanitizeExportName(name);
    // sanitizeExportName leaves no separator and no "..": the target's parent
    // is the destination itself. Checked anyway, the promise is the point.
    if (target.parent_path() != parent)
        throw Error(target.string(), "the export would leave the destination folder " + parent.string());
    target_ = target.string();
    if (fs::exists(fs::symlink_status(target)) && !force)
        throw Error(target_, "already exists; choose another name or overwrite it with --force");
    staging_ = (parent / ("." + target.filename().string() + ".staging-" + uniqueSuffix())).string();
    fs::create_directory(staging_, error);
    if (error)
        throw Error(staging_, "cannot create the staging folder: " + error.message());
}

ExportFolder::~ExportFolder()
{
    if (!committed_) {
        std::error_code ignored;
        fs::remove_all(staging_, ignored);
    }
}

std::string ExportFolder::stage(const std::string &relative)
{
    const fs::path path(relative);
    if (relative.empty() || path.is_absolute())
        throw Error(relative, "an export file must be a relative path inside the export folder");
    for (const auto &part : path) {
        if (part == ".." || part == ".")
            throw Error(relative, "an export file may not contain \".\" or \"..\"");
    }
    const auto full = fs::path(staging_) / path;
    std::error_code error;
    fs::create_directories(full.parent_path(), error);
    if (error)
        throw Error(full.parent_path().string(), "cannot create the folder: " + error.message());
    return full.string();
}

void ExportFolder::addFile(const std::string &relative)
{
    result_.files.push_back({(fs::path(target_) / relative).string(), relative});
}

ExportResult ExportFolder::commit(const std::string &format, const std::string &artifactKind)
{
    std::error_code error;
    std::string aside;
    if (fs::exists(fs::symlink_status(target_))) {
        if (!force_)
            throw Error(target_, "appeared while exporting; not overwritten without --force");
        aside = (fs::path(target_).parent_path()
                 / ("." + fs::path(target_).filename().string() + ".old-" + uniqueSuffix()))
                    .string();
        fs::rename(target_, aside, error);
        if (error)
            throw Error(target_, "cannot move the old export aside: " + error.message());
    }
    fs::rename(staging_, target_, error);
    if (error) {
        const auto reason = error.message();
        if (!aside.empty())
            fs::rename(aside, target_, error); // put the old export back
        throw Error(target_, "cannot move the export into place: " + reason);
    }
    committed_ = true;
    if (!aside.empty())
        fs::remove_all(aside, error);
    result_.folder = target_;
    result_.format = format;
    result_.artifactKind = artifactKind;
    return result_;
}

} // namespace lwb
