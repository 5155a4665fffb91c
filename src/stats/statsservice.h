#pragma once

#include "stats/statsclock.h"
#include "stats/statssettings.h"

#include <QObject>

namespace flex::bus {
class MessageBus;
}
namespace flex::config {
struct Config;
}
namespace flex::server {
class WebSocketEndpoint;
}
namespace flex::twilio {
class TwilioClient;
}

namespace flex::stats {

class StatsFanout;
class StatsPoller;

// The realtime stats feature: the poller publishes changed snapshots on the
// bus (only while this instance is the stats leader), the fan-out serves
// whatever the bus delivers, so with a shared bus one instance polls for all.
class StatsService : public QObject
{
    Q_OBJECT
public:
    StatsService(twilio::TwilioClient &rest, bus::MessageBus &bus, QObject *parent = nullptr,
                 StatsClock clock = StatsClock());
    ~StatsService() override;

    server::WebSocketEndpoint *endpoint();
    // Idempotent; called at start and on every reload. Sockets stay open.
    void configure(const config::Config &config);
    void configure(const StatsSettings &settings);
    // Stops polling and closes the sockets (going away).
    void shutdown();

    StatsPoller *poller() const { return m_poller; }
    StatsFanout *fanout() const { return m_fanout; }

private:
    void updateLeadership();

    bus::MessageBus &m_bus;
    StatsPoller *m_poller;
    StatsFanout *m_fanout;
    bool m_configured = false;
    bool m_stopped = false;
};

} // namespace flex::stats
