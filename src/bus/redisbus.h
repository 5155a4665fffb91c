#pragma once

#include "bus/messagebus.h"
#include "bus/statslease.h"
#include "config/config.h"

#include <QByteArray>
#include <QString>

#include <chrono>

namespace flex::bus {

class RedisConnection;

// MessageBus across instances through Redis (cluster mode, REDIS_URL). Two
// connections: one for commands and scripts, one subscribed to the
// channels `<prefix>calls` and `<prefix>stats`.
//
// Call updates: a message {"d": instance that already delivered it or "",
// "o": owner, "f": frame} on `<prefix>calls`; every instance hands it to
// its own dial sockets of that owner (skipping what it delivered itself).
// The dial feature's Redis call book publishes from its scripts, so the
// order on the channel is the order the updates were applied.
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
    // Both connections up: what is published reaches every instance.
    bool isOnline() const;
    QByteArray key(const QByteArray &suffix) const { return m_settings.keyPrefix + suffix; }
    QByteArray callsChannel() const { return key("calls"); }
    const QString &instanceId() const { return m_settings.instanceId; }
    // Straight to this instance's sockets (Redis away, or already applied).
    void deliverLocally(const QString &identity, const QByteArray &message);
    // The payload for callsChannel().
    static QByteArray callMessage(const QString &deliveredBy, const QString &owner,
                                  const QByteArray &frame);

    // Empty while fine, else what is wrong (readiness).
    QString fault() const;
    const StatsLease &lease() const { return *m_lease; }
    int pendingCommands() const;

Q_SIGNALS:
    void onlineChanged(bool online);

private:
    void onMessage(const QByteArray &channel, const QByteArray &payload);
    void onCallMessage(const QByteArray &payload);
    void onStatsMessage(const QByteArray &payload, bool fromStore);
    void loadStoredSnapshot();
    void updateOnline();

    Settings m_settings;
    RedisConnection *m_commands;
    RedisConnection *m_subscriber;
    StatsLease *m_lease;
    bool m_online = false;
    bool m_lastLeader = false;
    qint64 m_lastFence = 0; // highest snapshot fence served here
};

} // namespace flex::bus
