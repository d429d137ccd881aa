// See playground_side.h.
#include "ui/playground_side.h"

#include "ui/sampling_panel.h"
#include "ui/token_stream_view.h"

#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

namespace lwb::ui {

namespace {

QTableWidget *detailsTable(const QString &name, const QStringList &headers)
{
    auto *table = new QTableWidget(0, static_cast<int>(headers.size()));
    table->setObjectName(name);
    table->setHorizontalHeaderLabels(headers);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->horizontalHeader()->setSectionResizeMode(headers.size() > 2 ? 1 : 0, QHeaderView::Stretch);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->verticalHeader()->setVisible(false);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setVisible(false);
    return table;
}

// "first 0.712, length 0.288".
QString fusionText(const QVector<PlaygroundFusedLora> &loras)
{
    QStringList parts;
    for (const auto &lora : loras)
        parts << QStringLiteral("%1 %2").arg(lora.task, QString::number(lora.weight, 'f', 3));
    return parts.join(QStringLiteral(", "));
}

} // namespace

PlaygroundSide::PlaygroundSide(const QString &title, QWidget *parent)
    : QWidget(parent)
    , runChoice_(new QComboBox)
    , status_(new QLabel)
    , openStudy_(new QPushButton(tr("Study results in the DLP-LoRA tab")))
    , stream_(new TokenStreamView)
    , tokenLabel_(new QLabel)
    , experts_(detailsTable(QStringLiteral("tokenExperts"), {tr("Layer"), tr("Experts"), tr("Gates")}))
    , routingBox_(buildRoutingBox())
    , fusion_(detailsTable(QStringLiteral("fusionWeights"), {tr("From position"), tr("Task LoRA"), tr("Weight")}))
    , worker_(new PlaygroundWorker(this))
{
    runChoice_->setObjectName(QStringLiteral("playgroundRun"));
    runChoice_->setToolTip(title);
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    tokenLabel_->setObjectName(QStringLiteral("tokenDetails"));
    tokenLabel_->setWordWrap(true);
    // Its lines stay whole; the answer and the tables give up room instead.
    tokenLabel_->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum);
    tokenLabel_->setText(tr("Click a token for its probability."));
    experts_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    experts_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    fusion_->setToolTip(tr("The task LoRAs the plugin fused for this prompt and their weights; per-sentence routing "
                           "adds a decision at every sentence end, applied from that position on (0 = BOS)."));
    // A decision fuses a few LoRAs; a handful of rows shows it, the rest scrolls.
    fusion_->setMaximumHeight(fusion_->horizontalHeader()->sizeHint().height()
                              + 4 * fusion_->verticalHeader()->defaultSectionSize() + 4);
    openStudy_->setObjectName(QStringLiteral("playgroundStudyResults"));
    openStudy_->setVisible(false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *titleLabel = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()));
    layout->addWidget(titleLabel);
    layout->addWidget(runChoice_);
    layout->addWidget(status_);
    layout->addWidget(openStudy_);
    layout->addWidget(routingBox_);
    // The selected token's details scroll rather than being squeezed when the tab is short.
    auto *details = new QWidget;
    auto *detailsLayout = new QVBoxLayout(details);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    detailsLayout->addWidget(tokenLabel_);
    detailsLayout->addWidget(experts_, 2);
    detailsLayout->addWidget(fusion_, 1);
    auto *detailsScroll = new QScrollArea;
    detailsScroll->setWidget(details);
    detailsScroll->setWidgetResizable(true);
    detailsScroll->setFrameShape(QFrame::NoFrame);
    // Answers are a line or two; the per-token experts table is what is read, so
    // it gets the larger share, and the person can drag the divide.
    auto *answerAndDetails = new QSplitter(Qt::Vertical);
    answerAndDetails->addWidget(stream_);
    answerAndDetails->addWidget(detailsScroll);
    answerAndDetails->setStretchFactor(0, 2);
    answerAndDetails->setStretchFactor(1, 3);
    answerAndDetails->setSizes({2000, 3000}); // a ratio: QSplitter scales it to its height
    answerAndDetails->setChildrenCollapsible(false);
    layout->addWidget(answerAndDetails, 1);

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
    connect(worker_, &PlaygroundWorker::routed, this, &PlaygroundSide::showRouted);
    connect(worker_, &PlaygroundWorker::answered, this, &PlaygroundSide::onAnswered);
    connect(worker_, &PlaygroundWorker::failed, this, [this](const QString &message) {
        status_->setText(tr("Failed: %1").arg(message));
        Q_EMIT answerFailed(message);
    });
    showRunState();
}

QWidget *PlaygroundSide::buildRoutingBox()
{
    rule_ = new QComboBox;
    rule_->setObjectName(QStringLiteral("playgroundDlpRule"));
    rule_->addItems({QStringLiteral("top_p"), QStringLiteral("top_k")});
    rule_->setToolTip(tr("How the plugin's task probabilities pick the LoRAs to fuse (adapter.dlp.selection.rule)"));
    p_ = new QDoubleSpinBox;
    p_->setObjectName(QStringLiteral("playgroundDlpP"));
    p_->setRange(0.001, 1.0);
    p_->setDecimals(3);
    p_->setSingleStep(0.05);
    p_->setToolTip(tr("top_p: the LoRAs kept until their probability reaches P"));
    k_ = new QSpinBox;
    k_->setObjectName(QStringLiteral("playgroundDlpK"));
    k_->setRange(1, 64);
    k_->setToolTip(tr("top_k: the k most probable LoRAs"));
    granularity_ = new QComboBox;
    granularity_->setObjectName(QStringLiteral("playgroundDlpGranularity"));
    granularity_->addItems({QStringLiteral("input"), QStringLiteral("sentence")});
    granularity_->setToolTip(tr("input: routed once per prompt; sentence: routed again at every sentence end"));
    auto *box = new QWidget;
    box->setObjectName(QStringLiteral("playgroundDlpRouting"));
    // Two rows, so that the side stays narrow enough to sit beside another.
    auto *grid = new QGridLayout(box);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->addWidget(new QLabel(tr("Fusion rule")), 0, 0);
    grid->addWidget(rule_, 0, 1);
    grid->addWidget(new QLabel(tr("routed per")), 0, 2);
    grid->addWidget(granularity_, 0, 3);
    grid->addWidget(new QLabel(tr("P")), 1, 0);
    grid->addWidget(p_, 1, 1);
    grid->addWidget(new QLabel(tr("k")), 1, 2);
    grid->addWidget(k_, 1, 3);
    grid->setColumnStretch(4, 1);
    const auto showRule = [this] {
        p_->setEnabled(rule_->currentText() == QStringLiteral("top_p"));
        k_->setEnabled(!p_->isEnabled());
    };
    connect(rule_, &QComboBox::currentTextChanged, this, showRule);
    showRule();
    box->setVisible(false);
    return box;
}

PlaygroundRouting PlaygroundSide::routing() const
{
    PlaygroundRouting routing;
    routing.rule = rule_->currentText();
    routing.p = p_->value();
    routing.k = k_->value();
    routing.granularity = granularity_->currentText();
    return routing;
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
    const bool study = chosen != nullptr && chosen->isStudy;
    openStudy_->setVisible(study);
    routingBox_->setVisible(study && !chosen->checkpoint.isEmpty());
    const qint64 chosenId = chosen != nullptr ? chosen->id : 0;
    if (chosenId != shownRunId_) { // another run: the last one's details go; a refreshed list keeps them
        shownRunId_ = chosenId;
        experts_->setVisible(false);
        fusion_->setVisible(false);
        if (study) { // the study's own settings until the user changes them
            rule_->setCurrentText(chosen->routing.rule);
            p_->setValue(chosen->routing.p);
            k_->setValue(chosen->routing.k);
            granularity_->setCurrentText(chosen->routing.granularity);
        }
    }
    if (chosen == nullptr)
        status_->setText(tr("No run chosen."));
    else if (chosen->checkpoint.isEmpty())
        status_->setText(tr("Cannot load: %1").arg(chosen->problem));
    else if (study)
        status_->setText(tr("DLP-LoRA study over %1: the plugin picks and fuses task LoRAs per prompt (the built-in "
                            "tasks read \"task: input\" and a line break). Loaded from %2 on the first question.")
                             .arg(chosen->studyTasks.join(QStringLiteral(", ")), chosen->checkpoint));
    else
        status_->setText(tr("Checkpoint %1 (loaded on the first question).").arg(chosen->checkpoint));
}

bool PlaygroundSide::ask(const QString &userText, bool chat, const PlaygroundSampling &sampling)
{
    const auto *chosen = run();
    if (chosen == nullptr || chosen->checkpoint.isEmpty() || worker_->isRunning())
        return false;
    PlaygroundQuestion question;
    question.checkpoint = chosen->checkpoint;
    question.sampling = sampling;
    if (chosen->isStudy) {
        question.studyConfig = chosen->studyConfig;
        question.routing = routing();
    }
    chatMode_ = chat;
    pendingUser_ = userText;
    pendingSettings_ = SamplingPanel::describe(sampling);
    if (chosen->isStudy)
        pendingSettings_ += tr("; fusion %1 (P %2, k %3), routed per %4")
                                .arg(question.routing.rule)
                                .arg(question.routing.p)
                                .arg(question.routing.k)
                                .arg(question.routing.granularity);
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
    fusion_->setRowCount(0);
    status_->setText(chosen->isStudy ? tr("Answering… (the first question loads the study's LoRAs and plugin)")
                                     : tr("Answering…"));
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
    QString fused;
    for (const auto &decision : answer.routing)
        fused += tr("Fused from position %1: %2\n").arg(decision.start).arg(fusionText(decision.loras));
    lastExchange_
        = tr("Playground, %1 (%2)\n%3\nPrompt as the model saw it:\n%4\n%5Answer (%6 tokens, ended by %7):\n%8")
              .arg(QDateTime::currentDateTime().toString(Qt::ISODate), answer.model, pendingSettings_,
                   answer.promptText, fused)
              .arg(answer.tokens)
              .arg(answer.ending, answer.text);
    if (stream_->tokenCount() > 0 && stream_->selectedToken() < 0)
        stream_->selectToken(0); // the details panel shows something until a token is clicked
    Q_EMIT answerFinished(answer);
}

void PlaygroundSide::showRouted(const PlaygroundRouted &decision)
{
    fusion_->setVisible(true);
    for (const auto &lora : decision.loras) {
        const int row = fusion_->rowCount();
        fusion_->insertRow(row);
        auto *start = new QTableWidgetItem(QString::number(decision.start));
        start->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        fusion_->setItem(row, 0, start);
        fusion_->setItem(row, 1, new QTableWidgetItem(lora.task));
        auto *weight = new QTableWidgetItem(QString::number(lora.weight, 'f', 3));
        weight->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        fusion_->setItem(row, 2, weight);
    }
    Q_EMIT routingShown(decision);
}

void PlaygroundSide::showToken(int index)
{
    const auto &token = stream_->token(index);
    tokenLabel_->setText(stream_->tokenSummary(index)); // SiRA's layers: the table below lists them all
    experts_->setVisible(!token.experts.isEmpty());
    experts_->setRowCount(static_cast<int>(token.experts.size()));
    for (int row = 0; row < token.experts.size(); ++row) {
        const auto &layer = token.experts[row];
        QStringList experts;
        QStringList gates;
        for (int k = 0; k < layer.experts.size(); ++k) {
            experts << QString::number(layer.experts[k]);
            // A chosen expert over its capacity gets gate 0 and the others keep
            // theirs (GShard's rule, no renormalisation): say so rather than "0.000".
            const double gate = layer.gates.value(k);
            gates << (gate == 0.0 ? tr("dropped (capacity)") : QString::number(gate, 'f', 3));
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
