#pragma once

#include <QString>
#include <QStringView>

#include <optional>

namespace flex::dial {

// A call's status as Twilio reports it: the REST enum plus `initiated`,
// which only status callbacks carry.
enum class CallStatus {
    Queued,
    Initiated,
    Ringing,
    InProgress,
    Completed,
    Busy,
    Failed,
    NoAnswer,
    Canceled,
};

std::optional<CallStatus> parseCallStatus(QStringView text);
// The wire spelling ("in-progress", "no-answer", ...).
QString statusText(CallStatus status);
// A call at a terminal status is over and leaves memory.
bool isTerminal(CallStatus status);
// How far a call has progressed; every terminal status ranks highest. Only
// used when a callback carries no SequenceNumber.
int progressRank(CallStatus status);
// A hang-up before the answer must cancel; after it, complete (Twilio ignores
// Status=canceled on a call in progress).
bool canBeCanceled(CallStatus status);

} // namespace flex::dial
