#include "controlapi.h"

#include "callsimulator.h"
#include "contactcentre.h"
#include "faultinjector.h"
#include "setupapi.h"
#include "statscalculator.h"
#include "twilioemulator.h"
#include "twilioerror.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>

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
{
    addStateRoutes();
    addFaultRoutes();
    addModelRoutes();
    addCallRoutes();
}

void ControlApi::route(const QByteArray &method, const QString &path, Handler handler)
{
    const bool prefix = path.endsWith(QLatin1Char('/'));
    m_routes.push_back({method, path, prefix, std::move(handler)});
}

HttpResponse ControlApi::handle(const HttpRequest &request, const QString &origin)
{
    QString path = request.path.mid(int(qstrlen("/__emulator")));
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    Call call{request, {}, {}, origin};
    if (!request.body.trimmed().isEmpty()) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            return controlError(400, QStringLiteral("body must be a JSON object"));
        call.body = doc.object();
    }
    for (const Route &r : m_routes) {
        if (!r.method.isEmpty() && r.method != request.method)
            continue;
        if (r.prefix ? path.startsWith(r.path) && path.size() > r.path.size() : path == r.path) {
            call.tail = r.prefix ? path.mid(r.path.size()) : QString();
            return r.handler(call);
        }
    }
    return controlError(404, QStringLiteral("unknown control route"));
}

void ControlApi::addStateRoutes()
{
    TwilioEmulator &e = *m_emulator;
    const auto state = [&e](const Call &call) {
        const EmulatorConfig &c = e.config();
        QJsonArray operations;
        for (const QString &op : FaultInjector::operations())
            operations.append(op);
        return jsonResponse(
            200, QJsonObject{
                     {QStringLiteral("baseUrl"), call.origin},
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
    };
    route("GET", QString(), state);
    route("GET", QStringLiteral("/state"), state);
    route("POST", QStringLiteral("/reset"), [&e](const Call &) {
        e.reset();
        return jsonResponse(200, QJsonObject{{QStringLiteral("ok"), true}});
    });
    route("GET", QStringLiteral("/fidelity"),
          [&e](const Call &) { return jsonResponse(200, e.fidelity().toJson()); });
    route("POST", QStringLiteral("/fidelity"), [&e](const Call &call) {
        QString error;
        if (!e.fidelity().apply(call.body, &error))
            return controlError(400, error);
        return jsonResponse(200, e.fidelity().toJson());
    });
    route({}, QStringLiteral("/setup"),
          [&e](const Call &call) { return e.m_setupApi->control(call.request.method, call.body); });
    route("POST", QStringLiteral("/tokens"),
          [&e](const Call &call) { return addToken(e, call.body); });
}

void ControlApi::addFaultRoutes()
{
    TwilioEmulator &e = *m_emulator;
    route("GET", QStringLiteral("/faults"),
          [&e](const Call &) { return jsonResponse(200, e.m_faults->faultsJson()); });
    route("DELETE", QStringLiteral("/faults"), [&e](const Call &call) {
        e.clearFaults(call.request.query.queryItemValue(QStringLiteral("operation")));
        return jsonResponse(200, e.m_faults->faultsJson());
    });
    route("POST", QStringLiteral("/faults"), [&e](const Call &call) {
        const QJsonObject &body = call.body;
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
    });
    route("POST", QStringLiteral("/faults/clear"), [&e](const Call &call) {
        e.clearFaults(call.body.value(QStringLiteral("operation")).toString());
        return jsonResponse(200, e.m_faults->faultsJson());
    });
    route("GET", QStringLiteral("/counters"),
          [&e](const Call &) { return jsonResponse(200, e.m_faults->countersJson()); });
    route("POST", QStringLiteral("/counters/reset"), [&e](const Call &) {
        e.resetCounters();
        return jsonResponse(200, e.m_faults->countersJson());
    });
    route("GET", QStringLiteral("/requests"), [&e](const Call &) {
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
    });
}

void ControlApi::addModelRoutes()
{
    TwilioEmulator &e = *m_emulator;
    route("GET", QStringLiteral("/queues"), [&e](const Call &) {
        QJsonArray out;
        for (const TaskQueue &q : e.m_model->queues())
            out.append(QJsonObject{{QStringLiteral("sid"), q.sid},
                                   {QStringLiteral("friendly_name"), q.friendlyName}});
        return jsonResponse(200, QJsonObject{{QStringLiteral("queues"), out}});
    });
    route("POST", QStringLiteral("/queues"), [&e](const Call &call) {
        const QString name = call.body.value(QStringLiteral("name")).toString();
        if (name.isEmpty())
            return controlError(400, QStringLiteral("name is required"));
        return jsonResponse(200, QJsonObject{{QStringLiteral("sid"), e.addQueue(name)},
                                             {QStringLiteral("friendly_name"), name}});
    });
    route("DELETE", QStringLiteral("/queues/"), [&e](const Call &call) {
        if (!e.removeQueue(call.tail))
            return controlError(404, QStringLiteral("no such queue"));
        return jsonResponse(200, QJsonObject{{QStringLiteral("ok"), true}});
    });
    // POST /queues/{WQ}/history
    route("POST", QStringLiteral("/queues/"), [&e](const Call &call) {
        if (!call.tail.endsWith(QLatin1String("/history")))
            return controlError(404, QStringLiteral("unknown control route"));
        const QString sid = call.tail.chopped(int(qstrlen("/history")));
        if (!e.m_model->queue(sid))
            return controlError(404, QStringLiteral("no such queue"));
        const int tasks = call.body.value(QStringLiteral("tasks")).toInt(0);
        if (tasks <= 0 || tasks > 100'000)
            return controlError(400, QStringLiteral("tasks must be 1..100000"));
        e.addHistory(
            sid, call.body.value(QStringLiteral("channel")).toString(QStringLiteral("voice")),
            tasks, std::chrono::seconds(call.body.value(QStringLiteral("waitSeconds")).toInt(0)));
        return jsonResponse(200, QJsonObject{{QStringLiteral("ok"), true}});
    });
    route("POST", QStringLiteral("/tick"), [&e](const Call &call) {
        e.tick(std::max(1, call.body.value(QStringLiteral("count")).toInt(1)));
        return jsonResponse(
            200, QJsonObject{{QStringLiteral("now"), e.now().toString(Qt::ISODateWithMs)}});
    });
    route("POST", QStringLiteral("/freeze"), [&e](const Call &call) {
        e.setFrozen(call.body.value(QStringLiteral("frozen")).toBool(true));
        return jsonResponse(200, QJsonObject{{QStringLiteral("frozen"), e.m_model->isFrozen()}});
    });
    route("GET", QStringLiteral("/stats/"), [&e](const Call &call) { return stats(e, call); });
}

void ControlApi::addCallRoutes()
{
    TwilioEmulator &e = *m_emulator;
    route("POST", QStringLiteral("/calls/config"), [&e](const Call &call) {
        const QJsonObject &body = call.body;
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
    });
    route("GET", QStringLiteral("/calls"), [&e](const Call &) {
        return jsonResponse(200, QJsonObject{{QStringLiteral("calls"), e.m_calls->callsJson()}});
    });
    route("GET", QStringLiteral("/callbacks"), [&e](const Call &) {
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
    });
}

HttpResponse ControlApi::addToken(TwilioEmulator &e, const QJsonObject &body)
{
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

// GET /stats/{WQ}?channel=&start=&end=&split=30,60 — the model's own numbers.
HttpResponse ControlApi::stats(TwilioEmulator &e, const Call &call)
{
    const QString &sid = call.tail;
    if (!e.m_model->queue(sid))
        return controlError(404, QStringLiteral("no such queue"));
    const QUrlQuery &query = call.request.query;
    const QString channel = query.queryItemValue(QStringLiteral("channel"));
    QDateTime start = QDateTime::fromString(
        query.queryItemValue(QStringLiteral("start"), QUrl::FullyDecoded), Qt::ISODate);
    QDateTime end = QDateTime::fromString(
        query.queryItemValue(QStringLiteral("end"), QUrl::FullyDecoded), Qt::ISODate);
    if (!end.isValid())
        end = e.now();
    if (!start.isValid())
        start = end.addSecs(-15 * 60);
    QList<int> split;
    StatsCalculator::parseSplit(query.queryItemValue(QStringLiteral("split")), &split);
    return jsonResponse(200, QJsonObject{
                                 {QStringLiteral("realtime"), e.realtimeStatistics(sid, channel)},
                                 {QStringLiteral("cumulative"),
                                  e.cumulativeStatistics(sid, start, end, channel, split)},
                             });
}

} // namespace flex::emulator
