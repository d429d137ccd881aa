// See engine_catalog.h. This file includes LibTorch headers (the adapter
// registry, the exporters and the runtime); keep it the only widget-side file besides the
// worker that does, so the GUI library builds quickly.
#include "ui/engine_catalog.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/core/runtime.h"
#include "engine/data/task_generator.h"
#include "engine/export/exporter_registry.h"
#include "engine/model/base_model.h"

#include <torch/cuda.h>

namespace lwb::ui {

namespace {

QStringList toQStringList(const std::vector<std::string> &names)
{
    QStringList list;
    list.reserve(static_cast<qsizetype>(names.size()));
    for (const auto &name : names)
        list << QString::fromStdString(name);
    return list;
}

} // namespace

QStringList EngineCatalog::variantNames()
{
    // The adapters, then the DLP-LoRA study, then full fine-tuning, in the
    // order the registry declares them.
    return toQStringList(lwb::variantNames());
}

QStringList EngineCatalog::builtinTaskNames()
{
    return toQStringList(lwb::builtinTaskNames());
}

QStringList EngineCatalog::exportFormats(const QString &variant)
{
    QStringList formats;
    for (const auto &exporter : lwb::exporters()) {
        if (lwb::exportsVariant(exporter, variant.toStdString()))
            formats << QString::fromStdString(exporter.format);
    }
    return formats;
}

QStringList EngineCatalog::modelPresetNames()
{
    return toQStringList(lwb::modelPresetNames());
}

QStringList EngineCatalog::targetLayerNames(lwb::Architecture architecture)
{
    return toQStringList(lwb::linearLayerNames(architecture));
}

QStringList EngineCatalog::baseModelChoices()
{
    QStringList choices;
    for (const auto &name : lwb::builtinModelNames())
        choices.push_back(QString::fromStdString(lwb::kBuiltinModelPrefix + name));
    return choices + modelPresetNames();
}

bool EngineCatalog::isModelPath(const QString &choice)
{
    return choice.startsWith(QLatin1String(lwb::kBuiltinModelPrefix)) || choice.contains(QLatin1Char('/'));
}

lwb::Architecture EngineCatalog::presetArchitecture(const QString &preset)
{
    try {
        if (isModelPath(preset))
            return lwb::checkpointModelConfig(lwb::resolveModelPath(preset.toStdString())).architecture;
        return lwb::modelPreset(preset.toStdString()).architecture;
    } catch (const lwb::Error &) {
        return lwb::Architecture::Gpt2; // the form reports the unknown preset through validation
    }
}

QStringList EngineCatalog::deviceNames()
{
    QStringList names{QStringLiteral("cpu")};
    if (torch::cuda::is_available()) {
        const auto count = static_cast<int>(torch::cuda::device_count());
        for (int index = 0; index < count; ++index)
            names << QStringLiteral("cuda:%1").arg(index);
    }
    return names;
}

QString EngineCatalog::versionLine(const QString &program)
{
    return QString::fromStdString(lwb::versionLine(program.toStdString()));
}

} // namespace lwb::ui
