// CSV and JSON export of one run (formats in the header).
#include "storage/run_export.h"

#include "storage/metric_reader.h"
#include "storage/run_store.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>

namespace lwb::storage {

namespace {

// A CSV field: quoted when it holds a comma, quote or line break (RFC 4180).
std::string csvField(const std::string &text)
{
    if (text.find_first_of(",\"\r\n") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"')
            quoted.push_back('"');
        quoted.push_back(c);
    }
    quoted.push_back('"');
    return quoted;
}

// The shortest text that reads back as the same double ("0.1", not
// "0.10000000000000001"); "nan" for NaN.
std::string shortestNumber(double value)
{
    if (std::isnan(value))
        return "nan";
    char text[32];
    const auto result = std::to_chars(text, text + sizeof(text), value);
    return std::string(text, result.ptr);
}

nlohmann::json optionalTime(const std::optional<double> &time)
{
    return time ? nlohmann::json(*time) : nlohmann::json(nullptr);
}

nlohmann::json runJson(const RunRecord &run)
{
    return {
        {"id", run.id},
        {"name", run.name},
        {"variant", run.variant},
        {"status", toString(run.status)},
        {"status_message", run.statusMessage},
        {"config_sha256", run.configSha256},
        {"seed", run.seed},
        {"device", run.device},
        {"program_version", run.programVersion},
        {"created_at", run.createdAt},
        {"started_at", optionalTime(run.startedAt)},
        {"finished_at", optionalTime(run.finishedAt)},
        {"tags", run.tags},
        {"notes", run.notes},
        {"parent_run_id", run.parentRunId == 0 ? nlohmann::json(nullptr) : nlohmann::json(run.parentRunId)},
        {"total_steps", run.totalSteps},
        {"start_step", run.startStep},
        {"trainable_parameters", run.trainableParameters},
        {"total_parameters", run.totalParameters},
    };
}

nlohmann::json number(double value)
{
    return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

} // namespace

void exportRunCsv(RunStore &store, std::int64_t runId, std::ostream &out)
{
    store.run(runId); // throws for a missing run before anything is written
    MetricReader reader(store);
    out << "series,step,value,wall_seconds\n";
    for (const std::string &series : reader.scalarSeriesNames(runId)) {
        const std::string field = csvField(series);
        for (const SeriesPoint &point : reader.scalarSeries(runId, series))
            out << field << ',' << point.step << ',' << shortestNumber(point.value) << ','
                << shortestNumber(point.wallSeconds) << '\n';
    }
}

void exportRunJson(RunStore &store, std::int64_t runId, std::ostream &out)
{
    const RunRecord run = store.run(runId);
    MetricReader reader(store);

    nlohmann::json document;
    document["format"] = "lora-workbench-run/1";
    document["run"] = runJson(run);
    try {
        document["config"] = nlohmann::json::parse(run.configJson);
    } catch (const nlohmann::json::parse_error &) {
        document["config"] = run.configJson; // stored before validation; keep the text
    }

    nlohmann::json scalars = nlohmann::json::object();
    for (const std::string &series : reader.scalarSeriesNames(runId)) {
        nlohmann::json steps = nlohmann::json::array();
        nlohmann::json values = nlohmann::json::array();
        nlohmann::json walls = nlohmann::json::array();
        for (const SeriesPoint &point : reader.scalarSeries(runId, series)) {
            steps.push_back(point.step);
            values.push_back(number(point.value));
            walls.push_back(point.wallSeconds);
        }
        scalars[series] = {{"step", steps}, {"value", values}, {"wall_seconds", walls}};
    }
    document["scalars"] = std::move(scalars);

    nlohmann::json vectors = nlohmann::json::object();
    for (const std::string &series : reader.vectorSeriesNames(runId)) {
        nlohmann::json layers = nlohmann::json::object();
        for (const std::string &layer : reader.vectorLayers(runId, series)) {
            nlohmann::json steps = nlohmann::json::array();
            nlohmann::json values = nlohmann::json::array();
            for (const VectorPoint &point : reader.vectorSeries(runId, series, layer)) {
                steps.push_back(point.step);
                values.push_back(point.values);
            }
            layers[layer] = {{"step", steps}, {"values", values}};
        }
        vectors[series] = std::move(layers);
    }
    document["vectors"] = std::move(vectors);

    nlohmann::json evaluations = nlohmann::json::array();
    for (const EvaluationRecord &record : reader.evaluations(runId)) {
        evaluations.push_back(
            {{"step", record.step}, {"task", record.task}, {"metric", record.metric}, {"value", number(record.value)}});
    }
    document["evaluations"] = std::move(evaluations);

    nlohmann::json artifacts = nlohmann::json::array();
    for (const ArtifactRecord &artifact : store.artifacts(runId)) {
        artifacts.push_back({{"kind", artifact.kind},
                             {"path", artifact.path},
                             {"size_bytes", artifact.sizeBytes},
                             {"sha256", artifact.sha256},
                             {"created_at", artifact.createdAt}});
    }
    document["artifacts"] = std::move(artifacts);

    out << document.dump(2) << '\n';
}

} // namespace lwb::storage
