#pragma once

#include "emulatorparts.h"
#include "httpmessage.h"

#include <QJsonObject>
#include <QObject>
#include <QRegularExpression>

#include <functional>
#include <vector>

namespace flex::emulator {

// JSON control API under /__emulator/ for the schema test, the benchmark and
// humans driving the standalone executable. No authentication: the emulator
// listens on loopback only. Routes are listed in src/emulator/README.md.
class ControlApi : public QObject
{
    Q_OBJECT
public:
    ControlApi(const EmulatorParts &parts, QObject *parent);

    HttpResponse handle(const HttpRequest &request, const QString &origin);

private:
    // One control request: the JSON body (already parsed) and the SID a
    // route's path names (e.g. the queue of DELETE /queues/{WQ}).
    struct Call
    {
        const HttpRequest &request;
        QJsonObject body;
        QString sid;
        QString origin;
    };
    using Handler = std::function<HttpResponse(const Call &)>;
    struct Route
    {
        QByteArray method;          // empty: any
        QRegularExpression pattern; // the path after /__emulator, one capture: the SID
        Handler handler;
    };

    void route(const QByteArray &method, const QString &pathPattern, Handler handler);
    void addStateRoutes();
    void addFaultRoutes();
    void addModelRoutes();
    void addCallRoutes();
    HttpResponse state(const Call &call) const;
    HttpResponse addFault(const Call &call) const;
    HttpResponse addToken(const Call &call) const;
    HttpResponse addHistory(const Call &call) const;
    HttpResponse stats(const Call &call) const;
    HttpResponse configureCalls(const Call &call) const;

    EmulatorParts m_parts;
    std::vector<Route> m_routes; // first match wins
};

} // namespace flex::emulator
