// DlpModel: the servable side of a DLP-LoRA study — the base model with the
// whole task library fused into its layers, the plugin classifier, and
// generation routed by the plugin.
//
// The study assembles one with an untrained plugin, trains the plugin in
// place, and evaluates it; loadStudy() rebuilds the same thing from a
// finished study's output folder (the task LoRAs' checkpoints and plugin.pt),
// so a stored study can answer prompts after a restart (the GUI's inference
// panel). Both paths build the plugin from the same config and seed, so the
// loaded weights fit it.
#pragma once

#include "engine/config/run_config.h"
#include "engine/dlp/dlp_plugin.h"
#include "engine/dlp/routed_generation.h"
#include "engine/dlp/task_lora_library.h"
#include "engine/model/causal_lm.h"

#include <memory>
#include <string>

namespace lwb {

class DlpModel
{
public:
    // config: a "dlp" run (its model, device, seed and adapter.dlp.plugin);
    // the library is attached to a fresh base and frozen, the plugin is
    // initialised from config.seed.
    DlpModel(const RunConfig &config, TaskLoraLibrary library);

    // A finished study: each library entry's LoRA from its source, entries
    // the study trained from <output_dir>/task-<name>, the plugin from
    // <output_dir>/plugin.pt. Throws lwb::Error naming what is missing.
    static std::unique_ptr<DlpModel> loadStudy(const RunConfig &config);
    // The same from the folder alone (its dlp_study.json, written when the
    // study starts), wherever the folder has been moved to.
    static std::unique_ptr<DlpModel> loadStudyFolder(const std::string &folder);
    static bool isStudyFolder(const std::string &folder);

    const RunConfig &config() const { return config_; }
    const TaskLoraLibrary &library() const { return library_; }
    CausalLMImpl &base() { return *model_; }
    const FusedAdapters &adapters() const { return adapters_; }
    DlpPlugin &plugin() { return plugin_; }
    const torch::Device &device() const { return device_; }
    // How prompts and answers are encoded: the base's tokenizer.
    const SequenceFormat &format() const { return format_; }

    // A router over the plugin as it is now, with the config's selection rule.
    DlpRouter router() const;
    DlpRouter router(const DlpSelectionConfig &selection) const;

    // Greedy generation for one prompt (the built-in tasks' "task: input\n"
    // form), routed with the given selection and granularity.
    RoutedGeneration generate(const std::string &prompt, std::int64_t maxNewTokens, const DlpSelectionConfig &selection,
                              DlpGranularity granularity);
    RoutedGeneration generate(const std::string &prompt, std::int64_t maxNewTokens);

    static std::string configFile(const std::string &folder);                         // <folder>/dlp_study.json
    static std::string pluginFile(const RunConfig &config);                           // <output_dir>/plugin.pt
    static std::string taskLoraDir(const RunConfig &config, const std::string &task); // <output_dir>/task-<task>

private:
    RunConfig config_;
    TaskLoraLibrary library_;
    torch::Device device_{torch::kCPU};
    CausalLM model_{nullptr};
    SequenceFormat format_;
    FusedAdapters adapters_;
    DlpPlugin plugin_;
};

} // namespace lwb
