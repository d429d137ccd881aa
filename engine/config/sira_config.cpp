// See sira_config.h.
#include "engine/config/sira_config.h"

#include "engine/config/json_reader.h"

namespace lwb {

void parseSiraConfig(JsonReader in, SiraConfig &sira)
{
    in.readInt("experts", sira.experts, 1, 256);
    in.readInt("top_k", sira.topK, 1, 256);
    in.readNumber("capacity_factor", sira.capacityFactor, 0.0, 1e3);
    in.readNumber("eval_capacity_factor", sira.evalCapacityFactor, -1.0, 1e3);
    if (sira.evalCapacityFactor < 0.0 && sira.evalCapacityFactor != -1.0)
        in.fail("eval_capacity_factor", "must be -1 (the training capacity_factor), 0 (no limit) or positive");
    in.readString("capacity_group", sira.capacityGroup, {"batch", "sequence"});
    in.readBool("renormalize_gates", sira.renormalizeGates);
    in.readNumber("expert_dropout", sira.expertDropout, 0.0, 0.99);
    in.readString("expert_dropout_scaling", sira.expertDropoutScaling, {"inverted", "renormalize", "none"});
    // Configs written before the scaling had three readings said it with a
    // flag; they keep meaning what they meant.
    if (in.has("renormalize_after_dropout")) {
        bool renormalize = true;
        in.readBool("renormalize_after_dropout", renormalize);
        if (in.has("expert_dropout_scaling"))
            in.fail("renormalize_after_dropout", "replaced by expert_dropout_scaling; give only that one");
        else
            sira.expertDropoutScaling = renormalize ? "renormalize" : "none";
    }
    in.readString("expert_dropout_stage", sira.expertDropoutStage, {"after_capacity", "before_capacity"});
    in.readNumber("aux_loss_coef", sira.auxLossCoef, 0.0, 100.0);
    in.readString("balance_reduction", sira.balanceReduction, {"mean", "sum"});
    in.readString("balance_counting", sira.balanceCounting, {"top_k", "first_choice"});
    in.readNumber("z_loss_coef", sira.zLossCoef, 0.0, 100.0);
    in.readNumber("router_jitter", sira.routerJitter, 0.0, 0.99);
    in.readString("routing_path", sira.routingPath, {"auto", "host", "tensor"});
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
        {"eval_capacity_factor", sira.evalCapacityFactor},
        {"capacity_group", sira.capacityGroup},
        {"renormalize_gates", sira.renormalizeGates},
        {"expert_dropout", sira.expertDropout},
        {"expert_dropout_scaling", sira.expertDropoutScaling},
        {"expert_dropout_stage", sira.expertDropoutStage},
        {"aux_loss_coef", sira.auxLossCoef},
        {"balance_reduction", sira.balanceReduction},
        {"balance_counting", sira.balanceCounting},
        {"z_loss_coef", sira.zLossCoef},
        {"router_jitter", sira.routerJitter},
        {"routing_path", sira.routingPath},
    };
}

} // namespace lwb
