// See base_model_picker.h.
#include "ui/base_model_picker.h"

#include "engine/core/error.h"
#include "ui/engine_catalog.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

namespace lwb::ui {

namespace {

constexpr int kTypingPauseMs = 350; // inspect once typing pauses, not per key

QString html(const std::string &text)
{
    return QString::fromStdString(text).toHtmlEscaped();
}

QString tokenText(const char *role, const std::optional<lwb::ResolvedSpecialToken> &token)
{
    if (!token)
        return QStringLiteral("%1 —").arg(QLatin1String(role));
    const QString id = token->id ? QString::number(*token->id) : BaseModelPicker::tr("not in vocabulary");
    return QStringLiteral("%1 <code>%2</code> (%3)").arg(QLatin1String(role), html(token->content), id);
}

QString originLine(const char *role, const std::optional<lwb::ResolvedSpecialToken> &token)
{
    return token ? QStringLiteral("%1: %2").arg(QLatin1String(role), QString::fromStdString(token->origin))
                 : QStringLiteral("%1: none").arg(QLatin1String(role));
}

} // namespace

struct BaseModelPicker::Outcome
{
    std::optional<lwb::ModelInspection> inspection;
    QString error;
};

BaseModelPicker::BaseModelPicker(QWidget *parent)
    : QWidget(parent)
    , combo_(new QComboBox(this))
    , browse_(new QPushButton(tr("Browse..."), this))
    , panel_(new QLabel(this))
    , error_(new QLabel(this))
    , debounce_(new QTimer(this))
{
    combo_->addItems(EngineCatalog::baseModelChoices());
    combo_->setEditable(true);
    combo_->setInsertPolicy(QComboBox::NoInsert);
    combo_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    // A long folder path must not widen the whole form (and the window past
    // the screen): the combo and the panel take the width the form gives.
    combo_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo_->setMinimumContentsLength(16);
    browse_->setObjectName(QStringLiteral("baseBrowse"));
    browse_->setToolTip(tr("Choose a Hugging Face model folder (config.json + safetensors), or a hub-cache "
                           "folder models--ORG--NAME."));
    panel_->setObjectName(QStringLiteral("basePanel"));
    panel_->setWordWrap(true);
    panel_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    panel_->setTextFormat(Qt::RichText);
    panel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error_->setObjectName(QStringLiteral("baseError"));
    error_->setWordWrap(true);
    error_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    error_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    error_->setStyleSheet(QStringLiteral("color: #b00020;"));
    error_->hide();
    setFocusProxy(combo_);

    auto *chooser = new QHBoxLayout;
    chooser->setContentsMargins(0, 0, 0, 0);
    chooser->addWidget(combo_, 1);
    chooser->addWidget(browse_);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(chooser);
    layout->addWidget(panel_);
    layout->addWidget(error_);

    debounce_->setSingleShot(true);
    debounce_->setInterval(kTypingPauseMs);
    connect(debounce_, &QTimer::timeout, this, &BaseModelPicker::inspectNow);
    connect(combo_, &QComboBox::currentTextChanged, this, &BaseModelPicker::onChoiceEdited);
    connect(browse_, &QPushButton::clicked, this, &BaseModelPicker::browse);
    // The first choice is shown once the event loop runs (the form may set
    // another one right after construction).
    QTimer::singleShot(0, this, &BaseModelPicker::inspectNow);
}

BaseModelPicker::~BaseModelPicker()
{
    if (thread_)
        thread_->wait(); // reading headers: bounded; its queued result is dropped with this object
}

QString BaseModelPicker::choice() const
{
    return combo_->currentText().trimmed();
}

QString BaseModelPicker::errorText() const
{
    return error_->isHidden() ? QString() : error_->text();
}

void BaseModelPicker::onChoiceEdited()
{
    ++serial_; // results of earlier choices are stale from now on
    inspection_.reset();
    if (EngineCatalog::isModelPath(choice())) {
        panel_->setText(tr("<i>Reading %1 ...</i>").arg(choice().toHtmlEscaped()));
        error_->hide();
        debounce_->start();
    } else {
        debounce_->stop();
        showPreset(choice());
    }
}

void BaseModelPicker::inspectNow()
{
    const QString path = choice();
    if (!EngineCatalog::isModelPath(path)) {
        showPreset(path);
        return;
    }
    if (thread_)
        return; // finish() starts the newest choice when the running inspection ends
    startThread(path, serial_);
}

void BaseModelPicker::startThread(const QString &path, std::uint64_t serial)
{
    runningSerial_ = serial;
    runningPath_ = path;
    const std::string modelPath = path.toStdString();
    thread_.reset(QThread::create([this, modelPath, serial] {
        auto outcome = std::make_shared<Outcome>();
        try {
            outcome->inspection = lwb::inspectModel(modelPath);
        } catch (const lwb::Error &error) {
            outcome->error = QString::fromStdString(error.what());
        } catch (const std::exception &error) {
            outcome->error = tr("Could not read %1: %2")
                                 .arg(QString::fromStdString(modelPath), QString::fromStdString(error.what()));
        }
        // Values only cross back; `this` is the context, so a deleted picker drops the call.
        QMetaObject::invokeMethod(
            this, [this, serial, outcome] { finish(serial, outcome); }, Qt::QueuedConnection);
    }));
    thread_->setObjectName(QStringLiteral("model inspection"));
    thread_->start();
}

void BaseModelPicker::finish(std::uint64_t serial, const std::shared_ptr<Outcome> &outcome)
{
    thread_->wait(); // the thread's function has returned: this is immediate
    thread_.reset();
    if (serial != serial_) { // the choice changed meanwhile: inspect the newest one
        if (EngineCatalog::isModelPath(choice()) && !debounce_->isActive())
            startThread(choice(), serial_);
        return;
    }
    if (outcome->inspection)
        showInspection(*outcome->inspection);
    else
        showError(outcome->error);
}

void BaseModelPicker::showPreset(const QString &name)
{
    inspection_.reset();
    error_->hide();
    const auto architecture = EngineCatalog::presetArchitecture(name);
    panel_->setText(tr("Random weights of the <b>%1</b> preset (%2 family), the built-in byte tokenizer.")
                        .arg(name.toHtmlEscaped(), QLatin1String(lwb::toString(architecture))));
    panel_->setToolTip(QString());
    Q_EMIT targetModulesChanged(EngineCatalog::targetLayerNames(architecture));
}

void BaseModelPicker::showInspection(const lwb::ModelInspection &inspection)
{
    inspection_ = inspection;
    error_->hide();
    const auto &tokens = inspection.specialTokens;
    const QLocale locale(QLocale::English);
    QString stops;
    for (const auto id : tokens.stopIds)
        stops += (stops.isEmpty() ? QString() : QStringLiteral(", ")) + QString::number(id);
    QStringList lines;
    lines << tr("<b>%1</b> · %2 parameters · %3")
                 .arg(html(inspection.modelType), locale.toString(static_cast<qlonglong>(inspection.parameters)),
                      html(inspection.dtypeSummary()));
    lines << tr("Tokenizer: %1, %2 tokens%3")
                 .arg(html(inspection.tokenizerKind),
                      locale.toString(static_cast<qlonglong>(inspection.tokenizerVocabSize)),
                      inspection.prependsBos ? tr(", sequences start with BOS") : QString());
    lines << tr("Special: %1 · %2 · %3 · %4 · stop %5")
                 .arg(tokenText("bos", tokens.bos), tokenText("eos", tokens.eos), tokenText("pad", tokens.pad),
                      tokenText("unk", tokens.unk), stops.isEmpty() ? QStringLiteral("—") : stops);
    if (!tokens.endTokenId)
        lines << tr("<span style=\"color:#b00020\">No end token: training needs one (%1)</span>")
                     .arg(html(tokens.missingEndTokenMessage()));
    lines << tr("Chat template: %1").arg(inspection.hasChatTemplate ? tr("yes") : tr("no"));
    panel_->setText(lines.join(QStringLiteral("<br>")));
    QStringList origins{
        tr("Folder: %1").arg(QString::fromStdString(inspection.folder)),
        tr("Tokenizer class: %1 (%2)")
            .arg(QString::fromStdString(tokens.tokenizerClass), QString::fromStdString(tokens.tokenizerClassOrigin)),
        originLine("bos", tokens.bos),
        originLine("eos", tokens.eos),
        originLine("pad", tokens.pad),
        originLine("unk", tokens.unk),
        tr("stop ids: %1").arg(QString::fromStdString(tokens.stopIdsOrigin))};
    if (inspection.hasChatTemplate)
        origins << tr("chat template: %1").arg(QString::fromStdString(inspection.chatTemplateOrigin));
    panel_->setToolTip(origins.join(QLatin1Char('\n')));
    QStringList names;
    for (const auto &name : inspection.targetModules)
        names << QString::fromStdString(name);
    Q_EMIT targetModulesChanged(names);
    Q_EMIT inspectionFinished(true);
}

void BaseModelPicker::showError(const QString &message)
{
    inspection_.reset();
    panel_->clear();
    panel_->setToolTip(QString());
    error_->setText(message);
    error_->show();
    Q_EMIT inspectionFinished(false);
}

void BaseModelPicker::browse()
{
    const QString start = EngineCatalog::isModelPath(choice()) && !choice().startsWith(QLatin1String("builtin:"))
                              ? choice()
                              : QString();
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Choose a model folder"), start);
    if (!folder.isEmpty())
        combo_->setCurrentText(folder);
}

} // namespace lwb::ui
