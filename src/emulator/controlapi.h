#pragma once

#include "httpmessage.h"

#include <QJsonObject>
#include <QObject>

#include <functional>
#include <vector>

namespace flex::emulator {

class TwilioEmulator;

// JSON control API under /__emulator/ for the schema test, the benchmark and
// humans driving the standalone executable. No authentication: the emulator
// listens on loopback only. Routes are listed in src/emulator/README.md.
class ControlApi : public QObject
{
    Q_OBJECT
public:
    explicit ControlApi(TwilioEmulator *emulator);

    HttpResponse handle(const HttpRequest &request, const QString &origin);

private:
    // One control request: the JSON body (already parsed), the path after a
    // prefix route's prefix (e.g. the queue SID of DELETE /queues/{WQ}).
    struct Call
    {
        const HttpRequest &request;
        QJsonObject body;
        QString tail;
        QString origin;
    };
    using Handler = std::function<HttpResponse(const Call &)>;
    struct Route
    {
        QByteArray method; // empty: any
        QString path;      // after /__emulator; ending in '/': a prefix
        bool prefix = false;
        Handler handler;
    };

    void route(const QByteArray &method, const QString &path, Handler handler);
    void addStateRoutes();
    void addFaultRoutes();
    void addModelRoutes();
    void addCallRoutes();
    static HttpResponse addToken(TwilioEmulator &e, const QJsonObject &body);
    static HttpResponse stats(TwilioEmulator &e, const Call &call);

    TwilioEmulator *m_emulator;
    std::vector<Route> m_routes; // first match wins
};

} // namespace flex::emulator
