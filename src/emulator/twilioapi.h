#pragma once

#include "emulatorconfig.h"
#include "fidelity.h"
#include "httpmessage.h"
#include "statscalculator.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QRegularExpression>
#include <QStringList>

#include <functional>

namespace flex::emulator {

class CallSimulator;
class ContactCentre;
class SetupModel;
struct TaskQueue;

struct FlexToken
{
    QString identity;
    QStringList roles;
    QDateTime expiration; // UTC
    QString workerSid;
    QString realmUserId;
};

// The Twilio-facing endpoints: authentication, routing to an operation and
// the JSON of each operation. Faults and counting happen before this class.
class TwilioApi : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const HttpResponse &)>;

    TwilioApi(const EmulatorConfig &config, ContactCentre *model, CallSimulator *calls,
              QObject *parent = nullptr);

    // The Twilio operationId for a request, or an empty string (unknown path).
    QString operationFor(const HttpRequest &request) const;
    // Absolute base of URLs in answers, from the Host header.
    void handle(const HttpRequest &request, const QString &operation, const QString &origin,
                const Done &done);

    void addToken(const QString &token, const FlexToken &info) { m_tokens.insert(token, info); }
    void removeToken(const QString &token) { m_tokens.remove(token); }

    const StatsCalculator &calculator() const { return m_stats; }
    Fidelity &fidelity() { return m_fidelity; }
    // Credentials, queues' target_workers and listed TaskChannels come from
    // the set-up when one is given.
    void setSetupModel(const SetupModel *setup) { m_setup = setup; }

private:
    struct Route
    {
        QString operation;
        QByteArray method;
        QRegularExpression pattern;
    };
    bool authenticated(const HttpRequest &request) const;
    void handleOperation(const HttpRequest &request, const QString &operation, const QString &id,
                         const QString &origin, const Done &done);
    HttpResponse validateToken(const HttpRequest &request) const;
    HttpResponse listTaskQueues(const HttpRequest &request, const QString &origin) const;
    HttpResponse fetchTaskQueue(const QString &sid, const QString &origin) const;
    HttpResponse realtimeStatistics(const HttpRequest &request, const QString &queueSid,
                                    const QString &origin) const;
    HttpResponse cumulativeStatistics(const HttpRequest &request, const QString &queueSid,
                                      const QString &origin) const;
    HttpResponse bulkRealtimeStatistics(const HttpRequest &request, const QString &origin) const;
    HttpResponse listQueueStatistics(const HttpRequest &request, const QString &origin) const;
    HttpResponse listTaskChannels(const HttpRequest &request, const QString &origin) const;
    HttpResponse workerStatistics(const HttpRequest &request, const QString &origin) const;

    QJsonObject queueJson(const TaskQueue &queue, const QString &origin) const;
    QString workspaceUrl(const QString &origin) const;
    // Resolves ?TaskChannel; false (and *error set) when unknown.
    bool channelFilter(const QString &value, QString *channel, HttpResponse *error) const;
    bool cumulativeQuery(const QUrlQuery &query, CumulativeQuery *out, HttpResponse *error) const;

    EmulatorConfig m_config;
    Fidelity m_fidelity;
    ContactCentre *m_model;
    CallSimulator *m_calls;
    const SetupModel *m_setup = nullptr;
    StatsCalculator m_stats;
    QList<Route> m_routes;
    QHash<QString, FlexToken> m_tokens;
};

} // namespace flex::emulator
