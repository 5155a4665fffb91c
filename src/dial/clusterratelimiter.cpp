#include "dial/clusterratelimiter.h"

#include "bus/redisbus.h"
#include "bus/redisconnection.h"
#include "dial/ratelimiter.h"
#include "ops/metrics.h"

#include <QDateTime>
#include <QPointer>

namespace flex::dial {

using namespace Qt::StringLiterals;

namespace {

// KEYS: the identity's set. ARGV: now ms, window ms, limit, unique member.
// Returns 0 (allowed, recorded) or the ms until the next call is allowed.
const bus::RedisScript &windowScript()
{
    static const bus::RedisScript script(R"lua(
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return 0
)lua");
    return script;
}

} // namespace

ClusterRateLimiter::ClusterRateLimiter(bus::RedisBus &bus, RateLimiter &local, QObject *parent)
    : QObject(parent)
    , m_bus(bus)
    , m_local(local)
{
    m_bus.commands().addScript(windowScript());
}

void ClusterRateLimiter::tryAcquire(const QString &identity, QObject *context, Done done)
{
    if (m_local.limit() <= 0) {
        done(std::nullopt);
        return;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QByteArray member = m_bus.instanceId().toUtf8() + ':' + QByteArray::number(++m_counter) +
                              ':' + QByteArray::number(now);
    QPointer<QObject> guard(context);
    m_bus.commands().eval(
        windowScript(), {m_bus.key("rate:" + identity.toUtf8())},
        {QByteArray::number(now), QByteArray::number(qint64(m_local.window().count())),
         QByteArray::number(m_local.limit()), member},
        this, [this, identity, guard, done = std::move(done)](const bus::RedisResult &r) {
            if (!guard)
                return;
            if (!r.ok()) {
                ops::metrics()
                    .counter("flex_dial_rate_limit_local_total",
                             "Rate-limit decisions taken by this instance alone (Redis away)")
                    .inc();
                done(m_local.tryAcquire(identity));
                return;
            }
            const qint64 wait = r.reply->toInteger();
            if (wait <= 0)
                done(std::nullopt);
            else
                done(std::chrono::milliseconds(wait));
        });
}

} // namespace flex::dial
