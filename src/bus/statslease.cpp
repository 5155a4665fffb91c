#include "bus/statslease.h"

#include "bus/redisconnection.h"
#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QDateTime>

namespace flex::bus {

using namespace Qt::StringLiterals;

namespace {

// KEYS: lease, fence. ARGV: instance, floor (ms clock), lease ms.
const RedisScript &acquireScript()
{
    static const RedisScript script(R"lua(
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur} end
local f = redis.call('INCR', KEYS[2])
if f < tonumber(ARGV[2]) then
  f = tonumber(ARGV[2])
  redis.call('SET', KEYS[2], ARGV[2])
end
local v = ARGV[1] .. ':' .. string.format('%d', f)
redis.call('SET', KEYS[1], v, 'PX', ARGV[3])
return {f, v}
)lua");
    return script;
}

// KEYS: lease. ARGV: value, lease ms.
const RedisScript &renewScript()
{
    static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
)lua");
    return script;
}

// KEYS: lease. ARGV: value.
const RedisScript &releaseScript()
{
    static const RedisScript script(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
)lua");
    return script;
}

} // namespace

StatsLease::StatsLease(RedisConnection &redis, Settings settings, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_settings(std::move(settings))
{
    m_timer.setInterval(m_settings.leaseTime / 3);
    connect(&m_timer, &QTimer::timeout, this, &StatsLease::tick);
    connect(&m_redis, &RedisConnection::connected, this, &StatsLease::tick);
    for (const RedisScript *s : {&acquireScript(), &renewScript(), &releaseScript()})
        m_redis.addScript(*s);
}

void StatsLease::start()
{
    m_timer.start();
}

QString StatsLease::describe() const
{
    switch (m_role) {
    case Role::Holder:
        return u"stats poller (lease %1)"_s.arg(m_fence);
    case Role::Follower:
        return u"not the stats poller (%1 polls)"_s.arg(m_holder.section(u':', 0, -2));
    case Role::Alone:
        return u"stats poller on its own (Redis unreachable)"_s;
    case Role::Undecided:
        break;
    }
    return u"stats poller not decided yet"_s;
}

void StatsLease::tick()
{
    if (m_released || m_inFlight)
        return;
    if (!m_redis.isConnected()) {
        // No lease can be known: keep the dashboards alive locally.
        setRole(Role::Alone);
        return;
    }
    if (!m_value.isEmpty())
        renew();
    else
        acquire();
}

void StatsLease::acquire()
{
    m_inFlight = true;
    const QByteArray floor = QByteArray::number(QDateTime::currentMSecsSinceEpoch());
    m_redis.eval(acquireScript(), {m_settings.leaseKey, m_settings.fenceKey},
                 {m_settings.instanceId.toUtf8(), floor,
                  QByteArray::number(qint64(m_settings.leaseTime.count()))},
                 this, [this](const RedisResult &r) {
                     m_inFlight = false;
                     if (m_released)
                         return;
                     if (!r.ok() || r.reply->elements.size() != 2) {
                         if (!m_redis.isConnected())
                             setRole(Role::Alone);
                         return;
                     }
                     const qint64 fence = r.reply->elements.at(0).toInteger();
                     const QString value = QString::fromUtf8(r.reply->elements.at(1).text);
                     if (fence > 0) {
                         m_fence = fence;
                         m_value = value;
                         m_holder.clear();
                         setRole(Role::Holder);
                     } else {
                         m_holder = value;
                         setRole(Role::Follower);
                     }
                 });
}

void StatsLease::renew()
{
    m_inFlight = true;
    m_redis.eval(renewScript(), {m_settings.leaseKey},
                 {m_value.toUtf8(), QByteArray::number(qint64(m_settings.leaseTime.count()))}, this,
                 [this](const RedisResult &r) {
                     m_inFlight = false;
                     if (m_released)
                         return;
                     if (!r.ok()) {
                         if (!m_redis.isConnected())
                             setRole(Role::Alone);
                         return;
                     }
                     if (r.reply->toInteger() == 1) {
                         setRole(Role::Holder);
                         return;
                     }
                     // Expired (a stall, a Redis restart) and maybe taken.
                     qCWarning(lcStats).noquote()
                         << "the stats lease" << m_value << "is gone; competing for it again";
                     m_value.clear();
                     acquire();
                 });
}

void StatsLease::lost()
{
    if (m_role != Role::Holder)
        return;
    qCWarning(lcStats).noquote() << "the stats lease" << m_value
                                 << "was taken over; this instance stops polling";
    m_value.clear();
    setRole(Role::Follower);
    tick();
}

void StatsLease::release()
{
    m_released = true;
    m_timer.stop();
    if (!m_value.isEmpty() && m_redis.isConnected())
        m_redis.eval(releaseScript(), {m_settings.leaseKey}, {m_value.toUtf8()}, nullptr, {});
    m_value.clear();
    setRole(Role::Follower);
}

void StatsLease::setRole(Role role)
{
    if (role == m_role)
        return;
    const Role before = m_role;
    m_role = role;
    auto &m = ops::metrics();
    m.gauge("flex_stats_leader", "Whether this instance holds the stats lease and polls (1) or not")
        .set(role == Role::Holder ? 1 : 0);
    if (before == Role::Holder || role == Role::Holder)
        m.counter("flex_stats_lease_changes_total",
                  "Times this instance acquired or lost the stats lease")
            .inc();
    if (role == Role::Alone)
        qCWarning(lcStats) << "Redis unreachable: this instance polls TaskRouter on its own";
    else if (!m_released)
        qCInfo(lcStats).noquote() << "stats:" << describe();
    Q_EMIT roleChanged(role);
}

} // namespace flex::bus
