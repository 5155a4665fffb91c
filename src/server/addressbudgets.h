#pragma once

#include <QHash>
#include <QHostAddress>
#include <QString>

#include <chrono>
#include <optional>

namespace flex::server {

// Per client address: how many validations of not-yet-known Flex tokens it
// may still cause (a token bucket refilled at `perMinute` per minute, holding
// at most `perMinute`), and how many connections it holds open. Idle entries
// are forgotten by prune(), so memory stays bounded by the active addresses.
class AddressBudgets
{
public:
    using Clock = std::chrono::steady_clock;

    void setAuthRatePerMinute(int perMinute) { m_authPerMinute = perMinute; }
    void setMaxConnectionsPerAddress(int max) { m_maxConnections = max; }

    // Takes one validation; nullopt when allowed, else how long until the next one is.
    std::optional<std::chrono::seconds> takeValidation(const QHostAddress &address,
                                                       Clock::time_point now = Clock::now());

    // false when the address already holds the maximum; release() undoes a true.
    bool addConnection(const QHostAddress &address);
    void releaseConnection(const QHostAddress &address);
    int connections(const QHostAddress &address) const;

    // Drops full buckets of addresses without connections.
    void prune(Clock::time_point now = Clock::now());
    int trackedAddresses() const { return int(m_entries.size()); }

private:
    struct Entry
    {
        double tokens = 0;
        Clock::time_point refilled{};
        bool bucketStarted = false;
        int connections = 0;
    };
    static QString keyOf(const QHostAddress &address);
    void refill(Entry &e, Clock::time_point now) const;

    int m_authPerMinute = 30;
    int m_maxConnections = 1000;
    QHash<QString, Entry> m_entries;
};

} // namespace flex::server
