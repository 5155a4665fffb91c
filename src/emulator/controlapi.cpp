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

using namespace Qt::StringLiterals;

namespace {

HttpResponse controlError(int status, const QString &message)
{
    return jsonResponse(status, QJsonObject{{u"error"_s, message}});
}

HttpResponse ok()
{
    return jsonResponse(200, QJsonObject{{u"ok"_s, true}});
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
    while (path.endsWith(u'/'))
        path.chop(1);
    Call call{request, {}, {}, origin};
    if (!request.body.trimmed().isEmpty()) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            return controlError(400, u"body must be a JSON object"_s);
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
    return controlError(404, u"unknown control route"_s);
}

void ControlApi::addStateRoutes()
{
    const EmulatorParts &p = m_parts;
    route("GET", QString(), [this](const Call &call) { return state(call); });
    route("GET", u"/state"_s, [this](const Call &call) { return state(call); });
    route("POST", u"/reset"_s, [p](const Call &) {
        p.reset();
        return ok();
    });
    route("GET", u"/fidelity"_s,
          [p](const Call &) { return jsonResponse(200, p.api.fidelity().toJson()); });
    route("POST", u"/fidelity"_s, [p](const Call &call) {
        QString error;
        if (!p.api.fidelity().apply(call.body, &error))
            return controlError(400, error);
        return jsonResponse(200, p.api.fidelity().toJson());
    });
    route({}, u"/setup"_s,
          [p](const Call &call) { return p.setupApi.control(call.request.method, call.body); });
    route("POST", u"/tokens"_s, [this](const Call &call) { return addToken(call); });
}

HttpResponse ControlApi::state(const Call &call) const
{
    const EmulatorConfig &c = m_parts.config;
    const ContactCentre &model = m_parts.model;
    return jsonResponse(
        200, QJsonObject{
                 {u"baseUrl"_s, call.origin},
                 {u"accountSid"_s, c.accountSid},
                 {u"authToken"_s, c.authToken},
                 {u"apiKeySid"_s, c.apiKeySid},
                 {u"apiKeySecret"_s, c.apiKeySecret},
                 {u"workspaceSid"_s, c.workspaceSid},
                 {u"workflowSid"_s, c.workflowSid},
                 {u"frozen"_s, model.isFrozen()},
                 {u"now"_s, model.now().toString(Qt::ISODateWithMs)},
                 {u"queues"_s, QJsonArray::fromStringList(model.queueSids())},
                 {u"channels"_s, QJsonArray::fromStringList(model.channelNames())},
                 {u"operations"_s, QJsonArray::fromStringList(FaultInjector::operations())},
                 {u"callStepMs"_s, qint64(m_parts.calls.stepInterval().count())},
                 {u"talkTimeMs"_s, qint64(m_parts.calls.talkTime().count())},
             });
}

void ControlApi::addFaultRoutes()
{
    FaultInjector &faults = m_parts.faults;
    route("GET", u"/faults"_s,
          [&faults](const Call &) { return jsonResponse(200, faults.faultsJson()); });
    route("DELETE", u"/faults"_s, [&faults](const Call &call) {
        faults.clearFaults(call.request.query.queryItemValue(u"operation"_s));
        return jsonResponse(200, faults.faultsJson());
    });
    route("POST", u"/faults"_s, [this](const Call &call) { return addFault(call); });
    route("POST", u"/faults/clear"_s, [&faults](const Call &call) {
        faults.clearFaults(call.body.value(u"operation"_s).toString());
        return jsonResponse(200, faults.faultsJson());
    });
    route("GET", u"/counters"_s,
          [&faults](const Call &) { return jsonResponse(200, faults.countersJson()); });
    route("POST", u"/counters/reset"_s, [&faults](const Call &) {
        faults.resetCounters();
        return jsonResponse(200, faults.countersJson());
    });
    route("GET", u"/requests"_s, [&faults](const Call &) {
        QJsonArray out;
        for (const RecordedRequest &r : faults.recentRequests()) {
            out.append(QJsonObject{{u"operation"_s, r.operation},
                                   {u"method"_s, r.method},
                                   {u"path"_s, r.path},
                                   {u"query"_s, r.query},
                                   {u"form"_s, paramsJson(r.formParams)},
                                   {u"status"_s, r.status}});
        }
        return jsonResponse(200, QJsonObject{{u"requests"_s, out}});
    });
}

HttpResponse ControlApi::addFault(const Call &call) const
{
    const QJsonObject &body = call.body;
    const QString op = body.value(u"operation"_s).toString();
    const auto kind = Fault::kindFromString(body.value(u"kind"_s).toVariant().toString());
    if (!FaultInjector::operations().contains(op))
        return controlError(400, u"unknown operation: "_s + op);
    if (!kind)
        return controlError(400, u"kind must be 401, 404, 429, 500, 503, delay or drop"_s);
    Fault f;
    f.kind = *kind;
    f.remaining = body.value(u"count"_s).toInt(1);
    f.retryAfterSeconds = body.value(u"retryAfter"_s).toInt(1);
    f.delay = std::chrono::milliseconds(body.value(u"delayMs"_s).toInt(0));
    m_parts.faults.addFault(op, f);
    return jsonResponse(200, m_parts.faults.faultsJson());
}

void ControlApi::addModelRoutes()
{
    ContactCentre &model = m_parts.model;
    route("GET", u"/queues"_s, [&model](const Call &) {
        QJsonArray out;
        for (const TaskQueue &q : model.queues())
            out.append(QJsonObject{{u"sid"_s, q.sid}, {u"friendly_name"_s, q.friendlyName}});
        return jsonResponse(200, QJsonObject{{u"queues"_s, out}});
    });
    route("POST", u"/queues"_s, [&model](const Call &call) {
        const QString name = call.body.value(u"name"_s).toString();
        if (name.isEmpty())
            return controlError(400, u"name is required"_s);
        return jsonResponse(
            200, QJsonObject{{u"sid"_s, model.addQueue(name)}, {u"friendly_name"_s, name}});
    });
    route("DELETE", u"/queues/(.+)"_s, [&model](const Call &call) {
        if (!model.removeQueue(call.sid))
            return controlError(404, u"no such queue"_s);
        return ok();
    });
    route("POST", u"/queues/(.*)/history"_s, [this](const Call &call) { return addHistory(call); });
    route("POST", u"/tick"_s, [&model](const Call &call) {
        model.advance(std::max(1, call.body.value(u"count"_s).toInt(1)));
        return jsonResponse(200, QJsonObject{{u"now"_s, model.now().toString(Qt::ISODateWithMs)}});
    });
    route("POST", u"/freeze"_s, [&model](const Call &call) {
        model.setFrozen(call.body.value(u"frozen"_s).toBool(true));
        return jsonResponse(200, QJsonObject{{u"frozen"_s, model.isFrozen()}});
    });
    route("GET", u"/stats/(.+)"_s, [this](const Call &call) { return stats(call); });
}

// POST /queues/{WQ}/history {tasks, channel, waitSeconds}
HttpResponse ControlApi::addHistory(const Call &call) const
{
    if (!m_parts.model.queue(call.sid))
        return controlError(404, u"no such queue"_s);
    const int tasks = call.body.value(u"tasks"_s).toInt(0);
    if (tasks <= 0 || tasks > 100'000)
        return controlError(400, u"tasks must be 1..100000"_s);
    const qint64 waitMs = 1000 * qint64(call.body.value(u"waitSeconds"_s).toInt(0));
    m_parts.model.addHistory(call.sid, call.body.value(u"channel"_s).toString(u"voice"_s), tasks,
                             waitMs);
    return ok();
}

void ControlApi::addCallRoutes()
{
    CallSimulator &calls = m_parts.calls;
    route("POST", u"/calls/config"_s, [this](const Call &call) { return configureCalls(call); });
    route("GET", u"/calls"_s, [&calls](const Call &) {
        return jsonResponse(200, QJsonObject{{u"calls"_s, calls.callsJson()}});
    });
    route("GET", u"/callbacks"_s, [&calls](const Call &) {
        QJsonArray out;
        for (const OutgoingRecord &r : calls.outgoing()) {
            out.append(QJsonObject{{u"kind"_s, r.kind},
                                   {u"callSid"_s, r.callSid},
                                   {u"url"_s, r.url},
                                   {u"callStatus"_s, r.callStatus},
                                   {u"sequenceNumber"_s, r.sequenceNumber},
                                   {u"params"_s, paramsJson(r.params)},
                                   {u"signature"_s, QString::fromLatin1(r.signature)},
                                   {u"httpStatus"_s, r.httpStatus}});
        }
        return jsonResponse(200, QJsonObject{{u"callbacks"_s, out}});
    });
}

HttpResponse ControlApi::configureCalls(const Call &call) const
{
    const QJsonObject &body = call.body;
    CallSimulator &calls = m_parts.calls;
    if (body.contains(u"callStepMs"_s))
        calls.setStepInterval(std::chrono::milliseconds(body.value(u"callStepMs"_s).toInt()));
    if (body.contains(u"talkTimeMs"_s))
        calls.setTalkTime(std::chrono::milliseconds(body.value(u"talkTimeMs"_s).toInt()));
    if (body.contains(u"reorderCallbacks"_s))
        calls.setReorderCallbacks(body.value(u"reorderCallbacks"_s).toBool());
    if (body.contains(u"earlyCallbacks"_s))
        calls.setEarlyCallbacks(body.value(u"earlyCallbacks"_s).toBool());
    return ok();
}

HttpResponse ControlApi::addToken(const Call &call) const
{
    const QJsonObject &body = call.body;
    const QString token = body.value(u"token"_s).toString();
    FlexToken info;
    info.identity = body.value(u"identity"_s).toString();
    if (token.isEmpty() || info.identity.isEmpty())
        return controlError(400, u"token and identity are required"_s);
    for (const QJsonValue &v : body.value(u"roles"_s).toArray())
        info.roles.append(v.toString());
    if (info.roles.isEmpty())
        info.roles.append(u"agent"_s);
    if (body.contains(u"expiration"_s)) {
        info.expiration =
            QDateTime::fromString(body.value(u"expiration"_s).toString(), Qt::ISODateWithMs);
        if (!info.expiration.isValid())
            return controlError(400, u"expiration must be ISO 8601"_s);
        info.expiration = info.expiration.toUTC();
    } else if (body.contains(u"ttlSeconds"_s)) {
        info.expiration =
            QDateTime::currentDateTimeUtc().addSecs(body.value(u"ttlSeconds"_s).toInteger());
    }
    info.workerSid = body.value(u"workerSid"_s).toString();
    m_parts.api.addToken(token, info);
    return ok();
}

// GET /stats/{WQ}?channel=&start=&end=&split=30,60 — the model's own numbers.
HttpResponse ControlApi::stats(const Call &call) const
{
    const QString &sid = call.sid;
    if (!m_parts.model.queue(sid))
        return controlError(404, u"no such queue"_s);
    const QUrlQuery &query = call.request.query;
    const QString channel = query.queryItemValue(u"channel"_s);
    QDateTime start =
        QDateTime::fromString(query.queryItemValue(u"start"_s, QUrl::FullyDecoded), Qt::ISODate);
    QDateTime end =
        QDateTime::fromString(query.queryItemValue(u"end"_s, QUrl::FullyDecoded), Qt::ISODate);
    if (!end.isValid())
        end = m_parts.model.now();
    if (!start.isValid())
        start = end.addSecs(-15 * 60);
    QList<int> split;
    StatsCalculator::parseSplit(query.queryItemValue(u"split"_s), &split);
    return jsonResponse(
        200, QJsonObject{
                 {u"realtime"_s, m_parts.realtimeStatistics(sid, channel)},
                 {u"cumulative"_s, m_parts.cumulativeStatistics(sid, start, end, channel, split)},
             });
}

} // namespace flex::emulator
