#include "server/addressbudgets.h"

#include "server/clientaddress.h"

#include <cmath>

namespace flex::server {

QString AddressBudgets::keyOf(const QHostAddress &address)
{
    return normalizedAddress(address).toString();
}

void AddressBudgets::refill(Entry &e, Clock::time_point now) const
{
    if (!e.bucketStarted) {
        e.tokens = m_authPerMinute;
        e.refilled = now;
        e.bucketStarted = true;
        return;
    }
    const double minutes = std::chrono::duration<double, std::ratio<60>>(now - e.refilled).count();
    e.tokens = std::min<double>(m_authPerMinute, e.tokens + minutes * m_authPerMinute);
    e.refilled = now;
}

std::optional<std::chrono::seconds> AddressBudgets::takeValidation(const QHostAddress &address,
                                                                   Clock::time_point now)
{
    Entry &e = m_entries[keyOf(address)];
    refill(e, now);
    if (e.tokens >= 1.0) {
        e.tokens -= 1.0;
        return std::nullopt;
    }
    const double secondsToOne = (1.0 - e.tokens) * 60.0 / std::max(1, m_authPerMinute);
    return std::chrono::seconds(std::max<qint64>(1, qint64(std::ceil(secondsToOne))));
}

bool AddressBudgets::addConnection(const QHostAddress &address)
{
    Entry &e = m_entries[keyOf(address)];
    if (e.connections >= m_maxConnections)
        return false;
    ++e.connections;
    return true;
}

void AddressBudgets::releaseConnection(const QHostAddress &address)
{
    const auto it = m_entries.find(keyOf(address));
    if (it != m_entries.end() && it->connections > 0)
        --it->connections;
}

int AddressBudgets::connections(const QHostAddress &address) const
{
    return m_entries.value(keyOf(address)).connections;
}

void AddressBudgets::prune(Clock::time_point now)
{
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        refill(*it, now);
        if (it->connections == 0 && it->tokens >= m_authPerMinute)
            it = m_entries.erase(it);
        else
            ++it;
    }
}

} // namespace flex::server
