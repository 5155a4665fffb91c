#include "stats/statsnotices.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"

namespace flex::stats {

using namespace Qt::StringLiterals;

void StatsNotices::thinList(const QString &part, const QStringList &fields, int queues)
{
    ops::metrics()
        .counter("flex_stats_fallback_requests_total",
                 "Per-queue statistics requests made because the list answer lacked fields",
                 {{"part", part.toUtf8()}})
        .inc(queues);
    if (m_thinParts.contains(part))
        return;
    m_thinParts.insert(part);
    qCWarning(lcStats).noquote() << "TaskQueues/Statistics answers lack" << part << "fields ("
                                 << fields.join(u", ") << "); fetching them per queue from"
                                 << (part == u"realtime"_s ? "RealTimeStatistics"
                                                           : "CumulativeStatistics")
                                 << "for the queues concerned (said once)";
}

void StatsNotices::splitCapped(const QString &queueSid, const QString &friendlyName,
                               const QDate &day)
{
    if (day != m_cappedDay) {
        m_cappedDay = day;
        m_cappedToday.clear();
    }
    if (m_cappedToday.contains(queueSid))
        return;
    m_cappedToday.insert(queueSid);
    ops::metrics()
        .counter("flex_stats_split_capped_total",
                 "Queues whose SLA split reached TaskRouter's 10,000-task cap (once per day)")
        .inc();
    qCWarning(lcStats).noquote() << "queue" << friendlyName << queueSid
                                 << "entered more than 10,000 tasks today: its SLA split covers "
                                    "the first 10,000 only (TaskRouter's limit)";
}

void StatsNotices::missingChannel(const QString &channel)
{
    if (m_missingChannels.contains(channel))
        return;
    m_missingChannels.insert(channel);
    qCWarning(lcStats).noquote()
        << "the workspace has no TaskChannel" << channel
        << "; its statistics are shown as 0. Remove it from STATS_CHANNELS or set "
           "STATS_CHANNELS=auto to report the channels the workspace has";
}

QString StatsNotices::missingChannelMessage(const QStringList &channels)
{
    return u"This workspace has no TaskChannel %1; shown as 0."_s.arg(channels.join(u", "));
}

QString StatsNotices::splitCappedMessage()
{
    return u"SLA splits cover the first 10,000 tasks of today only (TaskRouter's limit)."_s;
}

} // namespace flex::stats
