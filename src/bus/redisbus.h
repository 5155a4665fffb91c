#pragma once

#include "bus/messagebus.h"
#include "bus/statslease.h"
#include "config/config.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QTimer>

#include <chrono>

namespace flex::bus {

class CallStream;
class RedisConnection;

// One call update as it travels between instances.
struct CallNote
{
    QString owner;
    QString sid;
    int sequence = -1; // SequenceNumber applied, -1 without one
    int rank = 0;      // progress of the status (dial::progressRank)
    QByteArray frame;  // the callUpdate text frame
};

// MessageBus across instances through Redis (cluster mode, REDIS_URL).
// Three connections: one for commands and scripts, one reading the stream
// `<prefix>calls` (CallStream: nothing is missed across a reconnect), one
// subscribed to the channel `<prefix>stats`.
//
// Call updates: a message {"d": instance that already delivered it or "",
// "o": owner, "s": call sid, "n": sequence, "r": rank, "f": frame} on
// the `<prefix>calls` stream; every instance hands it to its dial sockets of that
// owner, skipping what it delivered itself and anything not newer than what
// it delivered for that call (after an outage, buffered updates of several
// instances arrive in no particular order).
// The dial feature's Redis call book appends from its scripts, so the
// order in the stream is the order the updates were applied.
//
// Stats: the StatsLease picks the one poller; its snapshots are stored in
// `<prefix>stats:snapshot` and published by a script that refuses a fence
// lower than the stored one (an old poller coming back cannot overwrite a
// newer snapshot); every instance serves what arrives, drops lower fences,
// and reads the stored snapshot on every (re)connect.
class RedisBus final : public MessageBus
{
    Q_OBJECT
public:
    struct Settings
    {
        config::RedisEndpoint endpoint;
        QString instanceId;
        QByteArray keyPrefix;
        std::chrono::milliseconds leaseTime{15000};
        std::chrono::milliseconds commandTimeout{3000};
    };

    explicit RedisBus(Settings settings, QObject *parent = nullptr);
    ~RedisBus() override;

    void start();
    // Shutdown: releases the stats lease.
    void stop();

    void publishCallUpdate(const QString &identity, const QByteArray &message) override;
    void publishStatsSnapshot(const QJsonArray &queues) override;
    bool isStatsLeader() const override;

    RedisConnection &commands() { return *m_commands; }
    // Commands and the call stream up: what is applied reaches every instance.
    bool isOnline() const;
    QByteArray key(const QByteArray &suffix) const { return m_settings.keyPrefix + suffix; }
    QByteArray callsStream() const { return key("calls"); }
    const QString &instanceId() const { return m_settings.instanceId; }
    // Straight to this instance's sockets unless it delivered the call's
    // update or a newer one already; false when dropped as not newer.
    bool deliverLocally(const CallNote &note);

    // Empty while fine, else what is wrong (readiness).
    QString fault() const;
    const StatsLease &lease() const { return *m_lease; }
    int pendingCommands() const;

Q_SIGNALS:
    void onlineChanged(bool online);

private:
    bool admit(const CallNote &note);
    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void onCallMessage(const QByteArray &payload);
    void onStatsMessage(const QByteArray &payload, bool fromStore);
    void loadStoredSnapshot();
    void updateOnline();

    Settings m_settings;
    RedisConnection *m_commands;
    RedisConnection *m_subscriber;
    CallStream *m_calls;
    StatsLease *m_lease;
    QTimer m_keepAlive; // PING on the subscriber: a silent link is noticed
    bool m_online = false;
    bool m_lastLeader = false;
    qint64 m_lastFence = 0; // highest snapshot fence served here
    struct Delivered
    {
        int sequence;
        int rank;
        qint64 atMs;
    };
    QHash<QString, Delivered> m_delivered; // by call sid
    int m_admitted = 0;
};

} // namespace flex::bus
