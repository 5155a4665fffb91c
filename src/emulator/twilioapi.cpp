#include "twilioapi.h"

#include "callsimulator.h"
#include "contactcentre.h"
#include "requestsigner.h"
#include "setupmodel.h"
#include "twilioerror.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>

namespace flex::emulator {

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
    const QString call = QStringLiteral("^/2010-04-01/Accounts/([^/]+)/Calls/([^/]+)\\.json$");
    addRoute("ValidateToken", "POST", QStringLiteral("^/v1/Accounts/([^/]+)/Tokens/validate$"),
             [this](const Target &t, const Done &done) { done(validateToken(t.request)); });
    addRoute("CreateCall", "POST", QStringLiteral("^/2010-04-01/Accounts/([^/]+)/Calls\\.json$"),
             [this](const Target &t, const Done &done) {
                 m_calls->create(formDecode(t.request.body), done);
             });
    addRoute("FetchCall", "GET", call, [this](const Target &t, const Done &done) {
        const auto found = m_calls->fetch(t.id);
        done(found ? jsonResponse(200, *found) : resourceNotFound(t.request.path));
    });
    addRoute("UpdateCall", "POST", call, [this](const Target &t, const Done &done) {
        m_calls->update(t.id, formDecode(t.request.body), done);
    });
}

// In match order: a queue SID pattern would also match .../TaskQueues/Statistics.
void TwilioApi::addTaskRouterRoutes()
{
    const QString ws = QStringLiteral("^/v1/Workspaces/([^/]+)");
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
    addRoute("ListTaskQueuesStatistics", "GET", ws + QStringLiteral("/TaskQueues/Statistics$"),
             list(&TaskRouterApi::listQueueStatistics));
    addRoute("CreateTaskQueueBulkRealTimeStatistics", "POST",
             ws + QStringLiteral("/TaskQueues/RealTimeStatistics$"),
             list(&TaskRouterApi::bulkRealtimeStatistics));
    addRoute("ListTaskQueue", "GET", ws + QStringLiteral("/TaskQueues$"),
             list(&TaskRouterApi::listTaskQueues));
    addRoute("FetchTaskQueueRealTimeStatistics", "GET",
             ws + QStringLiteral("/TaskQueues/([^/]+)/RealTimeStatistics$"),
             ofQueue(&TaskRouterApi::realtimeStatistics));
    addRoute("FetchTaskQueueCumulativeStatistics", "GET",
             ws + QStringLiteral("/TaskQueues/([^/]+)/CumulativeStatistics$"),
             ofQueue(&TaskRouterApi::cumulativeStatistics));
    addRoute(
        "FetchTaskQueue", "GET", ws + QStringLiteral("/TaskQueues/([^/]+)$"),
        [&api](const Target &t, const Done &done) { done(api.fetchTaskQueue(t.id, t.origin)); });
    addRoute("ListTaskChannel", "GET", ws + QStringLiteral("/TaskChannels$"),
             list(&TaskRouterApi::listTaskChannels));
    addRoute("FetchWorkerStatistics", "GET", ws + QStringLiteral("/Workers/Statistics$"),
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
            return twilioError(405, 20004, QStringLiteral("Method not allowed"));
    }
    return resourceNotFound(request.path);
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
    return m_setup->accepts(QString::fromUtf8(decoded.left(colon)),
                            QString::fromUtf8(decoded.mid(colon + 1)));
}

void TwilioApi::answer(const Route &route, const HttpRequest &request, const QString &origin,
                       const Done &done) const
{
    if (!authenticated(request)) {
        done(twilioError(401, 20003, QStringLiteral("Authenticate")));
        return;
    }
    const QRegularExpressionMatch match = route.pattern.match(request.path);
    const QString owner = match.captured(1);
    const bool accountPath = !request.path.startsWith(QLatin1String("/v1/Workspaces/"));
    if (accountPath && owner != m_config.accountSid) {
        done(twilioError(401, 20003, QStringLiteral("Authenticate")));
        return;
    }
    if (!accountPath && owner != m_config.workspaceSid) {
        done(resourceNotFound(request.path));
        return;
    }
    const Target target{request, match.captured(2), origin};
    if (!route.operation.startsWith(QLatin1String("List"))) {
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

} // namespace flex::emulator
