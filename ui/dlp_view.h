// DlpView: a DLP-LoRA study in the centre's "DLP-LoRA" tab — live while the
// study runs, or a finished study read back from the run store.
//
//   - stages: each task LoRA's training, the multi-task LoRA, the plugin's
//     epochs and the routed evaluation, with progress and the last loss;
//   - selection counts per task LoRA, live during the evaluation;
//   - the result table: exact match per task with the task's own LoRA, the
//     plugin's fusion, the oracle (true task's LoRA alone) and the multi-task
//     LoRA of equal total rank; the plugin's held-out accuracy;
//   - the plugin's confusion matrix and the task x LoRA selection matrix;
//   - the inference panel: a prompt in, the selected LoRAs with their weights
//     per routed segment and the generated text out, answered by the study's
//     saved LoRAs and plugin on a background thread (DlpInferenceRunner), with
//     P, the rule and the granularity adjustable per question.
#pragma once

#include "engine/config/run_config.h"
#include "engine/dlp/dlp_progress.h"
#include "engine/train/step_metrics.h"
#include "engine/train/train_observer.h"

#include <QStringList>
#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QCPBars;
class QCPColorMap;
class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QTextBrowser;

namespace lwb::storage {
class RunStore;
}

namespace lwb::ui {

class DlpInferenceRunner;
struct DlpAnswer;

class DlpView : public QWidget
{
    Q_OBJECT

public:
    explicit DlpView(QWidget *parent = nullptr);
    ~DlpView() override;

    // A study job starts / reports / ends (the JobController's signals).
    void startStudy(const lwb::RunConfig &config);
    void addProgress(const lwb::DlpStudyProgress &progress);
    void addEvaluation(const lwb::EvalMetrics &metrics); // ignores non-DLP evaluations
    void studyFinished(lwb::RunOutcome outcome);
    void setRunId(qint64 runId) { runId_ = runId; }

    // A recorded study: its config and evaluation from the store. False (and
    // a message shown) when the run is not a finished DLP-LoRA study.
    bool showStoredStudy(lwb::storage::RunStore &store, qint64 runId);

    // Types a prompt into the inference panel and asks it (answerShown()
    // follows); false when no finished study is shown.
    bool askPrompt(const QString &prompt);

    // For tests and screenshots.
    QTableWidget *stageTable() const { return stages_; }
    QTableWidget *resultTable() const { return results_; }
    QLabel *pluginSummary() const { return summary_; }
    QCustomPlot *selectionPlot() const { return selectionPlot_; }
    QCustomPlot *confusionPlot() const { return confusionPlot_; }
    QLineEdit *promptEdit() const { return prompt_; }
    QPushButton *generateButton() const { return generate_; }
    QTextBrowser *answerView() const { return answer_; }
    const std::vector<std::int64_t> &selectionCounts() const { return liveCounts_; }
    bool canAnswer() const { return study_.has_value() && finished_; }

Q_SIGNALS:
    void answerShown(); // an answer (or why there is none) is on screen

private:
    QWidget *buildInferencePanel();
    void clear(const QString &heading);
    int stageRow(const lwb::DlpStudyProgress &progress);
    void showStoredTrainings(lwb::storage::RunStore &store, qint64 studyId);
    void drawSelectionCounts(const std::vector<double> &counts);
    void drawMatrix(QCustomPlot *plot, QCPColorMap *map, const std::vector<std::vector<double>> &rows,
                    const QString &title);
    void ask();
    void showAnswer(const DlpAnswer &answer);
    void updateInference();

    std::optional<lwb::RunConfig> study_;
    QStringList tasks_; // library order
    bool finished_ = false;
    qint64 runId_ = 0;
    std::vector<std::int64_t> liveCounts_;

    QLabel *heading_;
    QTableWidget *stages_;
    QTableWidget *results_;
    QLabel *summary_;
    QCustomPlot *selectionPlot_;
    QCPBars *selectionBars_;
    QCustomPlot *confusionPlot_;
    QCPColorMap *confusionMap_;
    QCustomPlot *selectionMatrixPlot_;
    QCPColorMap *selectionMatrixMap_;
    QLineEdit *prompt_;
    QSpinBox *maxTokens_;
    QComboBox *rule_;
    QDoubleSpinBox *p_;
    QComboBox *granularity_;
    QPushButton *generate_;
    QTextBrowser *answer_;
    DlpInferenceRunner *runner_;
};

} // namespace lwb::ui
