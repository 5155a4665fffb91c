#include "twilioemulator.h"

#include "callsimulator.h"
#include "contactcentre.h"
#include "controlapi.h"
#include "faultinjector.h"
#include "httpserver.h"
#include "setupapi.h"
#include "setupmodel.h"
#include "twilio/twiliorequest.h"
#include "twilioapi.h"
#include "twilioerror.h"

#include <QPointer>
#include <QTimer>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

// The parts, children of owner, in the order they depend on each other.
EmulatorParts makeParts(const EmulatorConfig &config, QObject *owner)
{
    auto *model = new ContactCentre(config, owner);
    auto *calls = new CallSimulator(config.accountSid, config.authToken.toUtf8(), model, owner);
    calls->setStepInterval(config.callStepInterval);
    calls->setTalkTime(config.talkTime);
    auto *faults = new FaultInjector(owner);
    auto *setup = new SetupModel(config, model, owner);
    auto *api = new TwilioApi(config, model, calls, setup, owner);
    auto *setupApi = new SetupApi(config, setup, owner);
    return {config, *model, *calls, *faults, *api, *setup, *setupApi};
}

QString originOf(const HttpRequest &request, const QUrl &baseUrl)
{
    const QByteArray host = request.header("host");
    return host.isEmpty() ? baseUrl.toString() : u"http://"_s + QString::fromLatin1(host);
}

RecordedRequest recordOf(const HttpRequest &request, const QString &operation)
{
    RecordedRequest record;
    record.time = QDateTime::currentDateTimeUtc();
    record.operation = operation;
    record.method = QString::fromLatin1(request.method);
    record.path = request.path;
    record.query = request.query.toString(QUrl::FullyDecoded);
    if (request.header("content-type").startsWith("application/x-www-form-urlencoded"))
        record.formParams = twilio::decodeForm(request.body);
    record.body = request.body.left(16 * 1024);
    return record;
}

} // namespace

TwilioEmulator::TwilioEmulator(const EmulatorConfig &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_server(new HttpServer(this))
    , m_parts(makeParts(m_config, this))
    , m_control(new ControlApi(m_parts, this))
{
    connect(m_server, &HttpServer::requestReceived, this, &TwilioEmulator::onRequest);
    connect(m_server, &HttpServer::requestAbandoned, this,
            [this](HttpConnection *connection) { finishRequest(connection, -1); });
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
    url.setScheme(u"http"_s);
    url.setHost(u"127.0.0.1"_s);
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
        {u"TWILIO_ACCOUNT_SID"_s, config.accountSid},
        {u"TWILIO_AUTH_TOKEN"_s, config.authToken},
        {u"TWILIO_OUTBOUND_WORKFLOW_SID"_s, config.workflowSid},
        {u"TWILIO_FLEX_WORKSPACE_SID"_s, config.workspaceSid},
        {u"TWILIO_API_URL"_s, base},
        {u"TWILIO_TASKROUTER_URL"_s, base},
        {u"TWILIO_IAM_URL"_s, base},
    };
}

void TwilioEmulator::onRequest(HttpConnection *connection, const HttpRequest &request)
{
    const QString origin = originOf(request, baseUrl());
    if (request.path.startsWith(u"/__emulator"_s)) {
        connection->respond(m_control->handle(request, origin));
        return;
    }
    std::optional<MatchedOperation> operation = m_parts.api.match(request, origin);
    if (!operation)
        operation = m_parts.setupApi.match(request, origin);
    const QString name = operation ? operation->name : QString();
    m_pending.insert(connection, m_parts.faults.requestStarted(recordOf(request, name)));

    const QPointer<HttpConnection> guard(connection);
    const Done done = [this, guard](const HttpResponse &response) {
        if (!guard)
            return;
        finishRequest(guard, response.status);
        guard->respond(response);
    };
    const TwilioApi &api = m_parts.api;
    const std::function<void()> answerNormally = [operation, &api, request, done] {
        if (operation)
            operation->answer(done);
        else
            done(api.unmatched(request));
    };
    const std::optional<Fault> fault =
        name.isEmpty() ? std::nullopt : m_parts.faults.takeFault(name);
    if (fault)
        actOut(*fault, connection, request.path, answerNormally, done);
    else
        answerNormally();
}

void TwilioEmulator::actOut(const Fault &fault, HttpConnection *connection, const QString &path,
                            const std::function<void()> &answerNormally, const Done &done)
{
    if (const std::optional<HttpResponse> response = fault.response(path)) {
        done(*response);
    } else if (fault.kind == Fault::Kind::Drop) {
        finishRequest(connection, -1);
        connection->drop();
    } else {
        const QPointer<HttpConnection> guard(connection);
        QTimer::singleShot(fault.delay, this, [guard, answerNormally] {
            if (guard)
                answerNormally();
        });
    }
}

void TwilioEmulator::finishRequest(HttpConnection *connection, int status)
{
    const auto it = m_pending.constFind(connection);
    if (it == m_pending.cend())
        return;
    m_parts.faults.requestFinished(it.value(), status);
    m_pending.erase(it);
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
    m_parts.api.addToken(token, info);
}

void TwilioEmulator::injectFault(const QString &operation, const Fault &fault)
{
    m_parts.faults.addFault(operation, fault);
}

void TwilioEmulator::clearFaults(const QString &operation)
{
    m_parts.faults.clearFaults(operation);
}

OperationCounters TwilioEmulator::counters(const QString &operation) const
{
    return m_parts.faults.counters(operation);
}

OperationCounters TwilioEmulator::totalCounters() const
{
    return m_parts.faults.totalCounters();
}

QList<RecordedRequest> TwilioEmulator::recentRequests() const
{
    return m_parts.faults.recentRequests();
}

void TwilioEmulator::resetCounters()
{
    m_parts.faults.resetCounters();
}

void TwilioEmulator::setCallStepInterval(std::chrono::milliseconds interval)
{
    m_parts.calls.setStepInterval(interval);
}

void TwilioEmulator::setTalkTime(std::chrono::milliseconds talkTime)
{
    m_parts.calls.setTalkTime(talkTime);
}

void TwilioEmulator::setReorderCallbacks(bool on)
{
    m_parts.calls.setReorderCallbacks(on);
}

void TwilioEmulator::setEarlyCallbacks(bool on)
{
    m_parts.calls.setEarlyCallbacks(on);
}

QList<OutgoingRecord> TwilioEmulator::outgoingRequests() const
{
    return m_parts.calls.outgoing();
}

QJsonObject TwilioEmulator::call(const QString &callSid) const
{
    return m_parts.calls.fetch(callSid).value_or(QJsonObject());
}

QString TwilioEmulator::addQueue(const QString &friendlyName)
{
    return m_parts.model.addQueue(friendlyName);
}

bool TwilioEmulator::removeQueue(const QString &queueSid)
{
    return m_parts.model.removeQueue(queueSid);
}

QStringList TwilioEmulator::queueSids() const
{
    return m_parts.model.queueSids();
}

QStringList TwilioEmulator::channelNames() const
{
    return m_parts.model.channelNames();
}

void TwilioEmulator::setFrozen(bool frozen)
{
    m_parts.model.setFrozen(frozen);
}

void TwilioEmulator::tick(int count)
{
    m_parts.model.advance(count);
}

QDateTime TwilioEmulator::now() const
{
    return m_parts.model.now();
}

QJsonObject TwilioEmulator::realtimeStatistics(const QString &queueSid,
                                               const QString &channel) const
{
    return m_parts.realtimeStatistics(queueSid, channel);
}

QJsonObject TwilioEmulator::cumulativeStatistics(const QString &queueSid, const QDateTime &start,
                                                 const QDateTime &end, const QString &channel,
                                                 const QList<int> &splitByWaitTime) const
{
    return m_parts.cumulativeStatistics(queueSid, start, end, channel, splitByWaitTime);
}

void TwilioEmulator::addHistory(const QString &queueSid, const QString &channel, int tasks,
                                std::chrono::seconds wait)
{
    m_parts.model.addHistory(queueSid, channel, tasks, std::chrono::milliseconds(wait).count());
}

Fidelity &TwilioEmulator::fidelity()
{
    return m_parts.api.fidelity();
}

bool TwilioEmulator::applySetup(const QJsonObject &knobs, QString *error)
{
    QString message;
    const bool ok = m_parts.setup.apply(knobs, &message);
    if (error)
        *error = message;
    return ok;
}

void TwilioEmulator::reset()
{
    m_parts.reset();
}

} // namespace flex::emulator
