// See sampling_panel.h.
#include "ui/sampling_panel.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

namespace lwb::ui {

QStringList parseStopStrings(const QString &typed)
{
    QStringList stops;
    QString current;
    for (int i = 0; i < typed.size(); ++i) {
        const QChar c = typed.at(i);
        if (c == QLatin1Char('\\') && i + 1 < typed.size()) {
            const QChar next = typed.at(++i);
            current += next == QLatin1Char('n') ? QStringLiteral("\n") : QString(next);
        } else if (c == QLatin1Char(',')) {
            if (!current.isEmpty())
                stops << current;
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.isEmpty())
        stops << current;
    return stops;
}

QString formatStopStrings(const QStringList &stops)
{
    QStringList typed;
    for (QString stop : stops) {
        stop.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
        stop.replace(QLatin1Char(','), QStringLiteral("\\,"));
        stop.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
        typed << stop;
    }
    return typed.join(QLatin1Char(','));
}

SamplingPanel::SamplingPanel(QWidget *parent)
    : QWidget(parent)
    , temperature_(new QDoubleSpinBox)
    , topP_(new QDoubleSpinBox)
    , topK_(new QSpinBox)
    , repetitionPenalty_(new QDoubleSpinBox)
    , maxNewTokens_(new QSpinBox)
    , stops_(new QLineEdit)
    , seed_(new QSpinBox)
{
    temperature_->setObjectName(QStringLiteral("temperature"));
    temperature_->setRange(0.0, 5.0);
    temperature_->setSingleStep(0.1);
    temperature_->setSpecialValueText(tr("0 (greedy)"));
    topP_->setObjectName(QStringLiteral("topP"));
    topP_->setRange(0.01, 1.0);
    topP_->setSingleStep(0.05);
    topK_->setObjectName(QStringLiteral("topK"));
    topK_->setRange(0, 100000);
    topK_->setSpecialValueText(tr("off"));
    repetitionPenalty_->setObjectName(QStringLiteral("repetitionPenalty"));
    repetitionPenalty_->setRange(0.1, 10.0);
    repetitionPenalty_->setSingleStep(0.05);
    maxNewTokens_->setObjectName(QStringLiteral("maxNewTokens"));
    maxNewTokens_->setRange(1, 4096);
    stops_->setObjectName(QStringLiteral("stopStrings"));
    stops_->setPlaceholderText(tr("comma-separated; \\n is a newline"));
    seed_->setObjectName(QStringLiteral("seed"));
    seed_->setRange(0, 2147483647);
    auto *form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Temperature"), temperature_);
    form->addRow(tr("Top-p"), topP_);
    form->addRow(tr("Top-k"), topK_);
    form->addRow(tr("Repetition penalty"), repetitionPenalty_);
    form->addRow(tr("Max new tokens"), maxNewTokens_);
    form->addRow(tr("Stop strings"), stops_);
    form->addRow(tr("Seed"), seed_);
    setSampling(PlaygroundSampling{});
}

PlaygroundSampling SamplingPanel::sampling() const
{
    PlaygroundSampling sampling;
    sampling.temperature = temperature_->value();
    sampling.topP = topP_->value();
    sampling.topK = topK_->value();
    sampling.repetitionPenalty = repetitionPenalty_->value();
    sampling.maxNewTokens = maxNewTokens_->value();
    sampling.stopStrings = parseStopStrings(stops_->text());
    sampling.seed = static_cast<quint64>(seed_->value());
    return sampling;
}

void SamplingPanel::setSampling(const PlaygroundSampling &sampling)
{
    temperature_->setValue(sampling.temperature);
    topP_->setValue(sampling.topP);
    topK_->setValue(sampling.topK);
    repetitionPenalty_->setValue(sampling.repetitionPenalty);
    maxNewTokens_->setValue(sampling.maxNewTokens);
    stops_->setText(formatStopStrings(sampling.stopStrings));
    seed_->setValue(static_cast<int>(sampling.seed));
}

QString SamplingPanel::describe(const PlaygroundSampling &sampling)
{
    QStringList stops;
    for (QString stop : sampling.stopStrings)
        stops << QLatin1Char('"') + stop.replace(QLatin1Char('\n'), QStringLiteral("\\n")) + QLatin1Char('"');
    return QStringLiteral("temperature %1, top-p %2, top-k %3, repetition penalty %4, max new tokens %5, seed %6%7")
        .arg(sampling.temperature)
        .arg(sampling.topP)
        .arg(sampling.topK)
        .arg(sampling.repetitionPenalty)
        .arg(sampling.maxNewTokens)
        .arg(sampling.seed)
        .arg(stops.isEmpty() ? QString() : QStringLiteral(", stop strings ") + stops.join(QLatin1Char(' ')));
}

} // namespace lwb::ui
