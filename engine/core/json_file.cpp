// See json_file.h.
#include "engine/core/json_file.h"

#include "engine/core/error.h"

#include <fstream>

namespace lwb {

nlohmann::json readJsonFile(const std::string &path, const std::string &whenMissing)
{
    std::ifstream file(path);
    if (!file)
        throw Error(path, whenMissing);
    try {
        return nlohmann::json::parse(file);
    } catch (const nlohmann::json::exception &error) {
        // A syntax error (parse_error) or a number too large for a double
        // (out_of_range 406, "1e1010"); nlohmann reports the byte offset or
        // the number, enough to find the place.
        throw Error(path, std::string("not valid JSON: ") + error.what());
    }
}

} // namespace lwb
