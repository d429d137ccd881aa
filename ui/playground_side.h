// PlaygroundSide: one run's column of the playground — which stored run
// answers (a combo of the store's runs), what is loaded, the answer as a
// TokenStreamView, and the selected token's details: its probability, the
// likeliest alternatives and, for SiRA, the experts and gates it used in
// every layer. Its PlaygroundWorker generates on its own thread.
//
// In chat mode the side keeps its own conversation: the user's turns are
// shared with the other side, the assistant's turns are this run's answers.
//
// A DLP-LoRA study answers here too (this is the DLP-LoRA tab's inference
// mode): the side then shows the routing settings (the study's rule, P or k
// and granularity, changeable per question) and a table of the task LoRAs
// the plugin fused, with their weights, for every routing decision of the
// answer (filled as each is made); each token's details name the set it was
// generated with. A link opens the study's results in the DLP-LoRA tab.
#pragma once

#include "ui/playground_worker.h"

#include <QJsonArray>
#include <QVector>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;
class QPushButton;
class QTableWidget;

namespace lwb::ui {

class TokenStreamView;

// A stored run the playground can load.
struct PlaygroundRun
{
    qint64 id = 0;
    QString name;
    QString variant;
    QString checkpoint; // empty: none on disk (problem says why); a study's output folder
    QString problem;
    bool isStudy = false;      // DLP-LoRA: task LoRAs fused per prompt
    QString studyConfig;       // a study's run config (JSON) as it ran
    QStringList studyTasks;    // its task LoRAs, library order
    PlaygroundRouting routing; // a study's own selection rule and granularity
};

class PlaygroundSide : public QWidget
{
    Q_OBJECT

public:
    explicit PlaygroundSide(const QString &title, QWidget *parent = nullptr);

    void setRuns(const QVector<PlaygroundRun> &runs);
    bool chooseRun(qint64 runId);     // false when the store has no such run
    const PlaygroundRun *run() const; // null: none chosen

    // Starts an answer; false (with the reason shown) when this side cannot ask.
    bool ask(const QString &userText, bool chat, const PlaygroundSampling &sampling);
    void cancel();
    void clearChat();
    bool isAnswering() const;
    // The last exchange (prompt, answer, ending) as text for the run's notes; empty before one.
    QString lastExchange() const { return lastExchange_; }

    QComboBox *runChoice() const { return runChoice_; }
    TokenStreamView *stream() const { return stream_; }
    QLabel *statusLabel() const { return status_; }
    QLabel *tokenLabel() const { return tokenLabel_; }
    QTableWidget *expertsTable() const { return experts_; }
    QTableWidget *fusionTable() const { return fusion_; }
    QWidget *routingBox() const { return routingBox_; }
    QComboBox *granularityChoice() const { return granularity_; }
    QPushButton *studyResultsButton() const { return openStudy_; }
    // The routing settings a study's question uses now.
    PlaygroundRouting routing() const;
    PlaygroundWorker *worker() const { return worker_; }

Q_SIGNALS:
    void tokenShown(int index);
    void routingShown(const lwb::ui::PlaygroundRouted &decision); // a study's routing decision, on screen
    void answerFinished(const lwb::ui::PlaygroundAnswer &answer);
    void answerFailed(const QString &message);
    void studyRequested(qint64 runId);

private:
    void showRunState();
    void showToken(int index);
    void showRouted(const PlaygroundRouted &decision);
    void onAnswered(const PlaygroundAnswer &answer);
    QWidget *buildRoutingBox();

    QVector<PlaygroundRun> runs_;
    QComboBox *runChoice_;
    QLabel *status_;
    QPushButton *openStudy_;
    TokenStreamView *stream_;
    QLabel *tokenLabel_;
    QTableWidget *experts_;
    QWidget *routingBox_;
    QComboBox *rule_;
    QDoubleSpinBox *p_;
    QSpinBox *k_;
    QComboBox *granularity_;
    QTableWidget *fusion_; // a study's routing decisions: position, task LoRA, weight
    PlaygroundWorker *worker_;
    qint64 shownRunId_ = 0; // the run whose settings and details are shown
    QJsonArray chat_;       // this side's conversation so far
    bool chatMode_ = false;
    QString pendingUser_; // the user's turn being answered
    QString pendingSettings_;
    QString lastExchange_;
};

} // namespace lwb::ui
