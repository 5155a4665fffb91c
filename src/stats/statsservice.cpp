#include "stats/statsservice.h"

#include "bus/messagebus.h"
#include "config/config.h"
#include "ops/logcategories.h"
#include "ops/metrics.h"
#include "stats/statsfanout.h"
#include "stats/statspoller.h"

#include <QDateTime>
#include <QPointer>

namespace flex::stats {

StatsService::StatsService(twilio::TwilioClient &rest, bus::MessageBus &bus, QObject *parent,
                           StatsClock clock)
    : QObject(parent)
    , m_bus(bus)
    , m_poller(new StatsPoller(rest, std::move(clock), this))
    , m_fanout(new StatsFanout(this))
{
    connect(m_poller, &StatsPoller::snapshotChanged, this, [this](const QJsonArray &queues) {
        if (m_bus.isStatsLeader())
            m_bus.publishStatsSnapshot(queues);
    });
    connect(&m_bus, &bus::MessageBus::statsSnapshot, m_fanout, &StatsFanout::publish);
    connect(&m_bus, &bus::MessageBus::statsLeadershipChanged, this,
            &StatsService::updateLeadership);

    ops::metrics().addCollector([poller = QPointer<StatsPoller>(m_poller)] {
        if (!poller || poller->lastGoodMs() == 0)
            return;
        ops::metrics()
            .gauge("flex_stats_snapshot_age_seconds",
                   "Seconds since the last stats cycle without errors")
            .set(double(QDateTime::currentMSecsSinceEpoch() - poller->lastGoodMs()) / 1000.0);
    });
}

StatsService::~StatsService() = default;

server::WebSocketEndpoint *StatsService::endpoint()
{
    return m_fanout;
}

void StatsService::configure(const config::Config &config)
{
    configure(StatsSettings::fromConfig(config));
}

void StatsService::configure(const StatsSettings &settings)
{
    m_poller->configure(settings);
    if (!m_configured) {
        m_configured = true;
        qCInfo(lcStats).noquote() << "realtime stats every" << settings.realtimeInterval.count()
                                  << "s, today's every" << settings.cumulativeInterval.count()
                                  << "s, channels" << settings.channels.join(u',');
    }
    updateLeadership();
}

void StatsService::updateLeadership()
{
    if (m_stopped || !m_configured)
        return;
    if (m_bus.isStatsLeader())
        m_poller->start();
    else
        m_poller->stop();
}

void StatsService::shutdown()
{
    m_stopped = true;
    m_poller->stop();
    m_fanout->closeAll();
}

} // namespace flex::stats
