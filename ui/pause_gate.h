// PauseGate: pauses a training job between two steps without the engine
// knowing — the last TrainObserver of the job, whose onStep blocks the job's
// thread while the gate is closed.
//
// Pausing between steps keeps the run exact: the step that was running
// finishes, is recorded and shown (onPause flushes the coalesced steps to
// the GUI), and the next step starts from the same state as if there had been
// no pause. The run store keeps the run alive meanwhile (its writer thread
// refreshes the heartbeat), and the run's wall-clock time includes the pause.
// release() (a stop request) opens the gate for good, so a paused job can be
// cancelled and a window closed.
#pragma once

#include "engine/train/train_observer.h"

#include <condition_variable>
#include <functional>
#include <mutex>

namespace lwb::ui {

class PauseGate : public lwb::TrainObserver
{
public:
    // Called on the job's thread when it stops at the gate; set it before the
    // run starts, on that thread.
    void setOnPause(std::function<void()> onPause) { onPause_ = std::move(onPause); }

    void setPaused(bool paused); // any thread
    bool isPaused() const;
    void release(); // any thread; the gate never closes again

    void onStep(const lwb::StepMetrics &metrics) override;

private:
    std::function<void()> onPause_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    bool paused_ = false;
    bool released_ = false;
};

} // namespace lwb::ui
