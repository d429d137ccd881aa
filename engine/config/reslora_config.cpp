// See reslora_config.h.
#include "engine/config/reslora_config.h"

#include "engine/config/json_reader.h"

namespace lwb {

namespace {

// Configs written before the official names said "bi" / "bw" (by input /
// by weights) plus "ms_merge"; each old combination that has an official
// counterpart reads as that one.
void readLegacyMerge(JsonReader &in, const std::string &merge, ResLoraConfig &reslora)
{
    std::string msMerge = "paper";
    in.readString("ms_merge", msMerge, {"paper", "a_merge"});
    if (reslora.variant == "ms" && merge == "bw")
        in.fail("merge", "\"bw\" for ms (merged-weight norms) has no counterpart in the official code; use "
                         "\"merge_bi\" or \"merge_bw\"");
    else if (reslora.variant == "ms")
        reslora.merge = msMerge == "paper" ? "merge_bw" : "merge_bi";
    else
        reslora.merge = merge == "bi" ? "merge_bw" : "merge_bi"; // is: by input = flag 4, by weights = flag 3
}

} // namespace

void parseResLoraConfig(JsonReader in, ResLoraConfig &reslora)
{
    in.readString("variant", reslora.variant, {"is", "bs", "ms"});
    in.readInt("pre_num", reslora.preNum, -1, 4096);
    std::string merge = reslora.merge;
    in.readString("merge", merge);
    if (merge == "bi" || merge == "bw" || in.has("ms_merge")) {
        readLegacyMerge(in, merge == "bw" ? merge : "bi", reslora);
    } else if (merge != "merge_bi" && merge != "merge_bw") {
        in.fail("merge", "\"" + merge + "\" is not \"merge_bi\" or \"merge_bw\" (the official README's names)");
    } else {
        reslora.merge = merge;
    }
    in.readInt("window", reslora.window, 1, 1000000);
    in.readString("bs_dropout", reslora.bsDropout, {"per_block", "shared"});
    in.readString("mlp_chain", reslora.mlpChain, {"per_projection", "up_down"});
    if (reslora.preNum == 0)
        in.fail("pre_num", "must be at least 1 (the earlier blocks linked), or -1 for all of them");
    in.finish();
}

nlohmann::json toJson(const ResLoraConfig &reslora)
{
    return {
        {"variant", reslora.variant}, {"pre_num", reslora.preNum},       {"merge", reslora.merge},
        {"window", reslora.window},   {"bs_dropout", reslora.bsDropout}, {"mlp_chain", reslora.mlpChain},
    };
}

} // namespace lwb
