#include "stats/statscycle.h"

#include "stats/statsclock.h"
#include "stats/statsmapper.h"
#include "stats/statsnotices.h"
#include "twilio/twilioclient.h"

#include <QUrlQuery>

namespace flex::stats {

using namespace Qt::StringLiterals;

namespace {

const QString kListQueues = u"ListTaskQueue"_s;
const QString kListStatistics = u"ListTaskQueuesStatistics"_s;
const QString kListChannels = u"ListTaskChannel"_s;
const QString kFetchRealtime = u"FetchTaskQueueRealTimeStatistics"_s;
const QString kFetchCumulative = u"FetchTaskQueueCumulativeStatistics"_s;
constexpr int kPageSize = 1000;

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

StatsCycle::StatsCycle(twilio::TwilioClient &client, const StatsSettings &settings,
                       StatsNotices &notices, Plan plan)
    : m_client(client)
    , m_settings(settings)
    , m_notices(notices)
    , m_plan(std::move(plan))
{}

void StatsCycle::start()
{
    m_elapsed.start();
    if (m_plan.discoverChannels)
        discoverChannels();
    else
        fetchAll();
}

void StatsCycle::fail(const QString &message, const twilio::TwilioError &error,
                      bool affectsCumulative)
{
    m_answers.realtimeErrors << describe(message, error);
    if (affectsCumulative && m_plan.cumulative)
        m_answers.cumulativeErrors << describe(message, error);
    if (error.httpStatus == 429)
        m_answers.rateLimited = true;
}

QString StatsCycle::thresholds() const
{
    QStringList out;
    for (int t : std::as_const(m_settings.slaThresholds))
        out << QString::number(t);
    return out.join(u',');
}

void StatsCycle::discoverChannels()
{
    const QUrl url = withQuery(m_settings.workspaceUrl(u"TaskChannels"_s),
                               {{u"PageSize"_s, QString::number(kPageSize)}});
    m_client.getAllPages(
        url, u"channels"_s, kListChannels, this, [this](const twilio::PagesResult &result) {
            m_answers.requests += result.requests;
            if (result.error) {
                fail(u"TaskChannels"_s, *result.error, false);
            } else {
                QStringList channels{u"all"_s};
                for (const QJsonValue &v : result.items) {
                    const QString name = v.toObject().value(u"unique_name"_s).toString();
                    if (!name.isEmpty() && !channels.contains(name))
                        channels << name;
                }
                m_plan.channels = channels;
                Q_EMIT channelsDiscovered(channels);
            }
            fetchAll();
        });
}

void StatsCycle::fetchAll()
{
    m_pending = 1 + int(m_plan.channels.size());
    m_client.getAllPages(withQuery(m_settings.workspaceUrl(u"TaskQueues"_s),
                                   {{u"PageSize"_s, QString::number(kPageSize)}}),
                         u"task_queues"_s, kListQueues, this,
                         [this](const twilio::PagesResult &result) { onQueues(result); });

    for (const QString &channel : std::as_const(m_plan.channels)) {
        QList<QPair<QString, QString>> query{{u"PageSize"_s, QString::number(kPageSize)}};
        if (channel != u"all"_s)
            query.append({u"TaskChannel"_s, channel});
        if (m_plan.cumulative) {
            query.append({u"StartDate"_s, StatsClock::isoUtc(m_plan.dayStart)});
            query.append({u"SplitByWaitTime"_s, thresholds()});
        } else {
            // Realtime is all we want; keep the cumulative part cheap.
            query.append({u"Minutes"_s, u"1"_s});
        }
        m_client.getAllPages(
            withQuery(m_settings.workspaceUrl(u"TaskQueues/Statistics"_s), query),
            u"task_queues_statistics"_s, kListStatistics, this,
            [this, channel](const twilio::PagesResult &result) { onStatistics(channel, result); });
    }
}

void StatsCycle::onQueues(const twilio::PagesResult &result)
{
    m_answers.requests += result.requests;
    if (result.error) {
        fail(u"TaskQueues"_s, *result.error, false);
    } else {
        QList<QueueInfo> queues;
        queues.reserve(result.items.size());
        for (const QJsonValue &v : result.items) {
            const QJsonObject o = v.toObject();
            const QString sid = o.value(u"sid"_s).toString();
            if (!sid.isEmpty())
                queues.append({sid, o.value(u"friendly_name"_s).toString()});
        }
        m_answers.queues = queues;
    }
    opDone();
}

void StatsCycle::onStatistics(const QString &channel, const twilio::PagesResult &result)
{
    m_answers.requests += result.requests;
    // A refusal of the request itself (400/404 for TaskChannel=video) means
    // the workspace has no such channel: not a failure of the cycle.
    const std::optional<twilio::TwilioError> &error = result.error;
    const bool noSuchChannel =
        error && channel != u"all"_s && error->blame() == twilio::TwilioError::Blame::Request;
    if (noSuchChannel) {
        m_answers.missingChannels << channel;
        m_notices.missingChannel(channel);
    } else if (error) {
        fail(u"statistics (%1)"_s.arg(channel), *error, true);
    } else {
        m_answers.statistics.insert(channel, result.items);
        m_notices.channelPresent(channel);
    }
    opDone();
}

void StatsCycle::opDone()
{
    if (--m_pending > 0)
        return;
    if (!m_fallbackDone) {
        m_fallbackDone = true;
        fetchIncomplete();
        if (m_pending > 0)
            return;
    }
    Q_EMIT done();
}

// The list answer normally carries everything the plugin shows; where an
// item does not (no "realtime", or the official example's thinner objects),
// ask that queue's RealTimeStatistics or CumulativeStatistics, for those
// queues only and within the client's concurrency cap.
void StatsCycle::fetchIncomplete()
{
    const bool withSplit = !m_settings.slaThresholds.isEmpty();
    QHash<QString, QPair<QStringList, int>> thin; // part → (fields, queues)
    for (auto it = m_answers.statistics.cbegin(); it != m_answers.statistics.cend(); ++it) {
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
            if (!m_plan.cumulative)
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

void StatsCycle::fetchQueueStatistics(const QString &channel, const QString &sid, bool cumulative)
{
    QList<QPair<QString, QString>> query;
    if (channel != u"all"_s)
        query.append({u"TaskChannel"_s, channel});
    if (cumulative) {
        query.append({u"StartDate"_s, StatsClock::isoUtc(m_plan.dayStart)});
        if (!m_settings.slaThresholds.isEmpty())
            query.append({u"SplitByWaitTime"_s, thresholds()});
    }
    twilio::TwilioRequest request;
    const QString path = cumulative ? u"/CumulativeStatistics"_s : u"/RealTimeStatistics"_s;
    request.url = withQuery(m_settings.workspaceUrl(u"TaskQueues/"_s + sid + path), query);
    request.endpoint = cumulative ? kFetchCumulative : kFetchRealtime;
    ++m_pending;
    m_client.send(request, this, [this, channel, sid, cumulative](const twilio::TwilioResult &r) {
        m_answers.requests += r.attempts;
        const QString what = u"%1 statistics of a queue (%2)"_s.arg(
            cumulative ? u"cumulative"_s : u"realtime"_s, channel);
        if (r.ok())
            (cumulative ? m_answers.fallbackCumulative : m_answers.fallback)[channel].insert(
                sid, r.body);
        else if (cumulative)
            m_answers.cumulativeErrors << describe(what, *r.error);
        else
            fail(what, *r.error, false);
        opDone();
    });
}

} // namespace flex::stats
