// EngineCatalog: what the engine offers that the GUI lists for choosing —
// adapter variants, model presets, the linear layers of an architecture, the
// devices of this machine, the export formats of a variant, and the version line for the About box.
//
// It is the one place where ui/ asks the engine for names, so the widgets never
// hard-code a list that the engine owns (a new variant registered in
// engine/adapters shows up in the form by itself). The header is torch-free;
// only engine_catalog.cpp sees LibTorch.
#pragma once

#include "engine/model/model_config.h"

#include <QString>
#include <QStringList>

namespace lwb::ui {

class EngineCatalog
{
public:
    static QStringList variantNames();     // "lora", ..., "dlp"
    static QStringList builtinTaskNames(); // "first", "length", ... (builtin:tasks)
    static QStringList modelPresetNames(); // "gpt2-tiny", "llama-tiny", ...
    // What the form's base-model list offers: the shipped pretrained models
    // ("builtin:lexicon-base", a model.path) first, then the random presets.
    static QStringList baseModelChoices();
    // A choice that is a model.path ("builtin:NAME" or a folder path with a
    // slash), not a preset name.
    static bool isModelPath(const QString &choice);
    static QStringList targetLayerNames(lwb::Architecture architecture); // "c_attn", ...
    // A preset's or a checkpoint folder's architecture; Gpt2 for an unknown name.
    static lwb::Architecture presetArchitecture(const QString &preset);
    static QStringList deviceNames();                         // "cpu", then "cuda:0", ... when present
    static QStringList exportFormats(const QString &variant); // "peft", "merged", ... (engine/export)
    static QString versionLine(const QString &program);
};

} // namespace lwb::ui
