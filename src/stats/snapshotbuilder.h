#pragma once

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QStringList>

namespace flex::stats {

struct QueueInfo
{
    QString sid;
    QString friendlyName;
};

// Holds the last good statistics of every queue and channel and builds the
// array docs/protocol.md §5 describes. Failed fetches simply do not call the
// setters, so the last good values stay; the messages say what failed.
class SnapshotBuilder
{
public:
    // Channels reported ("all" and unique names); data of others is dropped.
    void setChannels(const QStringList &channels);
    QStringList channels() const { return m_channels; }

    // The workspace's queues in TaskRouter's order; queues not listed vanish
    // with their data, new ones start empty.
    void setQueues(const QList<QueueInfo> &queues);

    // mapped: already in docs/protocol.md field names (StatsMapper).
    void setRealtime(const QString &queueSid, const QString &channel, const QJsonObject &mapped);
    void setCumulative(const QString &queueSid, const QString &channel, const QJsonObject &mapped);

    // Added to every queue object while non-empty.
    void setRealtimeMessage(const QString &message) { m_realtimeMessage = message; }
    void setCumulativeMessage(const QString &message) { m_cumulativeMessage = message; }
    // Appended to one queue's cumulativeStatsMessage (replaces all earlier notes).
    void setCumulativeNotes(const QHash<QString, QString> &bySid) { m_cumulativeNotes = bySid; }

    // One object per queue that holds realtime stats for every enabled
    // channel (the plugin renders them without a null check); the others
    // wait for a later cycle.
    QJsonArray build() const;

    static QString realtimeKey(const QString &channel)
    {
        return QStringLiteral("realTimeStats_") + channel;
    }
    static QString cumulativeKey(const QString &channel)
    {
        return QStringLiteral("cumulativeStats_") + channel;
    }

private:
    struct Entry
    {
        QHash<QString, QJsonObject> realtime;   // by channel
        QHash<QString, QJsonObject> cumulative; // by channel
    };

    QStringList m_channels;
    QList<QueueInfo> m_queues;
    QHash<QString, Entry> m_entries; // by queue sid
    QString m_realtimeMessage;
    QString m_cumulativeMessage;
    QHash<QString, QString> m_cumulativeNotes; // by queue sid
};

} // namespace flex::stats
