// See playground_side.h.
#include "ui/playground_side.h"

#include "ui/sampling_panel.h"
#include "ui/token_stream_view.h"

#include <QComboBox>
#include <QDateTime>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lwb::ui {

PlaygroundSide::PlaygroundSide(const QString &title, QWidget *parent)
    : QWidget(parent)
    , runChoice_(new QComboBox)
    , status_(new QLabel)
    , openStudy_(new QPushButton(tr("Open in the DLP-LoRA tab")))
    , stream_(new TokenStreamView)
    , tokenLabel_(new QLabel)
    , experts_(new QTableWidget(0, 3))
    , worker_(new PlaygroundWorker(this))
{
    runChoice_->setObjectName(QStringLiteral("playgroundRun"));
    runChoice_->setToolTip(title);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    tokenLabel_->setObjectName(QStringLiteral("tokenDetails"));
    tokenLabel_->setWordWrap(true);
    tokenLabel_->setText(tr("Click a token for its probability."));
    experts_->setObjectName(QStringLiteral("tokenExperts"));
    experts_->setHorizontalHeaderLabels({tr("Layer"), tr("Experts"), tr("Gates")});
    experts_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    experts_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    experts_->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    experts_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    experts_->verticalHeader()->setVisible(false);
    experts_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    experts_->setVisible(false);
    openStudy_->setVisible(false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *titleLabel = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()));
    layout->addWidget(titleLabel);
    layout->addWidget(runChoice_);
    layout->addWidget(status_);
    layout->addWidget(openStudy_);
    layout->addWidget(stream_, 3);
    layout->addWidget(tokenLabel_);
    layout->addWidget(experts_, 2);

    connect(runChoice_, &QComboBox::currentIndexChanged, this, [this] {
        clearChat();
        showRunState();
    });
    connect(openStudy_, &QPushButton::clicked, this, [this] {
        if (const auto *chosen = run())
            Q_EMIT studyRequested(chosen->id);
    });
    connect(stream_, &TokenStreamView::tokenSelected, this, &PlaygroundSide::showToken);
    connect(worker_, &PlaygroundWorker::tokenArrived, this, [this](const PlaygroundToken &token) {
        stream_->appendToken(token);
        Q_EMIT tokenShown(token.index);
    });
    connect(worker_, &PlaygroundWorker::answered, this, &PlaygroundSide::onAnswered);
    connect(worker_, &PlaygroundWorker::failed, this, [this](const QString &message) {
        status_->setText(tr("Failed: %1").arg(message));
        Q_EMIT answerFailed(message);
    });
    showRunState();
}

void PlaygroundSide::setRuns(const QVector<PlaygroundRun> &runs)
{
    const qint64 current = run() != nullptr ? run()->id : 0;
    const QSignalBlocker block(runChoice_);
    runs_ = runs;
    runChoice_->clear();
    runChoice_->addItem(tr("(choose a run)"), qint64(0));
    for (const auto &entry : runs_)
        runChoice_->addItem(QStringLiteral("#%1 %2 (%3)").arg(entry.id).arg(entry.name, entry.variant), entry.id);
    const int index = runChoice_->findData(current);
    runChoice_->setCurrentIndex(std::max(0, index));
    showRunState();
}

bool PlaygroundSide::chooseRun(qint64 runId)
{
    const int index = runChoice_->findData(runId);
    if (index < 0)
        return false;
    runChoice_->setCurrentIndex(index);
    return true;
}

const PlaygroundRun *PlaygroundSide::run() const
{
    const qint64 id = runChoice_->currentData().toLongLong();
    for (const auto &entry : runs_)
        if (entry.id == id)
            return &entry;
    return nullptr;
}

void PlaygroundSide::showRunState()
{
    const auto *chosen = run();
    openStudy_->setVisible(chosen != nullptr && chosen->isStudy);
    experts_->setVisible(false);
    if (chosen == nullptr)
        status_->setText(tr("No run chosen."));
    else if (chosen->isStudy)
        status_->setText(tr("A DLP-LoRA study: its task LoRAs are fused per prompt in the DLP-LoRA tab."));
    else if (chosen->checkpoint.isEmpty())
        status_->setText(tr("Cannot load: %1").arg(chosen->problem));
    else
        status_->setText(tr("Checkpoint %1 (loaded on the first question).").arg(chosen->checkpoint));
}

bool PlaygroundSide::ask(const QString &userText, bool chat, const PlaygroundSampling &sampling)
{
    const auto *chosen = run();
    if (chosen == nullptr || chosen->isStudy || chosen->checkpoint.isEmpty() || worker_->isRunning())
        return false;
    PlaygroundQuestion question;
    question.checkpoint = chosen->checkpoint;
    question.sampling = sampling;
    chatMode_ = chat;
    pendingUser_ = userText;
    pendingSettings_ = SamplingPanel::describe(sampling);
    stream_->clearTokens();
    if (chat) {
        for (const auto &turn : chat_) {
            const auto message = turn.toObject();
            stream_->appendContext(
                QStringLiteral("%1: %2\n")
                    .arg(message[QStringLiteral("role")].toString(), message[QStringLiteral("content")].toString()));
        }
        stream_->appendContext(tr("user: %1\nassistant: ").arg(userText));
        question.messages = chat_;
        question.messages.append(
            QJsonObject{{QStringLiteral("role"), QStringLiteral("user")}, {QStringLiteral("content"), userText}});
    } else {
        stream_->appendContext(userText);
        question.prompt = userText;
    }
    tokenLabel_->setText(tr("Click a token for its probability."));
    experts_->setRowCount(0);
    status_->setText(tr("Answering…"));
    return worker_->ask(question);
}

void PlaygroundSide::cancel()
{
    worker_->cancel();
}

bool PlaygroundSide::isAnswering() const
{
    return worker_->isRunning();
}

void PlaygroundSide::clearChat()
{
    chat_ = QJsonArray();
    stream_->clearTokens();
    lastExchange_.clear();
}

void PlaygroundSide::onAnswered(const PlaygroundAnswer &answer)
{
    status_->setText(tr("%1 — %2 tokens, ended by %3.").arg(answer.model).arg(answer.tokens).arg(answer.ending));
    if (chatMode_) {
        chat_.append(
            QJsonObject{{QStringLiteral("role"), QStringLiteral("user")}, {QStringLiteral("content"), pendingUser_}});
        chat_.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("assistant")},
                                 {QStringLiteral("content"), answer.text}});
    }
    lastExchange_ = tr("Playground, %1 (%2)\n%3\nPrompt as the model saw it:\n%4\nAnswer (%5 tokens, ended by %6):\n%7")
                        .arg(QDateTime::currentDateTime().toString(Qt::ISODate), answer.model, pendingSettings_,
                             answer.promptText)
                        .arg(answer.tokens)
                        .arg(answer.ending, answer.text);
    if (stream_->tokenCount() > 0 && stream_->selectedToken() < 0)
        stream_->selectToken(0); // the details panel shows something until a token is clicked
    Q_EMIT answerFinished(answer);
}

void PlaygroundSide::showToken(int index)
{
    const auto &token = stream_->token(index);
    tokenLabel_->setText(stream_->tokenToolTip(index).section(QLatin1Char('\n'), 0, 1));
    experts_->setVisible(!token.experts.isEmpty());
    experts_->setRowCount(static_cast<int>(token.experts.size()));
    for (int row = 0; row < token.experts.size(); ++row) {
        const auto &layer = token.experts[row];
        QStringList experts;
        QStringList gates;
        for (int k = 0; k < layer.experts.size(); ++k) {
            experts << QString::number(layer.experts[k]);
            gates << QString::number(layer.gates.value(k), 'f', 3);
        }
        // "model.layers.3.self_attn.q_proj" reads as "3.q_proj"; the whole path is the tooltip.
        QString shortName = layer.layer;
        shortName.remove(QStringLiteral("model.layers.")).remove(QStringLiteral("transformer.h."));
        shortName.remove(QStringLiteral("self_attn.")).remove(QStringLiteral("mlp.")).remove(QStringLiteral("attn."));
        auto *name = new QTableWidgetItem(shortName);
        name->setToolTip(layer.layer);
        experts_->setItem(row, 0, name);
        experts_->setItem(row, 1, new QTableWidgetItem(experts.join(QStringLiteral(", "))));
        experts_->setItem(row, 2, new QTableWidgetItem(gates.join(QStringLiteral(", "))));
    }
}

} // namespace lwb::ui
