// BaseModelPicker: the run form's base-model choice. An editable list of the
// built-in models and presets, where a Hugging Face folder can be typed or
// chosen with Browse... (a checkpoint folder, a hub-cache models--ORG--NAME
// folder or one of its snapshots), and below it a compact panel with what
// `lorawb inspect` shows: architecture, parameters, stored dtype, tokenizer,
// special tokens (the file each came from in the tooltip) and chat template,
// or the error that names the file and the problem.
//
// Inspecting reads config.json, the safetensors headers and tokenizer.json,
// which takes a moment for a large vocabulary, so it runs on a thread of its
// own (engine/model/model_inspection.h, torch-free; results come back as a
// queued call carrying values), never on the GUI thread. Typing restarts a
// short timer; one inspection runs at a time, and a choice made while one
// runs is inspected when it ends (only the newest choice is shown). The
// destructor waits for a running inspection (header reads: bounded).
#pragma once

#include "engine/model/model_inspection.h"

#include <QString>
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <memory>
#include <optional>

class QComboBox;
class QLabel;
class QPushButton;
class QThread;
class QTimer;

namespace lwb::ui {

class BaseModelPicker : public QWidget
{
    Q_OBJECT

public:
    explicit BaseModelPicker(QWidget *parent = nullptr);
    ~BaseModelPicker() override;

    // The editable choice; the run form reads and writes model.preset /
    // model.path through it.
    QComboBox *comboBox() const { return combo_; }
    QString choice() const;
    // The last inspection of the current choice (empty for a preset, while
    // one runs, or when it failed).
    const std::optional<lwb::ModelInspection> &inspection() const { return inspection_; }
    QString errorText() const;
    QLabel *panel() const { return panel_; }
    QPushButton *browseButton() const { return browse_; }
    bool isInspecting() const { return thread_ != nullptr; }

Q_SIGNALS:
    // The current choice's module names a LoRA can target (the folder's
    // real names, or a preset's).
    void targetModulesChanged(const QStringList &names);
    void inspectionFinished(bool ok);

private:
    struct Outcome; // what a worker thread hands back
    void onChoiceEdited();
    void inspectNow();
    void startThread(const QString &path, std::uint64_t serial);
    void finish(std::uint64_t serial, const std::shared_ptr<Outcome> &outcome);
    void showPreset(const QString &name);
    void showInspection(const lwb::ModelInspection &inspection);
    void showError(const QString &message);
    void browse();

    QComboBox *combo_;
    QPushButton *browse_;
    QLabel *panel_;
    QLabel *error_;
    QTimer *debounce_;
    std::unique_ptr<QThread> thread_;
    std::uint64_t serial_ = 0;        // the newest choice's number
    std::uint64_t runningSerial_ = 0; // the one the running thread inspects
    QString runningPath_;
    std::optional<lwb::ModelInspection> inspection_;
};

} // namespace lwb::ui
