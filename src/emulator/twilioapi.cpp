#include "twilioapi.h"

#include "callsimulator.h"
#include "contactcentre.h"
#include "requestsigner.h"
#include "setupmodel.h"
#include "twilio/twiliorequest.h"
#include "twilioerror.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>

namespace flex::emulator {

using namespace Qt::StringLiterals;

TwilioApi::TwilioApi(const EmulatorConfig &config, ContactCentre *model, CallSimulator *calls,
                     const SetupModel *setup, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_calls(calls)
    , m_setup(setup)
    , m_taskRouter(m_config, *model, *setup, m_fidelity)
{
    addCallRoutes();
    addTaskRouterRoutes();
}

void TwilioApi::addRoute(const char *operation, const char *method, const QString &pattern,
                         Handler handler)
{
    m_routes.append({QString::fromLatin1(operation), QByteArray(method),
                     QRegularExpression(pattern), std::move(handler)});
}

void TwilioApi::addCallRoutes()
{
    const QString call = u"^/2010-04-01/Accounts/([^/]+)/Calls/([^/]+)\\.json$"_s;
    addRoute("ValidateToken", "POST", u"^/v1/Accounts/([^/]+)/Tokens/validate$"_s,
             [this](const Target &t, const Done &done) { done(validateToken(t.request)); });
    addRoute("CreateCall", "POST", u"^/2010-04-01/Accounts/([^/]+)/Calls\\.json$"_s,
             [this](const Target &t, const Done &done) {
                 m_calls->create(twilio::decodeForm(t.request.body), done);
             });
    addRoute("FetchCall", "GET", call, [this](const Target &t, const Done &done) {
        const auto found = m_calls->fetch(t.id);
        done(found ? jsonResponse(200, *found) : resourceNotFound(t.request.path));
    });
    addRoute("UpdateCall", "POST", call, [this](const Target &t, const Done &done) {
        m_calls->update(t.id, twilio::decodeForm(t.request.body), done);
    });
}

// In match order: a queue SID pattern would also match .../TaskQueues/Statistics.
void TwilioApi::addTaskRouterRoutes()
{
    const QString ws = u"^/v1/Workspaces/([^/]+)"_s;
    const TaskRouterApi &api = m_taskRouter;
    using Answer = HttpResponse (TaskRouterApi::*)(const HttpRequest &, const QString &) const;
    const auto list = [&api](Answer answer) {
        return [&api, answer](const Target &t, const Done &done) {
            done((api.*answer)(t.request, t.origin));
        };
    };
    using QueueAnswer = HttpResponse (TaskRouterApi::*)(const HttpRequest &, const QString &,
                                                        const QString &) const;
    const auto ofQueue = [&api](QueueAnswer answer) {
        return [&api, answer](const Target &t, const Done &done) {
            done((api.*answer)(t.request, t.id, t.origin));
        };
    };
    addRoute("ListTaskQueuesStatistics", "GET", ws + u"/TaskQueues/Statistics$"_s,
             list(&TaskRouterApi::listQueueStatistics));
    addRoute("CreateTaskQueueBulkRealTimeStatistics", "POST",
             ws + u"/TaskQueues/RealTimeStatistics$"_s,
             list(&TaskRouterApi::bulkRealtimeStatistics));
    addRoute("ListTaskQueue", "GET", ws + u"/TaskQueues$"_s, list(&TaskRouterApi::listTaskQueues));
    addRoute("FetchTaskQueueRealTimeStatistics", "GET",
             ws + u"/TaskQueues/([^/]+)/RealTimeStatistics$"_s,
             ofQueue(&TaskRouterApi::realtimeStatistics));
    addRoute("FetchTaskQueueCumulativeStatistics", "GET",
             ws + u"/TaskQueues/([^/]+)/CumulativeStatistics$"_s,
             ofQueue(&TaskRouterApi::cumulativeStatistics));
    addRoute(
        "FetchTaskQueue", "GET", ws + u"/TaskQueues/([^/]+)$"_s,
        [&api](const Target &t, const Done &done) { done(api.fetchTaskQueue(t.id, t.origin)); });
    addRoute("ListTaskChannel", "GET", ws + u"/TaskChannels$"_s,
             list(&TaskRouterApi::listTaskChannels));
    addRoute("FetchWorkerStatistics", "GET", ws + u"/Workers/Statistics$"_s,
             list(&TaskRouterApi::workerStatistics));
}

std::optional<MatchedOperation> TwilioApi::match(const HttpRequest &request,
                                                 const QString &origin) const
{
    for (const Route &r : m_routes) {
        if (r.method == request.method && r.pattern.match(request.path).hasMatch()) {
            return MatchedOperation{r.operation, [this, &r, request, origin](const Done &done) {
                                        answer(r, request, origin, done);
                                    }};
        }
    }
    return std::nullopt;
}

HttpResponse TwilioApi::unmatched(const HttpRequest &request) const
{
    for (const Route &r : m_routes) {
        if (r.pattern.match(request.path).hasMatch())
            return twilioError(405, 20004, u"Method not allowed"_s);
    }
    return resourceNotFound(request.path);
}

void TwilioApi::answer(const Route &route, const HttpRequest &request, const QString &origin,
                       const Done &done) const
{
    if (!m_setup->acceptsAuthorization(request.header("authorization"))) {
        done(twilioError(401, 20003, u"Authenticate"_s));
        return;
    }
    const QRegularExpressionMatch match = route.pattern.match(request.path);
    const QString owner = match.captured(1);
    const bool accountPath = !request.path.startsWith(u"/v1/Workspaces/"_s);
    if (accountPath && owner != m_config.accountSid) {
        done(twilioError(401, 20003, u"Authenticate"_s));
        return;
    }
    if (!accountPath && owner != m_config.workspaceSid) {
        done(resourceNotFound(request.path));
        return;
    }
    const Target target{request, match.captured(2), origin};
    if (!route.operation.startsWith(u"List"_s)) {
        route.handler(target, done);
        return;
    }
    route.handler(target,
                  [this, done](const HttpResponse &r) { done(m_fidelity.withPageHost(r)); });
}

HttpResponse TwilioApi::validateToken(const HttpRequest &request) const
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    const QString token = doc.object().value(u"token"_s).toString();
    if (parseError.error != QJsonParseError::NoError || !doc.isObject() || token.isEmpty())
        return badRequest(u"Request body must be JSON with a 'token' string"_s);
    const auto it = m_tokens.constFind(token);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    // Invalid and expired tokens: valid=false, with the status the fidelity
    // knob names (the validator library only reads the body; see README).
    const int invalidStatus = m_fidelity.invalidTokenStatus;
    if (it == m_tokens.cend()) {
        return jsonResponse(invalidStatus, QJsonObject{{u"valid"_s, false},
                                                       {u"code"_s, 20101},
                                                       {u"message"_s, u"Invalid Access Token"_s}});
    }
    if (it->expiration.isValid() && it->expiration <= now) {
        return jsonResponse(
            invalidStatus,
            QJsonObject{{u"valid"_s, false},
                        {u"code"_s, 20104},
                        {u"message"_s, u"Access Token expired or expiration date invalid"_s}});
    }
    QString workerSid = it->workerSid;
    if (workerSid.isEmpty()) {
        workerSid =
            u"WK"_s +
            QString::fromLatin1(
                QCryptographicHash::hash(it->identity.toUtf8(), QCryptographicHash::Md5).toHex());
    }
    const QDateTime expiration = it->expiration.isValid() ? it->expiration : now.addSecs(3600);
    return jsonResponse(
        200, QJsonObject{
                 {u"valid"_s, true},
                 {u"code"_s, 0},
                 {u"message"_s, QJsonValue::Null},
                 {u"expiration"_s, expiration.toUTC().toString(u"yyyy-MM-ddTHH:mm:ss.zzzZ"_s)},
                 {u"realm_user_id"_s, it->realmUserId.isEmpty() ? it->identity : it->realmUserId},
                 {u"identity"_s, it->identity},
                 {u"roles"_s, QJsonArray::fromStringList(it->roles)},
                 {u"worker_sid"_s, workerSid},
             });
}

} // namespace flex::emulator
