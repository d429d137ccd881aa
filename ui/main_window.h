// MainWindow: the workbench's window — the run form in a dock, the live loss
// plot in the centre, the job log in a dock, progress and the run store in
// the status bar, the run browser in a dock, the compare view as the
// centre's second tab and the DLP-LoRA study view as its third — and the
// wiring between them and the JobController.
//
// It holds no training logic: Start hands the form's validated RunConfig to
// the JobController, which runs one job per device at once and queues the
// rest; the LiveDashboard feeds the plots and the status bar from the one job
// they show (chosen in the Jobs dock), the log hears every job. Docks can be moved, floated and closed; their layout
// and the window geometry, and the last form contents, come back through QSettings. Closing the window while jobs run
// asks first (a message box); on Yes every job is asked to stop (after its current step, evaluation batch or generated
// token), the window stays live while they write their checkpoints, and closes when the last one has ended.
//
// The run store is opened here when the window is made (the schema check and
// the interrupted-run rule): a file that cannot be used is reported (status
// bar, log) and runs then train without being recorded. Every later read and
// write of the window goes through one StoreWorker (the store's own thread).
#pragma once

#include "ui/preferences.h"

#include <QMainWindow>

#include <memory>

class QAction;
class QDockWidget;
class QPushButton;
class QTabWidget;

namespace lwb::storage {
class RunStore;
}

namespace lwb::ui {

class CompareView;
class DlpView;
class PlaygroundView;
class StudyRunner;
class StudyView;
class JobController;
class JobLog;
class JobQueueView;
class JobStatusBar;
class LiveDashboard;
class LossPlot;
class RankThroughputView;
class RoutingView;
class RunBrowser;
class RunForm;
class StoreWorker;
class TrainingMetricsView;

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    // databasePath: the run store file; empty uses storage::defaultDatabasePath()
    // (LWB_DB, else the XDG data directory).
    explicit MainWindow(const QString &databasePath = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    RunForm *runForm() const { return form_; }
    LossPlot *lossPlot() const { return plot_; }
    RoutingView *routingView() const { return routing_; }
    TrainingMetricsView *trainingMetrics() const { return metrics_; }
    RunBrowser *runBrowser() const { return browser_; }
    CompareView *compareView() const { return compare_; }
    DlpView *dlpView() const { return dlp_; }
    StudyView *studyView() const { return studies_; }
    StudyRunner *studyRunner() const { return studyRunner_; }
    PlaygroundView *playgroundView() const { return playground_; }
    QTabWidget *centralTabs() const { return centralTabs_; }
    JobLog *jobLog() const { return log_; }
    JobQueueView *jobQueue() const { return queue_; }
    JobStatusBar *jobStatusBar() const { return status_; }
    JobController *jobController() const { return jobs_; }
    StoreWorker *storeWorker() const { return storeWorker_; }
    LiveDashboard *liveDashboard() const { return dashboard_; }
    RankThroughputView *rankThroughput() const { return rankThroughput_; }
    QPushButton *startButton() const { return startButton_; }
    QPushButton *cancelButton() const { return cancelButton_; }
    const QString &databasePath() const { return databasePath_; }
    const Preferences &preferences() const { return preferences_; }
    bool isRecording() const; // the run store opened

public Q_SLOTS:
    void startJob();
    void compareRuns(const QVector<qint64> &runIds);    // shows the Compare tab
    void showRunBrowser();                              // the Runs dock, raised, its filter focused
    void exportRun(qint64 runId);                       // the export dialog for a run of the store
    void showStudy(qint64 runId);                       // a recorded DLP-LoRA study in the DLP-LoRA tab
    void openPlayground(const QVector<qint64> &runIds); // one run or two side by side in the Playground tab
    // Records into another run store from now on (kept for the next start);
    // returns why not ("" = switched): a job running or queued, a bad file.
    QString switchRunStore(const QString &path);
    // Cancel / pause or resume the job the live views show.
    void cancelJob();
    void togglePause();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    QDockWidget *addDock(QWidget *content, const QString &title, const QString &objectName, Qt::DockWidgetArea area);
    QWidget *buildRunPanel();
    void buildMenus();
    void connectJobs();
    void openRunStore();
    void updateActions();
    void openConfig();
    void loadConfigFile(const QString &path); // a run config into the form, or a message why not
    void loadConfigText(const QByteArray &json, const QString &source);
    void saveConfig();
    void resetForm();
    void showAbout();
    void showSettings();
    void applyPreferences(const Preferences &preferences);
    void restoreSettings();
    void saveSettings() const;
    // closeEvent's question; true: stop the jobs and close once they ended.
    bool confirmCloseWithJobs();

    JobController *jobs_;
    StoreWorker *storeWorker_;
    RunForm *form_;
    LossPlot *plot_;
    RoutingView *routing_;
    TrainingMetricsView *metrics_;
    RunBrowser *browser_;
    CompareView *compare_;
    DlpView *dlp_;
    StudyView *studies_;                 // recorded studies (lorawb study): cells, CI, paired tests
    StudyRunner *studyRunner_ = nullptr; // a study from the editor (New study…) through the job queue
    PlaygroundView *playground_;         // stored runs answering prompts
    QTabWidget *centralTabs_;
    JobLog *log_;
    JobQueueView *queue_;
    JobStatusBar *status_;
    RankThroughputView *rankThroughput_; // above the live plots, for data-parallel jobs
    LiveDashboard *dashboard_;
    QPushButton *startButton_ = nullptr;
    QPushButton *cancelButton_ = nullptr;
    QAction *startAction_ = nullptr;
    QAction *cancelAction_ = nullptr;
    QAction *pauseAction_ = nullptr;
    QDockWidget *runDock_ = nullptr;
    QDockWidget *logDock_ = nullptr;
    QDockWidget *routingDock_ = nullptr;
    QDockWidget *runsDock_ = nullptr;
    QDockWidget *jobsDock_ = nullptr;
    QByteArray defaultState_; // the dock layout as built, for View > Reset layout
    Preferences preferences_;
    bool themeApplied_ = false; // "system" at start changes nothing
    QString databasePath_;
    QString databaseSource_; // "--db", "LWB_DB" or "default" (see SettingsDialog)
    QString storeProblem_;   // why the run store could not be opened; empty when open
    std::unique_ptr<lwb::storage::RunStore> store_;
    bool closeWhenJobsEnd_ = false; // the user agreed to close: closes when the last job has ended
};

} // namespace lwb::ui
