// See sira_config.h.
#include "engine/config/sira_config.h"

#include "engine/config/json_reader.h"

namespace lwb {

void parseSiraConfig(JsonReader in, SiraConfig &sira)
{
    in.readInt("experts", sira.experts, 1, 256);
    in.readInt("top_k", sira.topK, 1, 256);
    in.readNumber("capacity_factor", sira.capacityFactor, 0.0, 1e3);
    in.readString("capacity_group", sira.capacityGroup, {"batch", "sequence"});
    in.readBool("renormalize_gates", sira.renormalizeGates);
    in.readNumber("expert_dropout", sira.expertDropout, 0.0, 0.99);
    in.readBool("renormalize_after_dropout", sira.renormalizeAfterDropout);
    in.readNumber("aux_loss_coef", sira.auxLossCoef, 0.0, 100.0);
    in.readNumber("z_loss_coef", sira.zLossCoef, 0.0, 100.0);
    in.readNumber("router_jitter", sira.routerJitter, 0.0, 0.99);
    if (sira.topK > sira.experts)
        in.fail("top_k", "must not exceed experts (" + std::to_string(sira.experts) + ")");
    in.finish();
}

nlohmann::json toJson(const SiraConfig &sira)
{
    return {
        {"experts", sira.experts},
        {"top_k", sira.topK},
        {"capacity_factor", sira.capacityFactor},
        {"capacity_group", sira.capacityGroup},
        {"renormalize_gates", sira.renormalizeGates},
        {"expert_dropout", sira.expertDropout},
        {"renormalize_after_dropout", sira.renormalizeAfterDropout},
        {"aux_loss_coef", sira.auxLossCoef},
        {"z_loss_coef", sira.zLossCoef},
        {"router_jitter", sira.routerJitter},
    };
}

} // namespace lwb
