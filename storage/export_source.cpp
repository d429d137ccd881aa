// See export_source.h.
#include "storage/export_source.h"

#include "engine/core/error.h"
#include "storage/metric_reader.h"
#include "storage/run_store.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace lwb::storage {

namespace {

std::string formatValue(double value)
{
    std::ostringstream text;
    text.precision(6);
    text << value;
    return text.str();
}

} // namespace

std::string defaultExportRoot()
{
    if (const char *xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
        return std::string(xdg) + "/lora-workbench/exports";
    if (const char *home = std::getenv("HOME"); home && *home)
        return std::string(home) + "/.local/share/lora-workbench/exports";
    return "exports";
}

std::string runCheckpoint(RunStore &store, const RunRecord &run)
{
    const auto artifacts = store.artifacts(run.id);
    for (auto it = artifacts.rbegin(); it != artifacts.rend(); ++it) {
        if (it->kind == "checkpoint" && std::filesystem::is_regular_file(it->path))
            return it->path;
    }
    try {
        const auto config = nlohmann::json::parse(run.configJson);
        auto dir = config.at("training").at("output_dir").get<std::string>();
        if (!dir.empty() && std::filesystem::is_directory(dir))
            return dir;
    } catch (const nlohmann::json::exception &) {
    }
    throw Error("run " + std::to_string(run.id), "has no checkpoint on disk (none recorded, output directory gone)");
}

std::vector<std::pair<std::string, std::string>> runCardMetrics(RunStore &store, std::int64_t runId)
{
    std::vector<std::pair<std::string, std::string>> metrics;
    MetricReader reader(store);
    for (const auto &summary : reader.summaries(runId))
        metrics.emplace_back(summary.series + " (step " + std::to_string(summary.latestStep) + ")",
                             formatValue(summary.latestValue));
    const auto evaluations = reader.evaluations(runId);
    if (!evaluations.empty()) {
        const auto last = evaluations.back().step;
        for (const auto &evaluation : evaluations) {
            if (evaluation.step == last)
                metrics.emplace_back("eval " + evaluation.metric
                                         + (evaluation.task.empty() ? "" : " / " + evaluation.task) + " (step "
                                         + std::to_string(last) + ")",
                                     formatValue(evaluation.value));
        }
    }
    return metrics;
}

RunExportRequest exportRequestForRun(RunStore &store, std::int64_t runId, const std::string &format)
{
    const auto run = store.run(runId);
    RunExportRequest request;
    request.format = format;
    request.checkpoint = runCheckpoint(store, run);
    request.destination = defaultExportRoot();
    request.name = run.name + "-run" + std::to_string(run.id) + "-" + format;
    request.runId = run.id;
    request.metrics = runCardMetrics(store, run.id);
    return request;
}

} // namespace lwb::storage
