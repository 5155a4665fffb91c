#include "check/redischeck.h"

#include "bus/redisconnection.h"
#include "bus/statslease.h"
#include "check/checkcontext.h"

#include <QTimer>
#include <QVersionNumber>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

const QString kRedis = u"redis"_s;
const QString kLease = u"stats-lease"_s;
constexpr int kMinimumMajor = 5; // streams

// One field of INFO's "name:value" lines.
QByteArray infoField(const QByteArray &info, const QByteArray &name)
{
    for (const QByteArray &line : info.split('\n')) {
        if (line.startsWith(QByteArray(name + ':')))
            return line.mid(name.size() + 1).trimmed();
    }
    return {};
}

} // namespace

RedisCheck::~RedisCheck() = default;

QStringList RedisCheck::ids() const
{
    return {kRedis, kLease};
}

CheckResult RedisCheck::timedOut(const QString &id) const
{
    return CheckResult::fail(
        id, u"Redis did not answer within %1 s"_s.arg(context().checkTimeout().count()),
        u"Make sure Redis runs and this host reaches it (REDIS_URL)."_s);
}

void RedisCheck::start()
{
    bus::RedisConnection::Settings settings;
    settings.endpoint = context().config().redis;
    settings.name = "check";
    settings.connectTimeout = kConnectTimeout;
    settings.commandTimeout = kConnectTimeout;
    m_redis = new bus::RedisConnection(settings, this);
    connect(m_redis, &bus::RedisConnection::connectFailed, this, &RedisCheck::onConnectFailed);
    connect(m_redis, &bus::RedisConnection::connected, this, &RedisCheck::onConnected);
    m_redis->open();
}

void RedisCheck::onConnectFailed(const QString &reason)
{
    if (m_reported)
        return;
    const QString where = context().config().redis.redactedUrl();
    const bool refused =
        reason.startsWith(u"AUTH failed"_s) || reason.startsWith(u"SELECT failed"_s);
    const QString fix =
        refused ? u"Set the user, password and database in REDIS_URL to what this Redis "
                  u"expects (ACL, requirepass, databases)."_s
                : u"Start Redis, or set REDIS_URL to where it runs; make sure this host "
                  u"reaches it (firewall) and, for rediss://, that its certificate is "
                  u"valid for the system CA store."_s;
    report(CheckResult::fail(
        kRedis,
        (refused ? u"Redis at %1 refused the connection: %2"_s : u"cannot reach Redis at %1: %2"_s)
            .arg(where, reason),
        fix));
    report(CheckResult::fail(kLease, u"not checked: Redis could not be reached"_s,
                             u"Fix the redis line first, then run check again."_s));
    finish();
}

void RedisCheck::onConnected()
{
    if (m_reported)
        return;
    const QString where = context().config().redis.redactedUrl();
    const QByteArray key = bus::StatsLease::leaseKey(context().config().redisKeyPrefix.toUtf8());
    const QString prefix = context().config().redisKeyPrefix;
    m_redis->command({"INFO", "server"}, this, [this, where](const bus::RedisResult &r) {
        if (r.ok())
            report(judgeInfo(r.reply->text, where));
        else
            report(CheckResult::warn(
                kRedis, u"Redis at %1 answers, but not INFO: %2"_s.arg(where, r.error()),
                u"Allow INFO to this user (ACL), or make sure Redis is 5.0 or later."_s));
    });
    auto value = std::make_shared<QByteArray>();
    auto isNil = std::make_shared<bool>(true);
    m_redis->command({"GET", key}, this, [value, isNil](const bus::RedisResult &r) {
        if (r.ok() && !r.reply->isNil()) {
            *value = r.reply->text;
            *isNil = false;
        }
    });
    m_redis->command({"PTTL", key}, this, [this, value, isNil, prefix](const bus::RedisResult &r) {
        if (!r.ok())
            report(CheckResult::fail(kLease, u"could not read the stats lease: "_s + r.error(),
                                     u"Allow GET and PTTL on the keys of REDIS_KEY_PREFIX "
                                     u"to this user (ACL)."_s));
        else
            report(judgeLease(*isNil ? QByteArray() : *value, r.reply->toInteger(-2), prefix));
        finish();
    });
}

void RedisCheck::finish()
{
    m_reported = true;
    // Not from inside the connection's own signal or callback.
    QTimer::singleShot(0, this, [this] {
        if (m_redis) {
            m_redis->close();
            m_redis->deleteLater();
        }
    });
}

CheckResult RedisCheck::judgeInfo(const QByteArray &info, const QString &where)
{
    const QString version = QString::fromLatin1(infoField(info, "redis_version"));
    const QString mode = QString::fromLatin1(infoField(info, "redis_mode"));
    const QVersionNumber number = QVersionNumber::fromString(version);
    const QString found =
        u"Redis %1 at %2"_s.arg(version.isEmpty() ? u"(version not reported)"_s : version, where);
    if (version.isEmpty() || number.isNull())
        return CheckResult::warn(kRedis, found + u" answers, but INFO names no version"_s,
                                 u"Make sure it is Redis 5.0 or later."_s);
    if (number.majorVersion() < kMinimumMajor)
        return CheckResult::warn(kRedis,
                                 found + u" is older than 5.0: cluster mode needs its streams"_s,
                                 u"Upgrade Redis to 5.0 or later (Debian 12 ships 7.0)."_s);
    return CheckResult::ok(kRedis, found + u" answers"_s +
                                       (mode.isEmpty() ? QString() : u" (%1)"_s.arg(mode)));
}

CheckResult RedisCheck::judgeLease(const QByteArray &value, qint64 pttlMs, const QString &prefix)
{
    if (value.isEmpty())
        return CheckResult::ok(kLease,
                               u"no instance holds the stats lease %1stats:lease: the "
                               u"first instance to start will poll TaskRouter"_s.arg(prefix));
    const QString text = QString::fromUtf8(value);
    const QString instance = text.section(u':', 0, -2);
    const QString fence = text.section(u':', -1);
    const QString left =
        pttlMs >= 0 ? u", %1 s left"_s.arg(double(pttlMs) / 1000.0, 0, 'f', 1) : QString();
    if (instance.isEmpty())
        return CheckResult::warn(
            kLease,
            u"the stats lease %1stats:lease holds \"%2\", not <instance>:<fence>"_s.arg(prefix,
                                                                                        text),
            u"Make sure nothing else writes the keys of REDIS_KEY_PREFIX %1 (two deployments "
            u"need different prefixes)."_s.arg(prefix));
    return CheckResult::ok(
        kLease, u"instance %1 holds the stats lease (fence %2%3): it polls "
                u"TaskRouter for every instance of %4"_s.arg(instance, fence, left, prefix));
}

} // namespace flex::check
