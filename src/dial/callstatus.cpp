#include "dial/callstatus.h"

namespace flex::dial {

namespace {

struct Name
{
    CallStatus status;
    const char16_t *text;
};

constexpr Name names[] = {
    {CallStatus::Queued, u"queued"},       {CallStatus::Initiated, u"initiated"},
    {CallStatus::Ringing, u"ringing"},     {CallStatus::InProgress, u"in-progress"},
    {CallStatus::Completed, u"completed"}, {CallStatus::Busy, u"busy"},
    {CallStatus::Failed, u"failed"},       {CallStatus::NoAnswer, u"no-answer"},
    {CallStatus::Canceled, u"canceled"},
};

} // namespace

std::optional<CallStatus> parseCallStatus(QStringView text)
{
    for (const Name &n : names) {
        if (text == QStringView(n.text))
            return n.status;
    }
    return std::nullopt;
}

QString statusText(CallStatus status)
{
    for (const Name &n : names) {
        if (n.status == status)
            return QString::fromUtf16(n.text);
    }
    return {};
}

bool isTerminal(CallStatus status)
{
    return progressRank(status) == 4;
}

int progressRank(CallStatus status)
{
    switch (status) {
    case CallStatus::Queued:
        return 0;
    case CallStatus::Initiated:
        return 1;
    case CallStatus::Ringing:
        return 2;
    case CallStatus::InProgress:
        return 3;
    case CallStatus::Completed:
    case CallStatus::Busy:
    case CallStatus::Failed:
    case CallStatus::NoAnswer:
    case CallStatus::Canceled:
        break;
    }
    return 4;
}

bool canBeCanceled(CallStatus status)
{
    return progressRank(status) <= 2;
}

} // namespace flex::dial
