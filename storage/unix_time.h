// unixNow(): the store's clock. Every *_at column holds Unix seconds as REAL
// (sub-second precision, readable with SQLite's datetime(x, 'unixepoch')).
#pragma once

#include <chrono>

namespace lwb::storage {

inline double unixNow()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

} // namespace lwb::storage
