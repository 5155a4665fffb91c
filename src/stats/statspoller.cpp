#include "stats/statspoller.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"
#include "stats/statsmapper.h"
#include "twilio/twilioclient.h"

#include <QTimer>

#include <algorithm>
#include <optional>

namespace flex::stats {

using namespace Qt::StringLiterals;
using std::chrono::milliseconds;

StatsPoller::StatsPoller(twilio::TwilioClient &client, StatsClock clock, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_clock(std::move(clock))
    , m_realtimeTimer(new QTimer(this))
    , m_cumulativeTimer(new QTimer(this))
{
    m_realtimeTimer->setSingleShot(true);
    connect(m_realtimeTimer, &QTimer::timeout, this, &StatsPoller::startCycle);
    connect(m_cumulativeTimer, &QTimer::timeout, this, [this] { m_cumulativeDue = true; });
}

StatsPoller::~StatsPoller() = default;

void StatsPoller::configure(const StatsSettings &settings)
{
    if (m_configured && settings == m_settings)
        return;
    const bool shapeChanged = !m_configured || settings.channels != m_settings.channels ||
                              settings.slaThresholds != m_settings.slaThresholds ||
                              settings.timeZone != m_settings.timeZone ||
                              settings.workspaceSid != m_settings.workspaceSid ||
                              settings.taskrouterUrl != m_settings.taskrouterUrl;
    const bool intervalsChanged = !m_configured ||
                                  settings.realtimeInterval != m_settings.realtimeInterval ||
                                  settings.cumulativeInterval != m_settings.cumulativeInterval;
    m_settings = settings;
    m_configured = true;
    m_cumulativeTimer->setInterval(
        std::max<milliseconds>(settings.cumulativeInterval, milliseconds(1000)));
    if (shapeChanged) {
        if (!settings.autoChannels())
            m_discoveredChannels.clear();
        m_builder.setChannels(enabledChannels());
        m_cumulativeDue = true;
        // A cycle started with the old settings is abandoned: its requests stop.
        m_cycle.reset();
    }
    if (m_running && (shapeChanged || intervalsChanged)) {
        m_cumulativeTimer->start();
        if (!m_cycle)
            scheduleNext(shapeChanged ? milliseconds(0)
                                      : milliseconds(m_settings.realtimeInterval));
    }
}

QStringList StatsPoller::enabledChannels() const
{
    if (!m_settings.autoChannels())
        return m_settings.channels;
    return m_discoveredChannels.isEmpty() ? QStringList{u"all"_s} : m_discoveredChannels;
}

void StatsPoller::start()
{
    if (m_running)
        return;
    m_running = true;
    m_cumulativeDue = true;
    m_cumulativeTimer->start();
    scheduleNext(milliseconds(0));
}

void StatsPoller::stop()
{
    m_running = false;
    m_realtimeTimer->stop();
    m_cumulativeTimer->stop();
    m_cycle.reset(); // cancels its requests
}

void StatsPoller::scheduleNext(milliseconds delay)
{
    if (!m_running)
        return;
    m_realtimeTimer->start(std::max(delay, milliseconds(0)));
}

void StatsPoller::startCycle()
{
    if (!m_running || m_cycle)
        return;
    StatsCycle::Plan plan;
    plan.dayStart = m_clock.todayStart(m_settings.timeZone);
    // A new local day restarts today's numbers at once.
    if (plan.dayStart != m_cumulativeDay)
        m_cumulativeDue = true;
    plan.cumulative = m_cumulativeDue;
    plan.channels = enabledChannels();
    plan.discoverChannels =
        m_settings.autoChannels() && (plan.cumulative || m_discoveredChannels.isEmpty());
    m_cycle = std::make_unique<StatsCycle>(m_client, m_settings, m_notices, plan);
    connect(m_cycle.get(), &StatsCycle::channelsDiscovered, this,
            &StatsPoller::onChannelsDiscovered);
    connect(m_cycle.get(), &StatsCycle::done, this, &StatsPoller::finishCycle);
    m_cycle->start();
}

void StatsPoller::onChannelsDiscovered(const QStringList &channels)
{
    if (channels == m_discoveredChannels)
        return;
    qCInfo(lcStats).noquote() << "channels discovered:" << channels.join(u',');
    m_discoveredChannels = channels;
    m_builder.setChannels(channels);
}

// Realtime and cumulative numbers of every list item into the builder: the
// per-queue answer where one was fetched, else the item when complete (an
// incomplete item whose fetch failed keeps the last good numbers).
void StatsPoller::applyStatistics(const StatsCycle &cycle)
{
    const CycleAnswers &c = cycle.answers();
    const bool cumulativeCycle = cycle.plan().cumulative;
    const bool withSplit = !m_settings.slaThresholds.isEmpty();
    QHash<QString, QString> notes;
    QHash<QString, QString> names;
    for (const QueueInfo &q : c.queues.value_or(QList<QueueInfo>()))
        names.insert(q.sid, q.friendlyName);
    for (auto it = c.statistics.cbegin(); it != c.statistics.cend(); ++it) {
        const QString &channel = it.key();
        const auto fallback = c.fallback.value(channel);
        const auto fallbackCumulative = c.fallbackCumulative.value(channel);
        for (const QJsonValue &v : it.value()) {
            const QJsonObject item = v.toObject();
            const QString sid = item.value(u"task_queue_sid"_s).toString();
            const QJsonObject realtime = item.value(u"realtime"_s).toObject();
            if (fallback.contains(sid))
                m_builder.setRealtime(sid, channel, StatsMapper::realtime(fallback.value(sid)));
            else if (item.value(u"realtime"_s).isObject() &&
                     StatsMapper::missingRealtime(realtime).isEmpty())
                m_builder.setRealtime(sid, channel, StatsMapper::realtime(realtime));
            if (!cumulativeCycle)
                continue;
            QJsonObject cumulative = item.value(u"cumulative"_s).toObject();
            if (fallbackCumulative.contains(sid))
                cumulative = fallbackCumulative.value(sid);
            else if (!item.value(u"cumulative"_s).isObject() ||
                     !StatsMapper::missingCumulative(cumulative, withSplit).isEmpty())
                continue;
            m_builder.setCumulative(sid, channel,
                                    StatsMapper::cumulative(cumulative, m_settings.slaThresholds));
            if (withSplit &&
                cumulative.value(u"tasks_entered"_s).toInteger() > StatsMapper::SplitTaskCap) {
                notes.insert(sid, StatsNotices::splitCappedMessage());
                m_notices.splitCapped(sid, names.value(sid), cycle.plan().dayStart.date());
            }
        }
    }
    if (cumulativeCycle) {
        m_builder.setCumulativeNotes(notes);
        ops::metrics()
            .gauge("flex_stats_split_capped_queues",
                   "Queues whose SLA split covers only TaskRouter's first 10,000 tasks today")
            .set(notes.size());
    }
    // A channel the workspace does not have: zeros of the right shape, so
    // the queue is still published (the plugin needs every channel's object).
    for (const QString &channel : c.missingChannels) {
        for (const QString &sid : names.keys()) {
            m_builder.setRealtime(sid, channel, StatsMapper::realtime({}));
            m_builder.setCumulative(sid, channel,
                                    StatsMapper::cumulative({}, m_settings.slaThresholds));
        }
    }
}

// The banners of the snapshot: what failed, and channels the workspace lacks.
void StatsPoller::applyMessages(const StatsCycle &cycle)
{
    const CycleAnswers &c = cycle.answers();
    const QString missing = c.missingChannels.isEmpty()
                                ? QString()
                                : StatsNotices::missingChannelMessage(c.missingChannels);
    QString realtimeMessage =
        c.realtimeErrors.isEmpty()
            ? QString()
            : u"Realtime statistics are not current: "_s + c.realtimeErrors.first();
    if (!missing.isEmpty())
        realtimeMessage = realtimeMessage.isEmpty() ? missing : realtimeMessage + u' ' + missing;
    m_builder.setRealtimeMessage(realtimeMessage);
    if (!cycle.plan().cumulative)
        return;
    if (c.cumulativeErrors.isEmpty()) {
        m_builder.setCumulativeMessage(missing);
        m_cumulativeDue = false;
        m_cumulativeDay = cycle.plan().dayStart;
    } else {
        m_builder.setCumulativeMessage(u"Today's statistics are not current: "_s +
                                       c.cumulativeErrors.first());
    }
}

void StatsPoller::finishCycle()
{
    // We are inside the cycle's last handler: it is deleted once that returns.
    StatsCycle *cycle = m_cycle.release();
    cycle->deleteLater();
    const CycleAnswers &c = cycle->answers();

    if (c.queues)
        m_builder.setQueues(*c.queues);
    applyStatistics(*cycle);
    applyMessages(*cycle);

    const bool ok = c.realtimeErrors.isEmpty() && c.cumulativeErrors.isEmpty();
    if (ok)
        m_lastGoodMs = QDateTime::currentMSecsSinceEpoch();
    m_rateLimitedCycles = c.rateLimited ? std::min(m_rateLimitedCycles + 1, 3) : 0;

    CycleReport report;
    report.cumulative = cycle->plan().cumulative;
    report.ok = ok;
    report.requests = c.requests;
    report.errors = int(c.realtimeErrors.size());
    report.duration = cycle->elapsed();
    report.dayStart = cycle->plan().dayStart;

    QJsonArray snapshot = m_builder.build();
    // Nothing to show before the first answer: no empty array for newcomers.
    report.changed = m_hasSnapshot ? snapshot != m_lastSnapshot : (!snapshot.isEmpty() || ok);
    if (report.changed) {
        m_lastSnapshot = std::move(snapshot);
        m_hasSnapshot = true;
    }
    recordCycle(report, c);

    // A slow cycle delays the next one; 429s stretch the interval.
    const milliseconds interval =
        milliseconds(m_settings.realtimeInterval) * (1 << m_rateLimitedCycles);
    scheduleNext(interval - report.duration);

    Q_EMIT cycleFinished(report);
    if (report.changed)
        Q_EMIT snapshotChanged(m_lastSnapshot);
}

// Metrics and logs of a finished cycle.
void StatsPoller::recordCycle(const CycleReport &report, const CycleAnswers &c)
{
    ops::Metrics &m = ops::metrics();
    const QByteArray kind = report.cumulative ? "cumulative" : "realtime";
    m.histogram("flex_stats_cycle_duration_seconds", "Duration of one stats poll cycle",
                {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}, {{"kind", kind}})
        .observe(double(report.duration.count()) / 1000.0);
    m.counter("flex_stats_cycles_total", "Stats poll cycles, by kind and result",
              {{"kind", kind}, {"result", report.ok ? "ok" : "error"}})
        .inc();
    m.counter("flex_stats_twilio_requests_total", "Twilio requests sent by the stats poller")
        .inc(report.requests);
    m.gauge("flex_stats_cycle_requests", "Twilio requests of the last stats cycle",
            {{"kind", kind}})
        .set(report.requests);
    m.counter("flex_stats_cycle_errors_total", "Failed Twilio requests in stats cycles")
        .inc(report.errors + int(c.cumulativeErrors.size()));
    m.gauge("flex_stats_queues", "Queues in the last stats snapshot").set(m_lastSnapshot.size());

    qCDebug(lcStats).noquote() << kind << "cycle:" << report.requests << "requests in"
                               << report.duration.count() << "ms,"
                               << (report.ok ? "ok" : "with errors")
                               << (report.changed ? "(changed)" : "(unchanged)");
    if (!report.ok)
        qCWarning(lcStats).noquote()
            << "stats cycle failed:" << (c.realtimeErrors + c.cumulativeErrors).first();
}

} // namespace flex::stats
