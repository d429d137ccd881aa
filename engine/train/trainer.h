// Trainer: one run from a validated RunConfig to its final evaluation.
//
//   [build base model (frozen) -> attach adapters (run seed) -> AdamW -> data:
//    TrainingParts, training_parts.h, unless the caller gives them]
//   -> [resume from checkpoint] -> per step: micro-batches, forward,
//      loss = sum of token losses / tokens of the whole step (+ aux),
//      backward, clip, lr from the schedule, step -> observers
//   training.precision: the frozen base in fp32/bf16/fp16, the forward under
//   autocast, adapters and AdamW in float32; fp16 scales the loss and skips
//   a step whose gradients overflow (precision.h, loss_scaler.h). The step's
//   figures (loss, aux loss, gradient norm, overflow) stay on the device and
//   are read once per step.
//   -> periodic eval and checkpoints -> final eval (ResLoRA: repeated on the
//      model merged into plain LoRA) -> final checkpoint
//
// A step whose loss or gradient norm is NaN or infinite ends the run with an
// error before its update (a diverged run must not go on printing NaN), and
// the last finite parameters are saved as a checkpoint to resume from.
//
// Determinism: data example i depends only on (seed, i); dropout draws from
// torch's generator reseeded from (seed, step) at every step; so the same
// config and thread count give bitwise the same losses, and a resumed run
// continues exactly as an uninterrupted one.
//
// Data parallel (engine/dist): given a Communicator of several ranks, each
// rank trains on its share of every micro-batch (rows [B*r/N, B*(r+1)/N) of
// the single-process batch, training.batch_size being the global batch), the
// loss is divided by the step's global token count and the trainable
// gradients are summed over the ranks, so the update is that of the one
// large batch. Rank 0's initial parameters are broadcast; dropout seeds
// include the rank; a stop on any rank is agreed by all at the next step
// boundary; only rank 0 writes checkpoints (observers are the caller's: the
// CLI attaches them on rank 0 only). Evaluations are sharded over the ranks
// and summed (engine/dist/eval_sync.h), so they equal the single-process ones.
//
// Threads: run() blocks the calling thread (a worker QThread in the GUI);
// requestStop() may be called from any thread and is honoured after the
// current step, which then writes a checkpoint.
#pragma once

#include "engine/config/run_config.h"
#include "engine/data/batch_builder.h"
#include "engine/dist/communicator.h"
#include "engine/model/causal_lm.h"
#include "engine/train/loss_scaler.h"
#include "engine/train/precision.h"
#include "engine/train/train_observer.h"
#include "engine/train/training_parts.h"

#include <torch/optim/adamw.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace lwb {

class GradientSync;

class Trainer
{
public:
    // Builds its parts from the config when the run starts (buildTrainingParts).
    // No communicator (or a default one): a single-process run.
    explicit Trainer(RunConfig config, std::shared_ptr<Communicator> communicator = nullptr);
    // Trains the given parts (model on the run's device, its optimiser, its
    // data) as `config` says; resume and the data-parallel broadcast still apply.
    Trainer(RunConfig config, TrainingParts parts, std::shared_ptr<Communicator> communicator = nullptr);
    ~Trainer();

    Trainer(const Trainer &) = delete;
    Trainer &operator=(const Trainer &) = delete;

    void addObserver(TrainObserver *observer); // not owned; must outlive run()
    void requestStop();

    // Runs to the end, to a stop request or to an error. Observers always get
    // onRunFinished; an error is rethrown after it (as lwb::Error for bad input).
    RunOutcome run();

    const RunConfig &config() const { return config_; }
    CausalLM model() const { return model_; }
    // The losses of the steps run so far (index = step - 1 - startStep).
    const std::vector<double> &losses() const { return losses_; }
    // The gradient all-reduce of a data-parallel run, once the run has started (else null).
    const GradientSync *gradientSync() const { return gradientSync_.get(); }

private:
    void prepare();
    StepMetrics trainStep(std::int64_t stepIndex);
    // True on every rank when a stop was asked on any (sets stopRequested_).
    bool stopAgreed();
    EvalMetrics evaluate(std::int64_t step, bool withExactMatch);
    std::string checkpoint(std::int64_t step); // returns the checkpoint's path
    // Throws for a step whose loss or gradient is not finite, after saving
    // the parameters it would have replaced (finite: the update never ran).
    [[noreturn]] void stopOnNonFinite(std::int64_t stepIndex, double loss, double gradNorm);

    RunConfig config_;
    std::shared_ptr<Communicator> communicator_;
    TrainingParts parts_; // given or built, until prepare() takes them apart
    std::unique_ptr<GradientSync> gradientSync_;
    torch::Device device_{torch::kCPU};
    CausalLM model_{nullptr};
    std::unique_ptr<TaskData> data_;
    std::unique_ptr<torch::optim::AdamW> optimizer_;
    std::vector<torch::Tensor> parameters_;
    Precision precision_ = Precision::Fp32;
    std::unique_ptr<DynamicLossScaler> lossScaler_; // fp16 only
    std::vector<TrainObserver *> observers_;
    std::atomic<bool> stopRequested_{false};
    std::int64_t startStep_ = 0;
    std::int64_t tokensSeen_ = 0;
    std::vector<double> losses_;
    double startTime_ = 0.0;
};

// Creates and returns a new folder for a run's checkpoints (the default
// training.output_dir): $XDG_DATA_HOME/lora-workbench/runs/<name>-<yyyymmdd-hhmmss>,
// with -2, -3, ... appended when that folder exists already.
std::string newRunFolder(const std::string &runName);

} // namespace lwb
