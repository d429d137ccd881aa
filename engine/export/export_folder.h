// ExportFolder: where an export goes, made safe.
//
// The folder is DESTINATION/NAME, where NAME comes from sanitizeExportName(),
// so a run called "../../x" or "/etc" lands inside DESTINATION as "x" or
// "etc", never outside it. Files are written into a staging folder beside the
// target (".NAME.staging-<pid>-<random>", each file itself atomic), and
// commit() renames the whole folder into place: a reader never sees a half
// export, and a failed export leaves nothing behind. An existing target is an
// error unless `force`; with force, commit() moves the old folder aside,
// renames the new one in and only then deletes the old one.
#pragma once

#include "engine/export/export_result.h"

#include <string>

namespace lwb {

// Keeps [A-Za-z0-9._-], turns every other byte (slashes, spaces, non-ASCII)
// into '_', drops leading '.', '_' and '-' (no "..", no hidden folder), and
// cuts to 120 bytes; "" becomes "export".
std::string sanitizeExportName(const std::string &name);

class ExportFolder
{
public:
    // Throws lwb::Error naming the path when the target exists and !force,
    // or when DESTINATION cannot be created.
    ExportFolder(const std::string &destination, const std::string &name, bool force);
    ~ExportFolder(); // removes the staging folder unless committed

    ExportFolder(const ExportFolder &) = delete;
    ExportFolder &operator=(const ExportFolder &) = delete;

    // The staging path of a file inside the export ("experts/expert-00/a.json");
    // creates its parent folders. Refuses absolute paths and "..".
    std::string stage(const std::string &relative);
    // Records a staged file for the result (path as it will be after commit()).
    void addFile(const std::string &relative);

    const std::string &target() const { return target_; }
    // The staging folder itself (for writers that lay out several files).
    const std::string &stagingFolder() const { return staging_; }
    // Moves the staging folder into place; returns the files written.
    ExportResult commit(const std::string &format, const std::string &artifactKind);

private:
    std::string target_;
    std::string staging_;
    bool force_;
    bool committed_ = false;
    ExportResult result_;
};

} // namespace lwb
