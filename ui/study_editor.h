// StudyEditor ("New study…" in the Studies tab): a study file made in a
// dialog — a name, the base config (the run form's config as it is now, or a
// run config file), a grid or a random search over config paths (the paths
// `--set` takes; a table of path and values), the seeds, the metric and the
// baseline cell. Every edit builds the study document and validates it with
// engine/config/study_spec (parseStudySpec: each expanded run config too);
// the first problem is shown with the JSON path it names, and Save / Run stay
// off while there is one. Save writes the study file `lorawb study` reads;
// Run study hands the expanded spec to the caller (StudyRunner enqueues it).
//
// Values in the table are JSON, comma-separated: `4, 8` or `"lora", "sira"`
// (a bare word is taken as a string). In random search a row's value is the
// distribution: `{"log_uniform": [1e-4, 1e-2]}`, `{"uniform": [0, 0.2]}` or
// `{"choice": [8, 16]}`.
#pragma once

#include "engine/config/study_spec.h"

#include <QDialog>

#include <nlohmann/json.hpp>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTableWidget;

namespace lwb::ui {

class StudyEditor : public QDialog
{
    Q_OBJECT

public:
    // formConfig: the run form's document, offered as the base.
    explicit StudyEditor(nlohmann::json formConfig, QWidget *parent = nullptr);

    // The study document the fields describe now.
    nlohmann::json document() const;
    // The expanded study; none while the fields have a problem (problem()).
    const std::optional<lwb::StudySpec> &spec() const { return spec_; }
    QString problem() const;
    // Writes document() as a study file; "" or why not.
    QString saveTo(const QString &path);

    QLineEdit *nameEdit() const { return name_; }
    QRadioButton *formBaseChoice() const { return formBase_; }
    QRadioButton *fileBaseChoice() const { return fileBase_; }
    QLineEdit *baseFileEdit() const { return baseFile_; }
    QComboBox *searchChoice() const { return search_; }
    QTableWidget *pathTable() const { return paths_; }
    QSpinBox *trialsBox() const { return trials_; }
    QSpinBox *randomSeedBox() const { return randomSeed_; }
    QLineEdit *seedsEdit() const { return seeds_; }
    QComboBox *metricChoice() const { return metric_; }
    QComboBox *baselineChoice() const { return baseline_; }
    QLabel *problemLabel() const { return problem_; }
    QPushButton *saveButton() const { return save_; }
    QPushButton *runButton() const { return run_; }
    // Appends a table row (path, values text).
    void addPathRow(const QString &path = {}, const QString &values = {});

Q_SIGNALS:
    // Run study: the expanded spec, for the job queue; the dialog closes.
    void runRequested(const lwb::StudySpec &spec);

private:
    void validate();
    void fillBaselineChoice();
    void saveInteractively();

    nlohmann::json formConfig_;
    std::optional<lwb::StudySpec> spec_;
    QString problemText_;
    QLineEdit *name_;
    QRadioButton *formBase_;
    QRadioButton *fileBase_;
    QLineEdit *baseFile_;
    QComboBox *search_;
    QTableWidget *paths_;
    QSpinBox *trials_;
    QSpinBox *randomSeed_;
    QLineEdit *seeds_;
    QComboBox *metric_;
    QComboBox *baseline_;
    QLabel *problem_;
    QPushButton *save_;
    QPushButton *run_;
};

} // namespace lwb::ui
