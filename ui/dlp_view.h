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
//   - "Ask in the Playground": a finished study answers prompts in the
//     Playground tab (PlaygroundSide's DLP-LoRA mode: the answer streamed
//     token by token, the fused task LoRAs and weights of every routing
//     decision, P, the rule and the granularity per question), the one
//     place where any stored run answers.
#pragma once

#include "engine/config/run_config.h"
#include "engine/dlp/dlp_progress.h"
#include "engine/train/step_metrics.h"
#include "engine/train/train_observer.h"

#include <QStringList>
#include <QWidget>

#include <optional>
#include <vector>

class QCPBars;
class QCPColorMap;
class QCustomPlot;
class QLabel;
class QPushButton;
class QTableWidget;

namespace lwb::storage {
class RunStore;
}

namespace lwb::ui {

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
    void setRunId(qint64 runId);

    // A recorded study: its config and evaluation from the store. False (and
    // a message shown) when the run is not a finished DLP-LoRA study.
    bool showStoredStudy(lwb::storage::RunStore &store, qint64 runId);

    // For tests and screenshots.
    QTableWidget *stageTable() const { return stages_; }
    QTableWidget *resultTable() const { return results_; }
    QLabel *pluginSummary() const { return summary_; }
    QCustomPlot *selectionPlot() const { return selectionPlot_; }
    QCustomPlot *confusionPlot() const { return confusionPlot_; }
    QPushButton *playgroundButton() const { return askInPlayground_; }
    const std::vector<std::int64_t> &selectionCounts() const { return liveCounts_; }
    // A finished study with a stored run id: the playground can load it.
    bool canAnswer() const { return study_.has_value() && finished_ && runId_ > 0; }

Q_SIGNALS:
    void playgroundRequested(qint64 runId); // "Ask in the Playground"

private:
    void clear(const QString &heading);
    int stageRow(const lwb::DlpStudyProgress &progress);
    void showStoredTrainings(lwb::storage::RunStore &store, qint64 studyId);
    void drawSelectionCounts(const std::vector<double> &counts);
    void drawMatrix(QCustomPlot *plot, QCPColorMap *map, const std::vector<std::vector<double>> &rows,
                    const QString &title);
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
    QPushButton *askInPlayground_;
};

} // namespace lwb::ui
