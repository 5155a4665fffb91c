#include "stats/snapshotbuilder.h"

#include <QSet>

namespace flex::stats {

using namespace Qt::StringLiterals;

void SnapshotBuilder::setChannels(const QStringList &channels)
{
    m_channels = channels;
    for (Entry &e : m_entries) {
        for (auto *map : {&e.realtime, &e.cumulative}) {
            for (auto it = map->begin(); it != map->end();) {
                if (channels.contains(it.key()))
                    ++it;
                else
                    it = map->erase(it);
            }
        }
    }
}

void SnapshotBuilder::setQueues(const QList<QueueInfo> &queues)
{
    QSet<QString> present;
    for (const QueueInfo &q : queues)
        present.insert(q.sid);
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        if (present.contains(it.key()))
            ++it;
        else
            it = m_entries.erase(it);
    }
    m_queues = queues;
}

void SnapshotBuilder::setRealtime(const QString &queueSid, const QString &channel,
                                  const QJsonObject &mapped)
{
    if (m_channels.contains(channel))
        m_entries[queueSid].realtime.insert(channel, mapped);
}

void SnapshotBuilder::setCumulative(const QString &queueSid, const QString &channel,
                                    const QJsonObject &mapped)
{
    if (m_channels.contains(channel))
        m_entries[queueSid].cumulative.insert(channel, mapped);
}

QJsonArray SnapshotBuilder::build() const
{
    QJsonArray out;
    for (const QueueInfo &q : m_queues) {
        const auto found = m_entries.constFind(q.sid);
        if (found == m_entries.cend() || m_channels.isEmpty())
            continue;
        const Entry &e = *found;
        bool complete = true;
        for (const QString &channel : m_channels)
            complete = complete && e.realtime.contains(channel);
        if (!complete)
            continue;
        QJsonObject o{{u"sid"_s, q.sid}, {u"friendlyName"_s, q.friendlyName}};
        for (const QString &channel : m_channels) {
            o.insert(realtimeKey(channel), e.realtime.value(channel));
            const auto cumulative = e.cumulative.constFind(channel);
            if (cumulative != e.cumulative.cend())
                o.insert(cumulativeKey(channel), *cumulative);
        }
        if (!m_realtimeMessage.isEmpty())
            o.insert(u"realTimeStatsMessage"_s, m_realtimeMessage);
        const QString note = m_cumulativeNotes.value(q.sid);
        QString cumulativeMessage = m_cumulativeMessage;
        if (!note.isEmpty())
            cumulativeMessage += (cumulativeMessage.isEmpty() ? QString() : u" "_s) + note;
        if (!cumulativeMessage.isEmpty())
            o.insert(u"cumulativeStatsMessage"_s, cumulativeMessage);
        out.append(o);
    }
    return out;
}

} // namespace flex::stats
