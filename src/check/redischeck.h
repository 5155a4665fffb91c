#pragma once

#include "check/check.h"

#include <QPointer>

namespace flex::bus {
class RedisConnection;
}

namespace flex::check {

// "redis", "stats-lease" (only with REDIS_URL): Redis answers at REDIS_URL
// (AUTH and SELECT included, within kConnectTimeout) and its version
// (INFO server; older than 5 is a warning: cluster mode needs streams); who
// holds the stats lease the instances of this REDIS_KEY_PREFIX share, i.e.
// which instance polls TaskRouter, or that none does.
class RedisCheck : public Check
{
    Q_OBJECT
public:
    static constexpr std::chrono::seconds kConnectTimeout{4};

    using Check::Check;
    ~RedisCheck() override;
    QStringList ids() const override;
    void start() override;
    CheckResult timedOut(const QString &id) const override;

    // The verdicts on INFO server's text and on the lease's value and
    // remaining time (pure, for tests); `where` is the redacted URL.
    static CheckResult judgeInfo(const QByteArray &info, const QString &where);
    static CheckResult judgeLease(const QByteArray &value, qint64 pttlMs, const QString &prefix);

private:
    void onConnectFailed(const QString &reason);
    void onConnected();
    void finish();

    QPointer<bus::RedisConnection> m_redis;
    bool m_reported = false;
};

} // namespace flex::check
