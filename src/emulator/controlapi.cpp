#include "controlapi.h"

#include "callsimulator.h"
#include "contactcentre.h"
#include "faultinjector.h"
#include "setupapi.h"
#include "statscalculator.h"
#include "twilioapi.h"
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

HttpResponse ok()
{
    return jsonResponse(200, QJsonObject{{QStringLiteral("ok"), true}});
}

QJsonArray paramsJson(const QList<QPair<QString, QString>> &params)
{
    QJsonArray out;
    for (const auto &p : params)
        out.append(QJsonArray{p.first, p.second});
    return out;
}

} // namespace

ControlApi::ControlApi(const EmulatorParts &parts, QObject *parent)
    : QObject(parent)
    , m_parts(parts)
{
    addStateRoutes();
    addFaultRoutes();
    addModelRoutes();
    addCallRoutes();
}

void ControlApi::route(const QByteArray &method, const QString &pathPattern, Handler handler)
{
    m_routes.push_back({method, QRegularExpression(u'^' + pathPattern + u'$'), std::move(handler)});
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
        const QRegularExpressionMatch match = r.pattern.match(path);
        if (match.hasMatch()) {
            call.sid = match.captured(1);
            return r.handler(call);
        }
    }
    return controlError(404, QStringLiteral("unknown control route"));
}

void ControlApi::addStateRoutes()
{
    const EmulatorParts &p = m_parts;
    route("GET", QString(), [this](const Call &call) { return state(call); });
    route("GET", QStringLiteral("/state"), [this](const Call &call) { return state(call); });
    route("POST", QStringLiteral("/reset"), [p](const Call &) {
        p.reset();
        return ok();
    });
    route("GET", QStringLiteral("/fidelity"),
          [p](const Call &) { return jsonResponse(200, p.api.fidelity().toJson()); });
    route("POST", QStringLiteral("/fidelity"), [p](const Call &call) {
        QString error;
        if (!p.api.fidelity().apply(call.body, &error))
            return controlError(400, error);
        return jsonResponse(200, p.api.fidelity().toJson());
    });
    route({}, QStringLiteral("/setup"),
          [p](const Call &call) { return p.setupApi.control(call.request.method, call.body); });
    route("POST", QStringLiteral("/tokens"), [this](const Call &call) { return addToken(call); });
}

HttpResponse ControlApi::state(const Call &call) const
{
    const EmulatorConfig &c = m_parts.config;
    const ContactCentre &model = m_parts.model;
    return jsonResponse(
        200,
        QJsonObject{
            {QStringLiteral("baseUrl"), call.origin},
            {QStringLiteral("accountSid"), c.accountSid},
            {QStringLiteral("authToken"), c.authToken},
            {QStringLiteral("apiKeySid"), c.apiKeySid},
            {QStringLiteral("apiKeySecret"), c.apiKeySecret},
            {QStringLiteral("workspaceSid"), c.workspaceSid},
            {QStringLiteral("workflowSid"), c.workflowSid},
            {QStringLiteral("frozen"), model.isFrozen()},
            {QStringLiteral("now"), model.now().toString(Qt::ISODateWithMs)},
            {QStringLiteral("queues"), QJsonArray::fromStringList(model.queueSids())},
            {QStringLiteral("channels"), QJsonArray::fromStringList(model.channelNames())},
            {QStringLiteral("operations"), QJsonArray::fromStringList(FaultInjector::operations())},
            {QStringLiteral("callStepMs"), qint64(m_parts.calls.stepInterval().count())},
            {QStringLiteral("talkTimeMs"), qint64(m_parts.calls.talkTime().count())},
        });
}

void ControlApi::addFaultRoutes()
{
    FaultInjector &faults = m_parts.faults;
    route("GET", QStringLiteral("/faults"),
          [&faults](const Call &) { return jsonResponse(200, faults.faultsJson()); });
    route("DELETE", QStringLiteral("/faults"), [&faults](const Call &call) {
        faults.clearFaults(call.request.query.queryItemValue(QStringLiteral("operation")));
        return jsonResponse(200, faults.faultsJson());
    });
    route("POST", QStringLiteral("/faults"), [this](const Call &call) { return addFault(call); });
    route("POST", QStringLiteral("/faults/clear"), [&faults](const Call &call) {
        faults.clearFaults(call.body.value(QStringLiteral("operation")).toString());
        return jsonResponse(200, faults.faultsJson());
    });
    route("GET", QStringLiteral("/counters"),
          [&faults](const Call &) { return jsonResponse(200, faults.countersJson()); });
    route("POST", QStringLiteral("/counters/reset"), [&faults](const Call &) {
        faults.resetCounters();
        return jsonResponse(200, faults.countersJson());
    });
    route("GET", QStringLiteral("/requests"), [&faults](const Call &) {
        QJsonArray out;
        for (const RecordedRequest &r : faults.recentRequests()) {
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

HttpResponse ControlApi::addFault(const Call &call) const
{
    const QJsonObject &body = call.body;
    const QString op = body.value(QStringLiteral("operation")).toString();
    const auto kind =
        Fault::kindFromString(body.value(QStringLiteral("kind")).toVariant().toString());
    if (!FaultInjector::operations().contains(op))
        return controlError(400, QStringLiteral("unknown operation: ") + op);
    if (!kind)
        return controlError(400,
                            QStringLiteral("kind must be 401, 404, 429, 500, 503, delay or drop"));
    Fault f;
    f.kind = *kind;
    f.remaining = body.value(QStringLiteral("count")).toInt(1);
    f.retryAfterSeconds = body.value(QStringLiteral("retryAfter")).toInt(1);
    f.delay = std::chrono::milliseconds(body.value(QStringLiteral("delayMs")).toInt(0));
    m_parts.faults.addFault(op, f);
    return jsonResponse(200, m_parts.faults.faultsJson());
}

void ControlApi::addModelRoutes()
{
    ContactCentre &model = m_parts.model;
    route("GET", QStringLiteral("/queues"), [&model](const Call &) {
        QJsonArray out;
        for (const TaskQueue &q : model.queues())
            out.append(QJsonObject{{QStringLiteral("sid"), q.sid},
                                   {QStringLiteral("friendly_name"), q.friendlyName}});
        return jsonResponse(200, QJsonObject{{QStringLiteral("queues"), out}});
    });
    route("POST", QStringLiteral("/queues"), [&model](const Call &call) {
        const QString name = call.body.value(QStringLiteral("name")).toString();
        if (name.isEmpty())
            return controlError(400, QStringLiteral("name is required"));
        return jsonResponse(200, QJsonObject{{QStringLiteral("sid"), model.addQueue(name)},
                                             {QStringLiteral("friendly_name"), name}});
    });
    route("DELETE", QStringLiteral("/queues/(.+)"), [&model](const Call &call) {
        if (!model.removeQueue(call.sid))
            return controlError(404, QStringLiteral("no such queue"));
        return ok();
    });
    route("POST", QStringLiteral("/queues/(.*)/history"),
          [this](const Call &call) { return addHistory(call); });
    route("POST", QStringLiteral("/tick"), [&model](const Call &call) {
        model.advance(std::max(1, call.body.value(QStringLiteral("count")).toInt(1)));
        return jsonResponse(
            200, QJsonObject{{QStringLiteral("now"), model.now().toString(Qt::ISODateWithMs)}});
    });
    route("POST", QStringLiteral("/freeze"), [&model](const Call &call) {
        model.setFrozen(call.body.value(QStringLiteral("frozen")).toBool(true));
        return jsonResponse(200, QJsonObject{{QStringLiteral("frozen"), model.isFrozen()}});
    });
    route("GET", QStringLiteral("/stats/(.+)"), [this](const Call &call) { return stats(call); });
}

// POST /queues/{WQ}/history {tasks, channel, waitSeconds}
HttpResponse ControlApi::addHistory(const Call &call) const
{
    if (!m_parts.model.queue(call.sid))
        return controlError(404, QStringLiteral("no such queue"));
    const int tasks = call.body.value(QStringLiteral("tasks")).toInt(0);
    if (tasks <= 0 || tasks > 100'000)
        return controlError(400, QStringLiteral("tasks must be 1..100000"));
    const qint64 waitMs = 1000 * qint64(call.body.value(QStringLiteral("waitSeconds")).toInt(0));
    m_parts.model.addHistory(
        call.sid, call.body.value(QStringLiteral("channel")).toString(QStringLiteral("voice")),
        tasks, waitMs);
    return ok();
}

void ControlApi::addCallRoutes()
{
    CallSimulator &calls = m_parts.calls;
    route("POST", QStringLiteral("/calls/config"),
          [this](const Call &call) { return configureCalls(call); });
    route("GET", QStringLiteral("/calls"), [&calls](const Call &) {
        return jsonResponse(200, QJsonObject{{QStringLiteral("calls"), calls.callsJson()}});
    });
    route("GET", QStringLiteral("/callbacks"), [&calls](const Call &) {
        QJsonArray out;
        for (const OutgoingRecord &r : calls.outgoing()) {
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

HttpResponse ControlApi::configureCalls(const Call &call) const
{
    const QJsonObject &body = call.body;
    CallSimulator &calls = m_parts.calls;
    if (body.contains(QStringLiteral("callStepMs")))
        calls.setStepInterval(
            std::chrono::milliseconds(body.value(QStringLiteral("callStepMs")).toInt()));
    if (body.contains(QStringLiteral("talkTimeMs")))
        calls.setTalkTime(
            std::chrono::milliseconds(body.value(QStringLiteral("talkTimeMs")).toInt()));
    if (body.contains(QStringLiteral("reorderCallbacks")))
        calls.setReorderCallbacks(body.value(QStringLiteral("reorderCallbacks")).toBool());
    if (body.contains(QStringLiteral("earlyCallbacks")))
        calls.setEarlyCallbacks(body.value(QStringLiteral("earlyCallbacks")).toBool());
    return ok();
}

HttpResponse ControlApi::addToken(const Call &call) const
{
    const QJsonObject &body = call.body;
    const QString token = body.value(QStringLiteral("token")).toString();
    FlexToken info;
    info.identity = body.value(QStringLiteral("identity")).toString();
    if (token.isEmpty() || info.identity.isEmpty())
        return controlError(400, QStringLiteral("token and identity are required"));
    for (const QJsonValue &v : body.value(QStringLiteral("roles")).toArray())
        info.roles.append(v.toString());
    if (info.roles.isEmpty())
        info.roles.append(QStringLiteral("agent"));
    if (body.contains(QStringLiteral("expiration"))) {
        info.expiration = QDateTime::fromString(body.value(QStringLiteral("expiration")).toString(),
                                                Qt::ISODateWithMs);
        if (!info.expiration.isValid())
            return controlError(400, QStringLiteral("expiration must be ISO 8601"));
        info.expiration = info.expiration.toUTC();
    } else if (body.contains(QStringLiteral("ttlSeconds"))) {
        info.expiration = QDateTime::currentDateTimeUtc().addSecs(
            body.value(QStringLiteral("ttlSeconds")).toInteger());
    }
    info.workerSid = body.value(QStringLiteral("workerSid")).toString();
    m_parts.api.addToken(token, info);
    return ok();
}

// GET /stats/{WQ}?channel=&start=&end=&split=30,60 — the model's own numbers.
HttpResponse ControlApi::stats(const Call &call) const
{
    const QString &sid = call.sid;
    if (!m_parts.model.queue(sid))
        return controlError(404, QStringLiteral("no such queue"));
    const QUrlQuery &query = call.request.query;
    const QString channel = query.queryItemValue(QStringLiteral("channel"));
    QDateTime start = QDateTime::fromString(
        query.queryItemValue(QStringLiteral("start"), QUrl::FullyDecoded), Qt::ISODate);
    QDateTime end = QDateTime::fromString(
        query.queryItemValue(QStringLiteral("end"), QUrl::FullyDecoded), Qt::ISODate);
    if (!end.isValid())
        end = m_parts.model.now();
    if (!start.isValid())
        start = end.addSecs(-15 * 60);
    QList<int> split;
    StatsCalculator::parseSplit(query.queryItemValue(QStringLiteral("split")), &split);
    return jsonResponse(200,
                        QJsonObject{
                            {QStringLiteral("realtime"), m_parts.realtimeStatistics(sid, channel)},
                            {QStringLiteral("cumulative"),
                             m_parts.cumulativeStatistics(sid, start, end, channel, split)},
                        });
}

} // namespace flex::emulator
