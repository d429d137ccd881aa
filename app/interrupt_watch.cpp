// See interrupt_watch.h. POSIX threads and sigwait.
#include "app/interrupt_watch.h"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <mutex>
#include <thread>

namespace lwb::cli {

namespace {

std::mutex gHandlerMutex;
std::function<void(int)> gHandler;

sigset_t interruptSignals()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

} // namespace

void watchInterrupts()
{
    const auto set = interruptSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
        for (;;) {
            int signal = 0;
            if (sigwait(&set, &signal) != 0)
                continue;
            std::function<void(int)> handler;
            {
                std::lock_guard<std::mutex> lock(gHandlerMutex);
                handler = gHandler;
            }
            if (!handler)
                std::_Exit(128 + signal);
            handler(signal);
        }
    }).detach();
}

InterruptHandler::InterruptHandler(std::function<void(int signal)> handler)
{
    std::lock_guard<std::mutex> lock(gHandlerMutex);
    gHandler = std::move(handler);
}

InterruptHandler::~InterruptHandler()
{
    std::lock_guard<std::mutex> lock(gHandlerMutex);
    gHandler = nullptr;
}

void unblockInterruptsInChild()
{
    const auto set = interruptSignals();
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

} // namespace lwb::cli
