#include "twilioemulator.h"

#include "callsimulator.h"
#include "contactcentre.h"
#include "controlapi.h"
#include "faultinjector.h"
#include "httpserver.h"
#include "setupapi.h"
#include "setupmodel.h"
#include "twilioapi.h"
#include "twilioerror.h"

#include <QPointer>
#include <QTimer>

namespace flex::emulator {

TwilioEmulator::TwilioEmulator(const EmulatorConfig &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_server(new HttpServer(this))
    , m_model(new ContactCentre(config, this))
    , m_calls(new CallSimulator(config.accountSid, config.authToken.toUtf8(), m_model, this))
    , m_faults(new FaultInjector(this))
    , m_api(new TwilioApi(config, m_model, m_calls, this))
    , m_setup(new SetupModel(config, m_model, this))
    , m_setupApi(new SetupApi(config, m_setup, this))
    , m_control(new ControlApi(this))
{
    m_api->setSetupModel(m_setup);
    m_calls->setStepInterval(config.callStepInterval);
    m_calls->setTalkTime(config.talkTime);
    connect(m_server, &HttpServer::requestReceived, this, &TwilioEmulator::onRequest);
    connect(m_server, &HttpServer::requestAbandoned, this, [this](HttpConnection *connection) {
        const auto it = m_pending.constFind(connection);
        if (it == m_pending.cend())
            return;
        m_faults->requestFinished(it.value(), -1);
        m_pending.erase(it);
    });
    connect(m_calls, &CallSimulator::outgoingFinished, this,
            &TwilioEmulator::outgoingRequestFinished);
}

TwilioEmulator::~TwilioEmulator() = default;

bool TwilioEmulator::listen(const QHostAddress &address, quint16 port)
{
    return m_server->listen(address, port);
}

quint16 TwilioEmulator::port() const
{
    return m_server->port();
}

QUrl TwilioEmulator::baseUrl() const
{
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(QStringLiteral("127.0.0.1"));
    url.setPort(port());
    return url;
}

QList<QPair<QString, QString>> TwilioEmulator::serviceSettings() const
{
    return serviceSettings(m_config, baseUrl());
}

QList<QPair<QString, QString>> TwilioEmulator::serviceSettings(const EmulatorConfig &config,
                                                               const QUrl &baseUrl)
{
    const QString base = baseUrl.toString(QUrl::StripTrailingSlash);
    return {
        {QStringLiteral("TWILIO_ACCOUNT_SID"), config.accountSid},
        {QStringLiteral("TWILIO_AUTH_TOKEN"), config.authToken},
        {QStringLiteral("TWILIO_OUTBOUND_WORKFLOW_SID"), config.workflowSid},
        {QStringLiteral("TWILIO_FLEX_WORKSPACE_SID"), config.workspaceSid},
        {QStringLiteral("TWILIO_API_URL"), base},
        {QStringLiteral("TWILIO_TASKROUTER_URL"), base},
        {QStringLiteral("TWILIO_IAM_URL"), base},
    };
}

void TwilioEmulator::onRequest(HttpConnection *connection, const HttpRequest &request)
{
    const QByteArray host = request.header("host");
    const QString origin = host.isEmpty() ? baseUrl().toString()
                                          : QStringLiteral("http://") + QString::fromLatin1(host);

    if (request.path.startsWith(QLatin1String("/__emulator"))) {
        connection->respond(m_control->handle(request, origin));
        return;
    }

    QString operation = m_api->operationFor(request);
    if (operation.isEmpty())
        operation = m_setupApi->operationFor(request);
    RecordedRequest record;
    record.time = QDateTime::currentDateTimeUtc();
    record.operation = operation;
    record.method = QString::fromLatin1(request.method);
    record.path = request.path;
    record.query = request.query.toString(QUrl::FullyDecoded);
    if (request.header("content-type").startsWith("application/x-www-form-urlencoded"))
        record.formParams = formDecode(request.body);
    record.body = request.body.left(16 * 1024);
    const int id = m_faults->requestStarted(record);
    m_pending.insert(connection, id);

    const QPointer<HttpConnection> guard(connection);
    auto done = [this, guard](const HttpResponse &response) {
        if (guard)
            answer(guard, response);
    };
    const std::optional<Fault> fault =
        operation.isEmpty() ? std::nullopt : m_faults->takeFault(operation);
    if (!fault) {
        dispatch(request, operation, origin, done);
        return;
    }
    switch (fault->kind) {
    case Fault::Kind::Status401:
        done(twilioError(401, 20003, QStringLiteral("Authenticate")));
        return;
    case Fault::Kind::Status404:
        done(twilioError(
            404, 20404,
            QStringLiteral("The requested resource %1 was not found").arg(request.path)));
        return;
    case Fault::Kind::Status429: {
        HttpResponse r = twilioError(429, 20429, QStringLiteral("Too Many Requests"));
        r.headers.append({"Retry-After", QByteArray::number(fault->retryAfterSeconds)});
        done(r);
        return;
    }
    case Fault::Kind::Status500:
        done(twilioError(500, 20500, QStringLiteral("Internal Server Error")));
        return;
    case Fault::Kind::Status503:
        done(twilioError(503, 20503, QStringLiteral("Service Unavailable")));
        return;
    case Fault::Kind::Drop:
        m_faults->requestFinished(id, -1);
        m_pending.remove(connection);
        connection->drop();
        return;
    case Fault::Kind::Delay:
        QTimer::singleShot(fault->delay, this, [this, guard, request, operation, origin, done] {
            if (guard)
                dispatch(request, operation, origin, done);
        });
        return;
    }
}

void TwilioEmulator::dispatch(const HttpRequest &request, const QString &operation,
                              const QString &origin,
                              const std::function<void(const HttpResponse &)> &done)
{
    if (SetupApi::operations().contains(operation))
        done(m_setupApi->handle(request, operation, origin));
    else
        m_api->handle(request, operation, origin, done);
}

void TwilioEmulator::answer(HttpConnection *connection, const HttpResponse &response)
{
    const auto it = m_pending.constFind(connection);
    if (it != m_pending.cend()) {
        m_faults->requestFinished(it.value(), response.status);
        m_pending.erase(it);
    }
    connection->respond(response);
}

void TwilioEmulator::addToken(const QString &token, const QString &identity,
                              const QStringList &roles, const QDateTime &expiration,
                              const QString &workerSid)
{
    FlexToken info;
    info.identity = identity;
    info.roles = roles;
    info.expiration = expiration.toUTC();
    info.workerSid = workerSid;
    m_api->addToken(token, info);
}

void TwilioEmulator::removeToken(const QString &token)
{
    m_api->removeToken(token);
}

void TwilioEmulator::injectFault(const QString &operation, FaultKind kind, int count,
                                 int retryAfterSeconds, std::chrono::milliseconds delay)
{
    Fault f;
    switch (kind) {
    case FaultKind::Unauthorized401:
        f.kind = Fault::Kind::Status401;
        break;
    case FaultKind::NotFound404:
        f.kind = Fault::Kind::Status404;
        break;
    case FaultKind::TooMany429:
        f.kind = Fault::Kind::Status429;
        break;
    case FaultKind::Error500:
        f.kind = Fault::Kind::Status500;
        break;
    case FaultKind::Unavailable503:
        f.kind = Fault::Kind::Status503;
        break;
    case FaultKind::Delay:
        f.kind = Fault::Kind::Delay;
        break;
    case FaultKind::Drop:
        f.kind = Fault::Kind::Drop;
        break;
    }
    f.remaining = count == 0 ? 1 : count;
    f.retryAfterSeconds = retryAfterSeconds;
    f.delay = delay;
    m_faults->addFault(operation, f);
}

void TwilioEmulator::clearFaults(const QString &operation)
{
    m_faults->clearFaults(operation);
}

RequestCounters TwilioEmulator::counters(const QString &operation) const
{
    const OperationCounters c = m_faults->counters(operation);
    return {c.requests, c.inFlight, c.maxInFlight};
}

RequestCounters TwilioEmulator::totalCounters() const
{
    const OperationCounters c = m_faults->totalCounters();
    return {c.requests, c.inFlight, c.maxInFlight};
}

QList<RecordedRequestInfo> TwilioEmulator::recentRequests() const
{
    QList<RecordedRequestInfo> out;
    const QList<RecordedRequest> recent = m_faults->recentRequests();
    for (const RecordedRequest &r : recent)
        out.append({r.operation, r.method, r.path, r.query, r.formParams, r.status});
    return out;
}

void TwilioEmulator::resetCounters()
{
    m_faults->resetCounters();
}

void TwilioEmulator::setCallStepInterval(std::chrono::milliseconds interval)
{
    m_calls->setStepInterval(interval);
}

void TwilioEmulator::setTalkTime(std::chrono::milliseconds talkTime)
{
    m_calls->setTalkTime(talkTime);
}

void TwilioEmulator::setReorderCallbacks(bool on)
{
    m_calls->setReorderCallbacks(on);
}

void TwilioEmulator::setEarlyCallbacks(bool on)
{
    m_calls->setEarlyCallbacks(on);
}

QList<OutgoingRequest> TwilioEmulator::outgoingRequests() const
{
    QList<OutgoingRequest> out;
    for (const OutgoingRecord &r : m_calls->outgoing()) {
        out.append({r.kind, r.callSid, r.url, r.callStatus, r.sequenceNumber, r.params, r.signature,
                    r.httpStatus});
    }
    return out;
}

QJsonObject TwilioEmulator::call(const QString &callSid) const
{
    return m_calls->fetch(callSid).value_or(QJsonObject());
}

QString TwilioEmulator::addQueue(const QString &friendlyName)
{
    return m_model->addQueue(friendlyName);
}

bool TwilioEmulator::removeQueue(const QString &queueSid)
{
    return m_model->removeQueue(queueSid);
}

QStringList TwilioEmulator::queueSids() const
{
    QStringList out;
    for (const TaskQueue &q : m_model->queues())
        out.append(q.sid);
    return out;
}

QStringList TwilioEmulator::channelNames() const
{
    QStringList out;
    for (const TaskChannel &c : m_model->channels())
        out.append(c.uniqueName);
    return out;
}

void TwilioEmulator::setFrozen(bool frozen)
{
    m_model->setFrozen(frozen);
}

void TwilioEmulator::tick(int count)
{
    for (int i = 0; i < count; ++i)
        m_model->tick();
}

QDateTime TwilioEmulator::now() const
{
    return QDateTime::fromMSecsSinceEpoch(m_model->nowMs(), Qt::UTC);
}

QJsonObject TwilioEmulator::realtimeStatistics(const QString &queueSid,
                                               const QString &channel) const
{
    const QString name =
        channel.isEmpty() ? QString() : m_model->resolveChannel(channel).value_or(channel);
    return m_api->calculator().realtime(queueSid, name);
}

QJsonObject TwilioEmulator::cumulativeStatistics(const QString &queueSid, const QDateTime &start,
                                                 const QDateTime &end, const QString &channel,
                                                 const QList<int> &splitByWaitTime) const
{
    CumulativeQuery q;
    q.start = start.toUTC();
    q.end = end.toUTC();
    q.channel = channel.isEmpty() ? QString() : m_model->resolveChannel(channel).value_or(channel);
    q.splitByWaitTime = splitByWaitTime;
    return m_api->calculator().cumulative(queueSid, q);
}

void TwilioEmulator::addHistory(const QString &queueSid, const QString &channel, int tasks,
                                std::chrono::seconds wait)
{
    m_model->addHistory(queueSid, channel, tasks, std::chrono::milliseconds(wait).count());
}

Fidelity &TwilioEmulator::fidelity()
{
    return m_api->fidelity();
}

bool TwilioEmulator::applySetup(const QJsonObject &knobs, QString *error)
{
    QString message;
    const bool ok = m_setup->apply(knobs, &message);
    if (error)
        *error = message;
    return ok;
}

QJsonObject TwilioEmulator::setupState() const
{
    return m_setup->state();
}

void TwilioEmulator::reset()
{
    m_api->fidelity() = Fidelity();
    m_setup->reset();
    m_faults->clearFaults();
    m_faults->resetCounters();
    m_calls->clearOutgoing();
}

} // namespace flex::emulator
