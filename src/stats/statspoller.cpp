#include "stats/statspoller.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"
#include "stats/statsmapper.h"
#include "twilio/twilioclient.h"

#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <optional>

namespace flex::stats {

using namespace Qt::StringLiterals;
using std::chrono::milliseconds;

namespace {

const QString kListQueues = u"ListTaskQueue"_s;
const QString kListStatistics = u"ListTaskQueuesStatistics"_s;
const QString kListChannels = u"ListTaskChannel"_s;
const QString kFetchRealtime = u"FetchTaskQueueRealTimeStatistics"_s;
const QString kFetchCumulative = u"FetchTaskQueueCumulativeStatistics"_s;
constexpr int kPageSize = 1000;

bool isStatsEndpoint(const QString &endpoint)
{
    return endpoint == kListQueues || endpoint == kListStatistics || endpoint == kListChannels ||
           endpoint == kFetchRealtime || endpoint == kFetchCumulative;
}

QUrl withQuery(QUrl url, const QList<QPair<QString, QString>> &items)
{
    QUrlQuery query;
    query.setQueryItems(items);
    url.setQuery(query);
    return url;
}

QString describe(const QString &what, const twilio::TwilioError &error)
{
    return what + u": "_s + error.toString();
}

} // namespace

struct StatsPoller::Cycle
{
    quint64 generation = 0;
    bool cumulative = false;
    QDateTime dayStart;
    QStringList channels;
    QElapsedTimer elapsed;
    int pending = 0;
    int requests = 0;
    bool rateLimited = false;
    bool fallbackDone = false;
    std::optional<QList<QueueInfo>> queues;
    QHash<QString, QJsonArray> statistics;                          // by channel
    QHash<QString, QHash<QString, QJsonObject>> fallback;           // channel → sid → realtime
    QHash<QString, QHash<QString, QJsonObject>> fallbackCumulative; // channel → sid → cumulative
    QStringList missingChannels; // the workspace has no such TaskChannel
    QStringList realtimeErrors;
    QStringList cumulativeErrors;
    QMetaObject::Connection counting;

    void fail(const QString &message, const twilio::TwilioError &error, bool affectsCumulative)
    {
        realtimeErrors << describe(message, error);
        if (affectsCumulative && cumulative)
            cumulativeErrors << describe(message, error);
        if (error.httpStatus == 429)
            rateLimited = true;
    }
};

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

StatsPoller::~StatsPoller()
{
    if (m_cycle)
        disconnect(m_cycle->counting);
}

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
        // Results of a cycle started with the old settings are not used.
        if (m_cycle) {
            disconnect(m_cycle->counting);
            m_cycle.reset();
            ++m_generation;
        }
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
    if (m_cycle) {
        disconnect(m_cycle->counting);
        m_cycle.reset();
        ++m_generation;
    }
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
    m_cycle = std::make_unique<Cycle>();
    Cycle &c = *m_cycle;
    c.generation = ++m_generation;
    c.elapsed.start();
    c.dayStart = m_clock.todayStart(m_settings.timeZone);
    // A new local day restarts today's numbers at once.
    if (c.dayStart != m_cumulativeDay)
        m_cumulativeDue = true;
    c.cumulative = m_cumulativeDue;
    c.counting = connect(&m_client, &twilio::TwilioClient::requestFinished, this,
                         [this](const QString &endpoint, int, milliseconds) {
                             if (m_cycle && isStatsEndpoint(endpoint))
                                 ++m_cycle->requests;
                         });
    if (m_settings.autoChannels() && (c.cumulative || m_discoveredChannels.isEmpty()))
        discoverChannels();
    else
        fetchAll();
}

void StatsPoller::discoverChannels()
{
    const quint64 generation = m_generation;
    const QUrl url = withQuery(m_settings.workspaceUrl(u"TaskChannels"_s),
                               {{u"PageSize"_s, QString::number(kPageSize)}});
    m_client.getAllPages(url, u"channels"_s, kListChannels, this,
                         [this, generation](const QJsonArray &items,
                                            const std::optional<twilio::TwilioError> &error) {
                             if (!m_cycle || m_cycle->generation != generation)
                                 return;
                             if (error) {
                                 m_cycle->fail(u"TaskChannels"_s, *error, false);
                             } else {
                                 QStringList channels{u"all"_s};
                                 for (const QJsonValue &v : items) {
                                     const QString name =
                                         v.toObject().value(u"unique_name"_s).toString();
                                     if (!name.isEmpty() && !channels.contains(name))
                                         channels << name;
                                 }
                                 if (channels != m_discoveredChannels) {
                                     qCInfo(lcStats).noquote()
                                         << "channels discovered:" << channels.join(u',');
                                     m_discoveredChannels = channels;
                                     m_builder.setChannels(channels);
                                 }
                             }
                             fetchAll();
                         });
}

void StatsPoller::fetchAll()
{
    Cycle &c = *m_cycle;
    const quint64 generation = c.generation;
    c.channels = enabledChannels();
    c.pending = 1 + int(c.channels.size());

    m_client.getAllPages(withQuery(m_settings.workspaceUrl(u"TaskQueues"_s),
                                   {{u"PageSize"_s, QString::number(kPageSize)}}),
                         u"task_queues"_s, kListQueues, this,
                         [this, generation](const QJsonArray &items,
                                            const std::optional<twilio::TwilioError> &error) {
                             if (m_cycle && m_cycle->generation == generation)
                                 onQueues(items, error);
                         });

    QStringList thresholds;
    for (int t : std::as_const(m_settings.slaThresholds))
        thresholds << QString::number(t);
    for (const QString &channel : std::as_const(c.channels)) {
        QList<QPair<QString, QString>> query{{u"PageSize"_s, QString::number(kPageSize)}};
        if (channel != u"all"_s)
            query.append({u"TaskChannel"_s, channel});
        if (c.cumulative) {
            query.append({u"StartDate"_s, StatsClock::isoUtc(c.dayStart)});
            query.append({u"SplitByWaitTime"_s, thresholds.join(u',')});
        } else {
            // Realtime is all we want; keep the cumulative part cheap.
            query.append({u"Minutes"_s, u"1"_s});
        }
        m_client.getAllPages(
            withQuery(m_settings.workspaceUrl(u"TaskQueues/Statistics"_s), query),
            u"task_queues_statistics"_s, kListStatistics, this,
            [this, generation, channel](const QJsonArray &items,
                                        const std::optional<twilio::TwilioError> &error) {
                if (m_cycle && m_cycle->generation == generation)
                    onStatistics(channel, items, error);
            });
    }
}

void StatsPoller::onQueues(const QJsonArray &items, const std::optional<twilio::TwilioError> &error)
{
    if (error) {
        m_cycle->fail(u"TaskQueues"_s, *error, false);
    } else {
        QList<QueueInfo> queues;
        queues.reserve(items.size());
        for (const QJsonValue &v : items) {
            const QJsonObject o = v.toObject();
            const QString sid = o.value(u"sid"_s).toString();
            if (!sid.isEmpty())
                queues.append({sid, o.value(u"friendly_name"_s).toString()});
        }
        m_cycle->queues = queues;
    }
    opDone();
}

void StatsPoller::onStatistics(const QString &channel, const QJsonArray &items,
                               const std::optional<twilio::TwilioError> &error)
{
    // A refusal of the request itself (400/404 for TaskChannel=video) means
    // the workspace has no such channel: not a failure of the cycle.
    const bool noSuchChannel =
        error && channel != u"all"_s && error->blame() == twilio::TwilioError::Blame::Request;
    if (noSuchChannel) {
        m_cycle->missingChannels << channel;
        m_notices.missingChannel(channel);
    } else if (error) {
        m_cycle->fail(u"statistics (%1)"_s.arg(channel), *error, true);
    } else {
        m_cycle->statistics.insert(channel, items);
        m_notices.channelPresent(channel);
    }
    opDone();
}

void StatsPoller::opDone()
{
    if (--m_cycle->pending > 0)
        return;
    if (!m_cycle->fallbackDone) {
        m_cycle->fallbackDone = true;
        fetchIncomplete();
        if (m_cycle->pending > 0)
            return;
    }
    finishCycle();
}

// The list answer normally carries everything the plugin shows; where an
// item does not (no "realtime", or the official example's thinner objects),
// ask that queue's RealTimeStatistics or CumulativeStatistics, for those
// queues only and within the client's concurrency cap.
void StatsPoller::fetchIncomplete()
{
    Cycle &c = *m_cycle;
    const bool withSplit = !m_settings.slaThresholds.isEmpty();
    QHash<QString, QPair<QStringList, int>> thin; // part → (fields, queues)
    for (auto it = c.statistics.cbegin(); it != c.statistics.cend(); ++it) {
        for (const QJsonValue &v : it.value()) {
            const QJsonObject item = v.toObject();
            const QString sid = item.value(u"task_queue_sid"_s).toString();
            if (sid.isEmpty())
                continue;
            const QJsonValue realtime = item.value(u"realtime"_s);
            const QStringList rtMissing = realtime.isObject()
                                              ? StatsMapper::missingRealtime(realtime.toObject())
                                              : QStringList{u"realtime"_s};
            if (!rtMissing.isEmpty()) {
                thin[u"realtime"_s] = {rtMissing, thin.value(u"realtime"_s).second + 1};
                fetchQueueStatistics(it.key(), sid, false);
            }
            if (!c.cumulative)
                continue;
            const QJsonValue cumulative = item.value(u"cumulative"_s);
            const QStringList cuMissing =
                cumulative.isObject()
                    ? StatsMapper::missingCumulative(cumulative.toObject(), withSplit)
                    : QStringList{u"cumulative"_s};
            if (!cuMissing.isEmpty()) {
                thin[u"cumulative"_s] = {cuMissing, thin.value(u"cumulative"_s).second + 1};
                fetchQueueStatistics(it.key(), sid, true);
            }
        }
    }
    for (auto it = thin.cbegin(); it != thin.cend(); ++it)
        m_notices.thinList(it.key(), it->first, it->second);
}

void StatsPoller::fetchQueueStatistics(const QString &channel, const QString &sid, bool cumulative)
{
    Cycle &c = *m_cycle;
    const quint64 generation = c.generation;
    QList<QPair<QString, QString>> query;
    if (channel != u"all"_s)
        query.append({u"TaskChannel"_s, channel});
    if (cumulative) {
        QStringList thresholds;
        for (int t : std::as_const(m_settings.slaThresholds))
            thresholds << QString::number(t);
        query.append({u"StartDate"_s, StatsClock::isoUtc(c.dayStart)});
        if (!thresholds.isEmpty())
            query.append({u"SplitByWaitTime"_s, thresholds.join(u',')});
    }
    twilio::TwilioRequest request;
    const QString path = cumulative ? u"/CumulativeStatistics"_s : u"/RealTimeStatistics"_s;
    request.url = withQuery(m_settings.workspaceUrl(u"TaskQueues/"_s + sid + path), query);
    request.endpoint = cumulative ? kFetchCumulative : kFetchRealtime;
    ++c.pending;
    m_client.send(request, this,
                  [this, generation, channel, sid, cumulative](const twilio::TwilioResult &result) {
                      if (!m_cycle || m_cycle->generation != generation)
                          return;
                      Cycle &c = *m_cycle;
                      const QString what = u"%1 statistics of a queue (%2)"_s.arg(
                          cumulative ? u"cumulative"_s : u"realtime"_s, channel);
                      if (result.ok())
                          (cumulative ? c.fallbackCumulative : c.fallback)[channel].insert(
                              sid, result.body);
                      else if (cumulative)
                          c.cumulativeErrors << describe(what, *result.error);
                      else
                          c.fail(what, *result.error, false);
                      if (--c.pending == 0)
                          finishCycle();
                  });
}

// Realtime and cumulative numbers of every list item into the builder: the
// per-queue answer where one was fetched, else the item when complete (an
// incomplete item whose fetch failed keeps the last good numbers).
void StatsPoller::applyStatistics(const Cycle &c)
{
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
            if (!c.cumulative)
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
                m_notices.splitCapped(sid, names.value(sid), c.dayStart.date());
            }
        }
    }
    if (c.cumulative) {
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

void StatsPoller::finishCycle()
{
    std::unique_ptr<Cycle> cycle = std::move(m_cycle);
    disconnect(cycle->counting);
    Cycle &c = *cycle;

    if (c.queues)
        m_builder.setQueues(*c.queues);
    applyStatistics(c);

    const bool ok = c.realtimeErrors.isEmpty() && c.cumulativeErrors.isEmpty();
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
    if (c.cumulative) {
        if (c.cumulativeErrors.isEmpty()) {
            m_builder.setCumulativeMessage(missing);
            m_cumulativeDue = false;
            m_cumulativeDay = c.dayStart;
        } else {
            m_builder.setCumulativeMessage(u"Today's statistics are not current: "_s +
                                           c.cumulativeErrors.first());
        }
    }
    if (ok)
        m_lastGoodMs = QDateTime::currentMSecsSinceEpoch();
    m_rateLimitedCycles = c.rateLimited ? std::min(m_rateLimitedCycles + 1, 3) : 0;

    CycleReport report;
    report.cumulative = c.cumulative;
    report.ok = ok;
    report.requests = c.requests;
    report.errors = int(c.realtimeErrors.size());
    report.duration = milliseconds(c.elapsed.elapsed());
    report.dayStart = c.dayStart;

    QJsonArray snapshot = m_builder.build();
    // Nothing to show before the first answer: no empty array for newcomers.
    report.changed = m_hasSnapshot ? snapshot != m_lastSnapshot : (!snapshot.isEmpty() || ok);
    if (report.changed) {
        m_lastSnapshot = std::move(snapshot);
        m_hasSnapshot = true;
    }

    ops::Metrics &m = ops::metrics();
    const QByteArray kind = c.cumulative ? "cumulative" : "realtime";
    m.histogram("flex_stats_cycle_duration_seconds", "Duration of one stats poll cycle",
                {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}, {{"kind", kind}})
        .observe(double(report.duration.count()) / 1000.0);
    m.counter("flex_stats_cycles_total", "Stats poll cycles, by kind and result",
              {{"kind", kind}, {"result", ok ? "ok" : "error"}})
        .inc();
    m.counter("flex_stats_twilio_requests_total", "Twilio requests sent by the stats poller")
        .inc(report.requests);
    m.gauge("flex_stats_cycle_requests", "Twilio requests of the last stats cycle",
            {{"kind", kind}})
        .set(report.requests);
    m.counter("flex_stats_cycle_errors_total", "Failed Twilio requests in stats cycles")
        .inc(report.errors + int(c.cumulativeErrors.size()));
    m.gauge("flex_stats_queues", "Queues in the last stats snapshot").set(m_lastSnapshot.size());

    qCDebug(lcStats).noquote() << (c.cumulative ? "cumulative" : "realtime")
                               << "cycle:" << report.requests << "requests in"
                               << report.duration.count() << "ms," << (ok ? "ok" : "with errors")
                               << (report.changed ? "(changed)" : "(unchanged)");
    if (!ok)
        qCWarning(lcStats).noquote()
            << "stats cycle failed:" << (c.realtimeErrors + c.cumulativeErrors).first();

    // A slow cycle delays the next one; 429s stretch the interval.
    const milliseconds interval =
        milliseconds(m_settings.realtimeInterval) * (1 << m_rateLimitedCycles);
    scheduleNext(interval - report.duration);

    Q_EMIT cycleFinished(report);
    if (report.changed)
        Q_EMIT snapshotChanged(m_lastSnapshot);
}

} // namespace flex::stats
