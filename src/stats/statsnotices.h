#pragma once

#include <QDate>
#include <QSet>
#include <QString>
#include <QStringList>

namespace flex::stats {

// What the stats poller tells operators once, not every cycle: a statistics
// list thinner than the per-queue endpoints, a queue past TaskRouter's
// 10,000-task split cap (once per queue and day), a configured channel the
// workspace does not have. Logs and metrics; no state the snapshot needs.
class StatsNotices
{
public:
    // part: "realtime" or "cumulative"; fields: what the list items lacked.
    void thinList(const QString &part, const QStringList &fields, int queues);
    void splitCapped(const QString &queueSid, const QString &friendlyName, const QDate &day);
    void missingChannel(const QString &channel);
    void channelPresent(const QString &channel) { m_missingChannels.remove(channel); }

    static QString missingChannelMessage(const QStringList &channels);
    static QString splitCappedMessage();

private:
    QSet<QString> m_thinParts;
    QSet<QString> m_cappedToday; // queue sids logged for m_cappedDay
    QDate m_cappedDay;
    QSet<QString> m_missingChannels;
};

} // namespace flex::stats
