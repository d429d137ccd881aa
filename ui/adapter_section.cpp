// See adapter_section.h. Tooltips say what a hyperparameter does and what a
// usual value is, because the form is where a researcher decides them.
#include "ui/adapter_section.h"

#include "engine/adapters/variant_traits.h"
#include "engine/config/run_config.h"
#include "ui/dlp_library_editor.h"
#include "ui/engine_catalog.h"
#include "ui/form_fields.h"
#include "ui/target_selector.h"
#include "ui/variant_fields.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QSpinBox>
#include <QVBoxLayout>

namespace lwb::ui {

namespace {

// The engine's defaults for a run of one variant, its own section included.
nlohmann::json variantDefaults(const QString &variant)
{
    lwb::RunConfig config;
    config.adapter.variant = variant.toStdString();
    return config.toJson();
}

} // namespace

AdapterSection::AdapterSection(const AddRow &addRow, QWidget *parent)
    : QWidget(parent)
    , variant_(new QComboBox)
    , rank_(intSpin(1, 4096))
    , alpha_(realSpin(0.0, 1e6, 2, 1.0))
    , dropout_(realSpin(0.0, 0.99, 3, 0.01))
    , rslora_(new QCheckBox(tr("scale by alpha / √r")))
    , targets_(new TargetSelector)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *adapter = addFormGroup(layout, tr("Adapter"));
    addRow(adapter, tr("&Variant"), QStringLiteral("adapter.variant"), variant_,
           tr("The adapter method. LoRA adds a trainable low-rank update B·A to each targeted "
              "linear layer while the base weights stay frozen. SiRA replaces it by a sparse mixture "
              "of LoRA experts chosen per token by a router. ResLoRA links each LoRA block to those of "
              "the previous layers while training and merges back to plain LoRA afterwards. DLP-LoRA trains a "
              "LoRA per task and a plugin that picks and fuses them per input. Full fine-tuning trains "
              "every weight of the base (no adapter: rank, alpha, dropout and targets do not apply). A "
              "variant's own settings appear in its panel below."));
    variant_->addItems(EngineCatalog::variantNames());
    addRow(adapter, tr("&Rank r"), QStringLiteral("adapter.r"), rank_,
           tr("Rank of the update B·A (A is r × in, B is out × r). Larger r adds capacity and "
              "parameters; 4 to 16 is usual for small models."));
    addRow(adapter, tr("&Alpha"), QStringLiteral("adapter.alpha"), alpha_,
           tr("Scale of the update: the output adds (alpha / r)·B·A·x (alpha / √r with rsLoRA). "
              "Often 2·r; changing r at fixed alpha changes the effective learning rate."));
    addRow(adapter, tr("Dr&opout"), QStringLiteral("adapter.dropout"), dropout_,
           tr("Dropout on the adapter's input during training (not on the base path). 0 to 0.1 is usual."));
    addRow(adapter, tr("rsLoRA"), QStringLiteral("adapter.rslora"), rslora_,
           tr("Rank-stabilised LoRA: scale by alpha / √r instead of alpha / r, so that larger ranks "
              "keep learning instead of being damped."));
    addRow(adapter, tr("&Targets"), QStringLiteral("adapter.targets"), targets_,
           tr("Which linear layers of every block get an adapter. The names are the base model's "
              "module names, as in PEFT's target_modules."));

    for (const auto &panel : variantPanels()) {
        auto *form = addFormGroup(layout, panel.title);
        variantGroups_.push_back(form->parentWidget());
        if (lwb::isStudyVariant(panel.variant.toStdString()))
            addRow(form, tr("Task LoRAs"), QStringLiteral("adapter.dlp.library"), dlpLibrary_ = new DlpLibraryEditor,
                   tr("The study's library: one LoRA per task, trained by the study (\"train\") or taken from a "
                      "finished plain-LoRA run. The plugin learns to tell these tasks apart."));
        variantEditors_.push_back(
            std::make_unique<VariantEditors>(panel, [&addRow, form](const VariantField &field, QWidget *editor) {
                addRow(form, field.label, field.path, editor, field.tooltip);
            }));
    }

    const auto changed = [this](QWidget *editor) { return [this, editor] { Q_EMIT edited(editor); }; };
    connect(rank_, &QSpinBox::valueChanged, this, changed(rank_));
    for (auto *spin : {alpha_, dropout_})
        connect(spin, &QDoubleSpinBox::valueChanged, this, changed(spin));
    connect(variant_, &QComboBox::currentTextChanged, this, changed(variant_));
    connect(rslora_, &QCheckBox::toggled, this, changed(rslora_));
    for (auto &editors : variantEditors_)
        editors->onChange([this](QWidget *editor) { Q_EMIT edited(editor); });
    connect(variant_, &QComboBox::currentTextChanged, this, &AdapterSection::showVariantPanels);
    connect(targets_, &TargetSelector::selectionChanged, this, changed(targets_));
    connect(dlpLibrary_, &DlpLibraryEditor::changed, this, changed(dlpLibrary_));
}

AdapterSection::~AdapterSection() = default;

QString AdapterSection::variant() const
{
    return variant_->currentText();
}

void AdapterSection::showVariantPanels()
{
    for (std::size_t i = 0; i < variantEditors_.size(); ++i)
        variantGroups_[i]->setVisible(variantEditors_[i]->panel().variant == variant_->currentText());
    // Full fine-tuning has no adapter: its fields stay (and are kept) but do not apply.
    const auto *traits = lwb::findVariantTraits(variant_->currentText().toStdString());
    const bool adapter = !traits || traits->attachesAdapters;
    for (QWidget *field : std::initializer_list<QWidget *>{rank_, alpha_, dropout_, rslora_, targets_})
        field->setEnabled(adapter);
}

void AdapterSection::read(const FormDocumentReader &reader, const QString &baseName)
{
    const lwb::RunConfig defaults;
    const auto &note = reader.note();
    FormDocumentReader::choose(variant_, reader.text(QStringLiteral("adapter.variant"), defaults.adapter.variant));
    reader.integer(rank_, QStringLiteral("adapter.r"), defaults.adapter.rank);
    reader.real(alpha_, QStringLiteral("adapter.alpha"), defaults.adapter.alpha);
    reader.real(dropout_, QStringLiteral("adapter.dropout"), defaults.adapter.dropout);
    const auto *rslora = reader.value(QStringLiteral("adapter.rslora"));
    rslora_->setChecked(rslora && rslora->is_boolean() ? rslora->get<bool>() : defaults.adapter.rslora);
    QStringList targets;
    if (const auto *list = reader.value(QStringLiteral("adapter.targets")); list && list->is_array()) {
        const QStringList known = targets_->layerNames(); // the base's names, as shown
        for (const auto &item : *list) {
            const QString name = item.is_string() ? QString::fromStdString(item.get<std::string>())
                                                  : QString::fromStdString(item.dump());
            if (known.contains(name))
                targets << name;
            else
                note(QStringLiteral("adapter.targets"),
                     tr("\"%1\" is not a linear layer of %2; left out").arg(name, baseName));
        }
    }
    targets_->setSelected(targets);
    for (auto &editors : variantEditors_)
        editors->read(reader.document(), variantDefaults(editors->panel().variant), note);
    QStringList dataTasks;
    for (const auto &task : defaults.data.tasks)
        dataTasks << QString::fromStdString(task);
    if (const auto *tasks = reader.value(QStringLiteral("data.tasks")); tasks && tasks->is_array()) {
        dataTasks.clear();
        for (const auto &task : *tasks)
            dataTasks << QString::fromStdString(task.is_string() ? task.get<std::string>() : task.dump());
    }
    const auto *library = reader.value(QStringLiteral("adapter.dlp.library"));
    dlpLibrary_->setLibrary(library ? *library : nlohmann::json(), dataTasks);
    showVariantPanels();
}

void AdapterSection::write(nlohmann::json &document, const Problem &problem) const
{
    const auto put
        = [&document](const QString &path, nlohmann::json value) { document[jsonPointerOf(path)] = std::move(value); };
    put(QStringLiteral("adapter.variant"), variant_->currentText().toStdString());
    put(QStringLiteral("adapter.r"), rank_->value());
    put(QStringLiteral("adapter.alpha"), alpha_->value());
    put(QStringLiteral("adapter.dropout"), dropout_->value());
    put(QStringLiteral("adapter.rslora"), rslora_->isChecked());
    std::vector<std::string> targets;
    for (const auto &name : targets_->selected())
        targets.push_back(name.toStdString());
    const auto *chosen = lwb::findVariantTraits(variant_->currentText().toStdString());
    if (targets.empty() && (chosen == nullptr || chosen->attachesAdapters))
        problem(QStringLiteral("adapter.targets"), tr("choose at least one layer to adapt"));
    put(QStringLiteral("adapter.targets"), targets);
    // Only the chosen variant's section goes into the document.
    for (const auto &editors : variantEditors_) {
        if (editors->panel().variant == variant_->currentText())
            editors->write(document);
        else
            eraseJsonPath(document, editors->panel().object);
    }
    if (lwb::isStudyVariant(variant_->currentText().toStdString()))
        put(QStringLiteral("adapter.dlp.library"), dlpLibrary_->library());
}

} // namespace lwb::ui
