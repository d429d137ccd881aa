// See run_export.h.
#include "engine/export/run_export.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/core/error.h"
#include "engine/dlp/dlp_model.h"
#include "engine/export/exporter_registry.h"
#include "engine/export/merged_export.h"
#include "engine/model/base_model.h"
#include "engine/tensor_io/atomic_file.h"
#include "engine/train/checkpoint.h"

#include <nlohmann/json.hpp>

namespace lwb {

ExportResult exportModel(const RunConfig &config, CausalLMImpl &model, const RunExportRequest &request,
                         std::int64_t step, DlpModel *study)
{
    // Everything that can be checked is checked before the folder exists.
    const auto dtype = exportDtype(request.dtype);
    const auto &exporter = findExporter(config.adapter.variant, request.format);
    if (request.maxShardBytes == 0)
        throw Error("max_shard_bytes", "must be at least 1");

    ModelCardFacts card;
    card.runName = config.name;
    card.runId = request.runId;
    card.variant = config.adapter.variant;
    card.format = request.format;
    const auto &base = config.model;
    card.baseModel = !request.baseModel.empty() ? request.baseModel : base.path.empty() ? base.preset : base.path;
    card.configJson = config.toJson().dump();
    card.step = step;
    card.metrics = request.metrics;

    const auto name = request.name.empty() ? config.name + "-" + request.format : request.name;
    ExportFolder folder(request.destination, name, request.force);
    const bool training = model.is_training();
    model.eval();
    ExportJob job{config, model, request, dtype, folder, card, study};
    try {
        exporter.write(job);
    } catch (...) {
        model.train(training);
        throw;
    }
    model.train(training);
    writeFileAtomically(folder.stage("README.md"), modelCardMarkdown(card));
    folder.addFile("README.md");
    return folder.commit(request.format, exporter.artifactKind);
}

ExportResult exportRun(const RunExportRequest &request)
{
    if (DlpModel::isStudyFolder(request.checkpoint)) {
        const auto study = DlpModel::loadStudyFolder(request.checkpoint);
        const auto &config = study->config();
        return exportModel(config, study->base(), request, studyTrainingSteps(config.adapter.dlp, config.data.tasks),
                           study.get());
    }
    const auto path = resolveCheckpoint(request.checkpoint);
    const auto info = readCheckpointInfo(path);
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(info.configJson);
    } catch (const nlohmann::json::parse_error &e) {
        throw Error(path, std::string("the stored run config is not valid JSON: ") + e.what());
    }
    const auto config = parseRunConfig(document, path + " (stored config)");
    // The format is checked before the model is built: a typo costs nothing.
    findExporter(config.adapter.variant, request.format);
    exportDtype(request.dtype);

    CausalLM model = buildBaseModel(config.model);
    attachAdapters(*model, config.adapter);
    loadCheckpointWeights(path, *model);
    model->eval();
    return exportModel(config, *model, request, info.step);
}

} // namespace lwb
