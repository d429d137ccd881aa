// Ctrl-C and SIGTERM in lorawb, received by one thread of its own.
//
// A data-parallel rank runs threads of LibTorch, Gloo and the TCPStore; a
// signal delivered to one of them interrupts its system call (poll and
// epoll return EINTR whatever SA_RESTART says), which c10d may report as a
// failed collective: a Ctrl-C meant as "stop after this step" then failed the
// run. So main() blocks both signals before any thread exists (every thread
// inherits the mask) and one watch thread takes them with sigwait and calls
// the handler in force. Without a handler a signal ends the process with
// status 130 / 143, as the default action would.
#pragma once

#include <functional>

namespace lwb::cli {

// First thing in main(): blocks SIGINT and SIGTERM in every thread started
// later and starts the watch thread.
void watchInterrupts();

// The handler in force while it lives (one at a time); it runs on the watch
// thread with the signal's number.
class InterruptHandler
{
public:
    explicit InterruptHandler(std::function<void(int signal)> handler);
    ~InterruptHandler();

    InterruptHandler(const InterruptHandler &) = delete;
    InterruptHandler &operator=(const InterruptHandler &) = delete;
};

// In a child after fork(), before exec(): the signals unblocked again.
void unblockInterruptsInChild();

} // namespace lwb::cli
