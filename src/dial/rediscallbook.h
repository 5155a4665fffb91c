#pragma once

#include "dial/callbook.h"

#include <QObject>
#include <QTimer>

#include <chrono>
#include <deque>

namespace flex::bus {
class RedisBus;
}

namespace flex::dial {

// The calls in flight of every instance, in Redis (cluster mode): one hash
// `<prefix>call:<sid>` {owner,to,status,rank,sequence,created,updated,ended}
// expiring DIAL_CALL_TTL after its last news. A create answer or a status
// callback is applied by one script that keeps the SequenceNumber rule
// across instances (apply only what is newer; a terminal status marks the
// call ended) and, in the same step, publishes the update on the bus's
// calls channel, so every instance delivers in the order applied and the
// `queued` update is in Redis before any agent hears of it.
//
// Open calls are also in the sorted set `<prefix>calls:open` (sid by expiry),
// counted every 5 s into flex_dial_calls_in_flight: the cluster's number, the
// same on every instance.
//
// While Redis is away an update is delivered to this instance's sockets at
// once (newer than what this instance delivered) and kept, bounded, to be
// applied and published for the others when Redis is back.
class RedisCallBook : public QObject, public CallBook
{
    Q_OBJECT
public:
    struct Settings
    {
        std::chrono::milliseconds ttl{std::chrono::hours(4)};
        std::chrono::milliseconds endedKeep{std::chrono::minutes(10)};
        int maxBuffered = 10000;
    };

    explicit RedisCallBook(bus::RedisBus &bus, QObject *parent = nullptr);

    void configure(const Settings &settings) { m_settings = settings; }

    void addCall(const QString &sid, const QString &owner, CallStatus status,
                 const QString &to) override;
    void applyCallback(const CallbackEvent &event,
                       std::function<void(CallbackOutcome)> done) override;
    void findCall(const QString &sid, std::function<void(const CallLookup &)> done) override;

    int buffered() const { return int(m_buffer.size()); }

private:
    struct Update
    {
        CallbackEvent event;
        QString to;
        bool create = false;
        qint64 atMs = 0;
        bool deliveredHere = false;
    };
    using Done = std::function<void(CallbackOutcome)>;

    void apply(Update update, Done done);
    void runScript(Update update, Done done, bool replayed = false);
    void keepForLater(Update update, Done done);
    void replay();
    void countBuffered() const;
    QByteArray openKey() const;
    void countOpen();

    bus::RedisBus &m_bus;
    Settings m_settings;
    std::deque<Update> m_buffer;
    bool m_replaying = false;
    QTimer m_countTimer;
};

} // namespace flex::dial
