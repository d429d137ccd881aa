// See dlp_roles.h.
#include "engine/adapters/dlp_roles.h"

#include "engine/config/run_config.h"

namespace lwb {

bool isDlpStudy(const AdapterConfig &adapter)
{
    return adapter.variant == kDlpVariant;
}

bool joinsDlpLibrary(const std::string &variant)
{
    return variant == "lora";
}

} // namespace lwb
