// See main_window.h.
#include "ui/main_window.h"

#include "storage/database_location.h"
#include "storage/run_store.h"
#include "ui/compare_view.h"
#include "ui/dlp_view.h"
#include "ui/engine_catalog.h"
#include "ui/export_dialog.h"
#include "ui/job_controller.h"
#include "ui/job_log.h"
#include "ui/job_queue_view.h"
#include "ui/job_status_bar.h"
#include "ui/live_dashboard.h"
#include "ui/loss_plot.h"
#include "ui/playground_view.h"
#include "ui/plot_export.h"
#include "ui/rank_throughput_view.h"
#include "ui/routing_view.h"
#include "ui/run_browser.h"
#include "ui/run_form.h"
#include "ui/settings_dialog.h"
#include "ui/store_worker.h"
#include "ui/study_editor.h"
#include "ui/study_runner.h"
#include "ui/study_view.h"
#include "ui/training_metrics_view.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

#include <tuple>

namespace lwb::ui {

namespace {

const QString kGeometryKey = QStringLiteral("mainWindow/geometry");
const QString kStateKey = QStringLiteral("mainWindow/state");
const QString kFormKey = QStringLiteral("runForm/document");
const QString kProcessesKey = QStringLiteral("runForm/processes"); // a job parameter, beside the document
const QString kStoreKey = QStringLiteral("runStore/path");         // the store chosen in Settings
constexpr int kStateVersion = 3; // bump when the docks change, so an old layout is not applied

// The run store and why that one: --db, else LWB_DB, else the file chosen in
// Settings last time, else the default in the user's data directory.
std::pair<QString, QString> storeLocation(const QString &given)
{
    if (!given.isEmpty())
        return {given, QStringLiteral("--db")};
    if (!qEnvironmentVariableIsEmpty("LWB_DB"))
        return {QString::fromStdString(lwb::storage::defaultDatabasePath()), QStringLiteral("LWB_DB")};
    if (const QString chosen = QSettings().value(kStoreKey).toString(); !chosen.isEmpty())
        return {chosen, QStringLiteral("settings")};
    return {QString::fromStdString(lwb::storage::defaultDatabasePath()), QStringLiteral("default")};
}

} // namespace

MainWindow::MainWindow(const QString &databasePath, QWidget *parent)
    : QMainWindow(parent)
    , jobs_(new JobController(this))
    , storeWorker_(new StoreWorker(this))
    , form_(new RunForm)
    , plot_(new LossPlot(this))
    , routing_(new RoutingView)
    , metrics_(new TrainingMetricsView)
    , browser_(new RunBrowser)
    , compare_(new CompareView)
    , dlp_(new DlpView)
    , studies_(new StudyView)
    , playground_(new PlaygroundView)
    , centralTabs_(new QTabWidget)
    , log_(new JobLog)
    , queue_(new JobQueueView(jobs_))
    , status_(new JobStatusBar(this))
    , rankThroughput_(new RankThroughputView)
    , dashboard_(new LiveDashboard(jobs_, LiveViews{plot_, metrics_, routing_, dlp_, status_, rankThroughput_}, this))
{
    std::tie(databasePath_, databaseSource_) = storeLocation(databasePath);
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("LoRA Workbench"));
    setDockOptions(AnimatedDocks | AllowNestedDocks | AllowTabbedDocks);
    centralTabs_->setObjectName(QStringLiteral("centralTabs"));
    auto *live = new QSplitter(Qt::Vertical);
    live->setObjectName(QStringLiteral("liveSplitter"));
    live->addWidget(plot_);
    live->addWidget(metrics_);
    live->setStretchFactor(0, 3);
    live->setStretchFactor(1, 2);
    auto *livePage = new QWidget;
    auto *liveLayout = new QVBoxLayout(livePage);
    liveLayout->setContentsMargins(0, 0, 0, 0);
    liveLayout->setSpacing(0);
    liveLayout->addWidget(rankThroughput_); // hidden unless the shown job has several ranks
    liveLayout->addWidget(live, 1);
    centralTabs_->addTab(livePage, tr("Live"));
    centralTabs_->addTab(compare_, tr("Compare"));
    centralTabs_->addTab(dlp_, tr("DLP-LoRA"));
    centralTabs_->addTab(studies_, tr("Studies"));
    centralTabs_->addTab(playground_, tr("Playground"));
    connect(centralTabs_, &QTabWidget::currentChanged, this, [this] {
        if (centralTabs_->currentWidget() == studies_)
            studies_->reload(); // a study may have been recorded since (lorawb study runs outside the window)
        if (centralTabs_->currentWidget() == playground_ && !playground_->isLoadingRuns())
            playground_->refreshRuns(); // runs may have finished since
    });
    setCentralWidget(centralTabs_);
    setStatusBar(status_);
    runDock_ = addDock(buildRunPanel(), tr("Run configuration"), QStringLiteral("runDock"), Qt::LeftDockWidgetArea);
    logDock_ = addDock(log_, tr("Job log"), QStringLiteral("logDock"), Qt::BottomDockWidgetArea);
    routingDock_ = addDock(routing_, tr("Routing"), QStringLiteral("routingDock"), Qt::RightDockWidgetArea);
    runsDock_ = addDock(browser_, tr("Runs"), QStringLiteral("runsDock"), Qt::BottomDockWidgetArea);
    jobsDock_ = addDock(queue_, tr("Jobs"), QStringLiteral("jobsDock"), Qt::BottomDockWidgetArea);
    tabifyDockWidget(logDock_, runsDock_);
    tabifyDockWidget(logDock_, jobsDock_);
    logDock_->raise();
    buildMenus();
    connectJobs();
    openRunStore();
    // The plot is what one watches: the form takes a column, the log a strip.
    resize(1360, 860);
    resizeDocks({runDock_, routingDock_}, {400, 440}, Qt::Horizontal);
    resizeDocks({logDock_}, {150}, Qt::Vertical);
    defaultState_ = saveState(kStateVersion);
    restoreSettings();
    applyPreferences(Preferences::load());
    updateActions();
}

MainWindow::~MainWindow() = default; // jobs_ (a child) stops and joins the running jobs

QDockWidget *MainWindow::addDock(QWidget *content, const QString &title, const QString &objectName,
                                 Qt::DockWidgetArea area)
{
    auto *dock = new QDockWidget(title, this);
    dock->setObjectName(objectName); // saveState/restoreState find docks by name
    dock->setWidget(content);
    addDockWidget(area, dock);
    return dock;
}

QWidget *MainWindow::buildRunPanel()
{
    auto *panel = new QWidget;
    auto *layout = new QVBoxLayout(panel);
    auto *scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(form_);
    scroll->setMinimumWidth(form_->sizeHint().width() + 24);
    layout->addWidget(scroll, 1);
    // Outside the scroll area: a disabled Start always shows its reasons.
    layout->addWidget(form_->summary());

    auto *buttons = new QHBoxLayout;
    startButton_ = new QPushButton(tr("Start"));
    startButton_->setObjectName(QStringLiteral("startButton"));
    startButton_->setDefault(true);
    startButton_->setToolTip(tr("Train this configuration (Ctrl+Return)."));
    cancelButton_ = new QPushButton(tr("Cancel"));
    cancelButton_->setObjectName(QStringLiteral("cancelButton"));
    cancelButton_->setToolTip(tr("Stop the running job after its current step; a checkpoint is written."));
    buttons->addStretch(1);
    buttons->addWidget(cancelButton_);
    buttons->addWidget(startButton_);
    layout->addLayout(buttons);
    connect(startButton_, &QPushButton::clicked, this, &MainWindow::startJob);
    connect(cancelButton_, &QPushButton::clicked, this, &MainWindow::cancelJob);
    connect(form_, &RunForm::edited, this, &MainWindow::updateActions); // validity, and the device for Start / Queue
    return panel;
}

void MainWindow::buildMenus()
{
    auto *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open config…"), QKeySequence::Open, this, &MainWindow::openConfig);
    // The shipped run configs (resources/configs, compiled in), one per variant.
    auto *presets = file->addMenu(tr("New from &preset"));
    presets->setObjectName(QStringLiteral("presetMenu"));
    const QDir presetDir(QStringLiteral(":/configs"));
    for (const QString &name : presetDir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        const QString path = presetDir.filePath(name);
        presets->addAction(QFileInfo(name).completeBaseName(), this, [this, path] { loadConfigFile(path); });
    }
    file->addAction(tr("&Save config as…"), QKeySequence::SaveAs, this, &MainWindow::saveConfig);
    file->addSeparator();
    file->addAction(tr("Se&ttings…"), QKeySequence::Preferences, this, &MainWindow::showSettings)
        ->setObjectName(QStringLiteral("settingsAction"));
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    auto *run = menuBar()->addMenu(tr("&Run"));
    startAction_ = run->addAction(tr("&Start"), QKeySequence(Qt::CTRL | Qt::Key_Return), this, &MainWindow::startJob);
    cancelAction_
        = run->addAction(tr("&Cancel"), QKeySequence(Qt::CTRL | Qt::Key_Period), this, &MainWindow::cancelJob);
    pauseAction_ = run->addAction(tr("&Pause / resume"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P), this,
                                  &MainWindow::togglePause);
    run->addSeparator();
    run->addAction(tr("&New run (defaults)"), QKeySequence::New, this, &MainWindow::resetForm)
        ->setObjectName(QStringLiteral("newRunAction"));
    run->addAction(tr("&Find run…"), QKeySequence::Find, this, &MainWindow::showRunBrowser)
        ->setObjectName(QStringLiteral("findRunAction"));

    auto *view = menuBar()->addMenu(tr("&View"));
    view->addAction(runDock_->toggleViewAction());
    view->addAction(logDock_->toggleViewAction());
    view->addAction(routingDock_->toggleViewAction());
    view->addAction(runsDock_->toggleViewAction());
    view->addAction(jobsDock_->toggleViewAction());
    view->addSeparator();
    view->addAction(tr("Reset &layout"), this, [this] { restoreState(defaultState_, kStateVersion); });

    auto *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About LoRA Workbench"), this, &MainWindow::showAbout);
}

void MainWindow::connectJobs()
{
    // The live views show one job (LiveDashboard); the Jobs dock picks it.
    connect(dashboard_, &LiveDashboard::shownJobChanged, queue_, &JobQueueView::setShownJob);
    connect(dashboard_, &LiveDashboard::shownJobChanged, this, [this](qint64 jobId) {
        if (const JobTrace *shown = dashboard_->trace(jobId); shown && shown->isStudy())
            centralTabs_->setCurrentWidget(dlp_); // a study is watched in its own tab
        updateActions();
    });
    connect(queue_, &JobQueueView::jobChosen, dashboard_, &LiveDashboard::showJob);
    connect(queue_, &JobQueueView::endedCleared, dashboard_, &LiveDashboard::forget);
    connect(jobs_, &JobController::stateChanged, this, &MainWindow::updateActions);
    connect(jobs_, &JobController::jobStarted, log_, &JobLog::jobStarted);
    connect(jobs_, &JobController::runStarted, log_, &JobLog::runStarted);
    connect(browser_, &RunBrowser::studyRequested, this, &MainWindow::showStudy);
    connect(jobs_, &JobController::runStarted, browser_, &RunBrowser::refresh);
    connect(browser_, &RunBrowser::compareRequested, this, &MainWindow::compareRuns);
    // New study…: the editor's study through the job queue (StudyRunner), shown in the Studies tab.
    studyRunner_ = new StudyRunner(jobs_, storeWorker_, this);
    connect(studies_, &StudyView::newStudyRequested, this, [this] {
        auto *editor = new StudyEditor(form_->document(), this);
        editor->setAttribute(Qt::WA_DeleteOnClose);
        connect(editor, &StudyEditor::runRequested, studyRunner_, &StudyRunner::run);
        editor->open();
    });
    connect(studyRunner_, &StudyRunner::studyQueued, this,
            [this](qint64 studyId, int enqueued, int finished, int inFlight) {
                log_->info(tr("Study #%1: %2 run(s) queued, %3 finished earlier, %4 still on their way.")
                               .arg(studyId)
                               .arg(enqueued)
                               .arg(finished)
                               .arg(inFlight));
                studies_->showStudy(studyId);
            });
    connect(studyRunner_, &StudyRunner::studyChanged, this, [this](qint64 studyId) {
        if (studies_->summary().study.id == studyId)
            studies_->reload();
    });
    connect(studyRunner_, &StudyRunner::failed, log_, &JobLog::warning);
    connect(browser_, &RunBrowser::seedGroupCompareRequested, this, [this](const QVector<qint64> &runIds) {
        compare_->setGroupBySeed(true); // the point of comparing a group: its mean curve and band
        compareRuns(runIds);
    });
    connect(browser_, &RunBrowser::runsChanged, compare_, &CompareView::reload);
    connect(browser_, &RunBrowser::exportRequested, this, &MainWindow::exportRun);
    connect(browser_, &RunBrowser::playgroundRequested, this, &MainWindow::openPlayground);
    connect(playground_, &PlaygroundView::studyRequested, this, &MainWindow::showStudy);
    connect(dlp_, &DlpView::playgroundRequested, this, [this](qint64 runId) { openPlayground({runId}); });
    connect(playground_, &PlaygroundView::notesSaved, browser_, &RunBrowser::refresh);
    connect(browser_, &RunBrowser::configCloned, this, [this](const QString &json, bool rerun) {
        loadConfigText(json.toUtf8(), tr("the run store"));
        if (rerun)
            startJob();
    });
    connect(jobs_, &JobController::evaluated, log_, &JobLog::evaluated);
    connect(jobs_, &JobController::checkpointWritten, log_, &JobLog::checkpointWritten);
    connect(jobs_, &JobController::recordingProblem, log_, &JobLog::recordingProblem);
    // A data-parallel job's ranks: when they meet, the children's processes and their stderr.
    connect(jobs_, &JobController::ranksJoined, log_, [this](qint64 jobId, int worldSize, const QString &backend) {
        log_->jobInfo(jobId, tr("%1 ranks have met (%2); rank 0 trains in this window.").arg(worldSize).arg(backend));
    });
    connect(jobs_, &JobController::rankProcessStarted, log_, [this](qint64 jobId, int rank, qint64 pid) {
        log_->jobInfo(jobId, tr("rank %1 started (lorawb, pid %2)").arg(rank).arg(pid));
    });
    connect(jobs_, &JobController::rankOutput, log_, [this](qint64 jobId, int rank, const QString &line) {
        log_->jobInfo(jobId, tr("rank %1: %2").arg(rank).arg(line));
    });
    connect(jobs_, &JobController::rankProcessExited, log_,
            [this](qint64 jobId, int rank, int exitCode, const QString &) {
                log_->jobInfo(jobId, exitCode == 0 ? tr("rank %1 exited").arg(rank)
                                                   : tr("rank %1 exited with status %2").arg(rank).arg(exitCode));
            });
    connect(jobs_, &JobController::jobFinished, this,
            [this](qint64 jobId, lwb::RunOutcome outcome, const QString &message) {
                if (closeWhenJobsEnd_ && !jobs_->isBusy()) {
                    log_->jobFinished(jobId, outcome, message);
                    QMetaObject::invokeMethod(this, &QWidget::close,
                                              Qt::QueuedConnection); // the last job ended: close now
                    return;
                }
                browser_->refresh();
                log_->jobFinished(jobId, outcome, message);
                if (outcome == lwb::RunOutcome::Failed) {
                    logDock_->show();
                    logDock_->raise();
                    // Not exec(): a failure must not block the event loop (or a test).
                    auto *box = new QMessageBox(QMessageBox::Warning, tr("The run failed"),
                                                tr("Job %1: %2").arg(jobId).arg(message), QMessageBox::Ok, this);
                    box->setAttribute(Qt::WA_DeleteOnClose);
                    box->setObjectName(QStringLiteral("runFailedBox"));
                    box->open();
                }
            });
}

void MainWindow::openRunStore()
{
    try {
        store_ = std::make_unique<lwb::storage::RunStore>(databasePath_.toStdString());
        storeWorker_->setPath(databasePath_);
        browser_->setStore(storeWorker_);
        compare_->setStore(storeWorker_);
        studies_->setStore(storeWorker_);
        playground_->setStore(storeWorker_);
        jobs_->setDatabasePath(databasePath_);
        status_->setDatabase(databasePath_, true);
    } catch (const std::exception &error) {
        const QString reason = QString::fromUtf8(error.what());
        storeProblem_ = reason;
        jobs_->setDatabasePath(QString());
        storeWorker_->setPath(QString());
        browser_->setStore(storeWorker_);
        compare_->setStore(storeWorker_);
        studies_->setStore(storeWorker_);
        playground_->setStore(storeWorker_);
        status_->setDatabase(databasePath_, false, reason);
        log_->warning(tr("the run store cannot be used, so runs will not be recorded: %1").arg(reason));
    }
}

bool MainWindow::isRecording() const
{
    return store_ != nullptr;
}

void MainWindow::updateActions()
{
    // Start while a job runs on the form's device queues the config behind
    // it; on a free device it starts beside the running jobs.
    const bool canStart = form_->isValid();
    const auto state = jobs_->state(dashboard_->shownJobId());
    const bool canCancel = state == JobController::State::Running || state == JobController::State::Paused;
    const bool queues = canStart && jobs_->isDeviceBusy(form_->config()->device);
    startButton_->setEnabled(canStart);
    startAction_->setEnabled(canStart);
    startButton_->setText(queues ? tr("Queue") : tr("Start"));
    cancelButton_->setEnabled(canCancel);
    cancelAction_->setEnabled(canCancel);
    pauseAction_->setEnabled(state == JobController::State::Paused || jobs_->canPause(dashboard_->shownJobId()));
    pauseAction_->setText(state == JobController::State::Paused ? tr("&Resume") : tr("&Pause"));
    startButton_->setToolTip(!canStart
                                 ? tr("Fix the configuration first:\n%1").arg(form_->problems().join(QLatin1Char('\n')))
                             : queues ? tr("Queue this configuration to start when the job on %1 ends (Ctrl+Return).")
                                            .arg(QString::fromStdString(form_->config()->device))
                                      : tr("Train this configuration (Ctrl+Return)."));
}

void MainWindow::startJob()
{
    if (!form_->isValid())
        return;
    const auto &config = *form_->config();
    const bool queued = jobs_->isDeviceBusy(config.device);
    const qint64 jobId = jobs_->enqueue(config, form_->processes());
    if (!queued)
        dashboard_->showJob(jobId); // the job one just started is the one to watch
    else
        log_->jobInfo(jobId, tr("Queued %1: it starts when the job on %2 ends.")
                                 .arg(QString::fromStdString(config.name), QString::fromStdString(config.device)));
}

void MainWindow::compareRuns(const QVector<qint64> &runIds)
{
    compare_->setRuns(runIds);
    browser_->selectRuns(runIds);
    centralTabs_->setCurrentWidget(compare_);
}

void MainWindow::openPlayground(const QVector<qint64> &runIds)
{
    playground_->openRuns(runIds);
    centralTabs_->setCurrentWidget(playground_);
}

void MainWindow::showStudy(qint64 runId)
{
    if (!store_)
        return;
    if (dashboard_->showsRunningStudy()) {
        log_->warning(tr("A study is running in the DLP-LoRA tab; open run #%1 when it ends.").arg(runId));
        return;
    }
    dlp_->showStoredStudy(*store_, runId);
    centralTabs_->setCurrentWidget(dlp_);
}

void MainWindow::exportRun(qint64 runId)
{
    if (!store_)
        return;
    const QString databasePath = databasePath_;
    storeWorker_->run<std::optional<lwb::storage::RunRecord>>(
        this, [runId](lwb::storage::RunStore &store, const StoreTaskControl &) { return store.findRun(runId); },
        [this, databasePath](StoreOutcome<std::optional<lwb::storage::RunRecord>> outcome) {
            if (!outcome.value || !*outcome.value || databasePath != databasePath_) {
                if (!outcome.error.isEmpty())
                    log_->warning(tr("Cannot export: %1").arg(outcome.error));
                return;
            }
            auto *dialog = new ExportDialog(databasePath, **outcome.value, this);
            dialog->setAttribute(Qt::WA_DeleteOnClose);
            connect(dialog, &ExportDialog::exported, this, [this](const QString &folder) {
                log_->info(tr("Exported to %1").arg(folder));
                browser_->refresh();
            });
            dialog->open();
        });
}

void MainWindow::showRunBrowser()
{
    runsDock_->show();
    runsDock_->raise();
    browser_->focusFilter();
}

void MainWindow::togglePause()
{
    const qint64 shown = dashboard_->shownJobId();
    if (jobs_->state(shown) == JobController::State::Paused) {
        jobs_->resume(shown);
        log_->jobInfo(shown, tr("Resumed."));
    } else if (jobs_->ranks(shown) > 1) {
        log_->jobInfo(shown, tr("A job of several processes cannot pause: its other ranks would time out "
                                "waiting for rank 0 (training.collective_timeout_s)."));
    } else if (jobs_->state(shown) == JobController::State::Running) {
        jobs_->pause(shown);
        log_->jobInfo(shown, tr("Paused after the current step."));
    }
}

void MainWindow::cancelJob()
{
    const qint64 shown = dashboard_->shownJobId();
    if (jobs_->state(shown) != JobController::State::Running && jobs_->state(shown) != JobController::State::Paused)
        return;
    jobs_->cancel(shown); // the dashboard shows "stopping" in the status bar
    log_->jobInfo(shown, tr("Cancel requested: the job stops after the current step."));
}

void MainWindow::openConfig()
{
    const QString path
        = QFileDialog::getOpenFileName(this, tr("Open run config"), QString(), tr("Run configs (*.json)"));
    if (!path.isEmpty())
        loadConfigFile(path);
}

void MainWindow::loadConfigFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        QMessageBox::warning(this, tr("Open run config"), tr("Cannot read %1: %2").arg(path, file.errorString()));
        return;
    }
    loadConfigText(file.readAll(), path);
}

void MainWindow::loadConfigText(const QByteArray &bytes, const QString &source)
{
    try {
        form_->setDocument(nlohmann::json::parse(bytes.constBegin(), bytes.constEnd()));
        log_->info(tr("Loaded the config from %1").arg(source));
    } catch (const nlohmann::json::parse_error &error) {
        QMessageBox::warning(this, tr("Open run config"),
                             tr("%1 is not valid JSON: %2").arg(source, QString::fromUtf8(error.what())));
    }
}

void MainWindow::saveConfig()
{
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Save run config"), QString(), tr("Run configs (*.json)"));
    if (path.isEmpty())
        return;
    QFile file(path);
    const std::string text = form_->document().dump(2) + "\n";
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
        || file.write(text.data(), static_cast<qint64>(text.size())) != static_cast<qint64>(text.size())) {
        QMessageBox::warning(this, tr("Save run config"), tr("Cannot write %1: %2").arg(path, file.errorString()));
        return;
    }
    log_->info(tr("Saved %1").arg(path));
}

void MainWindow::resetForm()
{
    auto document = RunForm::defaultDocument();
    document["device"] = preferences_.defaultDevice.toStdString();
    document["threads"] = preferences_.threads;
    form_->setDocument(document);
}

void MainWindow::applyPreferences(const Preferences &preferences)
{
    // At start "system" means: leave the platform's style and palette alone.
    const bool first = !themeApplied_;
    themeApplied_ = true;
    if (first ? preferences.theme != QLatin1String("system") : preferences.theme != preferences_.theme)
        applyTheme(preferences.theme);
    preferences_ = preferences;
    plot_->setRefreshRate(preferences.plotRefreshHz);
    metrics_->setRefreshRate(preferences.plotRefreshHz);
    routing_->setRefreshRate(preferences.plotRefreshHz);
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About LoRA Workbench"),
                       tr("<h3>LoRA Workbench</h3><p>Configure LoRA variants, train them, watch them learn.</p>"
                          "<p>%1<br>Qt %2 (built with %3)</p><p>Run store: %4</p>")
                           .arg(EngineCatalog::versionLine(QStringLiteral("lora-workbench")).toHtmlEscaped(),
                                QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR),
                                databasePath_.toHtmlEscaped()));
}

QString MainWindow::switchRunStore(const QString &path)
{
    if (jobs_->isBusy() || !jobs_->queuedJobs().isEmpty())
        return tr("a job is running or queued and records into the current store; switch when the queue is empty");
    std::unique_ptr<lwb::storage::RunStore> next;
    try {
        next = std::make_unique<lwb::storage::RunStore>(path.toStdString());
    } catch (const std::exception &error) {
        return QString::fromUtf8(error.what()); // the current store stays in use
    }
    store_ = std::move(next);
    storeWorker_->setPath(path); // its next task opens the new file
    compare_->setRuns({});
    browser_->setStore(storeWorker_);
    playground_->refreshRuns();
    databasePath_ = path;
    databaseSource_ = QStringLiteral("settings");
    storeProblem_.clear();
    jobs_->setDatabasePath(path);
    status_->setDatabase(path, true);
    QSettings().setValue(kStoreKey, path);
    log_->info(tr("Run store: now %1").arg(path));
    return {};
}

void MainWindow::showSettings()
{
    const auto location = [this] {
        return StoreLocation{databasePath_, databaseSource_, store_ != nullptr, storeProblem_};
    };
    auto *dialog = new SettingsDialog(location(), QSettings().fileName(), preferences_, this);
    connect(dialog, &SettingsDialog::preferencesChanged, this, &MainWindow::applyPreferences);
    connect(dialog, &SettingsDialog::storeRequested, this, [this, dialog, location](const QString &path) {
        const QString refusal = switchRunStore(path);
        dialog->setStore(location(), refusal);
    });
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    if (const auto geometry = settings.value(kGeometryKey).toByteArray(); !geometry.isEmpty())
        restoreGeometry(geometry);
    if (const auto state = settings.value(kStateKey).toByteArray(); !state.isEmpty())
        restoreState(state, kStateVersion);
    const QByteArray saved = settings.value(kFormKey).toByteArray();
    if (!saved.isEmpty()) {
        auto document = nlohmann::json::parse(saved.constBegin(), saved.constEnd(), nullptr, false);
        if (document.is_object())
            form_->setDocument(document);
    }
    if (const int processes = settings.value(kProcessesKey, 1).toInt(); processes > 1)
        form_->setProcesses(processes); // the field's range clamps it to this machine
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState(kStateVersion));
    settings.setValue(kFormKey, QByteArray::fromStdString(form_->document().dump()));
    settings.setValue(kProcessesKey, form_->processes());
}

bool MainWindow::confirmCloseWithJobs()
{
    // Jobs already stopping (cancelled, or a close agreed before) need no question.
    int running = 0;
    for (qint64 id : jobs_->runningJobIds())
        running += jobs_->state(id) != JobController::State::Stopping ? 1 : 0;
    if (running == 0 && jobs_->queuedJobs().isEmpty())
        return true;
    QMessageBox box(QMessageBox::Question, tr("Close LoRA Workbench"),
                    tr("%n job(s) running, %1 queued. Stop them and close? Each running job stops after its "
                       "current step (or evaluation batch) and writes a checkpoint; the run store records it "
                       "as cancelled.",
                       nullptr, running)
                        .arg(jobs_->queuedJobs().size()),
                    QMessageBox::Yes | QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("closeWithJobsBox"));
    box.setDefaultButton(QMessageBox::Cancel);
    return box.exec() == QMessageBox::Yes;
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (jobs_->isBusy() || !jobs_->queuedJobs().isEmpty()) {
        if (!closeWhenJobsEnd_ && !confirmCloseWithJobs()) {
            event->ignore();
            return;
        }
        // The window stays live (and says so) until every job has stopped;
        // jobFinished of the last one closes it.
        closeWhenJobsEnd_ = true;
        jobs_->stopAll();
        if (jobs_->isBusy()) {
            log_->info(tr("Closing: waiting for %n job(s) to stop after the current step.", nullptr,
                          int(jobs_->runningJobIds().size())));
            event->ignore();
            return;
        }
    }
    saveSettings();
    event->accept();
}

} // namespace lwb::ui
