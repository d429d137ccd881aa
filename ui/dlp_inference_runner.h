// DlpInferenceRunner: the DLP-LoRA inference panel's engine side — a prompt
// answered by a finished study (engine/dlp/DlpModel: the fused library and
// the trained plugin loaded from the study's folder) on a thread of its own,
// the answer back as a queued signal on the GUI thread.
//
// The loaded study is kept for the next prompt (loading reads every task
// LoRA and the plugin); asking with another study's config loads that one.
// One question at a time. This header is torch-free; dlp_inference_runner.cpp
// includes LibTorch.
#pragma once

#include "engine/config/run_config.h"

#include <QMetaType>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>

class QThread;

namespace lwb {
class DlpModel;
}

namespace lwb::ui {

struct DlpAnswer
{
    struct Segment
    {
        qint64 start = 0;  // first position (0 = BOS) the set applies to
        QStringList loras; // selected task LoRAs, most probable first
        QVector<double> weights;
    };
    QString prompt;
    QString text;              // the generated answer
    bool finished = false;     // ended with EOS
    QVector<Segment> segments; // one per routing decision
};

struct DlpQuestion
{
    QString prompt;
    int maxNewTokens = 32;
    lwb::DlpSelectionConfig selection; // the study's, or the panel's P / rule
    QString granularity = QStringLiteral("input");
};

class DlpInferenceRunner : public QObject
{
    Q_OBJECT

public:
    explicit DlpInferenceRunner(QObject *parent = nullptr);
    ~DlpInferenceRunner() override; // waits for a running answer

    // study: the study's config as it ran (its training.output_dir holds the
    // LoRAs and plugin.pt). False when a question is still being answered.
    bool ask(const lwb::RunConfig &study, const DlpQuestion &question);
    bool isRunning() const;
    // Drops the loaded study (its folder was trained again); false while answering.
    bool forget();

Q_SIGNALS:
    void answered(const lwb::ui::DlpAnswer &answer);
    void failed(const QString &message);

private:
    std::unique_ptr<QThread> thread_;
    std::shared_ptr<lwb::DlpModel> model_; // used only by the answering thread
    std::string modelFolder_;              // the study model_ was loaded from
};

} // namespace lwb::ui

Q_DECLARE_METATYPE(lwb::ui::DlpAnswer)
