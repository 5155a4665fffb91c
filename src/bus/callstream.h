#pragma once

#include "bus/redisconnection.h"

#include <QByteArray>
#include <QObject>

namespace flex::bus {

// Reads the cluster's call updates from a Redis stream (XREAD BLOCK on a
// connection of its own) and remembers the last entry read, so after a lost
// connection, or a Redis restart, it goes on where it stopped: unlike
// pub/sub, nothing published meanwhile is missed (within the stream's
// length). Entries carry one field, m, the bus's message.
class CallStream : public QObject
{
    Q_OBJECT
public:
    CallStream(RedisConnection::Settings settings, QByteArray key, QObject *parent = nullptr);

    void start();
    bool isConnected() const { return m_redis->isConnected(); }
    const RedisConnection &connection() const { return *m_redis; }

    // XADD arguments that append message to the stream (bounded length).
    static QByteArrayList appendCommand(const QByteArray &key, const QByteArray &message);
    static constexpr int MaxLength = 10000;

Q_SIGNALS:
    void message(const QByteArray &payload);
    void connected();
    void disconnected();

private:
    void findStart();
    void readNext();

    RedisConnection *m_redis;
    QByteArray m_key;
    QByteArray m_lastId; // empty until the start is known
    bool m_reading = false;
};

} // namespace flex::bus
