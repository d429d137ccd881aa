// Job outcomes as text for QCOMPARE. lwb::toString(RunOutcome) returns a
// string literal; QCOMPARE on two RunOutcome values finds it by argument-
// dependent lookup and, on a mismatch, delete[]s that literal, so a failing
// comparison crashed the suite instead of reporting. Compare names instead.
#pragma once

#include "engine/train/train_observer.h"

#include <QSignalSpy>
#include <QString>

namespace lwb::ui::test {

inline QString outcomeName(lwb::RunOutcome outcome)
{
    return QString::fromLatin1(lwb::toString(outcome));
}

// The outcome of the index-th JobController::jobFinished(id, outcome, message).
inline QString outcomeAt(const QSignalSpy &finished, int index)
{
    return outcomeName(finished.at(index).at(1).value<lwb::RunOutcome>());
}

} // namespace lwb::ui::test
