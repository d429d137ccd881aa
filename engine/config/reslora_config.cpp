// See reslora_config.h.
#include "engine/config/reslora_config.h"

#include "engine/config/json_reader.h"

namespace lwb {

void parseResLoraConfig(JsonReader in, ResLoraConfig &reslora)
{
    in.readString("variant", reslora.variant, {"is", "bs", "ms"});
    in.readInt("pre_num", reslora.preNum, -1, 4096);
    in.readString("merge", reslora.merge, {"bi", "bw"});
    in.readString("ms_merge", reslora.msMerge, {"paper", "a_merge"});
    in.readInt("window", reslora.window, 1, 1000000);
    if (reslora.preNum == 0)
        in.fail("pre_num", "must be at least 1 (the earlier blocks linked), or -1 for all of them");
    in.finish();
}

nlohmann::json toJson(const ResLoraConfig &reslora)
{
    return {
        {"variant", reslora.variant}, {"pre_num", reslora.preNum}, {"merge", reslora.merge},
        {"ms_merge", reslora.msMerge}, {"window", reslora.window},
    };
}

} // namespace lwb
