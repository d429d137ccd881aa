// TaskLoraLibrary: DLP-LoRA's library of task LoRAs, one per task, all on
// the same base model (arXiv 2410.01497, §3). It lists the tasks, each
// one's adapter (rank, scale, adapted layers, where it came from) and its
// evaluation figures, and attaches the whole library to a model as one
// DlpFusedAdapter per adapted layer.
//
// Entries come from a model the study just trained (taskLoraFromModel) or
// from a plain-LoRA run's checkpoint (loadTaskLora: a checkpoint file or a
// run output directory; the config stored in it gives rank, alpha and
// rsLoRA). LoRAs may differ in rank (zero-padded when fused) and in the
// layers they adapt (a LoRA without a layer adds nothing there). The index
// of an entry is its class in the plugin: keep the order when the plugin is
// trained, and retrain the plugin after add/remove.
#pragma once

#include "engine/adapters/dlp_fused_adapter.h"
#include "engine/config/run_config.h"

#include <torch/nn/module.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace lwb {

struct TaskLora
{
    std::string task;
    std::string source; // checkpoint path, or "trained in the study"
    std::int64_t rank = 0;
    double alpha = 0.0;
    bool rslora = false;
    double scale = 0.0; // alpha / r (or alpha / sqrt(r))
    // Layer path ("transformer.h.0.attn.c_attn") -> (A [r, in], B [out, r]).
    std::map<std::string, std::pair<torch::Tensor, torch::Tensor>> layers;
    std::map<std::string, double> metrics; // e.g. "exact_match", "eval_loss" of its own training run

    std::int64_t parameterCount() const;
};

class TaskLoraLibrary
{
public:
    // Throws lwb::Error when the task is already there or has no layers.
    void add(TaskLora lora);
    // Throws lwb::Error when the task is not there.
    void remove(const std::string &task);

    const std::vector<TaskLora> &entries() const { return entries_; }
    std::vector<std::string> tasks() const;
    std::int64_t size() const { return static_cast<std::int64_t>(entries_.size()); }
    std::int64_t maxRank() const;
    // Every layer some entry adapts, sorted.
    std::vector<std::string> layerPaths() const;

private:
    std::vector<TaskLora> entries_;
};

// The LoRA (LoraAdapterImpl) of every adapted layer of a trained model.
TaskLora taskLoraFromModel(const std::string &task, torch::nn::Module &model, const AdapterConfig &adapter);

// A plain-LoRA run's checkpoint file or output directory. Throws lwb::Error
// naming the file when it is not one, or not of a "lora" run.
TaskLora loadTaskLora(const std::string &task, const std::string &fileOrDir);

// A PEFT LoRA folder (adapter_config.json + adapter_model.safetensors, the
// workbench's or PEFT's own) for the base model `base`: imported onto a fresh
// base, so every module name and shape is checked (engine/export). A folder
// with per-module ranks or alphas (rank_pattern, alpha_pattern) is refused: a
// library LoRA has one rank and one scale.
TaskLora importPeftTaskLora(const std::string &task, const std::string &folder, const ModelConfig &base);

// A library entry's source: a PEFT folder, else a plain-LoRA run's
// checkpoint file or output folder.
TaskLora loadLibraryEntry(const std::string &task, const std::string &source, const ModelConfig &base);

// Attaches one DlpFusedAdapter holding every entry to each layer the library
// adapts, replacing any adapter there, and freezes every parameter (DLP
// trains only its plugin). Returns the fused adapters in module order.
// Throws lwb::Error when a library layer is not in the model or its shapes
// differ.
std::vector<std::shared_ptr<DlpFusedAdapterImpl>> attachFusedLibrary(torch::nn::Module &model,
                                                                     const TaskLoraLibrary &library);

// The same weights ([B, N] or [B, T, N]) on every fused adapter.
void setFusionWeights(const std::vector<std::shared_ptr<DlpFusedAdapterImpl>> &adapters, const torch::Tensor &weights);

} // namespace lwb
