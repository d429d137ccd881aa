// See progress_printer.h.
#include "engine/train/progress_printer.h"

#include <cmath>
#include <cstdio>

namespace lwb {

std::string formatDuration(double seconds)
{
    const auto total = static_cast<long long>(std::max(0.0, std::round(seconds)));
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
    return text;
}

ProgressPrinter::ProgressPrinter(std::ostream &out, bool interactive, std::int64_t every)
    : out_(out)
    , interactive_(interactive)
    , every_(every)
    , evalPrinter_(out, interactive)
{
}

void ProgressPrinter::onEvalProgress(const EvalProgress &progress)
{
    endLine(); // the step line, before the evaluation's own
    evalPrinter_.print(progress);
}

void ProgressPrinter::endLine()
{
    if (lineOpen_)
        out_ << '\n';
    lineOpen_ = false;
}

void ProgressPrinter::onRunStarted(const RunInfo &info)
{
    startStep_ = info.startStep;
    out_ << "run \"" << info.name << "\": " << info.variant << " on " << info.device << ", seed " << info.seed << ", "
         << info.trainableParameters << " trainable of " << info.totalParameters << " parameters";
    if (info.startStep > 0)
        out_ << ", resumed at step " << info.startStep;
    if (info.skippedDataLines > 0)
        out_ << ", " << info.skippedDataLines << " bad data lines skipped";
    out_ << std::endl;
}

void ProgressPrinter::onStep(const StepMetrics &m)
{
    const bool last = m.step == m.totalSteps;
    if (interactive_) {
        if (!last && lastDraw_ >= 0.0 && m.wallSeconds - lastDraw_ < 0.1)
            return;
        lastDraw_ = m.wallSeconds;
    } else if (!last && m.step % every_ != 0) {
        return;
    }
    const auto done = m.step - startStep_;
    const double eta
        = done > 0 ? m.wallSeconds / static_cast<double>(done) * static_cast<double>(m.totalSteps - m.step) : 0.0;
    // Mixture runs add their balance loss, routing entropy and capacity drops.
    char routing[96] = "";
    if (!m.adapter.layers.empty()) {
        double entropy = 0.0;
        std::int64_t routed = 0, dropped = 0;
        for (const auto &layer : m.adapter.layers) {
            entropy += layer.routingEntropy;
            routed += layer.routedTokens;
            dropped += layer.droppedTokens;
        }
        std::snprintf(routing, sizeof routing, "  aux %.4f  H %.3f  drop %.1f%%", m.adapter.auxLoss,
                      entropy / static_cast<double>(m.adapter.layers.size()),
                      routed > 0 ? 100.0 * static_cast<double>(dropped) / static_cast<double>(routed) : 0.0);
    }
    char line[352];
    std::snprintf(line, sizeof line, "step %lld/%lld  loss %.4f%s  lr %.2e  gnorm %.3f  %.0f tok/s  ETA %s",
                  static_cast<long long>(m.step), static_cast<long long>(m.totalSteps), m.loss, routing, m.learningRate,
                  m.gradNorm, m.tokensPerSecond, formatDuration(eta).c_str());
    if (interactive_) {
        out_ << '\r' << line << "\033[K" << std::flush;
        lineOpen_ = true;
    } else {
        out_ << line << std::endl;
    }
}

void ProgressPrinter::onEval(const EvalMetrics &m)
{
    endLine();
    char line[160];
    std::snprintf(line, sizeof line, "eval @ step %lld: loss %.4f  perplexity %.3f  (%lld tokens)",
                  static_cast<long long>(m.step), m.loss, m.perplexity, static_cast<long long>(m.tokens));
    out_ << line;
    for (const auto &[task, value] : m.exactMatchByTask) {
        std::snprintf(line, sizeof line, "  %s EM %.1f%%", task.c_str(), 100.0 * value);
        out_ << line;
    }
    out_ << std::endl;
    if (!m.hasMergedEval)
        return;
    std::snprintf(line, sizeof line, "merged into plain LoRA: loss %.4f (%+.4f)  perplexity %.3f", m.mergedLoss,
                  m.mergedLoss - m.loss, m.mergedPerplexity);
    out_ << line;
    for (const auto &[task, value] : m.mergedExactMatchByTask) {
        const auto before = m.exactMatchByTask.find(task);
        std::snprintf(line, sizeof line, "  %s EM %.1f%% (was %.1f%%)", task.c_str(), 100.0 * value,
                      before == m.exactMatchByTask.end() ? 0.0 : 100.0 * before->second);
        out_ << line;
    }
    out_ << std::endl;
}

void ProgressPrinter::onCheckpoint(std::int64_t step, const std::string &path)
{
    endLine();
    out_ << "checkpoint @ step " << step << ": " << path << std::endl;
}

void ProgressPrinter::onRunFinished(RunOutcome outcome, const std::string &message)
{
    endLine();
    out_ << "run " << toString(outcome);
    if (!message.empty())
        out_ << ": " << message;
    out_ << std::endl;
}

} // namespace lwb
