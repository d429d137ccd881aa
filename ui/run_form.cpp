// See run_form.h. Tooltips say what a hyperparameter does and what a usual
// value is, because the form is where a researcher decides them.
#include "ui/run_form.h"

#include "engine/adapters/variant_traits.h"
#include "engine/config/config_error.h"
#include "engine/core/error.h"
#include "ui/adapter_section.h"
#include "ui/base_model_picker.h"
#include "ui/compute_choices.h"
#include "ui/dlp_library_editor.h"
#include "ui/engine_catalog.h"
#include "ui/field_row.h"
#include "ui/form_fields.h"
#include "ui/target_selector.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace lwb::ui {

namespace {

constexpr int kMaxInt = std::numeric_limits<int>::max();
constexpr double kMaxSeed = 9007199254740992.0; // 2^53, as the engine allows

// The field of a JSON path: "adapter.targets[2]" is shown by "adapter.targets",
// "adapter.dlp.library[1].source" by "adapter.dlp.library".
QString fieldKey(const QString &path)
{
    static const QRegularExpression kIndex(QStringLiteral("\\[\\d+\\].*$"));
    QString key = path;
    key.remove(kIndex);
    return key;
}

// CUDA devices of this machine, as the device list names them ("cuda:N").
int gpuCount()
{
    static const int count = [] {
        const auto devices = EngineCatalog::deviceNames();
        return static_cast<int>(std::count_if(devices.begin(), devices.end(), [](const QString &name) {
            return name.startsWith(QLatin1String("cuda:"));
        }));
    }();
    return count;
}

} // namespace

RunForm::RunForm(QWidget *parent)
    : QWidget(parent)
    , groups_(new QWidget(this))
    , summary_(new ValidationSummary(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *groupsLayout = new QVBoxLayout(groups_);
    groupsLayout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(groups_);
    layout->addWidget(summary_); // until a window places it elsewhere
    connect(summary_, &ValidationSummary::fieldActivated, this, &RunForm::focusField);
    buildFields();
    connectEditors();
    setDocument(defaultDocument());
}

RunForm::~RunForm() = default;

nlohmann::json RunForm::defaultDocument()
{
    QFile file(QStringLiteral(":/configs/lora_default.json"));
    if (file.open(QIODevice::ReadOnly)) {
        const QByteArray bytes = file.readAll();
        auto document = nlohmann::json::parse(bytes.constBegin(), bytes.constEnd(), nullptr, false);
        if (!document.is_discarded())
            return document;
    }
    return lwb::RunConfig{}.toJson(); // the resource is compiled in; this is a last resort
}

QFormLayout *RunForm::addGroup(const QString &title)
{
    return addFormGroup(static_cast<QVBoxLayout *>(groups_->layout()), title);
}

DlpLibraryEditor *RunForm::dlpLibrary() const
{
    return adapter_->dlpLibrary();
}

void RunForm::addRow(QFormLayout *layout, const QString &label, const QString &path, QWidget *editor,
                     const QString &tooltip)
{
    editor->setObjectName(path);
    auto *row = new FieldRow(editor, tooltip);
    auto *labelWidget = new QLabel(label);
    labelWidget->setObjectName(QStringLiteral("fieldLabel"));
    labelWidget->setToolTip(tooltip);
    labelWidget->setBuddy(editor);
    layout->addRow(labelWidget, row);
    fields_.insert(path, row);
    labels_.insert(path, QString(label).remove(QLatin1Char('&')));
}

void RunForm::buildFields()
{
    auto *run = addGroup(tr("Run"));
    addRow(run, tr("&Name"), QStringLiteral("name"), name_ = new QLineEdit,
           tr("A name for the run. It names the checkpoint folder and the run in the run store."));
    addRow(run, tr("S&eed"), QStringLiteral("seed"), seed_ = new QLineEdit,
           tr("Seeds adapter initialisation, data order and dropout. The same config and seed give "
              "bitwise the same losses on the CPU (same thread count)."));
    addRow(run, tr("&Device"), QStringLiteral("device"), device_ = new QComboBox,
           tr("Where the run trains: the CPU, or one of the CUDA GPUs torch sees on this machine (listed as "
              "cuda:N; the list says so when there is none). With several GPUs, \"cuda\" puts process r of a "
              "data-parallel job on cuda:r."));
    fillDeviceChoices(device_);
    addRow(run, tr("&Threads"), QStringLiteral("threads"), threads_ = intSpin(0, 1024, tr("auto")),
           tr("CPU threads for the tensor maths. \"auto\" uses one per hardware thread (split over the "
              "processes when there are several)."));
    addRow(run, tr("&Processes"), QStringLiteral("processes"),
           processes_ = intSpin(1, std::max({1, QThread::idealThreadCount(), gpuCount()})),
           tr("How many processes train this run together (data parallel). 1 is one process. On the CPU the "
              "processes share this machine's cores (up to its %1 hardware threads; Gloo); on CUDA there is "
              "one per GPU (device \"cuda\": process r trains on cuda:r; NCCL). training.batch_size is the "
              "global batch: every micro-batch's rows are split over the processes, so the update is the "
              "one-process update (up to float rounding). SiRA's capacity and dropout masks apply per "
              "process, so a SiRA run differs from one process. The first process records, checkpoints "
              "and exports; the dashboard shows each one's throughput. Not part of the config: the same "
              "config trains alike as 1 or N processes.")
               .arg(QThread::idealThreadCount()));

    auto *model = addGroup(tr("Base model"));
    picker_ = new BaseModelPicker;
    preset_ = picker_->comboBox();
    addRow(model, tr("&Base"), QStringLiteral("model.preset"), picker_,
           tr("The frozen base model. builtin:lexicon-base is the workbench's own small Llama-style "
              "byte-level model, pretrained on WordNet's glosses (resources/models); the presets "
              "(gpt2-tiny, ...) are random, frozen decoders of the same families that train in "
              "seconds. A Hugging Face folder can be typed (its path, with a slash) or chosen with "
              "Browse...: a checkpoint folder, or a hub-cache folder models--ORG--NAME (its refs/main "
              "snapshot). The panel below shows what the folder holds, as lorawb inspect does. "
              "Choosing resets the model section to it."));
    // Tests and the field row find the choice itself by its JSON path.
    picker_->setObjectName(QStringLiteral("basePicker"));
    preset_->setObjectName(QStringLiteral("model.preset"));

    adapter_ = new AdapterSection([this](QFormLayout *form, const QString &label, const QString &path, QWidget *editor,
                                         const QString &tooltip) { addRow(form, label, path, editor, tooltip); });
    groups_->layout()->addWidget(adapter_);

    auto *training = addGroup(tr("Training"));
    addRow(training, tr("&Steps"), QStringLiteral("training.steps"), steps_ = intSpin(1, kMaxInt),
           tr("Optimiser steps of the run. The learning rate schedule (warmup, cosine decay) spans them."));
    addRow(training, tr("&Batch size"), QStringLiteral("training.batch_size"), batchSize_ = intSpin(1, 65536),
           tr("Sequences per micro-batch. Memory grows with it; the step's tokens are batch × grad accum × length."));
    addRow(training, tr("&Grad accum"), QStringLiteral("training.grad_accum"), gradAccum_ = intSpin(1, 4096),
           tr("Micro-batches whose gradients add up before one optimiser step: a larger effective "
              "batch without more memory."));
    addRow(training, tr("&Learning rate"), QStringLiteral("training.lr"), lr_ = new QLineEdit,
           tr("Peak AdamW learning rate, reached after warmup, then cosine decay to lr × min_lr_ratio. "
              "LoRA takes larger rates than full fine-tuning: 1e-4 to 5e-3. Scientific notation works (3e-3)."));
    addRow(training, tr("&Warmup steps"), QStringLiteral("training.warmup_steps"), warmup_ = intSpin(0, kMaxInt),
           tr("Steps of linear warmup from 0 to the peak learning rate. At most the number of steps."));
    addRow(training, tr("&Output folder"), QStringLiteral("training.output_dir"), outputDir_ = new QLineEdit,
           tr("Where checkpoints (adapter tensors) are written. Empty: a new folder under "
              "~/.local/share/lora-workbench/runs named after the run and the time."));
    outputDir_->setPlaceholderText(tr("default: a new folder per run"));
    addRow(training, tr("&Precision"), QStringLiteral("training.precision"), precision_ = new QComboBox,
           tr("The frozen base's dtype and the forward's autocast dtype; adapter weights, their gradients and "
              "AdamW's state stay float32. auto: bf16 on CUDA, fp32 on the CPU. Hover a choice for what it does."));
    fillPrecisionChoices(precision_);
    addRow(training, tr("Memory"), QStringLiteral("training.gradient_checkpointing"),
           gradientCheckpointing_ = new QCheckBox(tr("gradient checkpointing")),
           tr("Keep only each decoder block's input in the forward and recompute the block in the backward: "
              "activation memory falls from every block's to about one block's, for roughly one more forward "
              "per step. The losses stay the same (the recomputation replays the dropout and autocast state)."));

    auto *eval = addGroup(tr("Evaluation"));
    addRow(eval, tr("E&val every"), QStringLiteral("eval.every"),
           evalEvery_ = intSpin(0, kMaxInt, tr("only at the end")),
           tr("Steps between evaluations of the held-out loss (plotted as points). The run always "
              "evaluates at the end, with exact match per task."));
    static_cast<QVBoxLayout *>(groups_->layout())->addStretch(1);

    // One label column for all groups, so the editors line up down the form.
    int labelWidth = 0;
    const auto labels = groups_->findChildren<QLabel *>(QStringLiteral("fieldLabel"));
    for (const auto *label : labels)
        labelWidth = std::max(labelWidth, label->sizeHint().width());
    for (auto *label : labels)
        label->setMinimumWidth(labelWidth);
}

void RunForm::connectEditors()
{
    // Editing a field retires what loading said about it, then revalidates.
    const auto onChange = [this](QWidget *editor) {
        return [this, editor] {
            if (loading_)
                return;
            const QString path = editor->objectName();
            loadNotes_.erase(std::remove_if(loadNotes_.begin(), loadNotes_.end(),
                                            [&](const ConfigProblem &note) { return note.path == path; }),
                             loadNotes_.end());
            validate();
        };
    };
    for (auto *edit : {name_, seed_, lr_, outputDir_})
        connect(edit, &QLineEdit::textChanged, this, onChange(edit));
    for (auto *spin : {threads_, processes_, steps_, batchSize_, gradAccum_, warmup_, evalEvery_})
        connect(spin, &QSpinBox::valueChanged, this, onChange(spin));
    for (auto *combo : {device_, precision_})
        connect(combo, &QComboBox::currentTextChanged, this, onChange(combo));
    connect(gradientCheckpointing_, &QCheckBox::toggled, this, onChange(gradientCheckpointing_));
    connect(adapter_, &AdapterSection::edited, this, [onChange](QWidget *editor) { onChange(editor)(); });
    connect(preset_, &QComboBox::currentTextChanged, this, [this] {
        if (!loading_)
            onPresetChosen();
    });
    // A folder's real module names arrive from the picker's inspection thread.
    connect(picker_, &BaseModelPicker::targetModulesChanged, this, [this](const QStringList &names) {
        if (!names.isEmpty())
            adapter_->targets()->setLayerNames(names);
    });
}

void RunForm::onPresetChosen()
{
    // A preset defines the whole model section; keys from a loaded file
    // (hidden sizes, ...) would otherwise silently override the choice.
    const auto choice = preset_->currentText();
    base_["model"] = nlohmann::json{{EngineCatalog::isModelPath(choice) ? "path" : "preset", choice.toStdString()}};
    loadNotes_.erase(
        std::remove_if(loadNotes_.begin(), loadNotes_.end(),
                       [](const ConfigProblem &note) { return note.path.startsWith(QLatin1String("model.")); }),
        loadNotes_.end());
    loading_ = true;
    showTargetsFor(choice);
    loading_ = false;
    validate();
}

void RunForm::showTargetsFor(const QString &choice)
{
    const auto &inspection = picker_->inspection();
    if (inspection && QString::fromStdString(inspection->requested) == choice.trimmed()) {
        QStringList names;
        for (const auto &name : inspection->targetModules)
            names << QString::fromStdString(name);
        adapter_->targets()->setLayerNames(names);
        return;
    }
    // Until the picker's inspection arrives: the architecture's names.
    adapter_->targets()->setArchitecture(EngineCatalog::presetArchitecture(choice));
}

void RunForm::setDocument(const nlohmann::json &document)
{
    base_ = document.is_object() ? document : nlohmann::json::object();
    loadNotes_.clear();
    loading_ = true;
    readFields(base_);
    loading_ = false;
    validate();
}

void RunForm::readFields(const nlohmann::json &document)
{
    const lwb::RunConfig defaults;
    const FormDocumentReader reader(document, [this](const QString &path, const QString &reason) {
        loadNotes_.push_back({path, reason});
    });
    const auto text = [&reader](const char *path, const std::string &fallback) {
        return reader.text(QString::fromLatin1(path), fallback);
    };

    name_->setText(text("name", defaults.name));
    if (const auto *seed = reader.value(QStringLiteral("seed")); seed && !seed->is_number_integer())
        seed_->setText(QString::fromStdString(seed->is_string() ? seed->get<std::string>() : seed->dump()));
    else
        seed_->setText(QString::number(seed ? seed->get<std::uint64_t>() : defaults.seed));
    FormDocumentReader::choose(device_, text("device", defaults.device));
    reader.integer(threads_, QStringLiteral("threads"), defaults.threads);

    const bool hasPath = reader.value(QStringLiteral("model.path")) != nullptr;
    const QString preset = hasPath ? text("model.path", "") : text("model.preset", defaults.model.preset);
    FormDocumentReader::choose(preset_, preset);
    if (const auto *value = reader.value(QStringLiteral("model.architecture")); value && value->is_string())
        adapter_->targets()->setArchitecture(value->get<std::string>() == "llama" ? lwb::Architecture::Llama
                                                                                  : lwb::Architecture::Gpt2);
    else
        showTargetsFor(preset);
    adapter_->read(reader, preset);

    reader.integer(steps_, QStringLiteral("training.steps"), defaults.training.steps);
    reader.integer(batchSize_, QStringLiteral("training.batch_size"), defaults.training.batchSize);
    reader.integer(gradAccum_, QStringLiteral("training.grad_accum"), defaults.training.gradAccum);
    lr_->setText(QLocale::c().toString(reader.real(QStringLiteral("training.lr"), defaults.training.lr), 'g', 6));
    reader.integer(warmup_, QStringLiteral("training.warmup_steps"), defaults.training.warmupSteps);
    outputDir_->setText(text("training.output_dir", defaults.training.outputDir));
    FormDocumentReader::choose(precision_, text("training.precision", defaults.training.precision));
    const auto *checkpointing = reader.value(QStringLiteral("training.gradient_checkpointing"));
    if (checkpointing && !checkpointing->is_boolean())
        loadNotes_.push_back({QStringLiteral("training.gradient_checkpointing"),
                              tr("expected true or false, got %1; the form shows the default")
                                  .arg(QString::fromStdString(checkpointing->dump()))});
    gradientCheckpointing_->setChecked(checkpointing && checkpointing->is_boolean()
                                           ? checkpointing->get<bool>()
                                           : defaults.training.gradientCheckpointing);
    reader.integer(evalEvery_, QStringLiteral("eval.every"), defaults.eval.every);
}

nlohmann::json RunForm::document() const
{
    nlohmann::json document = base_;
    writeFields(document, nullptr);
    return document;
}

void RunForm::writeFields(nlohmann::json &document, std::vector<ConfigProblem> *issues) const
{
    const auto problem = [issues](const QString &path, const QString &reason) {
        if (issues)
            issues->push_back({path, reason});
    };
    const auto put
        = [&document](const QString &path, nlohmann::json value) { document[jsonPointerOf(path)] = std::move(value); };

    put(QStringLiteral("name"), name_->text().toStdString());
    bool ok = false;
    const QString seedText = seed_->text().trimmed();
    const qulonglong seed = seedText.toULongLong(&ok);
    if (ok && static_cast<double>(seed) <= kMaxSeed) {
        put(QStringLiteral("seed"), static_cast<std::uint64_t>(seed));
    } else {
        problem(QStringLiteral("seed"), tr("must be a whole number from 0 to 2^53"));
        put(QStringLiteral("seed"), seedText.toStdString());
    }
    put(QStringLiteral("device"), device_->currentText().toStdString());
    put(QStringLiteral("threads"), threads_->value());

    const auto base = preset_->currentText();
    const bool isPath = EngineCatalog::isModelPath(base);
    put(isPath ? QStringLiteral("model.path") : QStringLiteral("model.preset"), base.toStdString());
    if (document.contains("model"))
        document["model"].erase(isPath ? "preset" : "path");

    adapter_->write(document, problem);

    put(QStringLiteral("training.steps"), steps_->value());
    put(QStringLiteral("training.batch_size"), batchSize_->value());
    put(QStringLiteral("training.grad_accum"), gradAccum_->value());
    const QString lrText = lr_->text().trimmed();
    const double lr = QLocale::c().toDouble(lrText, &ok);
    if (ok) {
        put(QStringLiteral("training.lr"), lr);
    } else {
        problem(QStringLiteral("training.lr"), tr("\"%1\" is not a number (examples: 0.003, 3e-3)").arg(lrText));
        put(QStringLiteral("training.lr"), lrText.toStdString());
    }
    put(QStringLiteral("training.warmup_steps"), warmup_->value());
    put(QStringLiteral("training.output_dir"), outputDir_->text().trimmed().toStdString());
    put(QStringLiteral("training.precision"), precision_->currentText().toStdString());
    put(QStringLiteral("training.gradient_checkpointing"), gradientCheckpointing_->isChecked());
    put(QStringLiteral("eval.every"), evalEvery_->value());
}

void RunForm::validate()
{
    std::vector<ConfigProblem> issues = loadNotes_;
    std::vector<ConfigProblem> formIssues;
    nlohmann::json document = base_;
    writeFields(document, &formIssues);

    std::optional<lwb::RunConfig> config;
    std::vector<ConfigProblem> engineIssues;
    try {
        config = lwb::parseRunConfig(document, "the run form");
    } catch (const lwb::ConfigError &error) {
        for (const auto &issue : error.issues())
            engineIssues.push_back({QString::fromStdString(issue.path), QString::fromStdString(issue.reason)});
    } catch (const lwb::Error &error) {
        engineIssues.push_back({QString::fromStdString(error.where()), QString::fromStdString(error.reason())});
    } catch (const std::exception &error) {
        engineIssues.push_back({QString(), QString::fromUtf8(error.what())});
    }
    // The form's own reading of a field ("not a number") says more than the
    // engine's type error for the same path.
    for (const auto &issue : engineIssues) {
        const bool shadowed = std::any_of(formIssues.begin(), formIssues.end(),
                                          [&](const ConfigProblem &own) { return own.path == issue.path; });
        if (!shadowed)
            issues.push_back(issue);
    }
    checkProcesses(formIssues);
    issues.insert(issues.end(), formIssues.begin(), formIssues.end());
    if (!formIssues.empty())
        config.reset();

    const bool wasValid = config_.has_value();
    config_ = std::move(config);
    showIssues(issues);
    if (wasValid != config_.has_value())
        Q_EMIT validityChanged(config_.has_value());
    Q_EMIT edited();
}

int RunForm::processes() const
{
    return processes_->value();
}

void RunForm::setProcesses(int processes)
{
    processes_->setValue(processes); // valueChanged revalidates
}

void RunForm::checkProcesses(std::vector<ConfigProblem> &issues) const
{
    const int processes = processes_->value();
    if (processes == 1)
        return;
    const QString path = QStringLiteral("processes");
    const QString device = device_->currentText();
    if (lwb::isStudyVariant(adapter_->variant().toStdString()))
        issues.push_back({path, tr("a DLP-LoRA study trains as one process")});
    if (device == QLatin1String("cpu")) {
        if (processes > QThread::idealThreadCount())
            issues.push_back({path, tr("this machine has %1 hardware threads; more CPU processes than that only "
                                       "wait for each other")
                                        .arg(QThread::idealThreadCount())});
    } else if (device == QLatin1String("cuda")) {
        if (processes > gpuCount())
            issues.push_back({path, tr("one process per GPU, and this machine has %n GPU(s)", nullptr, gpuCount())});
    } else if (device.startsWith(QLatin1String("cuda:"))) {
        issues.push_back({path, tr("several processes need one GPU each: choose the device \"cuda\" (process r "
                                   "trains on cuda:r)")});
    }
    if (batchSize_->value() < processes)
        issues.push_back({path, tr("training.batch_size (%1) is the global batch, split over the processes: "
                                   "each needs at least one row")
                                    .arg(batchSize_->value())});
}

FieldRow *RunForm::fieldFor(const QString &path) const
{
    return fields_.value(fieldKey(path));
}

void RunForm::showIssues(const std::vector<ConfigProblem> &issues)
{
    QHash<FieldRow *, QStringList> byField;
    QVector<ConfigProblem> summary;
    problems_.clear();
    for (const auto &issue : issues) {
        problems_ << (issue.path.isEmpty() ? issue.reason : issue.path + QStringLiteral(": ") + issue.reason);
        ConfigProblem shown = issue;
        if (auto *row = fieldFor(issue.path)) {
            byField[row] << issue.reason;
            shown.label = labels_.value(fieldKey(issue.path));
        }
        summary.push_back(shown);
    }
    for (auto *row : std::as_const(fields_)) {
        const auto found = byField.constFind(row);
        if (found == byField.constEnd())
            row->clearError();
        else
            row->setError(found->join(QLatin1Char('\n')));
    }
    summary_->showProblems(summary, config_.has_value());
}

void RunForm::focusField(const QString &path)
{
    auto *row = fieldFor(path);
    if (!row)
        return;
    for (auto *ancestor = parentWidget(); ancestor; ancestor = ancestor->parentWidget()) {
        if (auto *scroll = qobject_cast<QScrollArea *>(ancestor)) {
            scroll->ensureWidgetVisible(row);
            break;
        }
    }
    row->editor()->setFocus(Qt::OtherFocusReason);
}

} // namespace lwb::ui
