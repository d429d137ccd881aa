// See dlp_library_editor.h.
#include "ui/dlp_library_editor.h"

#include "ui/engine_catalog.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lwb::ui {

DlpLibraryEditor::DlpLibraryEditor(QWidget *parent)
    : QWidget(parent)
    , table_(new QTableWidget(0, 2))
    , add_(new QPushButton(tr("Add")))
    , remove_(new QPushButton(tr("Remove")))
    , up_(new QPushButton(tr("Up")))
    , down_(new QPushButton(tr("Down")))
    , choose_(new QPushButton(tr("Choose LoRA…")))
{
    table_->setObjectName(QStringLiteral("dlpLibraryTable"));
    table_->setHorizontalHeaderLabels({tr("Task"), tr("LoRA")});
    table_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    table_->verticalHeader()->setVisible(false);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setMinimumHeight(130);
    table_->setToolTip(tr("Row i is LoRA i of the fused library and class i of the plugin. \"train\": the study "
                          "trains the LoRA on that task alone; a folder or file: a plain-LoRA run's output (or "
                          "checkpoint), or a PEFT LoRA folder, for the same base model."));
    add_->setObjectName(QStringLiteral("dlpLibraryAdd"));
    remove_->setObjectName(QStringLiteral("dlpLibraryRemove"));
    choose_->setObjectName(QStringLiteral("dlpLibraryChoose"));
    choose_->setToolTip(tr("Use a trained LoRA for the selected task: a LoRA run's output folder, or a PEFT folder "
                           "(adapter_config.json + adapter_model.safetensors)."));

    auto *buttons = new QHBoxLayout;
    for (auto *button : {add_, remove_, up_, down_, choose_})
        buttons->addWidget(button);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(table_);
    layout->addLayout(buttons);

    connect(add_, &QPushButton::clicked, this, [this] {
        // The first built-in task not listed yet.
        QStringList listed;
        for (int row = 0; row < rowCount(); ++row)
            listed << taskBox(row)->currentText();
        for (const QString &task : EngineCatalog::builtinTaskNames()) {
            if (!listed.contains(task)) {
                addEntry(task);
                table_->selectRow(rowCount() - 1);
                Q_EMIT changed();
                return;
            }
        }
    });
    connect(remove_, &QPushButton::clicked, this, [this] {
        if (const int row = table_->currentRow(); row >= 0) {
            removeEntry(row);
            Q_EMIT changed();
        }
    });
    connect(up_, &QPushButton::clicked, this, [this] { moveSelected(-1); });
    connect(down_, &QPushButton::clicked, this, [this] { moveSelected(1); });
    connect(choose_, &QPushButton::clicked, this, &DlpLibraryEditor::chooseSource);
    connect(table_, &QTableWidget::itemSelectionChanged, this, &DlpLibraryEditor::updateButtons);
    updateButtons();
}

void DlpLibraryEditor::setLibrary(const nlohmann::json &library, const QStringList &dataTasks)
{
    const QSignalBlocker blocker(this);
    table_->setRowCount(0);
    if (library.is_array() && !library.empty()) {
        for (const auto &entry : library) {
            const auto text = [&](const char *key, const char *fallback) {
                return QString::fromStdString(entry.is_object() && entry.contains(key) && entry.at(key).is_string()
                                                  ? entry.at(key).get<std::string>()
                                                  : std::string(fallback));
            };
            addEntry(text("task", ""), text("source", "train"));
        }
    } else {
        for (const QString &task : dataTasks)
            addEntry(task);
    }
    updateButtons();
}

nlohmann::json DlpLibraryEditor::library() const
{
    nlohmann::json entries = nlohmann::json::array();
    for (int row = 0; row < rowCount(); ++row) {
        const QString source = sourceEdit(row)->text().trimmed();
        entries.push_back({{"task", taskBox(row)->currentText().toStdString()},
                           {"source", source.isEmpty() ? std::string("train") : source.toStdString()}});
    }
    return entries;
}

int DlpLibraryEditor::rowCount() const
{
    return table_->rowCount();
}

QComboBox *DlpLibraryEditor::taskBox(int row) const
{
    return qobject_cast<QComboBox *>(table_->cellWidget(row, 0));
}

QLineEdit *DlpLibraryEditor::sourceEdit(int row) const
{
    return qobject_cast<QLineEdit *>(table_->cellWidget(row, 1));
}

void DlpLibraryEditor::addEntry(const QString &task, const QString &source)
{
    const int row = table_->rowCount();
    table_->insertRow(row);
    auto *box = new QComboBox;
    box->setEditable(true); // a JSONL dataset names its own tasks
    box->addItems(EngineCatalog::builtinTaskNames());
    if (box->findText(task) < 0)
        box->addItem(task); // shown as it is; validation says what is wrong with it
    box->setCurrentText(task);
    auto *edit = new QLineEdit(source);
    edit->setPlaceholderText(QStringLiteral("train"));
    table_->setCellWidget(row, 0, box);
    table_->setCellWidget(row, 1, edit);
    connect(box, &QComboBox::currentTextChanged, this, &DlpLibraryEditor::changed);
    connect(edit, &QLineEdit::textChanged, this, &DlpLibraryEditor::changed);
    updateButtons();
}

void DlpLibraryEditor::removeEntry(int row)
{
    table_->removeRow(row);
    updateButtons();
}

void DlpLibraryEditor::moveSelected(int delta)
{
    const int row = table_->currentRow();
    const int target = row + delta;
    if (row < 0 || target < 0 || target >= rowCount())
        return;
    QList<QPair<QString, QString>> entries;
    for (int i = 0; i < rowCount(); ++i)
        entries.append({taskBox(i)->currentText(), sourceEdit(i)->text()});
    entries.swapItemsAt(row, target);
    {
        const QSignalBlocker blocker(this);
        table_->setRowCount(0);
        for (const auto &[task, source] : entries)
            addEntry(task, source);
    }
    table_->selectRow(target);
    Q_EMIT changed();
}

void DlpLibraryEditor::chooseSource()
{
    const int row = table_->currentRow();
    if (row < 0)
        return;
    const QString folder = QFileDialog::getExistingDirectory(this, tr("A LoRA run's output folder or a PEFT folder"),
                                                             sourceEdit(row)->text());
    if (!folder.isEmpty())
        sourceEdit(row)->setText(folder);
}

void DlpLibraryEditor::updateButtons()
{
    const bool selected = table_->currentRow() >= 0;
    remove_->setEnabled(selected);
    up_->setEnabled(selected && table_->currentRow() > 0);
    down_->setEnabled(selected && table_->currentRow() + 1 < rowCount());
    choose_->setEnabled(selected);
    add_->setEnabled(rowCount() < EngineCatalog::builtinTaskNames().size());
}

} // namespace lwb::ui
