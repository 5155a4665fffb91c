#pragma once

#include "server/websocketendpoint.h"

#include <QHash>
#include <QJsonArray>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QWebSocketProtocol>

#include <unordered_map>
#include <vector>

class QWebSocket;

namespace flex::stats {

// The /websocket/realtimeStats sockets. Each snapshot is serialised once per
// distinct subscription (the plain plugin: everything) and the same text
// goes to every subscriber of it: the whole array on connect and after every
// change. Delivery walks the subscribers in batches, one batch per event-loop
// turn, so sockets flush while the rest are served and a new snapshot
// replaces an unfinished round. A subscriber still sending an earlier
// snapshot is not given a second one to buffer: it is owed the newest, sent
// as soon as its socket has written everything (a slow reader skips
// intermediate snapshots, never sees a stale one, and costs at most one
// snapshot of memory). One that has not caught up through kMaxMissedSnapshots
// snapshots in a row is closed (1008, "too slow").
//
// Client → server: {"method":"subscribe","channels":["all","voice"]}
// (extension) narrows the channels; any other text is echoed as
// "echo: <text>", like the reference backend.
// A subscriber's text message read (pure): a subscribe with its channels
// (sorted, without duplicates), a subscribe without a valid "channels", or
// anything else, which is echoed.
struct SubscribeMessage
{
    enum class Kind { Echo, Invalid, Subscribe };
    Kind kind = Kind::Echo;
    QStringList channels;
};
SubscribeMessage parseSubscribeMessage(const QString &text);

class StatsFanout : public QObject, public server::WebSocketEndpoint
{
    Q_OBJECT
public:
    explicit StatsFanout(QObject *parent = nullptr);
    ~StatsFanout() override;

    void acceptSocket(QWebSocket *socket, const server::FlexIdentity &who) override;

    // A new snapshot (from the bus). Identical snapshots are not re-sent.
    void publish(const QJsonArray &queues);

    void setBatchSize(int sockets) { m_batchSize = std::max(1, sockets); }
    int subscriberCount() const { return int(m_subscribers.size()); }
    qint64 lastSnapshotBytes() const { return m_fullBytes; }
    bool hasSnapshot() const { return m_hasLatest; }
    void closeAll(QWebSocketProtocol::CloseCode code = QWebSocketProtocol::CloseCodeGoingAway);

    // The array restricted to channels (sid, names, messages and extensions stay).
    static QJsonArray filtered(const QJsonArray &queues, const QStringList &channels);

Q_SIGNALS:
    void subscriberDroppedAsSlow();

private:
    struct Subscriber
    {
        QStringList channels; // empty: everything (the plugin)
        QString key;          // channels joined: one serialisation per distinct key
        bool owed = false;    // the newest snapshot waits for the socket to drain
        int missed = 0;       // snapshots published since it last drained
    };
    struct Serialised
    {
        QByteArray utf8;
        QByteArray frame; // the complete WebSocket text frame, encoded once
        qint64 bytes = 0; // size on the wire
    };

    const Serialised &serialised(const Subscriber &subscriber);
    enum class Occasion { Asked, Published, Drained };
    void deliver(QWebSocket *socket, Subscriber &subscriber, Occasion occasion);
    void onDrained(QWebSocket *socket);
    void closeAsSlow(QWebSocket *socket);
    void onText(QWebSocket *socket, const QString &text);
    void remove(QWebSocket *socket);
    void scheduleRound();
    void runBatch();
    void scheduleTrim();
    void updateGauge();

    std::unordered_map<QWebSocket *, Subscriber> m_subscribers;
    QJsonArray m_latest;
    bool m_hasLatest = false;
    qint64 m_fullBytes = 0;
    QHash<QString, Serialised> m_cache; // for m_latest, by subscription key
    std::vector<QPointer<QWebSocket>> m_round;
    size_t m_roundPos = 0;
    bool m_batchScheduled = false;
    bool m_trimScheduled = false;
    int m_batchSize = 1024;
};

} // namespace flex::stats
