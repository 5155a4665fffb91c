#pragma once

#include "emulatorconfig.h"
#include "fidelity.h"
#include "httpmessage.h"
#include "operation.h"
#include "taskrouterapi.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QRegularExpression>
#include <QStringList>

#include <optional>

namespace flex::emulator {

class CallSimulator;
class ContactCentre;
class SetupModel;

struct FlexToken
{
    QString identity;
    QStringList roles;
    QDateTime expiration; // UTC
    QString workerSid;
    QString realmUserId;
};

// The Twilio-facing endpoints of IAM, Calls and TaskRouter: one route per
// operation (method, path pattern, handler), authentication and the
// account/workspace check. Faults and counting happen before this class.
class TwilioApi : public QObject
{
    Q_OBJECT
public:
    // Credentials, queues' target_workers and listed TaskChannels come from
    // the set-up.
    TwilioApi(const EmulatorConfig &config, ContactCentre *model, CallSimulator *calls,
              const SetupModel *setup, QObject *parent = nullptr);

    // The operation a request is for; origin (from the Host header) is the
    // absolute base of URLs in its answer. nullopt: no operation matched.
    std::optional<MatchedOperation> match(const HttpRequest &request, const QString &origin) const;
    // The answer to a request no operation matched: 405 for a known path
    // with another method, 404 otherwise.
    HttpResponse unmatched(const HttpRequest &request) const;

    void addToken(const QString &token, const FlexToken &info) { m_tokens.insert(token, info); }
    const StatsCalculator &calculator() const { return m_taskRouter.calculator(); }
    Fidelity &fidelity() { return m_fidelity; }

private:
    // A matched request: the path's second capture (call or queue SID) as id.
    struct Target
    {
        const HttpRequest &request;
        QString id;
        QString origin;
    };
    using Handler = std::function<void(const Target &, const Done &)>;
    struct Route
    {
        QString operation;
        QByteArray method;
        QRegularExpression pattern;
        Handler handler;
    };

    void addRoute(const char *operation, const char *method, const QString &pattern,
                  Handler handler);
    void addCallRoutes();
    void addTaskRouterRoutes();
    void answer(const Route &route, const HttpRequest &request, const QString &origin,
                const Done &done) const;
    HttpResponse validateToken(const HttpRequest &request) const;

    EmulatorConfig m_config;
    Fidelity m_fidelity;
    CallSimulator *m_calls;
    const SetupModel *m_setup;
    TaskRouterApi m_taskRouter;
    QList<Route> m_routes;
    QHash<QString, FlexToken> m_tokens;
};

} // namespace flex::emulator
