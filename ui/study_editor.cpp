// See study_editor.h.
#include "ui/study_editor.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSaveFile>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <stdexcept>

namespace lwb::ui {

namespace {

using nlohmann::json;

enum PathColumn { PathColumnPath, PathColumnValues };
constexpr int kGrid = 0;
constexpr int kRandom = 1;

// "4, 8" -> [4, 8]; "lora, sira" -> ["lora", "sira"]: JSON values, a bare word as a string.
json valuesOf(const QString &text)
{
    const std::string trimmed = text.trimmed().toStdString();
    if (json list = json::parse("[" + trimmed + "]", nullptr, false); !list.is_discarded())
        return list;
    json list = json::array();
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const std::string item = part.trimmed().toStdString();
        json value = json::parse(item, nullptr, false);
        list.push_back(value.is_discarded() ? json(item) : value);
    }
    return list;
}

QString cellText(const QTableWidget *table, int row, int column)
{
    const auto *item = table->item(row, column);
    return item != nullptr ? item->text().trimmed() : QString();
}

} // namespace

StudyEditor::StudyEditor(json formConfig, QWidget *parent)
    : QDialog(parent)
    , formConfig_(std::move(formConfig))
    , name_(new QLineEdit(QStringLiteral("study")))
    , formBase_(new QRadioButton(tr("The run form's config")))
    , fileBase_(new QRadioButton(tr("A run config file")))
    , baseFile_(new QLineEdit)
    , search_(new QComboBox)
    , paths_(new QTableWidget(0, 2))
    , trials_(new QSpinBox)
    , randomSeed_(new QSpinBox)
    , seeds_(new QLineEdit(QStringLiteral("1, 2, 3")))
    , metric_(new QComboBox)
    , baseline_(new QComboBox)
    , problem_(new QLabel)
    , save_(new QPushButton(tr("Save…")))
    , run_(new QPushButton(tr("Run study")))
{
    setObjectName(QStringLiteral("studyEditor"));
    setWindowTitle(tr("New study"));
    name_->setObjectName(QStringLiteral("studyEditorName"));
    formBase_->setObjectName(QStringLiteral("studyEditorFormBase"));
    fileBase_->setObjectName(QStringLiteral("studyEditorFileBase"));
    baseFile_->setObjectName(QStringLiteral("studyEditorBaseFile"));
    baseFile_->setPlaceholderText(tr("path of a run config (.json)"));
    formBase_->setChecked(true);
    auto *browse = new QPushButton(tr("Browse…"));
    search_->setObjectName(QStringLiteral("studyEditorSearch"));
    search_->addItem(tr("Grid: every combination of the values"), kGrid);
    search_->addItem(tr("Random: draws from a distribution per path"), kRandom);
    paths_->setObjectName(QStringLiteral("studyEditorPaths"));
    paths_->setHorizontalHeaderLabels({tr("config path"), tr("values (JSON, comma-separated) / distribution")});
    paths_->horizontalHeader()->setSectionResizeMode(PathColumnValues, QHeaderView::Stretch);
    paths_->setColumnWidth(PathColumnPath, 180);
    paths_->verticalHeader()->hide();
    paths_->setToolTip(tr("Paths as --set takes them (adapter.r, training.lr). Grid: 4, 8 or \"lora\", \"sira\". "
                          "Random: {\"log_uniform\": [1e-4, 1e-2]}, {\"uniform\": [0, 0.2]}, {\"choice\": [8, 16]}."));
    auto *addRow = new QPushButton(tr("Add path"));
    auto *removeRow = new QPushButton(tr("Remove path"));
    addRow->setObjectName(QStringLiteral("studyEditorAddPath"));
    removeRow->setObjectName(QStringLiteral("studyEditorRemovePath"));
    trials_->setObjectName(QStringLiteral("studyEditorTrials"));
    trials_->setRange(1, 1000);
    trials_->setValue(4);
    randomSeed_->setObjectName(QStringLiteral("studyEditorRandomSeed"));
    randomSeed_->setRange(0, 1 << 30);
    randomSeed_->setValue(1);
    seeds_->setObjectName(QStringLiteral("studyEditorSeeds"));
    seeds_->setToolTip(tr("Each cell trains once per seed: 1, 2, 3"));
    metric_->setObjectName(QStringLiteral("studyEditorMetric"));
    metric_->setEditable(true);
    metric_->addItems({QStringLiteral("eval/loss"), QStringLiteral("train/loss")});
    metric_->setToolTip(tr("The recorded series whose final value the study compares."));
    baseline_->setObjectName(QStringLiteral("studyEditorBaseline"));
    baseline_->setToolTip(tr("The cell every other cell is compared with, paired by seed."));
    problem_->setObjectName(QStringLiteral("studyEditorProblem"));
    problem_->setWordWrap(true);
    problem_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    save_->setObjectName(QStringLiteral("studyEditorSave"));
    run_->setObjectName(QStringLiteral("studyEditorRun"));
    run_->setDefault(true);

    auto *baseRow = new QHBoxLayout;
    baseRow->addWidget(formBase_);
    baseRow->addWidget(fileBase_);
    baseRow->addWidget(baseFile_, 1);
    baseRow->addWidget(browse);
    auto *randomRow = new QHBoxLayout;
    randomRow->addWidget(new QLabel(tr("trials")));
    randomRow->addWidget(trials_);
    randomRow->addWidget(new QLabel(tr("draw seed")));
    randomRow->addWidget(randomSeed_);
    randomRow->addStretch();
    auto *rowButtons = new QHBoxLayout;
    rowButtons->addWidget(addRow);
    rowButtons->addWidget(removeRow);
    rowButtons->addStretch();
    auto *form = new QFormLayout;
    form->addRow(tr("Name"), name_);
    form->addRow(tr("Base"), baseRow);
    form->addRow(tr("Search"), search_);
    form->addRow(tr("Random"), randomRow);
    form->addRow(paths_);
    form->addRow(rowButtons);
    form->addRow(tr("Seeds"), seeds_);
    form->addRow(tr("Metric"), metric_);
    form->addRow(tr("Baseline"), baseline_);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    buttons->addButton(save_, QDialogButtonBox::ActionRole);
    buttons->addButton(run_, QDialogButtonBox::AcceptRole);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form, 1);
    layout->addWidget(problem_);
    layout->addWidget(buttons);
    resize(760, 560);

    addPathRow(QStringLiteral("adapter.r"), QStringLiteral("4, 8"));

    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Base run config"), {}, tr("JSON (*.json)"));
        if (!path.isEmpty()) {
            baseFile_->setText(path);
            fileBase_->setChecked(true);
        }
    });
    connect(addRow, &QPushButton::clicked, this, [this] { addPathRow(); });
    connect(removeRow, &QPushButton::clicked, this, [this] {
        if (paths_->rowCount() > 0)
            paths_->removeRow(paths_->currentRow() >= 0 ? paths_->currentRow() : paths_->rowCount() - 1);
        validate();
    });
    connect(save_, &QPushButton::clicked, this, &StudyEditor::saveInteractively);
    connect(run_, &QPushButton::clicked, this, [this] {
        if (!spec_)
            return;
        Q_EMIT runRequested(*spec_);
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    for (QLineEdit *edit : {name_, baseFile_, seeds_})
        connect(edit, &QLineEdit::textChanged, this, &StudyEditor::validate);
    connect(formBase_, &QRadioButton::toggled, this, &StudyEditor::validate);
    connect(search_, &QComboBox::currentIndexChanged, this, [this] {
        trials_->setEnabled(search_->currentData().toInt() == kRandom);
        randomSeed_->setEnabled(search_->currentData().toInt() == kRandom);
        validate();
    });
    connect(trials_, &QSpinBox::valueChanged, this, &StudyEditor::validate);
    connect(randomSeed_, &QSpinBox::valueChanged, this, &StudyEditor::validate);
    connect(metric_, &QComboBox::currentTextChanged, this, &StudyEditor::validate);
    connect(baseline_, &QComboBox::activated, this, &StudyEditor::validate);
    connect(paths_, &QTableWidget::itemChanged, this, &StudyEditor::validate);
    trials_->setEnabled(false);
    randomSeed_->setEnabled(false);
    validate();
}

void StudyEditor::addPathRow(const QString &path, const QString &values)
{
    const QSignalBlocker blocker(paths_);
    const int row = paths_->rowCount();
    paths_->insertRow(row);
    paths_->setItem(row, PathColumnPath, new QTableWidgetItem(path));
    paths_->setItem(row, PathColumnValues, new QTableWidgetItem(values));
    validate();
}

json StudyEditor::document() const
{
    json study = json::object();
    study["name"] = name_->text().trimmed().toStdString();
    if (formBase_->isChecked())
        study["base"] = formConfig_;
    else
        study["base"] = QFileInfo(baseFile_->text().trimmed()).absoluteFilePath().toStdString();
    const bool random = search_->currentData().toInt() == kRandom;
    json space = json::object();
    for (int row = 0; row < paths_->rowCount(); ++row) {
        const QString path = cellText(paths_, row, PathColumnPath);
        if (path.isEmpty())
            continue;
        const QString values = cellText(paths_, row, PathColumnValues);
        // A distribution that is not JSON stays text: the spec's check names the path.
        json distribution = json::parse(values.toStdString(), nullptr, false);
        space[path.toStdString()]
            = random ? (distribution.is_discarded() ? json(values.toStdString()) : distribution) : valuesOf(values);
    }
    if (random)
        study["random"] = {{"trials", trials_->value()}, {"seed", randomSeed_->value()}, {"space", space}};
    else
        study["grid"] = space;
    study["seeds"] = valuesOf(seeds_->text());
    study["metric"] = metric_->currentText().trimmed().toStdString();
    if (const QString baseline = baseline_->currentData().toString(); !baseline.isEmpty())
        study["baseline"] = json::parse(baseline.toStdString(), nullptr, false);
    return study;
}

QString StudyEditor::problem() const
{
    return problemText_;
}

void StudyEditor::validate()
{
    spec_.reset();
    problemText_.clear();
    try {
        if (!formBase_->isChecked() && baseFile_->text().trimmed().isEmpty())
            throw std::runtime_error(tr("base: choose a run config file").toStdString());
        fillBaselineChoice(); // throws the cells' problems, before a baseline can name a cell that is gone
        spec_ = lwb::parseStudySpec(document(), "study editor", "");
    } catch (const std::exception &error) {
        problemText_ = QString::fromUtf8(error.what());
    }
    if (spec_)
        problem_->setText(tr("%n cell(s) x %1 seed(s) = %2 runs.", nullptr, int(spec_->cells.size()))
                              .arg(spec_->seeds.size())
                              .arg(spec_->cells.size() * spec_->seeds.size()));
    else
        problem_->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(problemText_.toHtmlEscaped()));
    save_->setEnabled(spec_.has_value());
    run_->setEnabled(spec_.has_value());
}

void StudyEditor::fillBaselineChoice()
{
    // The cells of the study without its baseline; the chosen cell kept when it still exists.
    json cellsOnly = document();
    cellsOnly.erase("baseline");
    const auto spec = lwb::parseStudySpec(cellsOnly, "study editor", "");
    const QString current = baseline_->currentData().toString();
    const QSignalBlocker blocker(baseline_);
    baseline_->clear();
    baseline_->addItem(tr("(none)"), QString());
    for (std::size_t i = 0; i < spec.cells.size(); ++i) {
        json settings = json::object();
        for (const auto &[path, value] : spec.cells[i].settings)
            settings[path] = value;
        baseline_->addItem(QStringLiteral("c%1 %2").arg(i).arg(QString::fromStdString(spec.cells[i].label())),
                           QString::fromStdString(settings.dump()));
    }
    baseline_->setCurrentIndex(std::max(0, baseline_->findData(current)));
}

QString StudyEditor::saveTo(const QString &path)
{
    if (!spec_)
        return problemText_;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return tr("Cannot write %1: %2").arg(path, file.errorString());
    file.write(QByteArray::fromStdString(document().dump(2) + "\n"));
    if (!file.commit())
        return tr("Cannot write %1: %2").arg(path, file.errorString());
    return {};
}

void StudyEditor::saveInteractively()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Save study"), name_->text() + QStringLiteral(".json"),
                                                      tr("Study (*.json)"));
    if (path.isEmpty())
        return;
    const QString error = saveTo(path);
    problem_->setText(error.isEmpty()
                          ? tr("Saved %1; `lorawb study %1` trains the same study.").arg(path)
                          : QStringLiteral("<span style='color:#b00020'>%1</span>").arg(error.toHtmlEscaped()));
}

} // namespace lwb::ui
