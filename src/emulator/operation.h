#pragma once

#include "httpmessage.h"

#include <QString>

#include <functional>

namespace flex::emulator {

using Done = std::function<void(const HttpResponse &)>;

// A request one of the emulator's Twilio APIs recognised: its operationId
// (faults, counters and the request log go by it) and its handler, bound to
// the request, which answers through `done` (now or later).
struct MatchedOperation
{
    QString name;
    std::function<void(const Done &done)> answer;
};

} // namespace flex::emulator
