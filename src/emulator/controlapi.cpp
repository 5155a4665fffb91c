#include "controlapi.h"

#include "callsimulator.h"
#include "contactcentre.h"
#include "faultinjector.h"
#include "setupapi.h"
#include "statscalculator.h"
#include "twilioemulator.h"
#include "twilioerror.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace flex::emulator {

namespace {

HttpResponse controlError(int status, const QString &message)
{
    return jsonResponse(status, QJsonObject{{QStringLiteral("error"), message}});
}

QJsonArray paramsJson(const QList<QPair<QString, QString>> &params)
{
    QJsonArray out;
    for (const auto &p : params)
        out.append(QJsonArray{p.first, p.second});
    return out;
}

} // namespace

ControlApi::ControlApi(TwilioEmulator *emulator)
    : QObject(emulator)
    , m_emulator(emulator)
{}

HttpResponse ControlApi::handle(const HttpRequest &request, const QString &origin)
{
    QString path = request.path.mid(int(qstrlen("/__emulator")));
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    const QByteArray &method = request.method;
    QJsonObject body;
    if (!request.body.trimmed().isEmpty()) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            return controlError(400, QStringLiteral("body must be a JSON object"));
        body = doc.object();
    }
    TwilioEmulator &e = *m_emulator;
    const EmulatorConfig &c = e.config();

    if (method == "GET" && (path.isEmpty() || path == QLatin1String("/state"))) {
        QJsonArray operations;
        for (const QString &op : FaultInjector::operations())
            operations.append(op);
        return jsonResponse(
            200, QJsonObject{
                     {QStringLiteral("baseUrl"), origin},
                     {QStringLiteral("accountSid"), c.accountSid},
                     {QStringLiteral("authToken"), c.authToken},
                     {QStringLiteral("apiKeySid"), c.apiKeySid},
                     {QStringLiteral("apiKeySecret"), c.apiKeySecret},
                     {QStringLiteral("workspaceSid"), c.workspaceSid},
                     {QStringLiteral("workflowSid"), c.workflowSid},
                     {QStringLiteral("frozen"), e.m_model->isFrozen()},
                     {QStringLiteral("now"), e.now().toString(Qt::ISODateWithMs)},
                     {QStringLiteral("queues"), QJsonArray::fromStringList(e.queueSids())},
                     {QStringLiteral("channels"), QJsonArray::fromStringList(e.channelNames())},
                     {QStringLiteral("operations"), operations},
                     {QStringLiteral("callStepMs"), qint64(e.m_calls->stepInterval().count())},
                     {QStringLiteral("talkTimeMs"), qint64(e.m_calls->talkTime().count())},
                 });
    }
    if (path == QLatin1String("/fidelity")) {
        if (method == "POST") {
            QString error;
            if (!e.fidelity().apply(body, &error))
                return controlError(400, error);
        }
        return jsonResponse(200, e.fidelity().toJson());
    }
    if (path.startsWith(QLatin1String("/queues/")) && path.endsWith(QLatin1String("/history")) &&
        method == "POST") {
        const QString sid = path.mid(8).chopped(8);
        if (!e.m_model->queue(sid))
            return controlError(404, QStringLiteral("no such queue"));
        const int tasks = body.value(QStringLiteral("tasks")).toInt(0);
        if (tasks <= 0 || tasks > 100'000)
            return controlError(400, QStringLiteral("tasks must be 1..100000"));
        e.addHistory(sid, body.value(QStringLiteral("channel")).toString(QStringLiteral("voice")),
                     tasks,
                     std::chrono::seconds(body.value(QStringLiteral("waitSeconds")).toInt(0)));
        return jsonResponse(200, QJsonObject{{QStringLiteral("ok"), true}});
    }
    if (path == QLatin1String("/faults")) {
        if (method == "GET")
            return jsonResponse(200, e.m_faults->faultsJson());
        if (method == "DELETE") {
            e.clearFaults(request.query.queryItemValue(QStringLiteral("operation")));
            return jsonResponse(200, e.m_faults->faultsJson());
        }
        if (method == "POST") {
            const QString op = body.value(QStringLiteral("operation")).toString();
            const auto kind =
                Fault::kindFromString(body.value(QStringLiteral("kind")).toVariant().toString());
            if (!FaultInjector::operations().contains(op))
                return controlError(400, QStringLiteral("unknown operation: ") + op);
            if (!kind)
                return controlError(
                    400, QStringLiteral("kind must be 401, 404, 429, 500, 503, delay or drop"));
            Fault f;
            f.kind = *kind;
            f.remaining = body.value(QStringLiteral("count")).toInt(1);
            if (f.remaining == 0)
                f.remaining = 1;
            f.retryAfterSeconds = body.value(QStringLiteral("retryAfter")).toInt(1);
            f.delay = std::chrono::milliseconds(body.value(QStringLiteral("delayMs")).toInt(0));
            e.m_faults->addFault(op, f);
            return jsonResponse(200, e.m_faults->faultsJson());
        }
    }
    if (path == QLatin1String("/setup"))
        return e.m_setupApi->control(method, body);
    if (path == QLatin1String("/faults/clear") && method == "POST") {
        e.clearFaults(body.value(QStringLiteral("operation")).toString());
        return jsonResponse(200, e.m_faults->faultsJson());
    }
    if (path == QLatin1String("/counters") && method == "GET")
        return jsonResponse(200, e.m_faults->countersJson());
    if (path == QLatin1String("/counters/reset") && method == "POST") {
        e.resetCounters();
        return jsonResponse(200, e.m_faults->countersJson());
    }
    if (path == QLatin1String("/requests") && method == "GET") {
        QJsonArray out;
        for (const RecordedRequestInfo &r : e.recentRequests()) {
            out.append(QJsonObject{{QStringLiteral("operation"), r.operation},
                                   {QStringLiteral("method"), r.method},
                                   {QStringLiteral("path"), r.path},
                                   {QStringLiteral("query"), r.query},
                                   {QStringLiteral("form"), paramsJson(r.formParams)},
                                   {QStringLiteral("status"), r.status}});
        }
        return jsonResponse(200, QJsonObject{{QStringLiteral("requests"), out}});
    }
    if (path == QLatin1String("/reset") && method == "POST") {
        e.reset();
        return jsonResponse(200, QJsonObject{{QStringLiteral("ok"), true}});
    }
    if (path == QLatin1String("/tokens") && method == "POST") {
        const QString token = body.value(QStringLiteral("token")).toString();
        const QString identity = body.value(QStringLiteral("identity")).toString();
        if (token.isEmpty() || identity.isEmpty())
            return controlError(400, QStringLiteral("token and identity are required"));
        QStringList roles;
        for (const QJsonValue &v : body.value(QStringLiteral("roles")).toArray())
            roles.append(v.toString());
        if (roles.isEmpty())
            roles.append(QStringLiteral("agent"));
        QDateTime expiration;
        if (body.contains(QStringLiteral("expiration"))) {
            expiration = QDateTime::fromString(body.value(QStringLiteral("expiration")).toString(),
                                               Qt::ISODateWithMs);
            if (!expiration.isValid())
                return controlError(400, QStringLiteral("expiration must be ISO 8601"));
        } else if (body.contains(QStringLiteral("ttlSeconds"))) {
            expiration = QDateTime::currentDateTimeUtc().addSecs(
                body.value(QStringLiteral("ttlSeconds")).toInteger());
        }
        e.addToken(token, identity, roles, expiration,
                   body.value(QStringLiteral("workerSid")).toString());
        return jsonResponse(200, QJsonObject{{QStringLiteral("ok"), true}});
    }
    if (path == QLatin1String("/queues")) {
        if (method == "GET") {
            QJsonArray out;
            for (const TaskQueue &q : e.m_model->queues())
                out.append(QJsonObject{{QStringLiteral("sid"), q.sid},
                                       {QStringLiteral("friendly_name"), q.friendlyName}});
            return jsonResponse(200, QJsonObject{{QStringLiteral("queues"), out}});
        }
        if (method == "POST") {
            const QString name = body.value(QStringLiteral("name")).toString();
            if (name.isEmpty())
                return controlError(400, QStringLiteral("name is required"));
            return jsonResponse(200, QJsonObject{{QStringLiteral("sid"), e.addQueue(name)},
                                                 {QStringLiteral("friendly_name"), name}});
        }
    }
    if (path.startsWith(QLatin1String("/queues/")) && method == "DELETE") {
        const QString sid = path.mid(8);
        if (!e.removeQueue(sid))
            return controlError(404, QStringLiteral("no such queue"));
        return jsonResponse(200, QJsonObject{{QStringLiteral("ok"), true}});
    }
    if (path == QLatin1String("/tick") && method == "POST") {
        e.tick(std::max(1, body.value(QStringLiteral("count")).toInt(1)));
        return jsonResponse(
            200, QJsonObject{{QStringLiteral("now"), e.now().toString(Qt::ISODateWithMs)}});
    }
    if (path == QLatin1String("/freeze") && method == "POST") {
        e.setFrozen(body.value(QStringLiteral("frozen")).toBool(true));
        return jsonResponse(200, QJsonObject{{QStringLiteral("frozen"), e.m_model->isFrozen()}});
    }
    if (path == QLatin1String("/calls/config") && method == "POST") {
        if (body.contains(QStringLiteral("callStepMs")))
            e.setCallStepInterval(
                std::chrono::milliseconds(body.value(QStringLiteral("callStepMs")).toInt()));
        if (body.contains(QStringLiteral("talkTimeMs")))
            e.setTalkTime(
                std::chrono::milliseconds(body.value(QStringLiteral("talkTimeMs")).toInt()));
        if (body.contains(QStringLiteral("reorderCallbacks")))
            e.setReorderCallbacks(body.value(QStringLiteral("reorderCallbacks")).toBool());
        if (body.contains(QStringLiteral("earlyCallbacks")))
            e.setEarlyCallbacks(body.value(QStringLiteral("earlyCallbacks")).toBool());
        return jsonResponse(200, QJsonObject{{QStringLiteral("ok"), true}});
    }
    if (path == QLatin1String("/calls") && method == "GET")
        return jsonResponse(200, QJsonObject{{QStringLiteral("calls"), e.m_calls->callsJson()}});
    if (path == QLatin1String("/callbacks") && method == "GET") {
        QJsonArray out;
        for (const OutgoingRequest &r : e.outgoingRequests()) {
            out.append(QJsonObject{{QStringLiteral("kind"), r.kind},
                                   {QStringLiteral("callSid"), r.callSid},
                                   {QStringLiteral("url"), r.url},
                                   {QStringLiteral("callStatus"), r.callStatus},
                                   {QStringLiteral("sequenceNumber"), r.sequenceNumber},
                                   {QStringLiteral("params"), paramsJson(r.params)},
                                   {QStringLiteral("signature"), QString::fromLatin1(r.signature)},
                                   {QStringLiteral("httpStatus"), r.httpStatus}});
        }
        return jsonResponse(200, QJsonObject{{QStringLiteral("callbacks"), out}});
    }
    if (path.startsWith(QLatin1String("/stats/")) && method == "GET") {
        // /stats/{WQ}?channel=&start=&end=&split=30,60 — the model's own numbers.
        const QString sid = path.mid(7);
        if (!e.m_model->queue(sid))
            return controlError(404, QStringLiteral("no such queue"));
        const QString channel = request.query.queryItemValue(QStringLiteral("channel"));
        QDateTime start = QDateTime::fromString(
            request.query.queryItemValue(QStringLiteral("start"), QUrl::FullyDecoded), Qt::ISODate);
        QDateTime end = QDateTime::fromString(
            request.query.queryItemValue(QStringLiteral("end"), QUrl::FullyDecoded), Qt::ISODate);
        if (!end.isValid())
            end = e.now();
        if (!start.isValid())
            start = end.addSecs(-15 * 60);
        QList<int> split;
        StatsCalculator::parseSplit(request.query.queryItemValue(QStringLiteral("split")), &split);
        return jsonResponse(200,
                            QJsonObject{
                                {QStringLiteral("realtime"), e.realtimeStatistics(sid, channel)},
                                {QStringLiteral("cumulative"),
                                 e.cumulativeStatistics(sid, start, end, channel, split)},
                            });
    }
    return controlError(404, QStringLiteral("unknown control route"));
}

} // namespace flex::emulator
