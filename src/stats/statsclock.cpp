#include "stats/statsclock.h"

namespace flex::stats {

using namespace Qt::StringLiterals;

StatsClock::StatsClock(NowFunction now)
    : m_now(std::move(now))
{}

QDateTime StatsClock::now() const
{
    return m_now ? m_now().toUTC() : QDateTime::currentDateTimeUtc();
}

QDateTime StatsClock::dayStart(const QDateTime &instant, const QTimeZone &zone)
{
    const QTimeZone tz = zone.isValid() ? zone : QTimeZone::utc();
    const QDate date = instant.toTimeZone(tz).date();
    // Where midnight does not exist (a DST gap starting at 00:00), the day
    // begins at the first local time that does; gaps are at most a few hours.
    for (int minutes = 0; minutes <= 4 * 60; minutes += 15) {
        const QTime local = QTime(0, 0).addSecs(minutes * 60);
        const QDateTime candidate(date, local, tz);
        if (!candidate.isValid())
            continue;
        const QDateTime back = candidate.toTimeZone(tz);
        if (back.date() == date && back.time() == local)
            return candidate.toUTC();
    }
    return QDateTime(date, QTime(0, 0), QTimeZone::utc()); // unreachable with real zones
}

QString StatsClock::isoUtc(const QDateTime &instant)
{
    return instant.toUTC().toString(u"yyyy-MM-ddTHH:mm:ssZ"_s);
}

} // namespace flex::stats
