#pragma once

#include <QObject>
#include <QString>

#include <chrono>
#include <functional>
#include <optional>

namespace flex::bus {
class RedisBus;
}

namespace flex::dial {

class RateLimiter;

// DIAL_MAX_CALLS_PER_MINUTE over every instance (cluster mode): a sliding
// window per identity in a Redis sorted set `<prefix>rate:<identity>`,
// checked and recorded by one script. While Redis cannot answer, this
// instance's own limiter decides (the limit then holds per instance).
class ClusterRateLimiter : public QObject
{
    Q_OBJECT
public:
    // wait: empty when allowed (and recorded), else how long until allowed.
    using Done = std::function<void(std::optional<std::chrono::milliseconds> wait)>;

    ClusterRateLimiter(bus::RedisBus &bus, RateLimiter &local, QObject *parent = nullptr);

    void tryAcquire(const QString &identity, QObject *context, Done done);

private:
    bus::RedisBus &m_bus;
    RateLimiter &m_local;
    quint64 m_counter = 0;
};

} // namespace flex::dial
