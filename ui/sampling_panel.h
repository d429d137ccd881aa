// SamplingPanel: the playground's sampling settings at hand — temperature
// (0: greedy), top-p, top-k, repetition penalty, max new tokens, stop strings
// and the seed — as engine/model/token_sampling.h applies them. Stop strings
// are typed comma-separated; "\n" in one stands for a newline and "\," for
// a comma.
#pragma once

#include "ui/playground_worker.h"

#include <QWidget>

class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace lwb::ui {

class SamplingPanel : public QWidget
{
    Q_OBJECT

public:
    explicit SamplingPanel(QWidget *parent = nullptr);

    PlaygroundSampling sampling() const;
    void setSampling(const PlaygroundSampling &sampling);
    // One line for notes: "temperature 0.7, top-p 0.9, ...".
    static QString describe(const PlaygroundSampling &sampling);

    QDoubleSpinBox *temperatureBox() const { return temperature_; }
    QSpinBox *maxNewTokensBox() const { return maxNewTokens_; }
    QLineEdit *stopStringsEdit() const { return stops_; }

private:
    QDoubleSpinBox *temperature_;
    QDoubleSpinBox *topP_;
    QSpinBox *topK_;
    QDoubleSpinBox *repetitionPenalty_;
    QSpinBox *maxNewTokens_;
    QLineEdit *stops_;
    QSpinBox *seed_;
};

// "a,b\,c,\n" -> {"a", "b,c", "\n"}; and back.
QStringList parseStopStrings(const QString &typed);
QString formatStopStrings(const QStringList &stops);

} // namespace lwb::ui
