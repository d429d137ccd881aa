// PlaygroundView: the "Playground" tab — stored runs answering prompts or a
// chat, one run or two side by side (PlaygroundSide each), the answers
// streamed token by token with each token's probability (the model's and the
// sampling rule's) on hover or click, SiRA's experts per layer for the
// selected token, a DLP-LoRA study's fused task LoRAs and weights (the
// DLP-LoRA tab sends its studies here to be asked), the sampling settings at
// hand (SamplingPanel), and every exchange saved to the runs' notes.
//
// Nothing here blocks the window: the run list and the notes go through the
// StoreWorker (the store's thread), answers come from each side's
// PlaygroundWorker thread. With two runs the second answers after the first
// (one model computing at a time: the sides share the CPU and torch's global
// generator, so a seed gives each side the same draws as alone). Cancel stops
// the answering side within one token and drops the waiting one.
#pragma once

#include "ui/playground_worker.h"

#include <QVector>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace lwb::ui {

class PlaygroundSide;
struct PlaygroundRun;
class SamplingPanel;
class StoreWorker;

class PlaygroundView : public QWidget
{
    Q_OBJECT

public:
    explicit PlaygroundView(QWidget *parent = nullptr);

    void setStore(StoreWorker *store);

    PlaygroundSide *side(int index) const { return index == 0 ? first_ : second_; }
    SamplingPanel *samplingPanel() const { return sampling_; }
    QPlainTextEdit *promptEdit() const { return prompt_; }
    QComboBox *modeChoice() const { return mode_; }
    QCheckBox *sideBySideBox() const { return sideBySide_; }
    QPushButton *sendButton() const { return send_; }
    QPushButton *cancelButton() const { return cancel_; }
    QPushButton *saveNotesButton() const { return saveNotes_; }
    bool isAnswering() const;
    bool isLoadingRuns() const { return loadingRuns_; }

public Q_SLOTS:
    void refreshRuns();
    // One run, or two side by side (more are ignored); chosen once the list arrives.
    void openRuns(const QVector<qint64> &runIds);
    // Types the prompt and sends it once the runs are chosen.
    void askPrompt(const QString &prompt);
    void send();
    void cancel();
    void saveToNotes();
    void newChat();

Q_SIGNALS:
    void runsLoaded();
    void answersDone(); // every side asked has answered (or failed)
    void notesSaved(int runs);
    void studyRequested(qint64 runId);
    void problem(const QString &message);

private:
    void applyRuns(const QVector<PlaygroundRun> &runs);
    void askNext();
    void updateButtons();

    StoreWorker *store_ = nullptr;
    PlaygroundSide *first_;
    PlaygroundSide *second_;
    SamplingPanel *sampling_;
    QComboBox *mode_;
    QCheckBox *sideBySide_;
    QPlainTextEdit *prompt_;
    QPushButton *send_;
    QPushButton *cancel_;
    QPushButton *saveNotes_;
    QPushButton *newChat_;
    QLabel *message_;
    QVector<qint64> pendingRuns_;
    QString pendingPrompt_;
    QVector<PlaygroundSide *> waiting_; // sides still to ask for the current question
    QString question_;
    PlaygroundSampling questionSampling_;
    bool questionChat_ = false;
    bool loadingRuns_ = false;
};

} // namespace lwb::ui
