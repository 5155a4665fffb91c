#include "bus/redisbus.h"

#include "bus/callstream.h"
#include "bus/redisconnection.h"
#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

namespace flex::bus {

using namespace Qt::StringLiterals;

namespace {

// KEYS: snapshot hash, lease. ARGV: fence, payload, channel, lease value.
const RedisScript &publishSnapshotScript()
{
    static const RedisScript script(R"lua(
if redis.call('GET', KEYS[2]) ~= ARGV[4] then return 0 end
local stored = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0')
if tonumber(ARGV[1]) < stored then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'data', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1
)lua");
    return script;
}

RedisConnection::Settings connectionSettings(const RedisBus::Settings &s, QByteArray name)
{
    RedisConnection::Settings c;
    c.endpoint = s.endpoint;
    c.name = std::move(name);
    c.commandTimeout = s.commandTimeout;
    return c;
}

} // namespace

RedisBus::RedisBus(Settings settings, QObject *parent)
    : MessageBus(parent)
    , m_settings(std::move(settings))
    , m_commands(new RedisConnection(connectionSettings(m_settings, "commands"), this))
    , m_subscriber(new RedisConnection(connectionSettings(m_settings, "subscriber"), this))
    , m_calls(new CallStream(connectionSettings(m_settings, "calls"), key("calls"), this))
    , m_lease(new StatsLease(*m_commands,
                             {StatsLease::leaseKey(m_settings.keyPrefix),
                              StatsLease::fenceKey(m_settings.keyPrefix), m_settings.instanceId,
                              m_settings.leaseTime},
                             this))
{
    m_commands->addScript(publishSnapshotScript());
    m_subscriber->setSubscriptions({key("stats")});
    connect(m_subscriber, &RedisConnection::message, this, &RedisBus::onMessage);
    connect(m_calls, &CallStream::message, this, &RedisBus::onCallMessage);
    connect(m_commands, &RedisConnection::connected, this, &RedisBus::updateOnline);
    connect(m_commands, &RedisConnection::disconnected, this, &RedisBus::updateOnline);
    connect(m_calls, &CallStream::connected, this, &RedisBus::updateOnline);
    connect(m_calls, &CallStream::disconnected, this, &RedisBus::updateOnline);
    // The stored snapshot: once subscribed, so nothing newer slips between.
    connect(m_subscriber, &RedisConnection::connected, this, &RedisBus::loadStoredSnapshot);
    connect(m_commands, &RedisConnection::connected, this, &RedisBus::loadStoredSnapshot);
    connect(m_lease, &StatsLease::roleChanged, this, [this] {
        const bool leader = isStatsLeader();
        if (leader != m_lastLeader) {
            m_lastLeader = leader;
            Q_EMIT statsLeadershipChanged(leader);
        }
    });
    m_keepAlive.setInterval(std::chrono::seconds(5));
    connect(&m_keepAlive, &QTimer::timeout, this, [this] {
        if (m_subscriber->isConnected())
            m_subscriber->command({"PING"}, this, {});
    });
    ops::metrics()
        .gauge("flex_instance_info", "This instance's INSTANCE_ID (cluster mode)",
               {{"instance", m_settings.instanceId.toUtf8()}})
        .set(1);
}

RedisBus::~RedisBus() = default;

void RedisBus::start()
{
    m_commands->open();
    m_subscriber->open();
    m_calls->start();
    m_lease->start();
    m_keepAlive.start();
}

void RedisBus::stop()
{
    m_lease->release();
}

bool RedisBus::isOnline() const
{
    return m_commands->isConnected() && m_calls->isConnected();
}

int RedisBus::pendingCommands() const
{
    return m_commands->pending();
}

void RedisBus::updateOnline()
{
    const bool online = isOnline();
    if (online == m_online)
        return;
    m_online = online;
    Q_EMIT onlineChanged(online);
}

QString RedisBus::fault() const
{
    const RedisConnection *all[] = {m_commands, m_subscriber, &m_calls->connection()};
    for (const RedisConnection *c : all) {
        if (!c->isConnected())
            return u"Redis unreachable (%1 connection to %2): %3"_s.arg(
                QString::fromLatin1(c->settings().name), m_settings.endpoint.redactedUrl(),
                c->lastError().isEmpty() ? u"connecting"_s : c->lastError());
    }
    return {};
}

bool RedisBus::admit(const CallNote &note)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    auto it = m_delivered.find(note.sid);
    if (it != m_delivered.end()) {
        const bool newer = (note.sequence >= 0 && it->sequence >= 0) ? note.sequence > it->sequence
                                                                     : note.rank > it->rank;
        if (!newer)
            return false;
        *it = {std::max(it->sequence, note.sequence), note.rank, now};
        return true;
    }
    m_delivered.insert(note.sid, {note.sequence, note.rank, now});
    // Bounded: a call without news for an hour starts afresh (anything newer passes anyway).
    if (++m_admitted % 1000 == 0)
        m_delivered.removeIf([now](const auto &e) { return now - e.value().atMs > 3'600'000; });
    return true;
}

bool RedisBus::deliverLocally(const CallNote &note)
{
    if (!admit(note))
        return false;
    Q_EMIT callUpdate(note.owner, note.frame);
    return true;
}

void RedisBus::publishCallUpdate(const QString &identity, const QByteArray &message)
{
    // Delivered here at once; the other instances get it through Redis.
    Q_EMIT callUpdate(identity, message);
    const QJsonObject o{
        {u"d"_s, m_settings.instanceId}, {u"o"_s, identity}, {u"f"_s, QString::fromUtf8(message)}};
    m_commands->command(
        CallStream::appendCommand(callsStream(), QJsonDocument(o).toJson(QJsonDocument::Compact)),
        this, [](const RedisResult &r) {
            if (!r.ok())
                ops::metrics()
                    .counter("flex_bus_dropped_updates_total",
                             "Call updates other instances never got (Redis "
                             "away and the buffer full)")
                    .inc();
        });
}

void RedisBus::onMessage(const QByteArray &channel, const QByteArray &payload)
{
    if (channel == key("stats"))
        onStatsMessage(payload, false);
}

void RedisBus::onCallMessage(const QByteArray &payload)
{
    const QJsonObject o = QJsonDocument::fromJson(payload).object();
    const QString owner = o.value("o"_L1).toString();
    const QString frame = o.value("f"_L1).toString();
    if (owner.isEmpty() || frame.isEmpty()) {
        qCWarning(lcBus) << "ignored a malformed call update from Redis";
        return;
    }
    if (o.value("d"_L1).toString() == m_settings.instanceId)
        return;                // delivered here already
    if (!o.contains("s"_L1)) { // publishCallUpdate(): no order to keep
        Q_EMIT callUpdate(owner, frame.toUtf8());
        return;
    }
    deliverLocally({owner, o.value("s"_L1).toString(), o.value("n"_L1).toInt(-1),
                    o.value("r"_L1).toInt(), frame.toUtf8()});
}

void RedisBus::onStatsMessage(const QByteArray &payload, bool fromStore)
{
    const QJsonObject o = QJsonDocument::fromJson(payload).object();
    const qint64 fence = qint64(o.value("n"_L1).toDouble());
    if (!o.value("q"_L1).isArray())
        return;
    if (!fromStore && o.value("i"_L1).toString() == m_settings.instanceId)
        return; // served here when it was published
    if (fence < m_lastFence)
        return; // an older poller's
    m_lastFence = fence;
    Q_EMIT statsSnapshot(o.value("q"_L1).toArray());
}

void RedisBus::loadStoredSnapshot()
{
    // On both connects: once subscribed nothing newer can slip by, and the
    // fence keeps an older stored one from replacing a newer one served.
    if (!m_commands->isConnected())
        return;
    m_commands->command({"HGET", key("stats:snapshot"), "data"}, this,
                        [this](const RedisResult &r) {
                            if (r.ok() && r.reply->type == RedisReply::Type::String)
                                onStatsMessage(r.reply->text, true);
                        });
}

bool RedisBus::isStatsLeader() const
{
    return m_lease->polls();
}

void RedisBus::publishStatsSnapshot(const QJsonArray &queues)
{
    if (m_lease->role() != StatsLease::Role::Holder) {
        // Polling alone (Redis away): this instance's subscribers only.
        if (m_lease->polls())
            Q_EMIT statsSnapshot(queues);
        return;
    }
    const qint64 fence = m_lease->fence();
    const QJsonObject o{{u"i"_s, m_settings.instanceId}, {u"n"_s, double(fence)}, {u"q"_s, queues}};
    const QByteArray payload = QJsonDocument(o).toJson(QJsonDocument::Compact);
    m_commands->eval(
        publishSnapshotScript(),
        {key("stats:snapshot"), StatsLease::leaseKey(m_settings.keyPrefix)},
        {QByteArray::number(fence), payload, key("stats"), m_lease->leaseValue().toUtf8()}, this,
        [this, queues, fence](const RedisResult &r) {
            if (r.ok() && r.reply->toInteger() == 0) {
                m_lease->lost(); // a newer poller exists: this one is stale
                return;
            }
            if (fence >= m_lastFence) {
                m_lastFence = fence;
                Q_EMIT statsSnapshot(queues); // published, or Redis away
            }
        });
}

} // namespace flex::bus
