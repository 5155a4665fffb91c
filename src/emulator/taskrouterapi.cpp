#include "taskrouterapi.h"

#include "contactcentre.h"
#include "fidelity.h"
#include "pager.h"
#include "setupmodel.h"
#include "twilioerror.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

constexpr int MaxBulkQueues = 50;

QString query(const HttpRequest &request, const char *name)
{
    return request.query.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded);
}

QString isoTime(qint64 ms)
{
    return StatsCalculator::isoTime(ms);
}

} // namespace

TaskRouterApi::TaskRouterApi(const EmulatorConfig &config, const ContactCentre &model,
                             const SetupModel &setup, const Fidelity &fidelity)
    : m_config(config)
    , m_model(model)
    , m_setup(setup)
    , m_fidelity(fidelity)
    , m_stats(model)
{}

QString TaskRouterApi::workspaceUrl(const QString &origin) const
{
    return origin + u"/v1/Workspaces/"_s + m_config.workspaceSid;
}

QJsonObject TaskRouterApi::queueJson(const TaskQueue &queue, const QString &origin) const
{
    const QString ws = workspaceUrl(origin);
    const QString url = ws + u"/TaskQueues/"_s + queue.sid;
    const QString created = isoTime(queue.createdMs);
    return QJsonObject{
        {u"account_sid"_s, m_config.accountSid},
        {u"assignment_activity_sid"_s, QJsonValue::Null},
        {u"assignment_activity_name"_s, QJsonValue::Null},
        {u"date_created"_s, created},
        {u"date_updated"_s, created},
        {u"friendly_name"_s, queue.friendlyName},
        {u"max_reserved_workers"_s, 1},
        {u"reservation_activity_sid"_s, QJsonValue::Null},
        {u"reservation_activity_name"_s, QJsonValue::Null},
        {u"sid"_s, queue.sid},
        {u"target_workers"_s, m_setup.targetWorkers(queue.sid)},
        {u"task_order"_s, u"FIFO"_s},
        {u"url"_s, url},
        {u"workspace_sid"_s, m_config.workspaceSid},
        {u"links"_s,
         QJsonObject{
             {u"workspace"_s, ws},
             {u"statistics"_s, QString(url + u"/Statistics"_s)},
             {u"real_time_statistics"_s, QString(url + u"/RealTimeStatistics"_s)},
             {u"cumulative_statistics"_s, QString(url + u"/CumulativeStatistics"_s)},
             {u"list_statistics"_s, QString(ws + u"/TaskQueues/Statistics"_s)},
             {u"bulk_real_time_statistics"_s, QString(ws + u"/TaskQueues/RealTimeStatistics"_s)},
         }},
    };
}

HttpResponse TaskRouterApi::listTaskQueues(const HttpRequest &request, const QString &origin) const
{
    const QString friendlyName = query(request, "FriendlyName");
    QList<const TaskQueue *> selected;
    QList<qint64> seqs;
    for (const TaskQueue &q : m_model.queues()) {
        if (!friendlyName.isEmpty() && q.friendlyName != friendlyName)
            continue;
        selected.append(&q);
        seqs.append(q.seq);
    }
    QString error;
    const auto page = paginate(seqs, request.query, workspaceUrl(origin) + u"/TaskQueues"_s,
                               u"task_queues"_s, &error);
    if (!page)
        return badRequest(error);
    QJsonArray items;
    for (qsizetype i = page->begin; i < page->end; ++i)
        items.append(queueJson(*selected.at(i), origin));
    return jsonResponse(200, QJsonObject{{u"task_queues"_s, items}, {u"meta"_s, page->meta}});
}

HttpResponse TaskRouterApi::fetchTaskQueue(const QString &sid, const QString &origin) const
{
    const TaskQueue *q = m_model.queue(sid);
    if (!q)
        return resourceNotFound(
            u"/v1/Workspaces/%1/TaskQueues/%2"_s.arg(m_config.workspaceSid, sid));
    return jsonResponse(200, queueJson(*q, origin));
}

bool TaskRouterApi::channelFilter(const QString &value, QString *channel, HttpResponse *error) const
{
    channel->clear();
    if (value.isEmpty())
        return true;
    const auto resolved = m_model.resolveChannel(value);
    if (!resolved) {
        *error = badRequest(u"Invalid TaskChannel: %1"_s.arg(value));
        return false;
    }
    *channel = *resolved;
    return true;
}

bool TaskRouterApi::cumulativeQuery(const QUrlQuery &q, CumulativeQuery *out,
                                    HttpResponse *error) const
{
    auto value = [&q](const char *name) {
        return q.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded);
    };
    QString message;
    if (!m_stats.parseWindow(value("StartDate"), value("EndDate"), value("Minutes"), out,
                             &message)) {
        *error = badRequest(message);
        return false;
    }
    if (!StatsCalculator::parseSplit(value("SplitByWaitTime"), &out->splitByWaitTime)) {
        *error = badRequest(u"SplitByWaitTime must be a comma separated list of "
                            "positive integers"_s);
        return false;
    }
    QString channel;
    if (!channelFilter(value("TaskChannel"), &channel, error))
        return false;
    out->channel = channel;
    return true;
}

HttpResponse TaskRouterApi::queueStatistics(QJsonObject statistics, const QString &queueSid,
                                            const QString &resource, const QString &origin) const
{
    statistics.insert(u"account_sid"_s, m_config.accountSid);
    statistics.insert(u"task_queue_sid"_s, queueSid);
    statistics.insert(u"workspace_sid"_s, m_config.workspaceSid);
    statistics.insert(u"url"_s,
                      QString(workspaceUrl(origin) + u"/TaskQueues/"_s + queueSid + resource));
    return jsonResponse(200, statistics);
}

HttpResponse TaskRouterApi::realtimeStatistics(const HttpRequest &request, const QString &queueSid,
                                               const QString &origin) const
{
    if (!m_model.queue(queueSid))
        return resourceNotFound(request.path);
    QString channel;
    HttpResponse error;
    if (!channelFilter(query(request, "TaskChannel"), &channel, &error))
        return error;
    return queueStatistics(m_stats.realtime(queueSid, channel), queueSid, u"/RealTimeStatistics"_s,
                           origin);
}

HttpResponse TaskRouterApi::cumulativeStatistics(const HttpRequest &request,
                                                 const QString &queueSid,
                                                 const QString &origin) const
{
    if (!m_model.queue(queueSid))
        return resourceNotFound(request.path);
    CumulativeQuery q;
    HttpResponse error;
    if (!cumulativeQuery(request.query, &q, &error))
        return error;
    return queueStatistics(m_stats.cumulative(queueSid, q), queueSid, u"/CumulativeStatistics"_s,
                           origin);
}

HttpResponse TaskRouterApi::bulkRealtimeStatistics(const HttpRequest &request,
                                                   const QString &origin) const
{
    // The request field name is not documented: accept any array of queue
    // sids (strings or objects with a sid) anywhere at the top level.
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return badRequest(u"Request body must be JSON"_s);
    QStringList sids;
    QString channelValue;
    auto collect = [&sids](const QJsonArray &array) {
        for (const QJsonValue &v : array) {
            QString sid = v.toString();
            if (v.isObject()) {
                const QJsonObject o = v.toObject();
                sid = o.value(u"task_queue_sid"_s).toString(o.value(u"sid"_s).toString());
            }
            if (sid.startsWith(u"WQ"_s) && !sids.contains(sid))
                sids.append(sid);
        }
    };
    if (doc.isArray())
        collect(doc.array());
    const QJsonObject body = doc.object();
    for (auto it = body.begin(); it != body.end(); ++it) {
        if (it->isArray())
            collect(it->toArray());
        else if (it.key().compare(u"TaskChannel"_s, Qt::CaseInsensitive) == 0 ||
                 it.key() == u"task_channel"_s)
            channelValue = it->toString();
    }
    if (sids.isEmpty())
        return badRequest(u"No TaskQueue sids given"_s);
    if (sids.size() > MaxBulkQueues)
        return badRequest(u"At most %1 TaskQueues per request"_s.arg(MaxBulkQueues));
    QString channel;
    HttpResponse error;
    if (!channelFilter(channelValue, &channel, &error))
        return error;
    QJsonArray data;
    for (const QString &sid : std::as_const(sids)) {
        if (!m_model.queue(sid))
            continue;
        QJsonObject o = m_stats.realtime(sid, channel);
        o.insert(u"task_queue_sid"_s, sid);
        data.append(o);
    }
    return jsonResponse(
        200, QJsonObject{
                 {u"account_sid"_s, m_config.accountSid},
                 {u"workspace_sid"_s, m_config.workspaceSid},
                 {u"task_queue_data"_s, data},
                 {u"task_queue_response_count"_s, data.size()},
                 {u"url"_s, QString(workspaceUrl(origin) + u"/TaskQueues/RealTimeStatistics"_s)},
             });
}

HttpResponse TaskRouterApi::listQueueStatistics(const HttpRequest &request,
                                                const QString &origin) const
{
    CumulativeQuery q;
    HttpResponse error;
    if (!cumulativeQuery(request.query, &q, &error))
        return error;
    const QString friendlyName = query(request, "FriendlyName");
    QList<const TaskQueue *> selected;
    QList<qint64> seqs;
    for (const TaskQueue &queue : m_model.queues()) {
        if (!friendlyName.isEmpty() && queue.friendlyName != friendlyName)
            continue;
        selected.append(&queue);
        seqs.append(queue.seq);
    }
    QString message;
    const auto page =
        paginate(seqs, request.query, workspaceUrl(origin) + u"/TaskQueues/Statistics"_s,
                 u"task_queues_statistics"_s, &message);
    if (!page)
        return badRequest(message);
    QJsonArray items;
    for (qsizetype i = page->begin; i < page->end; ++i) {
        const QString sid = selected.at(i)->sid;
        QJsonObject cumulative = m_stats.cumulative(sid, q);
        QJsonObject realtime = m_stats.realtime(sid, q.channel);
        if (m_fidelity.officialStatisticsList) {
            cumulative = Fidelity::officialCumulative(cumulative);
            realtime = Fidelity::officialRealtime(realtime);
        }
        items.append(QJsonObject{
            {u"account_sid"_s, m_config.accountSid},
            {u"cumulative"_s, cumulative},
            {u"realtime"_s, realtime},
            {u"task_queue_sid"_s, sid},
            {u"workspace_sid"_s, m_config.workspaceSid},
        });
    }
    return jsonResponse(200,
                        QJsonObject{{u"task_queues_statistics"_s, items}, {u"meta"_s, page->meta}});
}

HttpResponse TaskRouterApi::listTaskChannels(const HttpRequest &request,
                                             const QString &origin) const
{
    QList<TaskChannel> channels;
    QList<qint64> seqs;
    for (const TaskChannel &c : m_model.channels()) {
        if (m_setup.listsChannel(c.uniqueName)) {
            channels.append(c);
            seqs.append(c.seq);
        }
    }
    QString error;
    const auto page = paginate(seqs, request.query, workspaceUrl(origin) + u"/TaskChannels"_s,
                               u"channels"_s, &error);
    if (!page)
        return badRequest(error);
    QJsonArray items;
    for (qsizetype i = page->begin; i < page->end; ++i) {
        const TaskChannel &c = channels.at(i);
        const QString created = isoTime(c.createdMs);
        items.append(QJsonObject{
            {u"account_sid"_s, m_config.accountSid},
            {u"date_created"_s, created},
            {u"date_updated"_s, created},
            {u"friendly_name"_s, c.friendlyName},
            {u"sid"_s, c.sid},
            {u"unique_name"_s, c.uniqueName},
            {u"workspace_sid"_s, m_config.workspaceSid},
            {u"channel_optimized_routing"_s, c.uniqueName != u"default"_s},
            {u"url"_s, QString(workspaceUrl(origin) + u"/TaskChannels/"_s + c.sid)},
            {u"links"_s, QJsonObject{{u"workspace"_s, workspaceUrl(origin)}}},
        });
    }
    return jsonResponse(200, QJsonObject{{u"channels"_s, items}, {u"meta"_s, page->meta}});
}

HttpResponse TaskRouterApi::workerStatistics(const HttpRequest &request,
                                             const QString &origin) const
{
    CumulativeQuery q;
    HttpResponse error;
    if (!cumulativeQuery(request.query, &q, &error))
        return error;
    QString queueSid = query(request, "TaskQueueSid");
    const QString queueName = query(request, "TaskQueueName");
    if (queueSid.isEmpty() && !queueName.isEmpty()) {
        for (const TaskQueue &queue : m_model.queues()) {
            if (queue.friendlyName == queueName)
                queueSid = queue.sid;
        }
        if (queueSid.isEmpty())
            return resourceNotFound(request.path);
    }
    if (!queueSid.isEmpty() && !m_model.queue(queueSid))
        return resourceNotFound(request.path);
    return jsonResponse(200,
                        QJsonObject{
                            {u"realtime"_s, m_stats.workersRealtime(queueSid)},
                            {u"cumulative"_s, m_stats.workersCumulative(queueSid, q)},
                            {u"account_sid"_s, m_config.accountSid},
                            {u"workspace_sid"_s, m_config.workspaceSid},
                            {u"url"_s, QString(workspaceUrl(origin) + u"/Workers/Statistics"_s)},
                        });
}

} // namespace flex::emulator
