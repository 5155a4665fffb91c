#include "dial/ratelimiter.h"

namespace flex::dial {

void RateLimiter::setLimit(int limit, std::chrono::milliseconds window)
{
    m_limit = limit;
    m_window = window;
}

void RateLimiter::dropExpired(std::deque<Clock::time_point> &events, Clock::time_point now) const
{
    while (!events.empty() && now - events.front() >= m_window)
        events.pop_front();
}

std::optional<std::chrono::milliseconds> RateLimiter::tryAcquire(const QString &key,
                                                                 Clock::time_point now)
{
    if (m_limit <= 0)
        return std::nullopt;
    std::deque<Clock::time_point> &events = m_events[key];
    dropExpired(events, now);
    // After a reload lowered the limit, older events may exceed it.
    if (int(events.size()) >= m_limit) {
        const auto wait = events[events.size() - size_t(m_limit)] + m_window - now;
        return std::chrono::ceil<std::chrono::milliseconds>(wait);
    }
    events.push_back(now);
    return std::nullopt;
}

void RateLimiter::prune(Clock::time_point now)
{
    for (auto it = m_events.begin(); it != m_events.end();) {
        dropExpired(it.value(), now);
        if (it->empty())
            it = m_events.erase(it);
        else
            ++it;
    }
}

} // namespace flex::dial
