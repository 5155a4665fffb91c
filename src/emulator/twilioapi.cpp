#include "twilioapi.h"

#include "callsimulator.h"
#include "contactcentre.h"
#include "pager.h"
#include "requestsigner.h"
#include "setupmodel.h"
#include "twilioerror.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QUrl>

namespace flex::emulator {

namespace {

constexpr int MaxBulkQueues = 50;

QString query(const HttpRequest &request, const char *name)
{
    return request.query.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded);
}

HttpResponse notFound(const QString &path)
{
    return twilioError(404, 20404,
                       QStringLiteral("The requested resource %1 was not found").arg(path));
}

HttpResponse badRequest(const QString &message)
{
    return twilioError(400, 20001, message);
}

QString isoTime(qint64 ms)
{
    return StatsCalculator::isoTime(ms);
}

} // namespace

TwilioApi::TwilioApi(const EmulatorConfig &config, ContactCentre *model, CallSimulator *calls,
                     QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_model(model)
    , m_calls(calls)
    , m_stats(*model)
{
    const QString ws = QStringLiteral("^/v1/Workspaces/([^/]+)");
    auto add = [this](const char *op, const char *method, const QString &pattern) {
        m_routes.append({QString::fromLatin1(op), QByteArray(method), QRegularExpression(pattern)});
    };
    add("ValidateToken", "POST", QStringLiteral("^/v1/Accounts/([^/]+)/Tokens/validate$"));
    add("CreateCall", "POST", QStringLiteral("^/2010-04-01/Accounts/([^/]+)/Calls\\.json$"));
    add("FetchCall", "GET", QStringLiteral("^/2010-04-01/Accounts/([^/]+)/Calls/([^/]+)\\.json$"));
    add("UpdateCall", "POST",
        QStringLiteral("^/2010-04-01/Accounts/([^/]+)/Calls/([^/]+)\\.json$"));
    add("ListTaskQueuesStatistics", "GET", ws + QStringLiteral("/TaskQueues/Statistics$"));
    add("CreateTaskQueueBulkRealTimeStatistics", "POST",
        ws + QStringLiteral("/TaskQueues/RealTimeStatistics$"));
    add("ListTaskQueue", "GET", ws + QStringLiteral("/TaskQueues$"));
    add("FetchTaskQueueRealTimeStatistics", "GET",
        ws + QStringLiteral("/TaskQueues/([^/]+)/RealTimeStatistics$"));
    add("FetchTaskQueueCumulativeStatistics", "GET",
        ws + QStringLiteral("/TaskQueues/([^/]+)/CumulativeStatistics$"));
    add("FetchTaskQueue", "GET", ws + QStringLiteral("/TaskQueues/([^/]+)$"));
    add("ListTaskChannel", "GET", ws + QStringLiteral("/TaskChannels$"));
    add("FetchWorkerStatistics", "GET", ws + QStringLiteral("/Workers/Statistics$"));
}

QString TwilioApi::operationFor(const HttpRequest &request) const
{
    for (const Route &r : m_routes) {
        if (r.method == request.method && r.pattern.match(request.path).hasMatch())
            return r.operation;
    }
    return {};
}

bool TwilioApi::authenticated(const HttpRequest &request) const
{
    const QByteArray header = request.header("authorization");
    if (!header.startsWith("Basic "))
        return false;
    const QByteArray decoded = QByteArray::fromBase64(header.mid(6).trimmed());
    const qsizetype colon = decoded.indexOf(':');
    if (colon < 0)
        return false;
    const QString user = QString::fromUtf8(decoded.left(colon));
    const QString password = QString::fromUtf8(decoded.mid(colon + 1));
    if (m_setup)
        return m_setup->accepts(user, password);
    return (user == m_config.accountSid && password == m_config.authToken) ||
           (!m_config.apiKeySid.isEmpty() && user == m_config.apiKeySid &&
            password == m_config.apiKeySecret);
}

void TwilioApi::handle(const HttpRequest &request, const QString &operation, const QString &origin,
                       const Done &done)
{
    const Route *route = nullptr;
    QRegularExpressionMatch match;
    for (const Route &r : m_routes) {
        if (r.operation == operation) {
            route = &r;
            match = r.pattern.match(request.path);
            break;
        }
    }
    if (!route || !match.hasMatch()) {
        for (const Route &r : m_routes) {
            if (r.pattern.match(request.path).hasMatch()) {
                done(twilioError(405, 20004, QStringLiteral("Method not allowed")));
                return;
            }
        }
        done(notFound(request.path));
        return;
    }
    if (!authenticated(request)) {
        done(twilioError(401, 20003, QStringLiteral("Authenticate")));
        return;
    }
    const QString owner = match.captured(1);
    const bool accountPath = !request.path.startsWith(QLatin1String("/v1/Workspaces/"));
    if (accountPath && owner != m_config.accountSid) {
        done(twilioError(401, 20003, QStringLiteral("Authenticate")));
        return;
    }
    if (!accountPath && owner != m_config.workspaceSid) {
        done(notFound(request.path));
        return;
    }
    const QString id = match.captured(2);

    if (operation.startsWith(QLatin1String("List"))) {
        const Done direct = done;
        handleOperation(request, operation, id, origin, [this, direct](const HttpResponse &r) {
            direct(m_fidelity.withPageHost(r));
        });
    } else {
        handleOperation(request, operation, id, origin, done);
    }
}

void TwilioApi::handleOperation(const HttpRequest &request, const QString &operation,
                                const QString &id, const QString &origin, const Done &done)
{
    if (operation == QLatin1String("ValidateToken")) {
        done(validateToken(request));
    } else if (operation == QLatin1String("CreateCall")) {
        m_calls->create(formDecode(request.body), done);
    } else if (operation == QLatin1String("FetchCall")) {
        const auto call = m_calls->fetch(id);
        done(call ? jsonResponse(200, *call) : notFound(request.path));
    } else if (operation == QLatin1String("UpdateCall")) {
        m_calls->update(id, formDecode(request.body), done);
    } else if (operation == QLatin1String("ListTaskQueue")) {
        done(listTaskQueues(request, origin));
    } else if (operation == QLatin1String("FetchTaskQueue")) {
        done(fetchTaskQueue(id, origin));
    } else if (operation == QLatin1String("FetchTaskQueueRealTimeStatistics")) {
        done(realtimeStatistics(request, id, origin));
    } else if (operation == QLatin1String("FetchTaskQueueCumulativeStatistics")) {
        done(cumulativeStatistics(request, id, origin));
    } else if (operation == QLatin1String("CreateTaskQueueBulkRealTimeStatistics")) {
        done(bulkRealtimeStatistics(request, origin));
    } else if (operation == QLatin1String("ListTaskQueuesStatistics")) {
        done(listQueueStatistics(request, origin));
    } else if (operation == QLatin1String("ListTaskChannel")) {
        done(listTaskChannels(request, origin));
    } else if (operation == QLatin1String("FetchWorkerStatistics")) {
        done(workerStatistics(request, origin));
    } else {
        done(notFound(request.path));
    }
}

HttpResponse TwilioApi::validateToken(const HttpRequest &request) const
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    const QString token = doc.object().value(QStringLiteral("token")).toString();
    if (parseError.error != QJsonParseError::NoError || !doc.isObject() || token.isEmpty())
        return badRequest(QStringLiteral("Request body must be JSON with a 'token' string"));
    const auto it = m_tokens.constFind(token);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    // Invalid and expired tokens: valid=false, with the status the fidelity
    // knob names (the validator library only reads the body; see README).
    const int invalidStatus = m_fidelity.invalidTokenStatus;
    if (it == m_tokens.cend()) {
        return jsonResponse(invalidStatus, QJsonObject{{QStringLiteral("valid"), false},
                                                       {QStringLiteral("code"), 20101},
                                                       {QStringLiteral("message"),
                                                        QStringLiteral("Invalid Access Token")}});
    }
    if (it->expiration.isValid() && it->expiration <= now) {
        return jsonResponse(
            invalidStatus,
            QJsonObject{{QStringLiteral("valid"), false},
                        {QStringLiteral("code"), 20104},
                        {QStringLiteral("message"),
                         QStringLiteral("Access Token expired or expiration date invalid")}});
    }
    QString workerSid = it->workerSid;
    if (workerSid.isEmpty()) {
        workerSid =
            QStringLiteral("WK") +
            QString::fromLatin1(
                QCryptographicHash::hash(it->identity.toUtf8(), QCryptographicHash::Md5).toHex());
    }
    const QDateTime expiration = it->expiration.isValid() ? it->expiration : now.addSecs(3600);
    return jsonResponse(
        200, QJsonObject{
                 {QStringLiteral("valid"), true},
                 {QStringLiteral("code"), 0},
                 {QStringLiteral("message"), QJsonValue::Null},
                 {QStringLiteral("expiration"),
                  expiration.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzzZ"))},
                 {QStringLiteral("realm_user_id"),
                  it->realmUserId.isEmpty() ? it->identity : it->realmUserId},
                 {QStringLiteral("identity"), it->identity},
                 {QStringLiteral("roles"), QJsonArray::fromStringList(it->roles)},
                 {QStringLiteral("worker_sid"), workerSid},
             });
}

QString TwilioApi::workspaceUrl(const QString &origin) const
{
    return origin + QStringLiteral("/v1/Workspaces/") + m_config.workspaceSid;
}

QJsonObject TwilioApi::queueJson(const TaskQueue &queue, const QString &origin) const
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
        {QStringLiteral("target_workers"),
         m_setup ? m_setup->targetWorkers(queue.sid) : QStringLiteral("1==1")},
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

HttpResponse TwilioApi::listTaskQueues(const HttpRequest &request, const QString &origin) const
{
    const QString friendlyName = query(request, "FriendlyName");
    QList<const TaskQueue *> selected;
    QList<qint64> seqs;
    for (const TaskQueue &q : m_model->queues()) {
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

HttpResponse TwilioApi::fetchTaskQueue(const QString &sid, const QString &origin) const
{
    const TaskQueue *q = m_model->queue(sid);
    if (!q)
        return notFound(
            QStringLiteral("/v1/Workspaces/%1/TaskQueues/%2").arg(m_config.workspaceSid, sid));
    return jsonResponse(200, queueJson(*q, origin));
}

bool TwilioApi::channelFilter(const QString &value, QString *channel, HttpResponse *error) const
{
    channel->clear();
    if (value.isEmpty())
        return true;
    const auto resolved = m_model->resolveChannel(value);
    if (!resolved) {
        *error = badRequest(QStringLiteral("Invalid TaskChannel: %1").arg(value));
        return false;
    }
    *channel = *resolved;
    return true;
}

bool TwilioApi::cumulativeQuery(const QUrlQuery &q, CumulativeQuery *out, HttpResponse *error) const
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

HttpResponse TwilioApi::realtimeStatistics(const HttpRequest &request, const QString &queueSid,
                                           const QString &origin) const
{
    if (!m_model->queue(queueSid))
        return notFound(request.path);
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

HttpResponse TwilioApi::cumulativeStatistics(const HttpRequest &request, const QString &queueSid,
                                             const QString &origin) const
{
    if (!m_model->queue(queueSid))
        return notFound(request.path);
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

HttpResponse TwilioApi::bulkRealtimeStatistics(const HttpRequest &request,
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
        if (!m_model->queue(sid))
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

HttpResponse TwilioApi::listQueueStatistics(const HttpRequest &request, const QString &origin) const
{
    CumulativeQuery q;
    HttpResponse error;
    if (!cumulativeQuery(request.query, &q, &error))
        return error;
    const QString friendlyName = query(request, "FriendlyName");
    QList<const TaskQueue *> selected;
    QList<qint64> seqs;
    for (const TaskQueue &queue : m_model->queues()) {
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

HttpResponse TwilioApi::listTaskChannels(const HttpRequest &request, const QString &origin) const
{
    QList<TaskChannel> channels;
    QList<qint64> seqs;
    for (const TaskChannel &c : m_model->channels()) {
        if (!m_setup || m_setup->listsChannel(c.uniqueName)) {
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

HttpResponse TwilioApi::workerStatistics(const HttpRequest &request, const QString &origin) const
{
    CumulativeQuery q;
    HttpResponse error;
    if (!cumulativeQuery(request.query, &q, &error))
        return error;
    QString queueSid = query(request, "TaskQueueSid");
    const QString queueName = query(request, "TaskQueueName");
    if (queueSid.isEmpty() && !queueName.isEmpty()) {
        for (const TaskQueue &queue : m_model->queues()) {
            if (queue.friendlyName == queueName)
                queueSid = queue.sid;
        }
        if (queueSid.isEmpty())
            return notFound(request.path);
    }
    if (!queueSid.isEmpty() && !m_model->queue(queueSid))
        return notFound(request.path);
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
