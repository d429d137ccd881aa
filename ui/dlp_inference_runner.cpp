// See dlp_inference_runner.h.
#include "ui/dlp_inference_runner.h"

#include "engine/dlp/dlp_model.h"

#include <QThread>

#include <exception>

namespace lwb::ui {

DlpInferenceRunner::DlpInferenceRunner(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<lwb::ui::DlpAnswer>();
}

DlpInferenceRunner::~DlpInferenceRunner()
{
    if (thread_)
        thread_->wait();
}

bool DlpInferenceRunner::isRunning() const
{
    return thread_ && thread_->isRunning();
}

bool DlpInferenceRunner::forget()
{
    if (isRunning())
        return false;
    model_.reset();
    modelFolder_.clear();
    return true;
}

bool DlpInferenceRunner::ask(const lwb::RunConfig &study, const DlpQuestion &question)
{
    if (isRunning())
        return false;
    if (thread_)
        thread_->wait();
    // Only the answering thread touches model_ (one question at a time); the
    // answer reaches this object's (GUI) thread through a queued invocation.
    thread_.reset(QThread::create([this, study, question] {
        try {
            if (!model_ || modelFolder_ != study.training.outputDir) {
                model_.reset();
                model_ = lwb::DlpModel::loadStudy(study);
                modelFolder_ = study.training.outputDir;
            }
            const auto generation
                = model_->generate(question.prompt.toStdString(), question.maxNewTokens, question.selection,
                                   lwb::granularityFromString(question.granularity.toStdString()));
            DlpAnswer answer;
            answer.prompt = question.prompt;
            answer.text = QString::fromStdString(generation.text);
            answer.finished = generation.finished;
            const auto tasks = model_->library().tasks();
            for (const auto &segment : generation.segments) {
                DlpAnswer::Segment shown;
                shown.start = segment.start;
                for (const auto index : segment.selected)
                    shown.loras << QString::fromStdString(tasks.at(static_cast<std::size_t>(index)));
                shown.weights = QVector<double>(segment.weights.begin(), segment.weights.end());
                answer.segments << shown;
            }
            QMetaObject::invokeMethod(
                this, [this, answer] { Q_EMIT answered(answer); }, Qt::QueuedConnection);
        } catch (const std::exception &error) {
            const QString message = QString::fromUtf8(error.what());
            QMetaObject::invokeMethod(
                this, [this, message] { Q_EMIT failed(message); }, Qt::QueuedConnection);
        }
    }));
    thread_->setObjectName(QStringLiteral("lwb-dlp-inference"));
    thread_->start();
    return true;
}

} // namespace lwb::ui
