#pragma once

#include "httpmessage.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <chrono>
#include <deque>
#include <optional>

namespace flex::emulator {

// A fault applied to the next `remaining` requests of one operation
// (remaining < 0: until cleared; 0 counts as 1).
struct Fault
{
    enum class Kind {
        Unauthorized401,
        NotFound404,
        TooMany429,
        Error500,
        Unavailable503,
        Delay,
        Drop
    };
    Kind kind = Kind::Error500;
    int remaining = 1;
    int retryAfterSeconds = 1;          // TooMany429
    std::chrono::milliseconds delay{0}; // Delay

    static std::optional<Kind> kindFromString(const QString &name);
    static QString kindName(Kind kind);
    // Twilio's error answer for an HTTP-status kind (path: the request's);
    // nullopt for Delay and Drop, which the emulator acts out.
    std::optional<HttpResponse> response(const QString &path) const;
};

// Requests of one operation (or of all) since the last reset.
struct OperationCounters
{
    int requests = 0;
    int inFlight = 0;
    int maxInFlight = 0;
};

// One request the service sent to the emulator, as the request log keeps it.
struct RecordedRequest
{
    QDateTime time;
    QString operation;
    QString method;
    QString path;
    QString query;
    QList<QPair<QString, QString>> formParams;
    QByteArray body;
    int status = 0; // 0 while unanswered, -1 dropped
};

// Per-operation faults, request counters, in-flight tracking and the log of
// recent requests. Operation names are Twilio operationIds.
class FaultInjector : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;

    static const QStringList &operations();

    void addFault(const QString &operation, const Fault &fault);
    void clearFaults(const QString &operation = {});
    // Consumes one use of the operation's first fault, if any.
    std::optional<Fault> takeFault(const QString &operation);

    // Returns an id to pass to requestFinished().
    int requestStarted(const RecordedRequest &request);
    void requestFinished(int id, int status);

    OperationCounters counters(const QString &operation) const;
    OperationCounters totalCounters() const { return m_total; }
    QList<RecordedRequest> recentRequests() const;
    void resetCounters();

    QJsonObject countersJson() const;
    QJsonObject faultsJson() const;

    static constexpr int MaxRecordedRequests = 1000;

private:
    QHash<QString, QList<Fault>> m_faults;
    QHash<QString, OperationCounters> m_counters;
    OperationCounters m_total;
    struct Pending
    {
        QString operation;
        bool counted = true;
    };
    QHash<int, Pending> m_pending;
    std::deque<std::pair<int, RecordedRequest>> m_recent;
    int m_nextId = 1;
};

} // namespace flex::emulator
