// See pause_gate.h.
#include "ui/pause_gate.h"

namespace lwb::ui {

void PauseGate::setPaused(bool paused)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        paused_ = paused && !released_;
    }
    changed_.notify_all();
}

bool PauseGate::isPaused() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return paused_;
}

void PauseGate::release()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        released_ = true;
        paused_ = false;
    }
    changed_.notify_all();
}

void PauseGate::onStep(const lwb::StepMetrics &)
{
    std::unique_lock<std::mutex> lock(mutex_);
    if (!paused_)
        return;
    if (onPause_) {
        lock.unlock(); // the callback emits signals; never hold the lock there
        onPause_();
        lock.lock();
    }
    changed_.wait(lock, [this] { return !paused_ || released_; });
}

} // namespace lwb::ui
