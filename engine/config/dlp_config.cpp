// See dlp_config.h.
#include "engine/config/dlp_config.h"

#include "engine/config/json_reader.h"
#include "engine/data/task_generator.h"

#include <algorithm>
#include <set>

namespace lwb {

namespace {

void parsePlugin(JsonReader in, DlpPluginConfig &plugin)
{
    parseDlpPluginShape(in, plugin);
    in.readInt("target_params", plugin.targetParams, 1000, 1'000'000'000);
    in.readInt("epochs", plugin.epochs, 1, 10000);
    in.readNumber("lr", plugin.lr, 0.0, 10.0, true);
    in.readInt("batch_size", plugin.batchSize, 1, 65536);
    in.readInt("train_examples", plugin.trainExamples, 1, 1 << 24);
    in.readInt("eval_examples", plugin.evalExamples, 1, 1 << 24);
    in.finish();
}

} // namespace

void parseDlpPluginShape(JsonReader &in, DlpPluginConfig &plugin)
{
    in.readString("kind", plugin.kind, {"mlp", "encoder"});
    in.readString("embedding", plugin.embedding, {"own", "base"});
    in.readInt("embedding_dim", plugin.embeddingDim, 1, 65536);
    in.readInt("layers", plugin.layers, 2, 4);
    in.readInt("width", plugin.width, 0, 65536);
    in.readInt("bigram_buckets", plugin.bigramBuckets, 0, 1 << 22);
    in.readInt("encoder_layers", plugin.encoderLayers, 1, 48);
    in.readInt("heads", plugin.heads, 1, 256);
    in.readInt("max_positions", plugin.maxPositions, 1, 65536);
    in.readNumber("dropout", plugin.dropout, 0.0, 0.9);
    if (plugin.kind == "encoder" && plugin.embedding == "base")
        in.fail("embedding", "the encoder plugin has its own token embeddings: \"base\" is for kind \"mlp\"");
    if (plugin.kind == "encoder" && plugin.width > 0 && plugin.width % plugin.heads != 0)
        in.fail("width", "the encoder's width (" + std::to_string(plugin.width) + ") must be a multiple of heads ("
                             + std::to_string(plugin.heads) + ")");
}

void parseDlpSelection(JsonReader in, DlpSelectionConfig &selection)
{
    in.readString("rule", selection.rule, {"top_p", "top_k"});
    // P = 0 would keep the top item only (it always is); say so instead of accepting it silently.
    in.readNumber("p", selection.p, 0.0, 1.0, true);
    in.readInt("k", selection.k, 1, 4096);
    in.readString("weights", selection.weights, {"reference", "softmax", "renormalize"});
    in.readString("top_p_at_equal", selection.topPAtEqual, {"keep_next", "stop"});
    in.finish();
}

void parseDlpConfig(JsonReader in, DlpConfig &dlp, bool builtinTasks)
{
    const auto known = builtinTaskNames();
    std::vector<DlpLibraryEntry> library;
    std::set<std::string> seen;
    auto items = in.childList("library");
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto &item = items[i];
        DlpLibraryEntry entry;
        entry.task.clear();
        item.readString("task", entry.task);
        item.readString("source", entry.source);
        if (entry.task.empty())
            item.fail("task", "missing: each library entry names its task");
        else if (builtinTasks && std::find(known.begin(), known.end(), entry.task) == known.end())
            item.fail("task", "unknown task \"" + entry.task
                                  + "\" (not a built-in task; a JSONL dataset (data.source "
                                    "\"jsonl\") names its own)");
        else if (!seen.insert(entry.task).second)
            item.fail("task", "\"" + entry.task + "\" is already in the library (one LoRA per task)");
        if (entry.source.empty())
            item.fail("source", "must be \"train\", a LoRA run's checkpoint / output directory or a PEFT folder");
        item.finish();
        library.push_back(std::move(entry));
    }
    if (in.has("library") && library.size() == 1)
        in.fail("library", "needs at least two task LoRAs to choose between");
    dlp.library = std::move(library);
    in.readInt("task_steps", dlp.taskSteps, 1, 1 << 30);
    parsePlugin(in.child("plugin"), dlp.plugin);
    parseDlpSelection(in.child("selection"), dlp.selection);
    in.readString("granularity", dlp.granularity, {"input", "sentence"});
    if (dlp.selection.rule == "top_k" && !dlp.library.empty()
        && dlp.selection.k > static_cast<std::int64_t>(dlp.library.size()))
        in.fail("selection", "k (" + std::to_string(dlp.selection.k) + ") exceeds the library's "
                                 + std::to_string(dlp.library.size()) + " task LoRAs");
    in.finish();
}

std::vector<DlpLibraryEntry> effectiveLibrary(const DlpConfig &dlp, const std::vector<std::string> &dataTasks)
{
    if (!dlp.library.empty())
        return dlp.library;
    std::vector<DlpLibraryEntry> library;
    for (const auto &task : dataTasks)
        library.push_back({task, "train"});
    return library;
}

std::int64_t studyTrainingSteps(const DlpConfig &dlp, const std::vector<std::string> &dataTasks)
{
    std::int64_t steps = 0;
    const auto library = effectiveLibrary(dlp, dataTasks);
    for (const auto &entry : library)
        steps += entry.source == "train" ? dlp.taskSteps : 0;
    return steps + dlp.taskSteps * static_cast<std::int64_t>(library.size());
}

nlohmann::json toJson(const DlpConfig &dlp)
{
    auto library = nlohmann::json::array();
    for (const auto &entry : dlp.library)
        library.push_back({{"task", entry.task}, {"source", entry.source}});
    return {
        {"library", library},
        {"task_steps", dlp.taskSteps},
        {"plugin",
         {
             {"kind", dlp.plugin.kind},
             {"embedding", dlp.plugin.embedding},
             {"embedding_dim", dlp.plugin.embeddingDim},
             {"layers", dlp.plugin.layers},
             {"width", dlp.plugin.width},
             {"target_params", dlp.plugin.targetParams},
             {"bigram_buckets", dlp.plugin.bigramBuckets},
             {"encoder_layers", dlp.plugin.encoderLayers},
             {"heads", dlp.plugin.heads},
             {"max_positions", dlp.plugin.maxPositions},
             {"dropout", dlp.plugin.dropout},
             {"epochs", dlp.plugin.epochs},
             {"lr", dlp.plugin.lr},
             {"batch_size", dlp.plugin.batchSize},
             {"train_examples", dlp.plugin.trainExamples},
             {"eval_examples", dlp.plugin.evalExamples},
         }},
        {"selection",
         {
             {"rule", dlp.selection.rule},
             {"p", dlp.selection.p},
             {"k", dlp.selection.k},
             {"weights", dlp.selection.weights},
             {"top_p_at_equal", dlp.selection.topPAtEqual},
         }},
        {"granularity", dlp.granularity},
    };
}

} // namespace lwb
