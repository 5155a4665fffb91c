#pragma once

#include <QDateTime>
#include <QTimeZone>

#include <functional>

namespace flex::stats {

// "Now" and the start of "today" in the configured zone. The source of now
// is injectable so that midnight can be crossed in a unit test.
class StatsClock
{
public:
    using NowFunction = std::function<QDateTime()>;

    // Without a function: the wall clock (UTC).
    explicit StatsClock(NowFunction now = {});

    QDateTime now() const; // UTC
    QDateTime todayStart(const QTimeZone &zone) const { return dayStart(now(), zone); }

    // The first instant (UTC) of the local calendar day containing instant
    // in zone: local midnight, or the first existing local time on days
    // whose midnight falls into a daylight-saving gap.
    static QDateTime dayStart(const QDateTime &instant, const QTimeZone &zone);

    // Twilio's ISO 8601 form, seconds precision, UTC: 2026-11-25T05:00:00Z.
    static QString isoUtc(const QDateTime &instant);

private:
    NowFunction m_now;
};

} // namespace flex::stats
