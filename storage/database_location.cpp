// defaultDatabasePath(): LWB_DB, then XDG_DATA_HOME, then HOME (see header).
#include "storage/database_location.h"

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

namespace lwb::storage {

namespace {

std::string environment(const char *name)
{
    const char *value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

std::string homeFolder()
{
    std::string home = environment("HOME");
    if (home.empty()) {
        if (const passwd *entry = ::getpwuid(::getuid()); entry && entry->pw_dir)
            home = entry->pw_dir;
    }
    return home.empty() ? std::string(".") : home;
}

} // namespace

std::string defaultDatabasePath()
{
    if (std::string explicitPath = environment("LWB_DB"); !explicitPath.empty())
        return explicitPath;
    std::string dataHome = environment("XDG_DATA_HOME");
    // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    if (dataHome.empty() || dataHome.front() != '/')
        dataHome = homeFolder() + "/.local/share";
    return dataHome + "/lora-workbench/runs.db";
}

} // namespace lwb::storage
