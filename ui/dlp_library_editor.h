// DlpLibraryEditor: the task LoRAs of a DLP-LoRA study in the run form
// (adapter.dlp.library) — one row per task, in the plugin's class order:
// the built-in task, and where its LoRA comes from: "train" (the study trains
// it), a plain-LoRA run's output folder or checkpoint, or a PEFT folder
// (picked with Choose…). Rows can be added, removed and moved; a task already listed
// cannot be added twice (the engine's validation names any other problem).
#pragma once

#include <nlohmann/json.hpp>

#include <QStringList>
#include <QWidget>

class QComboBox;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace lwb::ui {

class DlpLibraryEditor : public QWidget
{
    Q_OBJECT

public:
    explicit DlpLibraryEditor(QWidget *parent = nullptr);

    // library: the config's array, or null / empty for "every data task, trained".
    void setLibrary(const nlohmann::json &library, const QStringList &dataTasks);
    nlohmann::json library() const; // [{"task": ..., "source": ...}, ...]

    int rowCount() const;
    QComboBox *taskBox(int row) const;
    QLineEdit *sourceEdit(int row) const;
    void addEntry(const QString &task, const QString &source = QStringLiteral("train"));
    void removeEntry(int row);

Q_SIGNALS:
    void changed();

private:
    void chooseSource();
    void moveSelected(int delta);
    void updateButtons();

    QTableWidget *table_;
    QPushButton *add_;
    QPushButton *remove_;
    QPushButton *up_;
    QPushButton *down_;
    QPushButton *choose_;
};

} // namespace lwb::ui
