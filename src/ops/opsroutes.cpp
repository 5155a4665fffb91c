#include "ops/opsroutes.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"
#include "ops/secretcompare.h"

#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QUrlQuery>

namespace flex::ops {

using namespace Qt::StringLiterals;

namespace {

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
}

OpsRoutes::Response healthz(const std::optional<QString> &nonce)
{
    if (!nonce)
        return {200, "text/plain; charset=utf-8", "ok\n", {}};
    static const QRegularExpression pattern(u"^[A-Za-z0-9_-]{1,128}$"_s);
    if (!pattern.match(*nonce).hasMatch())
        return {400,
                "application/json",
                json({{u"error"_s, u"nonce must be 1 to 128 letters, digits, - or _"_s}}),
                {}};
    return {200,
            "application/json",
            json({{u"status"_s, u"ok"_s}, {u"service"_s, u"flex-backend"_s}, {u"nonce"_s, *nonce}}),
            {}};
}

} // namespace

OpsRoutes::OpsRoutes(Metrics *registry)
    : m_registry(registry ? registry : &metrics())
{}

void OpsRoutes::setMetricsToken(const QString &token)
{
    m_token = token.toUtf8();
}

void OpsRoutes::addReadinessCheck(Check check)
{
    m_checks.push_back(std::move(check));
}

void OpsRoutes::addReadinessCheck(const QString &reasonWhenFalse, std::function<bool()> isReady)
{
    m_checks.push_back([reasonWhenFalse, isReady = std::move(isReady)] {
        return isReady() ? QString() : reasonWhenFalse;
    });
}

QStringList OpsRoutes::notReadyReasons() const
{
    QStringList reasons;
    for (const Check &check : m_checks) {
        const QString reason = check();
        if (!reason.isEmpty())
            reasons << reason;
    }
    return reasons;
}

bool OpsRoutes::isLoopback(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4); // also ::ffff:a.b.c.d
    if (isV4)
        return (v4 >> 24) == 127;
    return address.isLoopback();
}

OpsRoutes::Access OpsRoutes::access(const Request &request) const
{
    if (m_token.isEmpty())
        return !request.forwarded && isLoopback(request.remoteAddress) ? Access::Allowed
                                                                       : Access::Forbidden;
    static const QByteArray scheme = "bearer ";
    const QByteArray header = request.authorization.trimmed();
    if (header.size() <= scheme.size() || header.left(scheme.size()).toLower() != scheme)
        return Access::Unauthorized;
    return constantTimeEquals(header.mid(scheme.size()).trimmed(), m_token) ? Access::Allowed
                                                                            : Access::Unauthorized;
}

OpsRoutes::Response OpsRoutes::handle(const Request &request) const
{
    if (request.path == "/healthz")
        return healthz(request.nonce);
    if (request.path != "/readyz" && request.path != "/metrics")
        return {404, "text/plain; charset=utf-8", "not found\n", {}};

    switch (access(request)) {
    case Access::Forbidden:
        return {403, "application/json", json({{u"error"_s, u"forbidden"_s}}), {}};
    case Access::Unauthorized:
        return {401, "application/json", json({{u"error"_s, u"unauthorized"_s}}),
                "Bearer realm=\"flex-backend\""};
    case Access::Allowed:
        break;
    }

    if (request.path == "/metrics")
        return {200, Metrics::contentType(), m_registry->render(), {}};

    const QStringList reasons = notReadyReasons();
    const QJsonObject body{{u"ready"_s, reasons.isEmpty()},
                           {u"reasons"_s, QJsonArray::fromStringList(reasons)}};
    return {reasons.isEmpty() ? 200 : 503, "application/json", json(body), {}};
}

void OpsRoutes::registerRoutes(QHttpServer &server)
{
    const auto route = [this](const QHttpServerRequest &httpRequest) {
        Request request;
        request.path = httpRequest.url().path().toUtf8();
        request.remoteAddress = httpRequest.remoteAddress();
        request.authorization = httpRequest.value("Authorization");
        request.forwarded = !httpRequest.value("Forwarded").isEmpty() ||
                            !httpRequest.value("X-Forwarded-For").isEmpty();
        const QUrlQuery query(httpRequest.url());
        if (query.hasQueryItem(u"nonce"_s))
            request.nonce = query.queryItemValue(u"nonce"_s, QUrl::FullyDecoded);
        const Response r = handle(request);
        QHttpServerResponse response(r.contentType, r.body,
                                     static_cast<QHttpServerResponse::StatusCode>(r.status));
        if (!r.wwwAuthenticate.isEmpty())
            response.setHeader("WWW-Authenticate", r.wwwAuthenticate);
        response.setHeader("Cache-Control", "no-store");
        return response;
    };
    for (const QString &path : {u"/healthz"_s, u"/readyz"_s, u"/metrics"_s}) {
        if (!server.route(path, QHttpServerRequest::Method::Get, route))
            qCWarning(lcOps) << "could not register route" << path;
    }
}

} // namespace flex::ops
