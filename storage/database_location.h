// Where the run store lives when nobody says otherwise.
//
// Order: the LWB_DB environment variable; else $XDG_DATA_HOME/lora-workbench/
// runs.db; else ~/.local/share/lora-workbench/runs.db (XDG Base Directory
// defaults). A --db option of the CLI, or the GUI's setting, wins over all.
#pragma once

#include <string>

namespace lwb::storage {

std::string defaultDatabasePath();

} // namespace lwb::storage
