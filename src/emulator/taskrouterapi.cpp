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
    return origin + QStringLiteral("/v1/Workspaces/") + m_config.workspaceSid;
}

QJsonObject TaskRouterApi::queueJson(const TaskQueue &queue, const QString &origin) const
{
    const QString ws = workspaceUrl(origin);
    const QString url = ws + QStringLiteral("/TaskQueues/") + queue.sid;
    const QString created = isoTime(queue.createdMs);
    return QJsonObject{
        {QStringLiteral("account_sid"), m_config.accountSid},
        {QStringLiteral("assignment_activity_sid"), QJsonValue::Null},
        {QStringLiteral("assignment_activity_name"), QJsonValue::Null},
        {QStringLiteral("date_created"), created},
        {QStringLiteral("date_updated"), created},
        {QStringLiteral("friendly_name"), queue.friendlyName},
        {QStringLiteral("max_reserved_workers"), 1},
        {QStringLiteral("reservation_activity_sid"), QJsonValue::Null},
        {QStringLiteral("reservation_activity_name"), QJsonValue::Null},
        {QStringLiteral("sid"), queue.sid},
        {QStringLiteral("target_workers"), m_setup.targetWorkers(queue.sid)},
        {QStringLiteral("task_order"), QStringLiteral("FIFO")},
        {QStringLiteral("url"), url},
        {QStringLiteral("workspace_sid"), m_config.workspaceSid},
        {QStringLiteral("links"),
         QJsonObject{
             {QStringLiteral("workspace"), ws},
             {QStringLiteral("statistics"), QString(url + QStringLiteral("/Statistics"))},
             {QStringLiteral("real_time_statistics"),
              QString(url + QStringLiteral("/RealTimeStatistics"))},
             {QStringLiteral("cumulative_statistics"),
              QString(url + QStringLiteral("/CumulativeStatistics"))},
             {QStringLiteral("list_statistics"),
              QString(ws + QStringLiteral("/TaskQueues/Statistics"))},
             {QStringLiteral("bulk_real_time_statistics"),
              QString(ws + QStringLiteral("/TaskQueues/RealTimeStatistics"))},
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
    const auto page =
        paginate(seqs, request.query, workspaceUrl(origin) + QStringLiteral("/TaskQueues"),
                 QStringLiteral("task_queues"), &error);
    if (!page)
        return badRequest(error);
    QJsonArray items;
    for (qsizetype i = page->begin; i < page->end; ++i)
        items.append(queueJson(*selected.at(i), origin));
    return jsonResponse(200, QJsonObject{{QStringLiteral("task_queues"), items},
                                         {QStringLiteral("meta"), page->meta}});
}

HttpResponse TaskRouterApi::fetchTaskQueue(const QString &sid, const QString &origin) const
{
    const TaskQueue *q = m_model.queue(sid);
    if (!q)
        return resourceNotFound(
            QStringLiteral("/v1/Workspaces/%1/TaskQueues/%2").arg(m_config.workspaceSid, sid));
    return jsonResponse(200, queueJson(*q, origin));
}

bool TaskRouterApi::channelFilter(const QString &value, QString *channel, HttpResponse *error) const
{
    channel->clear();
    if (value.isEmpty())
        return true;
    const auto resolved = m_model.resolveChannel(value);
    if (!resolved) {
        *error = badRequest(QStringLiteral("Invalid TaskChannel: %1").arg(value));
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
        *error = badRequest(QStringLiteral("SplitByWaitTime must be a comma separated list of "
                                           "positive integers"));
        return false;
    }
    QString channel;
    if (!channelFilter(value("TaskChannel"), &channel, error))
        return false;
    out->channel = channel;
    return true;
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
    QJsonObject o = m_stats.realtime(queueSid, channel);
    o.insert(QStringLiteral("account_sid"), m_config.accountSid);
    o.insert(QStringLiteral("task_queue_sid"), queueSid);
    o.insert(QStringLiteral("workspace_sid"), m_config.workspaceSid);
    o.insert(QStringLiteral("url"), QString(workspaceUrl(origin) + QStringLiteral("/TaskQueues/") +
                                            queueSid + QStringLiteral("/RealTimeStatistics")));
    return jsonResponse(200, o);
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
    QJsonObject o = m_stats.cumulative(queueSid, q);
    o.insert(QStringLiteral("account_sid"), m_config.accountSid);
    o.insert(QStringLiteral("task_queue_sid"), queueSid);
    o.insert(QStringLiteral("workspace_sid"), m_config.workspaceSid);
    o.insert(QStringLiteral("url"), QString(workspaceUrl(origin) + QStringLiteral("/TaskQueues/") +
                                            queueSid + QStringLiteral("/CumulativeStatistics")));
    return jsonResponse(200, o);
}

HttpResponse TaskRouterApi::bulkRealtimeStatistics(const HttpRequest &request,
                                                   const QString &origin) const
{
    // The request field name is not documented: accept any array of queue
    // sids (strings or objects with a sid) anywhere at the top level.
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return badRequest(QStringLiteral("Request body must be JSON"));
    QStringList sids;
    QString channelValue;
    auto collect = [&sids](const QJsonArray &array) {
        for (const QJsonValue &v : array) {
            QString sid = v.toString();
            if (v.isObject()) {
                const QJsonObject o = v.toObject();
                sid = o.value(QStringLiteral("task_queue_sid"))
                          .toString(o.value(QStringLiteral("sid")).toString());
            }
            if (sid.startsWith(QLatin1String("WQ")) && !sids.contains(sid))
                sids.append(sid);
        }
    };
    if (doc.isArray())
        collect(doc.array());
    const QJsonObject body = doc.object();
    for (auto it = body.begin(); it != body.end(); ++it) {
        if (it->isArray())
            collect(it->toArray());
        else if (it.key().compare(QLatin1String("TaskChannel"), Qt::CaseInsensitive) == 0 ||
                 it.key() == QLatin1String("task_channel"))
            channelValue = it->toString();
    }
    if (sids.isEmpty())
        return badRequest(QStringLiteral("No TaskQueue sids given"));
    if (sids.size() > MaxBulkQueues)
        return badRequest(QStringLiteral("At most %1 TaskQueues per request").arg(MaxBulkQueues));
    QString channel;
    HttpResponse error;
    if (!channelFilter(channelValue, &channel, &error))
        return error;
    QJsonArray data;
    for (const QString &sid : std::as_const(sids)) {
        if (!m_model.queue(sid))
            continue;
        QJsonObject o = m_stats.realtime(sid, channel);
        o.insert(QStringLiteral("task_queue_sid"), sid);
        data.append(o);
    }
    return jsonResponse(
        200, QJsonObject{
                 {QStringLiteral("account_sid"), m_config.accountSid},
                 {QStringLiteral("workspace_sid"), m_config.workspaceSid},
                 {QStringLiteral("task_queue_data"), data},
                 {QStringLiteral("task_queue_response_count"), data.size()},
                 {QStringLiteral("url"),
                  QString(workspaceUrl(origin) + QStringLiteral("/TaskQueues/RealTimeStatistics"))},
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
    const auto page = paginate(seqs, request.query,
                               workspaceUrl(origin) + QStringLiteral("/TaskQueues/Statistics"),
                               QStringLiteral("task_queues_statistics"), &message);
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
            {QStringLiteral("account_sid"), m_config.accountSid},
            {QStringLiteral("cumulative"), cumulative},
            {QStringLiteral("realtime"), realtime},
            {QStringLiteral("task_queue_sid"), sid},
            {QStringLiteral("workspace_sid"), m_config.workspaceSid},
        });
    }
    return jsonResponse(200, QJsonObject{{QStringLiteral("task_queues_statistics"), items},
                                         {QStringLiteral("meta"), page->meta}});
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
    const auto page =
        paginate(seqs, request.query, workspaceUrl(origin) + QStringLiteral("/TaskChannels"),
                 QStringLiteral("channels"), &error);
    if (!page)
        return badRequest(error);
    QJsonArray items;
    for (qsizetype i = page->begin; i < page->end; ++i) {
        const TaskChannel &c = channels.at(i);
        const QString created = isoTime(c.createdMs);
        items.append(QJsonObject{
            {QStringLiteral("account_sid"), m_config.accountSid},
            {QStringLiteral("date_created"), created},
            {QStringLiteral("date_updated"), created},
            {QStringLiteral("friendly_name"), c.friendlyName},
            {QStringLiteral("sid"), c.sid},
            {QStringLiteral("unique_name"), c.uniqueName},
            {QStringLiteral("workspace_sid"), m_config.workspaceSid},
            {QStringLiteral("channel_optimized_routing"), c.uniqueName != QLatin1String("default")},
            {QStringLiteral("url"),
             QString(workspaceUrl(origin) + QStringLiteral("/TaskChannels/") + c.sid)},
            {QStringLiteral("links"),
             QJsonObject{{QStringLiteral("workspace"), workspaceUrl(origin)}}},
        });
    }
    return jsonResponse(200, QJsonObject{{QStringLiteral("channels"), items},
                                         {QStringLiteral("meta"), page->meta}});
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
                            {QStringLiteral("realtime"), m_stats.workersRealtime(queueSid)},
                            {QStringLiteral("cumulative"), m_stats.workersCumulative(queueSid, q)},
                            {QStringLiteral("account_sid"), m_config.accountSid},
                            {QStringLiteral("workspace_sid"), m_config.workspaceSid},
                            {QStringLiteral("url"),
                             QString(workspaceUrl(origin) + QStringLiteral("/Workers/Statistics"))},
                        });
}

} // namespace flex::emulator
