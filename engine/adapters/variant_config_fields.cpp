// The run form's fields of each variant's config section, declared beside the
// variant (variant_traits.h) so that the GUI builds every panel with one editor
// code. The tooltips say what each option does and which value is the
// default, because the form is where a researcher decides them; the defaults
// they name are those of engine/config (sira_config.h, reslora_config.h,
// dlp_config.h).
#include "engine/adapters/variant_traits.h"

namespace lwb {

namespace {
using Kind = VariantConfigField::Kind;
} // namespace

std::vector<VariantConfigField> siraConfigFields()
{
    return {
        {"adapter.sira.experts", "E&xperts E", Kind::Integer, 1, 256, 0, 1, {},
         "LoRA experts per adapted layer, each of rank r. Default 8."},
        {"adapter.sira.top_k", "Top-&k", Kind::Integer, 1, 256, 0, 1, {},
         "Experts each token uses: the k with the highest router probability. Default 2."},
        {"adapter.sira.capacity_factor", "Ca&pacity factor", Kind::Real, 0, 1000, 2, 0.05, {},
         "Each expert takes at most C = ceil(factor · k · T / E) of the T real tokens of its group, "
            "first choices before second choices; the rest are dropped. 0 removes the limit. Default 1.25."},
        {"adapter.sira.eval_capacity_factor", "E&val capacity factor", Kind::Real, -1, 1000, 2, 0.05,
         {}, "The capacity factor of evaluation forwards: −1 (default) uses the training one; Switch Transformer "
                "evaluates with a larger one (2.0), 0 removes the limit so a token's output never depends on its "
                "batch."},
        {"adapter.sira.capacity_group", "Capacity &group", Kind::Choice, 0, 0, 0, 1,
         {"batch", "sequence"},
         "Which tokens share the capacity: the whole micro-batch (default) or each sequence."},
        {"adapter.sira.renormalize_gates", "Renormalise gates", Kind::Flag, 0, 0, 0, 1, {},
         "Rescale a token's top-k probabilities to sum to 1 (default) instead of using them raw."},
        {"adapter.sira.expert_dropout", "Expert &dropout", Kind::Real, 0, 0.99, 3, 0.01, {},
         "Training only: each of a token's gates is zeroed with this probability, against over-fitting. "
            "0 disables it. Default 0.1."},
        {"adapter.sira.expert_dropout_scaling", "Dropout scaling", Kind::Choice, 0, 0, 0, 1,
         {"inverted", "renormalize", "none"},
         "How surviving gates are scaled: inverted (default, a dropout layer on the gate values G(x), the "
            "paper's wording): g / (1 − p); renormalize: back to the gates' sum before dropout; none: unchanged."},
        {"adapter.sira.expert_dropout_stage", "Dropout stage", Kind::Choice, 0, 0, 0, 1,
         {"after_capacity", "before_capacity"},
         "after_capacity (default): a dropped gate keeps its place in the expert's queue. before_capacity: "
            "dropped assignments do not queue, so later tokens take their places."},
        {"adapter.sira.aux_loss_coef", "Balance loss coef", Kind::Real, 0, 100, 4, 0.001, {},
         "Weight of the load-balancing loss E · Σ f_e P_e. 0 disables it. Default 0.01."},
        {"adapter.sira.balance_reduction", "Balance over layers", Kind::Choice, 0, 0, 0, 1,
         {"mean", "sum"},
         "mean (default): the coefficient weighs the mean over SiRA layers; sum: one loss per layer, as "
            "Switch and GShard (the same as mean with the coefficient times the number of layers)."},
        {"adapter.sira.balance_counting", "Balance counts", Kind::Choice, 0, 0, 0, 1,
         {"top_k", "first_choice"},
         "f_e of the balance loss: the share of all top-k assignments (default) or of tokens whose first "
            "choice is e (GShard)."},
        {"adapter.sira.z_loss_coef", "Router z-loss coef", Kind::Real, 0, 100, 4, 0.001, {},
         "Weight of the router z-loss (mean squared logsumexp of the router logits). Default 0 (off)."},
        {"adapter.sira.router_jitter", "Router &jitter", Kind::Real, 0, 0.99, 3, 0.01, {},
         "Training only: the router reads its input times U(1 − j, 1 + j) noise. Default 0 (off)."},
        {"adapter.sira.routing_path", "Routing path", Kind::Choice, 0, 0, 0, 1,
         {"auto", "host", "tensor"},
         "Which implementation routes (the same decisions): auto (default) runs host loops on the CPU and "
            "tensor ops on a GPU (no device wait per layer); host or tensor force one, to compare them."},
    };
}

std::vector<VariantConfigField> resloraConfigFields()
{
    return {
        {"adapter.reslora.variant", "Shortc&ut", Kind::Choice, 0, 0, 0, 1,
         {"is", "bs", "ms"},
         "Where the residual path joins a block to the same target in the previous layers. "
            "is (input-shortcut, default): B·A reads x + the previous block's input. bs (block-shortcut): "
            "the previous blocks' B·A are added to this one's. ms (middle-shortcut): B reads this block's A·x "
            "plus the previous blocks' A·x."},
        {"adapter.reslora.pre_num", "&Earlier blocks", Kind::Integer, -1, 4096, 0, 1, {},
         "How many earlier blocks a bs or ms block links to; −1 links all of them. is always uses the one "
            "before. Default 1."},
        {"adapter.reslora.merge", "&Merge", Kind::Choice, 0, 0, 0, 1,
         {"merge_bi", "merge_bw"},
         "How is and ms are merged into plain LoRA after training, named as the official README (merge_flag "
            "3 / 4). merge_bw (default): is takes α = ‖x(n−1)‖/‖x(n)‖ from training inputs; ms scales B·A by "
            "1 + Σ ‖A·x‖ ratios. merge_bi: is takes α from the norms of the earlier blocks' merged weights; ms "
            "adds the earlier blocks' A to this one's, weighted by input-norm ratios. bs always merges exactly."},
        {"adapter.reslora.window", "Norm &window", Kind::Integer, 1, 1000000, 0, 1, {},
         "Training batches over which the norms for the merge are averaged (the latest ones). Default 100."},
        {"adapter.reslora.bs_dropout", "bs &dropout", Kind::Choice, 0, 0, 0, 1,
         {"per_block", "shared"},
         "bs only: per_block (default, the official code) draws one LoRA-dropout mask per linked block; "
            "shared uses one mask for all of them."},
        {"adapter.reslora.mlp_chain", "MLP c&hains", Kind::Choice, 0, 0, 0, 1,
         {"per_projection", "up_down"},
         "Llama's up_proj / down_proj: per_projection (default, the official code) chains each with itself; "
            "up_down puts them in one chain in module order, where only equal shapes link."},
    };
}

std::vector<VariantConfigField> dlpConfigFields()
{
    return {
        {"adapter.dlp.task_steps", "Steps per task &LoRA", Kind::Integer, 1, 10000000, 0, 1, {},
         "Training steps of each task LoRA the study trains (rank, alpha and targets above); the multi-task "
            "LoRA it is compared with trains N times as long on all the tasks. Default 300."},
        {"adapter.dlp.plugin.embedding", "Plugin &embedding", Kind::Choice, 0, 0, 0, 1,
         {"own", "base"},
         "The plugin's token embeddings: its own trainable table (default) or the base model's input "
            "embeddings, frozen."},
        {"adapter.dlp.plugin.embedding_dim", "Embedding dim", Kind::Integer, 1, 65536, 0, 1, {},
         "Width of the plugin's own embedding table. Default 256."},
        {"adapter.dlp.plugin.layers", "Plugin la&yers", Kind::Integer, 2, 4, 0, 1, {},
         "Linear layers of the plugin's MLP (2–4); the last gives the N task logits. Default 3."},
        {"adapter.dlp.plugin.width", "Plugin &width", Kind::Integer, 0, 65536, 0, 1, {},
         "Hidden width of the MLP; 0 chooses it so the plugin has about the target parameter count. Default 0."},
        {"adapter.dlp.plugin.target_params", "Plugin parameters", Kind::Integer, 1000, 1000000000,
         0, 1, {}, "Parameter budget when the width is 0: about 5M, the paper's mini-MLP. Default 5000000."},
        {"adapter.dlp.plugin.bigram_buckets", "Plugin &bigrams", Kind::Integer, 0, 4194304, 0, 1,
         {}, "Hashed embeddings of adjacent token pairs, averaged beside the tokens' own: with a byte tokenizer "
                "the tokens alone are a bag of characters. 0 reads tokens only (a plain token mean). Default 4096."},
        {"adapter.dlp.plugin.epochs", "Plugin e&pochs", Kind::Integer, 1, 10000, 0, 1, {},
         "Passes over the plugin's training prompts. Default 4."},
        {"adapter.dlp.plugin.lr", "Plugin learning rate", Kind::Real, 0.000001, 1, 6, 0.0001, {},
         "AdamW learning rate of the plugin. Default 0.001."},
        {"adapter.dlp.plugin.train_examples", "Plugin prompts", Kind::Integer, 1, 10000000, 0, 1,
         {}, "Training prompts drawn from the tasks' stream, labelled with their task. Default 4096."},
        {"adapter.dlp.plugin.eval_examples", "Plugin held-out", Kind::Integer, 1, 10000000, 0, 1,
         {}, "Held-out prompts for the plugin's accuracy and confusion matrix. Default 512."},
        {"adapter.dlp.selection.rule", "&Selection", Kind::Choice, 0, 0, 0, 1,
         {"top_p", "top_k"},
         "top_p (default): the most probable LoRAs until their probabilities pass P (the one crossing P "
            "is kept, the top one always). top_k: the k most probable."},
        {"adapter.dlp.selection.p", "Top-&P", Kind::Real, 0.000001, 1, 3, 0.05, {},
         "Cumulative probability the kept LoRAs reach (top_p). Default 0.6, the reference code's value."},
        {"adapter.dlp.selection.k", "Top-k LoRAs", Kind::Integer, 1, 1024, 0, 1, {},
         "LoRAs kept by top_k (at most the library size). Default 2."},
        {"adapter.dlp.selection.weights", "Fusion weights", Kind::Choice, 0, 0, 0, 1,
         {"reference", "softmax", "renormalize"},
         "reference (default): as the reference code, top_k the softmax of the top-k logits, top_p the "
            "softmax of the kept probabilities. softmax: of the kept probabilities for both rules. renormalize: "
            "the kept probabilities rescaled to sum to 1 (= softmax of the kept logits)."},
        {"adapter.dlp.selection.top_p_at_equal", "Top-P at equality", Kind::Choice, 0, 0, 0, 1,
         {"keep_next", "stop"},
         "When the kept probabilities sum to P exactly: keep_next (default, the reference code) keeps the "
            "next LoRA too; stop ends the set there."},
        {"adapter.dlp.granularity", "&Granularity", Kind::Choice, 0, 0, 0, 1,
         {"input", "sentence"},
         "input (default, the reference code): the plugin reads the prompt once. sentence (the paper): it "
            "re-reads the context at the start of every generated sentence and may switch the fused set."},
    };
}

} // namespace lwb
