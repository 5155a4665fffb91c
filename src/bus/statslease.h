#pragma once

#include "bus/redisreply.h"

#include <QObject>
#include <QString>
#include <QTimer>

#include <chrono>

namespace flex::bus {

class RedisConnection;

// Who polls TaskRouter among several instances: the holder of a lease in
// Redis (SET with an expiry, value "<instance>:<fence>", the fence a number
// that grows with every new holder and survives a Redis restart since it
// never falls below the acquiring instance's clock in ms). The holder renews
// it every third of the lease time with a compare-and-renew script and
// releases it on shutdown (compare-and-delete). While Redis cannot be
// reached the instance polls on its own (Alone), and it competes for the
// lease again once Redis is back, so the cluster converges to one poller.
class StatsLease : public QObject
{
    Q_OBJECT
public:
    enum class Role { Undecided, Holder, Follower, Alone };
    struct Settings
    {
        QByteArray leaseKey;
        QByteArray fenceKey;
        QString instanceId;
        std::chrono::milliseconds leaseTime{15000};
    };

    StatsLease(RedisConnection &redis, Settings settings, QObject *parent = nullptr);

    // The keys of a deployment's lease and fence (`flex-backend check` reads
    // the lease too).
    static QByteArray leaseKey(const QByteArray &keyPrefix) { return keyPrefix + "stats:lease"; }
    static QByteArray fenceKey(const QByteArray &keyPrefix) { return keyPrefix + "stats:fence"; }

    void start();
    // Gives the lease up (shutdown); stays a follower afterwards.
    void release();
    // This instance found its lease gone (fenced out when publishing).
    void lost();

    Role role() const { return m_role; }
    bool polls() const { return m_role == Role::Holder || m_role == Role::Alone; }
    qint64 fence() const { return m_fence; }
    QString leaseValue() const { return m_value; } // "<instance>:<fence>" while held
    QString holder() const { return m_holder; }    // the lease's value when another holds it
    QString describe() const;                      // for STATUS= and logs

Q_SIGNALS:
    void roleChanged(flex::bus::StatsLease::Role role);

private:
    void tick();
    void acquire();
    void renew();
    void setRole(Role role);

    RedisConnection &m_redis;
    Settings m_settings;
    Role m_role = Role::Undecided;
    QString m_value;
    QString m_holder;
    qint64 m_fence = 0;
    bool m_inFlight = false;
    bool m_released = false;
    QTimer m_timer;
};

} // namespace flex::bus
