#pragma once

#include "emulatorconfig.h"
#include "emulatorparts.h"
#include "faultinjector.h"
#include "fidelity.h"
#include "operation.h"
#include "outgoingrequests.h"

#include <QDateTime>
#include <QHash>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPair>
#include <QUrl>

#include <chrono>
#include <functional>

namespace flex::emulator {

using namespace Qt::StringLiterals;

class ControlApi;
class HttpConnection;
class HttpServer;

// Emulates the part of Twilio that flex-backend talks to (IAM token
// validation, Calls, TaskRouter queues/channels/statistics) on one loopback
// port, over a simulated contact centre. See src/emulator/README.md for the
// HTTP control API under /__emulator/ and the outcome-by-number scheme.
//
// Operation names (faults, counters) are Twilio operationIds, all of them in
// FaultInjector::operations().
class TwilioEmulator : public QObject
{
    Q_OBJECT
public:
    explicit TwilioEmulator(const EmulatorConfig &config = {}, QObject *parent = nullptr);
    ~TwilioEmulator() override;

    bool listen(const QHostAddress &address = QHostAddress::LocalHost, quint16 port = 0);
    quint16 port() const;
    QUrl baseUrl() const;
    // The flex-backend settings (environment-variable names) that point a
    // service at this emulator: account, auth token, workflow, workspace and
    // the three base URLs. Callers add EXTERNAL_HOST, PORT and the rest.
    QList<QPair<QString, QString>> serviceSettings() const;
    // The same for an emulator with this configuration listening at baseUrl
    // (e.g. a twilio-emulator process).
    static QList<QPair<QString, QString>> serviceSettings(const EmulatorConfig &config,
                                                          const QUrl &baseUrl);
    const EmulatorConfig &config() const { return m_config; }

    // --- IAM tokens -------------------------------------------------------
    void addToken(const QString &token, const QString &identity,
                  const QStringList &roles = {u"agent"_s}, const QDateTime &expiration = {},
                  const QString &workerSid = {});

    // --- faults and counters ----------------------------------------------
    // E.g. injectFault(op, {Fault::Kind::TooMany429, 2, 5}): the next two
    // requests get 429 with Retry-After 5. remaining < 0: until clearFaults().
    void injectFault(const QString &operation, const Fault &fault);
    void clearFaults(const QString &operation = {});
    OperationCounters counters(const QString &operation) const;
    OperationCounters totalCounters() const;
    QList<RecordedRequest> recentRequests() const;
    void resetCounters();

    // --- calls --------------------------------------------------------------
    void setCallStepInterval(std::chrono::milliseconds interval);
    void setTalkTime(std::chrono::milliseconds talkTime);
    void setReorderCallbacks(bool on);
    void setEarlyCallbacks(bool on);
    QList<OutgoingRecord> outgoingRequests() const;
    QJsonObject call(const QString &callSid) const; // empty if unknown

    // --- contact centre -----------------------------------------------------
    QString addQueue(const QString &friendlyName);
    bool removeQueue(const QString &queueSid);
    QStringList queueSids() const;
    QStringList channelNames() const;
    void setFrozen(bool frozen);
    void tick(int count = 1);
    QDateTime now() const; // the simulation clock
    // Statistics exactly as the endpoints compute them (stats fields only).
    // channel: unique name or TC sid, empty = all channels.
    QJsonObject realtimeStatistics(const QString &queueSid, const QString &channel = {}) const;
    QJsonObject cumulativeStatistics(const QString &queueSid, const QDateTime &start,
                                     const QDateTime &end, const QString &channel = {},
                                     const QList<int> &splitByWaitTime = {}) const;

    // Accepted tasks added to today's history of a queue (at the simulation
    // clock's now, each having waited `wait`): enough of them cross
    // TaskRouter's 10,000-task cap on SplitByWaitTime.
    void addHistory(const QString &queueSid, const QString &channel, int tasks,
                    std::chrono::seconds wait);

    // --- fidelity: answers as thin as real Twilio's may be -------------------
    Fidelity &fidelity();

    // --- set-up (workspaces, workflows, activities; SetupModel) -----------
    // Applies set-up knobs (src/emulator/README.md, "Set-up"), e.g.
    // {"filterExpression":"1==1"} or {"reset":true}; false with *error.
    bool applySetup(const QJsonObject &knobs, QString *error = nullptr);

    // Faults, counters, request log, recorded callbacks, the set-up and fidelity
    // back to their defaults.
    void reset();

private:
    void onRequest(HttpConnection *connection, const HttpRequest &request);
    void actOut(const Fault &fault, HttpConnection *connection, const QString &path,
                const std::function<void()> &answerNormally, const Done &done);
    void finishRequest(HttpConnection *connection, int status);

    EmulatorConfig m_config;
    HttpServer *m_server;
    EmulatorParts m_parts;
    ControlApi *m_control;
    QHash<HttpConnection *, int> m_pending; // connection → request id in FaultInjector
};

} // namespace flex::emulator
