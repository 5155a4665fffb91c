#include "stats/statsfanout.h"

#include "server/websocketframes.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>
#include <QWebSocket>

#include <chrono>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace flex::stats {

using namespace Qt::StringLiterals;

namespace {

const QString kRealtimePrefix = u"realTimeStats_"_s;
const QString kCumulativePrefix = u"cumulativeStats_"_s;
constexpr int kMaxSubscribedChannels = 64;
constexpr std::chrono::seconds kSlowCloseGrace{2};
// Snapshots in a row a subscriber may miss while its socket is still sending
// an earlier one (at the 5 s default: 20 s without catching up).
constexpr int kMaxMissedSnapshots = 4;
constexpr std::chrono::milliseconds kTrimDelay{500};

QString compact(const QJsonArray &array)
{
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

ops::Counter &slowClosed()
{
    return ops::metrics().counter("flex_stats_subscribers_closed_slow_total",
                                  "Stats subscribers closed because they did not keep up");
}

} // namespace

StatsFanout::StatsFanout(QObject *parent)
    : QObject(parent)
{}

StatsFanout::~StatsFanout() = default;

QJsonArray StatsFanout::filtered(const QJsonArray &queues, const QStringList &channels)
{
    QJsonArray out;
    for (const QJsonValue &v : queues) {
        QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end();) {
            const QString &key = it.key();
            QString channel;
            if (key.startsWith(kRealtimePrefix))
                channel = key.mid(kRealtimePrefix.size());
            else if (key.startsWith(kCumulativePrefix))
                channel = key.mid(kCumulativePrefix.size());
            if (!channel.isEmpty() && !channels.contains(channel))
                it = o.erase(it);
            else
                ++it;
        }
        out.append(o);
    }
    return out;
}

void StatsFanout::acceptSocket(QWebSocket *socket, const server::FlexIdentity &who)
{
    socket->setParent(this);
    m_subscribers.emplace(socket, Subscriber{});
    updateGauge();
    qCDebug(lcStats).noquote() << "stats subscriber" << who.identity << "connected;"
                               << m_subscribers.size() << "now";
    connect(socket, &QWebSocket::textMessageReceived, this,
            [this, socket](const QString &text) { onText(socket, text); });
    connect(socket, &QWebSocket::disconnected, this, [this, socket] {
        remove(socket);
        socket->deleteLater();
    });
    connect(socket, &QWebSocket::bytesWritten, this, [this, socket] { onDrained(socket); });
    if (m_hasLatest)
        deliver(socket, m_subscribers.at(socket), Occasion::Asked);
}

void StatsFanout::remove(QWebSocket *socket)
{
    if (m_subscribers.erase(socket) > 0)
        updateGauge();
}

void StatsFanout::updateGauge()
{
    ops::metrics()
        .gauge("flex_stats_subscribers", "Open /websocket/realtimeStats sockets")
        .set(double(m_subscribers.size()));
}

void StatsFanout::publish(const QJsonArray &queues)
{
    const QByteArray full = compact(queues).toUtf8();
    if (m_hasLatest && m_cache.value(QString()).utf8 == full)
        return;
    m_latest = queues;
    m_hasLatest = true;
    m_cache.clear();
    QByteArray frame = server::encodeTextFrame(full);
    const qint64 bytes = frame.size();
    m_cache.insert(QString(), {full, std::move(frame), bytes});
    m_fullBytes = full.size();
    ops::metrics()
        .gauge("flex_stats_snapshot_bytes", "Size of the last stats snapshot (all channels)")
        .set(double(m_fullBytes));
    ops::metrics().counter("flex_stats_snapshots_total", "Stats snapshots fanned out").inc();
    qCDebug(lcStatsTraffic).noquote() << "snapshot" << full;

    // A new round replaces an unfinished one: everybody gets the newest array.
    m_round.clear();
    m_round.reserve(m_subscribers.size());
    for (const auto &entry : m_subscribers)
        m_round.emplace_back(entry.first);
    m_roundPos = 0;
    runBatch();
}

void StatsFanout::scheduleRound()
{
    if (m_batchScheduled)
        return;
    m_batchScheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_batchScheduled = false;
        runBatch();
    });
}

void StatsFanout::runBatch()
{
    const size_t end = std::min(m_round.size(), m_roundPos + size_t(m_batchSize));
    for (; m_roundPos < end; ++m_roundPos) {
        QWebSocket *socket = m_round[m_roundPos];
        if (!socket)
            continue;
        const auto found = m_subscribers.find(socket);
        if (found != m_subscribers.end())
            deliver(socket, found->second, Occasion::Published);
    }
    if (m_roundPos < m_round.size()) {
        scheduleRound();
        return;
    }
    m_round.clear();
    scheduleTrim();
}

// Every subscriber's socket buffered a copy of the snapshot; once they are
// flushed, glibc keeps the freed pages unless asked. Without this the RSS
// grows by about one snapshot per subscriber and stays there.
void StatsFanout::scheduleTrim()
{
#ifdef __GLIBC__
    if (m_trimScheduled)
        return;
    m_trimScheduled = true;
    QTimer::singleShot(kTrimDelay, this, [this] {
        m_trimScheduled = false;
        malloc_trim(0);
    });
#endif
}

const StatsFanout::Serialised &StatsFanout::serialised(const Subscriber &subscriber)
{
    auto it = m_cache.find(subscriber.key);
    if (it == m_cache.end()) {
        const QByteArray utf8 = compact(filtered(m_latest, subscriber.channels)).toUtf8();
        QByteArray frame = server::encodeTextFrame(utf8);
        const qint64 bytes = frame.size();
        it = m_cache.insert(subscriber.key, {utf8, std::move(frame), bytes});
    }
    return *it;
}

void StatsFanout::deliver(QWebSocket *socket, Subscriber &subscriber, Occasion occasion)
{
    if (socket->bytesToWrite() > 0) {
        // Still sending something earlier: the newest goes out once it is drained.
        subscriber.owed = true;
        if (occasion == Occasion::Published && ++subscriber.missed > kMaxMissedSnapshots)
            closeAsSlow(socket);
        return;
    }
    subscriber.owed = false;
    const Serialised &s = serialised(subscriber);
    server::sendEncodedText(socket, s.frame, s.utf8);
}

void StatsFanout::onDrained(QWebSocket *socket)
{
    if (socket->bytesToWrite() > 0)
        return;
    const auto found = m_subscribers.find(socket);
    if (found == m_subscribers.end())
        return;
    Subscriber &subscriber = found->second;
    subscriber.missed = 0;
    if (subscriber.owed && m_hasLatest)
        deliver(socket, subscriber, Occasion::Drained);
}

void StatsFanout::closeAsSlow(QWebSocket *socket)
{
    qCInfo(lcStats).noquote() << "closing a stats subscriber that does not keep up:"
                              << socket->bytesToWrite() << "bytes unsent after"
                              << kMaxMissedSnapshots << "snapshots";
    remove(socket);
    slowClosed().inc();
    socket->close(QWebSocketProtocol::CloseCodePolicyViolated, u"too slow"_s);
    // The close frame waits behind the unsent data; do not wait for ever.
    QTimer::singleShot(kSlowCloseGrace, socket, [socket] { socket->abort(); });
    Q_EMIT subscriberDroppedAsSlow();
}

SubscribeMessage parseSubscribeMessage(const QString &text)
{
    SubscribeMessage message;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    const QJsonObject o = doc.object();
    if (error.error != QJsonParseError::NoError || !doc.isObject() ||
        o.value(u"method"_s).toString() != u"subscribe"_s)
        return message;
    const QJsonArray requested = o.value(u"channels"_s).toArray();
    bool valid = o.value(u"channels"_s).isArray() && !requested.isEmpty() &&
                 requested.size() <= kMaxSubscribedChannels;
    for (const QJsonValue &v : requested) {
        valid = valid && v.isString() && !v.toString().isEmpty();
        if (valid && !message.channels.contains(v.toString()))
            message.channels << v.toString();
    }
    message.kind = valid ? SubscribeMessage::Kind::Subscribe : SubscribeMessage::Kind::Invalid;
    if (!valid)
        message.channels.clear();
    message.channels.sort();
    return message;
}

void StatsFanout::onText(QWebSocket *socket, const QString &text)
{
    const auto found = m_subscribers.find(socket);
    if (found == m_subscribers.end())
        return;
    const SubscribeMessage message = parseSubscribeMessage(text);
    if (message.kind == SubscribeMessage::Kind::Echo) {
        socket->sendTextMessage(u"echo: "_s + text);
        return;
    }
    if (message.kind == SubscribeMessage::Kind::Invalid) {
        const QJsonObject reply{{u"messageType"_s, u"error"_s},
                                {u"message"_s, u"subscribe needs \"channels\": a non-empty array "
                                               u"of channel names"_s}};
        socket->sendTextMessage(
            QString::fromUtf8(QJsonDocument(reply).toJson(QJsonDocument::Compact)));
        return;
    }
    found->second.channels = message.channels;
    found->second.key = message.channels.join(u',');
    if (m_hasLatest)
        deliver(socket, found->second, Occasion::Asked);
}

void StatsFanout::closeAll(QWebSocketProtocol::CloseCode code)
{
    m_round.clear();
    std::vector<QWebSocket *> sockets;
    for (const auto &entry : m_subscribers)
        sockets.push_back(entry.first);
    m_subscribers.clear();
    updateGauge();
    for (QWebSocket *socket : sockets)
        socket->close(code);
}

} // namespace flex::stats
