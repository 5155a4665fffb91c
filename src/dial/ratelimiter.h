#pragma once

#include <QHash>
#include <QString>

#include <chrono>
#include <deque>
#include <optional>

namespace flex::dial {

// At most `limit` events per key in any sliding window (calls per Flex
// identity per minute). Time is passed in so tests need no clock.
class RateLimiter
{
public:
    using Clock = std::chrono::steady_clock;

    void setLimit(int limit, std::chrono::milliseconds window = std::chrono::minutes(1));
    int limit() const { return m_limit; }
    std::chrono::milliseconds window() const { return m_window; }

    // Records an event and returns empty, or returns how long until the next
    // one is allowed (nothing recorded). limit 0 means unlimited.
    std::optional<std::chrono::milliseconds> tryAcquire(const QString &key,
                                                        Clock::time_point now = Clock::now());
    // Forgets keys with no event inside the window (bounded memory).
    void prune(Clock::time_point now = Clock::now());
    int trackedKeys() const { return int(m_events.size()); }

private:
    void dropExpired(std::deque<Clock::time_point> &events, Clock::time_point now) const;

    int m_limit = 0;
    std::chrono::milliseconds m_window{std::chrono::minutes(1)};
    QHash<QString, std::deque<Clock::time_point>> m_events;
};

} // namespace flex::dial
