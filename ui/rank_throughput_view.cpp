// See rank_throughput_view.h.
#include "ui/rank_throughput_view.h"

#include <QLocale>

#include <algorithm>

namespace lwb::ui {

RankThroughputView::RankThroughputView(QWidget *parent)
    : QLabel(parent)
{
    setObjectName(QStringLiteral("rankThroughput"));
    setTextInteractionFlags(Qt::TextSelectableByMouse);
    setWordWrap(true);
    setContentsMargins(6, 2, 6, 2);
    setToolTip(tr("A data-parallel job: each rank's tokens per second at the latest step. Every step waits for "
                  "the slowest rank, so the job's throughput follows it."));
    hide();
}

void RankThroughputView::startJob(int ranks, const QString &device)
{
    ranks_ = ranks;
    device_ = device;
    backend_.clear();
    rates_.clear();
    setVisible(ranks_ > 1);
    refresh();
}

void RankThroughputView::setBackend(const QString &backend)
{
    backend_ = backend;
    refresh();
}

void RankThroughputView::addSteps(const StepBatch &steps)
{
    if (ranks_ <= 1)
        return;
    for (auto step = steps.crbegin(); step != steps.crend(); ++step) {
        if (!step->rankTokensPerSecond.empty()) {
            rates_ = step->rankTokensPerSecond;
            refresh();
            return;
        }
    }
}

void RankThroughputView::refresh()
{
    if (ranks_ <= 1) {
        clear();
        return;
    }
    QString head = backend_.isEmpty() ? tr("%1 ranks on %2 (meeting…)").arg(ranks_).arg(device_)
                                      : tr("%1 ranks (%2) on %3").arg(ranks_).arg(backend_, device_);
    QStringList parts{head};
    const QLocale locale;
    const double fastest = rates_.empty() ? 0.0 : *std::max_element(rates_.begin(), rates_.end());
    for (std::size_t rank = 0; rank < rates_.size(); ++rank) {
        QString part = tr("rank %1: %2 tok/s").arg(rank).arg(locale.toString(rates_[rank], 'f', 0));
        if (rates_.size() > 1 && rates_[rank] < kSlowShare * fastest
            && rates_[rank] == *std::min_element(rates_.begin(), rates_.end()))
            part += tr(" (slowest)");
        parts << part;
    }
    setText(parts.join(QStringLiteral("  ·  ")));
}

} // namespace lwb::ui
