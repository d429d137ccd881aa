// See playground_view.h.
#include "ui/playground_view.h"

#include "engine/adapters/variant_traits.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "storage/export_source.h"
#include "storage/run_store.h"
#include "ui/playground_side.h"
#include "ui/sampling_panel.h"
#include "ui/store_worker.h"

#include <QCheckBox>
#include <QComboBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <exception>
#include <filesystem>

namespace lwb::ui {

namespace {

// A DLP-LoRA study answers from its output folder (its task LoRAs and
// plugin) with the config it ran with; only a finished study has a plugin.
void describeStudy(const lwb::storage::RunRecord &record, PlaygroundRun &run)
{
    if (record.status != lwb::storage::RunStatus::Finished)
        throw lwb::Error("run " + std::to_string(record.id), std::string("the study did not finish (")
                                                                 + lwb::storage::toString(record.status)
                                                                 + "): it has no trained plugin to route with");
    const auto config
        = lwb::parseRunConfig(nlohmann::json::parse(record.configJson), "run " + std::to_string(record.id) + " config");
    if (!std::filesystem::is_directory(config.training.outputDir))
        throw lwb::Error("run " + std::to_string(record.id),
                         "its folder " + config.training.outputDir + " (training.output_dir) is gone");
    for (const auto &entry : lwb::effectiveLibrary(config.adapter.dlp, config.data.tasks))
        run.studyTasks << QString::fromStdString(entry.task);
    const auto &dlp = config.adapter.dlp;
    run.routing.rule = QString::fromStdString(dlp.selection.rule);
    run.routing.p = dlp.selection.p;
    run.routing.k = static_cast<int>(dlp.selection.k);
    run.routing.granularity = QString::fromStdString(dlp.granularity);
    run.studyConfig = QString::fromStdString(record.configJson);
    run.checkpoint = QString::fromStdString(config.training.outputDir);
}

} // namespace

PlaygroundView::PlaygroundView(QWidget *parent)
    : QWidget(parent)
    , first_(new PlaygroundSide(tr("Run")))
    , second_(new PlaygroundSide(tr("Second run")))
    , sampling_(new SamplingPanel)
    , mode_(new QComboBox)
    , sideBySide_(new QCheckBox(tr("Two runs side by side")))
    , prompt_(new QPlainTextEdit)
    , send_(new QPushButton(tr("Send")))
    , cancel_(new QPushButton(tr("Cancel")))
    , saveNotes_(new QPushButton(tr("Save to notes")))
    , newChat_(new QPushButton(tr("New chat")))
    , message_(new QLabel)
{
    setObjectName(QStringLiteral("playgroundView"));
    mode_->setObjectName(QStringLiteral("playgroundMode"));
    mode_->addItem(tr("Prompt"));
    mode_->addItem(tr("Chat (the base's chat template)"));
    prompt_->setObjectName(QStringLiteral("playgroundPrompt"));
    prompt_->setPlaceholderText(tr("Type a prompt (Ctrl+Return sends)"));
    prompt_->setMaximumHeight(90);
    send_->setObjectName(QStringLiteral("playgroundSend"));
    send_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    cancel_->setObjectName(QStringLiteral("playgroundCancel"));
    saveNotes_->setObjectName(QStringLiteral("playgroundSaveNotes"));
    saveNotes_->setToolTip(tr("Append the last exchange of each run to that run's notes"));
    message_->setWordWrap(true);
    second_->setVisible(false);

    auto *sides = new QSplitter(Qt::Horizontal);
    sides->addWidget(first_);
    sides->addWidget(second_);
    auto *settings = new QGroupBox(tr("Sampling"));
    auto *settingsLayout = new QVBoxLayout(settings);
    settingsLayout->addWidget(sampling_);
    settingsLayout->addStretch(1);
    auto *top = new QHBoxLayout;
    top->addWidget(sides, 1);
    top->addWidget(settings);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(mode_);
    buttons->addWidget(sideBySide_);
    buttons->addStretch(1);
    buttons->addWidget(newChat_);
    buttons->addWidget(saveNotes_);
    buttons->addWidget(cancel_);
    buttons->addWidget(send_);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addWidget(prompt_);
    layout->addLayout(buttons);
    layout->addWidget(message_);

    connect(sideBySide_, &QCheckBox::toggled, this, [this, sides](bool both) {
        second_->setVisible(both);
        if (both) // halves, whatever either side's contents ask for
            sides->setSizes({sides->width(), sides->width()});
    });
    connect(send_, &QPushButton::clicked, this, &PlaygroundView::send);
    connect(cancel_, &QPushButton::clicked, this, &PlaygroundView::cancel);
    connect(saveNotes_, &QPushButton::clicked, this, &PlaygroundView::saveToNotes);
    connect(newChat_, &QPushButton::clicked, this, &PlaygroundView::newChat);
    connect(mode_, &QComboBox::currentIndexChanged, this, &PlaygroundView::newChat);
    for (auto *side : {first_, second_}) {
        connect(side, &PlaygroundSide::answerFinished, this, &PlaygroundView::askNext);
        connect(side, &PlaygroundSide::answerFailed, this, &PlaygroundView::askNext);
        connect(side, &PlaygroundSide::studyRequested, this, &PlaygroundView::studyRequested);
    }
    updateButtons();
}

void PlaygroundView::setStore(StoreWorker *store)
{
    store_ = store;
    refreshRuns();
}

bool PlaygroundView::isAnswering() const
{
    return first_->isAnswering() || second_->isAnswering() || !waiting_.isEmpty();
}

void PlaygroundView::refreshRuns()
{
    if (store_ == nullptr || store_->path().isEmpty()) {
        message_->setText(tr("No run store is open: there are no runs to load."));
        return;
    }
    loadingRuns_ = true;
    // The checkpoint of each run is found on the store's thread (it looks at the disk).
    store_->run<QVector<PlaygroundRun>>(
        this,
        [](lwb::storage::RunStore &store, const StoreTaskControl &) {
            QVector<PlaygroundRun> runs;
            for (const auto &record : store.listRuns()) {
                if (record.status == lwb::storage::RunStatus::Queued
                    || record.status == lwb::storage::RunStatus::Running)
                    continue;
                PlaygroundRun run;
                run.id = record.id;
                run.name = QString::fromStdString(record.name);
                run.variant = QString::fromStdString(record.variant);
                run.isStudy = lwb::isStudyVariant(record.variant);
                try {
                    if (run.isStudy)
                        describeStudy(record, run);
                    else
                        run.checkpoint = QString::fromStdString(lwb::storage::runCheckpoint(store, record));
                } catch (const std::exception &error) {
                    run.checkpoint.clear();
                    run.problem = QString::fromUtf8(error.what());
                }
                runs << run;
            }
            return runs;
        },
        [this](StoreOutcome<QVector<PlaygroundRun>> outcome) {
            loadingRuns_ = false;
            if (!outcome.value) {
                message_->setText(tr("Could not list the runs: %1").arg(outcome.error));
                Q_EMIT problem(outcome.error);
                return;
            }
            applyRuns(*outcome.value);
        });
}

void PlaygroundView::applyRuns(const QVector<PlaygroundRun> &runs)
{
    first_->setRuns(runs);
    second_->setRuns(runs);
    if (!pendingRuns_.isEmpty()) {
        QStringList missing;
        for (int i = 0; i < pendingRuns_.size() && i < 2; ++i)
            if (!side(i)->chooseRun(pendingRuns_[i]))
                missing << QString::number(pendingRuns_[i]);
        sideBySide_->setChecked(pendingRuns_.size() > 1);
        pendingRuns_.clear();
        message_->setText(missing.isEmpty()
                              ? QString()
                              : tr("No finished run with id %1 in the store.").arg(missing.join(QStringLiteral(", "))));
    }
    updateButtons();
    Q_EMIT runsLoaded();
    if (!pendingPrompt_.isEmpty()) {
        prompt_->setPlainText(pendingPrompt_);
        pendingPrompt_.clear();
        send();
    }
}

void PlaygroundView::openRuns(const QVector<qint64> &runIds)
{
    pendingRuns_ = runIds;
    refreshRuns();
}

void PlaygroundView::askPrompt(const QString &prompt)
{
    if (loadingRuns_ || !pendingRuns_.isEmpty()) {
        pendingPrompt_ = prompt;
        return;
    }
    prompt_->setPlainText(prompt);
    send();
}

void PlaygroundView::send()
{
    const QString text = prompt_->toPlainText();
    if (text.isEmpty() || isAnswering())
        return;
    question_ = text;
    questionSampling_ = sampling_->sampling();
    questionChat_ = mode_->currentIndex() == 1;
    waiting_.clear();
    waiting_ << first_;
    if (sideBySide_->isChecked())
        waiting_ << second_;
    message_->clear();
    if (questionChat_)
        prompt_->clear(); // the turn now lives in the transcript
    askNext();
}

void PlaygroundView::askNext()
{
    // Called at the start and whenever a side has answered: the next side asks.
    while (!waiting_.isEmpty()) {
        auto *next = waiting_.takeFirst();
        if (next->ask(question_, questionChat_, questionSampling_)) {
            updateButtons();
            return;
        }
        message_->setText(
            tr("%1 cannot answer: %2").arg(next->runChoice()->currentText(), next->statusLabel()->text()));
    }
    updateButtons();
    if (!first_->isAnswering() && !second_->isAnswering())
        Q_EMIT answersDone();
}

void PlaygroundView::cancel()
{
    waiting_.clear();
    first_->cancel();
    second_->cancel();
}

void PlaygroundView::newChat()
{
    if (isAnswering())
        return;
    first_->clearChat();
    second_->clearChat();
    updateButtons();
}

void PlaygroundView::saveToNotes()
{
    if (store_ == nullptr)
        return;
    QVector<QPair<qint64, QString>> exchanges;
    for (auto *entry : {first_, second_})
        if (entry->isVisible() && entry->run() != nullptr && !entry->lastExchange().isEmpty())
            exchanges << qMakePair(entry->run()->id, entry->lastExchange());
    if (exchanges.isEmpty())
        return;
    store_->run<int>(
        this,
        [exchanges](lwb::storage::RunStore &store, const StoreTaskControl &) {
            for (const auto &[runId, exchange] : exchanges) {
                const auto notes = store.run(runId).notes;
                store.setNotes(runId, notes + (notes.empty() ? "" : "\n\n") + exchange.toStdString());
            }
            return static_cast<int>(exchanges.size());
        },
        [this](StoreOutcome<int> outcome) {
            if (!outcome.value) {
                message_->setText(tr("Could not save to the notes: %1").arg(outcome.error));
                return;
            }
            message_->setText(tr("Saved to the notes of %n run(s).", nullptr, *outcome.value));
            Q_EMIT notesSaved(*outcome.value);
        });
}

void PlaygroundView::updateButtons()
{
    const bool answering = isAnswering();
    send_->setEnabled(!answering);
    cancel_->setEnabled(answering);
    newChat_->setEnabled(!answering);
    saveNotes_->setEnabled(!answering);
    mode_->setEnabled(!answering);
}

} // namespace lwb::ui
