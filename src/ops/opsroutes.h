#pragma once

// GET /healthz, /readyz and /metrics.
//
// Wiring (src/app / src/server):
//     flex::ops::OpsRoutes ops;                       // lives as long as the server
//     ops.setMetricsToken(config.metricsToken);       // again on reload
//     ops.addReadinessCheck(u"configuration not loaded"_s, [&] { return configLoaded; });
//     ops.addReadinessCheck(u"not listening"_s, [&] { return frontDoor.isListening(); });
//     ops.addReadinessCheck([&]() -> QString {        // detailed reason, "" when fine
//         return twilio.lastContactOk() || twilio.lastSuccessAge() < 2min
//             ? QString() : u"last Twilio contact failed: "_s + twilio.lastError(); });
//     ops.registerRoutes(httpServer);                 // QHttpServer &
//
// /healthz: 200 "ok" to anyone while the event loop turns. With ?nonce=N
//           (1 to 128 letters, digits, - or _) 200 {"status":"ok",
//           "service":"flex-backend","nonce":N}: `flex-backend check` sends a
//           fresh nonce to https://EXTERNAL_HOST/healthz to see that this
//           service, not something else, answers there. Another nonce: 400.
// /readyz:  200 {"ready":true,"reasons":[]} or 503 {"ready":false,"reasons":[...]}.
// /metrics: the registry in the Prometheus text format 0.0.4.
// /readyz and /metrics answer loopback clients only (403 otherwise) while no
// METRICS_TOKEN is set; with a token they need "Authorization: Bearer <token>"
// from everywhere, loopback included (401 otherwise). A loopback request that
// carries Forwarded / X-Forwarded-For came through a proxy on this host and
// is not treated as local.
//
// handle() does the work without any server, for tests and for a front door
// that answers these paths itself.

#include <QByteArray>
#include <QHostAddress>
#include <QString>

#include <functional>
#include <optional>
#include <vector>

class QHttpServer;
class QHttpServerRequest;

namespace flex::ops {

class Metrics;

class OpsRoutes
{
public:
    using Check = std::function<QString()>; // empty: ready; otherwise why not

    explicit OpsRoutes(Metrics *registry = nullptr); // default: flex::ops::metrics()

    void setMetricsToken(const QString &token);
    void addReadinessCheck(Check check);
    void addReadinessCheck(const QString &reasonWhenFalse, std::function<bool()> isReady);

    // The reasons the service is not ready (empty when it is).
    QStringList notReadyReasons() const;

    struct Response
    {
        int status = 200;
        QByteArray contentType;
        QByteArray body;
        QByteArray wwwAuthenticate; // set on 401
    };
    struct Request
    {
        QByteArray path;
        QHostAddress remoteAddress;
        QByteArray authorization;     // Authorization header value
        bool forwarded = false;       // carried Forwarded / X-Forwarded-For
        std::optional<QString> nonce; // /healthz?nonce=
    };
    // Returns a response for /healthz, /readyz and /metrics (404 otherwise).
    Response handle(const Request &request) const;

    // Registers GET routes for the three paths on server. The routes refer to
    // this object: it must outlive the server (or at least its use).
    void registerRoutes(QHttpServer &server);

    static bool isLoopback(const QHostAddress &address);

private:
    enum class Access { Allowed, Forbidden, Unauthorized };
    Access access(const Request &request) const;

    Metrics *m_registry;
    QByteArray m_token;
    std::vector<Check> m_checks;
};

} // namespace flex::ops
