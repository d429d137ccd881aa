// RunForm: the run configuration as a form — variant and the key
// hyperparameters, each with a tooltip that explains it — validated by the
// engine itself as you type.
//
// The form edits a JSON document: it starts from a base document (the
// built-in default run, compiled in as the Qt resource
// :/configs/lora_default.json, or a file the user opened) and overlays the
// fields it shows, so keys the form has no editor for (data tasks, sequence
// length, optimiser betas, ...) pass through untouched. After every change the
// document goes through lwb::parseRunConfig, the same check `lorawb validate`
// runs; each ConfigError issue is shown under the field of its JSON path (or
// in the message area when no field shows that key), and validityChanged()
// tells the window to enable or disable Start. The ValidationSummary lists
// them all again where the window keeps it in view. Editors are named by their
// JSON path ("training.lr"), which tests use to find them. The adapter
// settings and the variants' panels are an AdapterSection (adapter_section.h);
// the JSON path helpers and the document reader are in form_fields.h.
#pragma once

#include "engine/config/run_config.h"
#include "ui/validation_summary.h"

#include <nlohmann/json.hpp>

#include <QHash>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLineEdit;
class QSpinBox;

namespace lwb::ui {

class AdapterSection;
class BaseModelPicker;
class DlpLibraryEditor;
class FieldRow;

class RunForm : public QWidget
{
    Q_OBJECT

public:
    explicit RunForm(QWidget *parent = nullptr);
    ~RunForm() override;

    // The built-in default run (:/configs/lora_default.json).
    static nlohmann::json defaultDocument();

    // Shows a document (a whole run config; missing keys take the engine's
    // defaults) and validates it.
    void setDocument(const nlohmann::json &document);
    // The base document with the form's fields written over it.
    nlohmann::json document() const;

    // Processes the run trains as (data parallel; 1 = one process). A job
    // parameter, not a config key: document() and config() do not hold it.
    int processes() const;
    void setProcesses(int processes);

    bool isValid() const { return config_.has_value(); }
    // The validated config (defaults filled in); empty while invalid.
    const std::optional<lwb::RunConfig> &config() const { return config_; }
    // Every current problem as "path: reason", in document order.
    const QStringList &problems() const { return problems_; }
    FieldRow *field(const QString &path) const { return fields_.value(path); }
    DlpLibraryEditor *dlpLibrary() const;
    // The base-model choice with its inspection panel (base_model_picker.h).
    BaseModelPicker *baseModelPicker() const { return picker_; }
    // Every problem, always in view where the window places it (above Start).
    ValidationSummary *summary() const { return summary_; }
    // Scrolls to the field of a JSON path and focuses its editor.
    void focusField(const QString &path);

Q_SIGNALS:
    void validityChanged(bool valid);
    void edited(); // any field changed (after validation)

private:
    void buildFields();
    void addRow(QFormLayout *layout, const QString &label, const QString &path, QWidget *editor,
                const QString &tooltip);
    QFormLayout *addGroup(const QString &title);
    void connectEditors();
    void onPresetChosen();
    // The target boxes for a base choice: a folder's real module names once
    // the picker has inspected it, else its architecture's names.
    void showTargetsFor(const QString &choice);
    void validate();
    void showIssues(const std::vector<ConfigProblem> &issues);
    FieldRow *fieldFor(const QString &path) const; // "adapter.targets[2]" -> the targets row
    // Writes the form's fields into document; issues found while reading the
    // text fields (not a number, ...) go to issues.
    void writeFields(nlohmann::json &document, std::vector<ConfigProblem> *issues) const;
    void readFields(const nlohmann::json &document);
    // What is wrong with the Processes field for this device, variant and batch.
    void checkProcesses(std::vector<ConfigProblem> &issues) const;

    nlohmann::json base_;
    std::vector<ConfigProblem> loadNotes_; // values of the document the editors could not show
    std::optional<lwb::RunConfig> config_;
    QStringList problems_;
    bool loading_ = false; // setDocument is filling the editors
    QHash<QString, FieldRow *> fields_;
    QHash<QString, QString> labels_; // JSON path -> field label, for the summary
    QWidget *groups_;
    ValidationSummary *summary_;

    QLineEdit *name_;
    QLineEdit *seed_;
    QComboBox *device_;
    QSpinBox *threads_;
    QSpinBox *processes_;
    BaseModelPicker *picker_;
    QComboBox *preset_; // the picker's editable choice
    AdapterSection *adapter_;
    QSpinBox *steps_;
    QSpinBox *batchSize_;
    QSpinBox *gradAccum_;
    QLineEdit *lr_;
    QSpinBox *warmup_;
    QSpinBox *evalEvery_;
    QLineEdit *outputDir_;
    QComboBox *precision_;
    QCheckBox *gradientCheckpointing_;
};

} // namespace lwb::ui
