#include "soakload.h"

#include "rawsubscriber.h"
#include "server/flextokenshape.h"
#include "servicerig.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QRandomGenerator>

#include <cstdio>

namespace flex::bench {

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

namespace {

QString shaped(const QString &name)
{
    return server::FlexTokenShape::unsignedExample(name, QByteArrayLiteral("soak"));
}

constexpr auto CallDeadline = 60s;  // a call without a final status by then is lost
constexpr auto TokenRotation = 15s; // one agent gets a new token this often
constexpr int ChurnPerSecond = 5;   // stats subscribers replaced per second
constexpr auto FirstSnapshotWait = 30s;
constexpr int TokenPool = 20;

QString agentIdentity(int i)
{
    return u"soak%1"_s.arg(i, 3, 10, QLatin1Char('0'));
}

bool isTerminal(const QString &s)
{
    return s == "completed"_L1 || s == "busy"_L1 || s == "failed"_L1 || s == "no-answer"_L1 ||
           s == "canceled"_L1;
}

} // namespace

void SoakErrors::add(const QByteArray &kind, const QString &detail)
{
    ++m_total;
    if (++m_byKind[kind] <= 3)
        std::printf("  ! %s: %s\n", kind.constData(), qPrintable(detail.left(300)));
}

QString SoakErrors::summary() const
{
    if (m_total == 0)
        return u"none"_s;
    QStringList parts;
    for (auto it = m_byKind.cbegin(); it != m_byKind.cend(); ++it)
        parts << u"%1: %2"_s.arg(QString::fromLatin1(it.key())).arg(it.value());
    return parts.join(u", "_s);
}

void postToEmulator(QNetworkAccessManager &nam, const ServiceRig &rig, const QString &path,
                    const QJsonObject &body, QObject *context, std::function<void(bool)> done)
{
    QNetworkRequest request(rig.emulatorUrl(path));
    request.setHeader(QNetworkRequest::ContentTypeHeader, u"application/json"_s);
    QNetworkReply *reply = nam.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QObject::connect(reply, &QNetworkReply::finished, context, [reply, done] {
        reply->deleteLater();
        if (done)
            done(reply->error() == QNetworkReply::NoError);
    });
}

// ---------------------------------------------------------------- dial

struct DialLoad::Agent
{
    int index = 0;
    QString token;
    QString nextToken; // minted, used at the next reconnect
    std::unique_ptr<QWebSocket> socket;
    QString callSid;
    QString to;
    bool inCall = false;
    int serial = 0;
    QElapsedTimer callClock;
    QElapsedTimer openedAt;
};

QStringList DialLoad::emulatorTokenArgs(int agents)
{
    QStringList args;
    for (int i = 0; i < agents; ++i)
        args << u"--token"_s
             << shaped(u"soak-agent-%1-0"_s.arg(i)) + u":%1:agent"_s.arg(agentIdentity(i));
    return args;
}

DialLoad::DialLoad(ServiceRig &rig, QNetworkAccessManager &nam, SoakErrors &errors, int agents)
    : m_rig(rig)
    , m_nam(nam)
    , m_errors(errors)
{
    for (int i = 0; i < agents; ++i) {
        auto agent = std::make_unique<Agent>();
        agent->index = i;
        agent->token = shaped(u"soak-agent-%1-0"_s.arg(i));
        m_agents.push_back(std::move(agent));
    }
    connect(&m_rotateTimer, &QTimer::timeout, this, &DialLoad::rotateToken);
    connect(&m_stuckTimer, &QTimer::timeout, this, &DialLoad::checkStuck);
}

DialLoad::~DialLoad() = default;

void DialLoad::start()
{
    for (auto &agent : m_agents)
        connectAgent(*agent);
    m_rotateTimer.start(TokenRotation);
    m_stuckTimer.start(1s);
}

void DialLoad::stop()
{
    m_stopped = true;
    m_rotateTimer.stop();
    m_stuckTimer.stop();
    for (auto &agent : m_agents) {
        if (agent->socket)
            agent->socket->close();
    }
}

void DialLoad::connectAgent(Agent &agent)
{
    if (!agent.nextToken.isEmpty())
        agent.token = std::exchange(agent.nextToken, {});
    agent.socket = std::make_unique<QWebSocket>();
    agent.openedAt.start();
    Agent *a = &agent;
    QWebSocket *socket = agent.socket.get();
    connect(socket, &QWebSocket::connected, this, [this, a] { placeCall(*a); });
    connect(socket, &QWebSocket::textMessageReceived, this,
            [this, a](const QString &text) { onMessage(*a, text); });
    connect(socket, &QWebSocket::disconnected, this, [this, a, socket] {
        if (m_stopped || a->socket.get() != socket) // stopped, or replaced on purpose
            return;
        m_errors.add("dial socket lost", u"%1: %2 (close code %3 %4; %5 ms after opening)"_s
                                             .arg(agentIdentity(a->index), socket->errorString())
                                             .arg(int(socket->closeCode()))
                                             .arg(socket->closeReason())
                                             .arg(a->openedAt.elapsed()));
        a->inCall = false;
        QTimer::singleShot(1s, this, [this, a] { connectAgent(*a); });
    });
    QNetworkRequest request(m_rig.dialUrl());
    request.setRawHeader("Sec-WebSocket-Protocol", agent.token.toUtf8());
    agent.socket->open(request);
}

void DialLoad::placeCall(Agent &agent)
{
    if (m_stopped || agent.inCall || !agent.socket ||
        agent.socket->state() != QAbstractSocket::ConnectedState)
        return;
    // The emulator's outcome by the last digits: mostly answered calls.
    static const char *const endings[] = {"5000", "5001", "0001", "5002", "0002",
                                          "5003", "0003", "5004", "0004", "5005"};
    const QString ending = QString::fromLatin1(endings[agent.serial++ % 10]);
    agent.to = u"+1555%1"_s.arg(agent.index, 3, 10, QLatin1Char('0')) + ending;
    agent.inCall = true;
    agent.callSid.clear();
    agent.callClock.start();
    const QJsonObject call{
        {"method"_L1, u"call"_s},
        {"to"_L1, agent.to},
        {"from"_L1, u"+15557654321"_s},
        {"workerContactUri"_L1, QString(u"client:"_s + agentIdentity(agent.index))}};
    agent.socket->sendTextMessage(
        QString::fromUtf8(QJsonDocument(call).toJson(QJsonDocument::Compact)));
}

void DialLoad::onMessage(Agent &agent, const QString &text)
{
    const QJsonObject o = QJsonDocument::fromJson(text.toUtf8()).object();
    if (o.value("messageType"_L1) == "error"_L1) {
        m_errors.add("dial error", o.value("message"_L1).toString());
        callEnded(agent);
        return;
    }
    const QString sid = o.value("callSid"_L1).toString();
    const QString status = o.value("callStatus"_L1).toString();
    if (status == "queued"_L1 && agent.callSid.isEmpty())
        agent.callSid = sid;
    if (sid != agent.callSid) {
        m_errors.add("misrouted update", sid + u' ' + status);
        return;
    }
    // Rings until hung up: hang up after a second of ringing.
    if (status == "ringing"_L1 && agent.to.endsWith(u"0004"_s)) {
        QTimer::singleShot(1s, agent.socket.get(), [s = agent.socket.get(), sid] {
            s->sendTextMessage(u"{\"method\":\"hangup\",\"callSid\":\"%1\"}"_s.arg(sid));
        });
    }
    if (isTerminal(status)) {
        ++m_completed;
        callEnded(agent);
    }
}

void DialLoad::callEnded(Agent &agent)
{
    agent.inCall = false;
    if (!agent.nextToken.isEmpty()) {
        // Token churn: a new socket with the new token; the old one closes cleanly.
        // Released first: close() may emit disconnected() at once.
        QWebSocket *old = agent.socket.release();
        old->close();
        old->deleteLater();
        connectAgent(agent);
        return;
    }
    Agent *a = &agent;
    QTimer::singleShot(500ms, this, [this, a] { placeCall(*a); });
}

void DialLoad::rotateToken()
{
    Agent &agent = *m_agents.at(size_t(m_nextRotation++ % int(m_agents.size())));
    const QString token = shaped(u"soak-agent-%1-%2"_s.arg(agent.index).arg(++m_rotated));
    Agent *a = &agent;
    postToEmulator(m_nam, m_rig, u"/__emulator/tokens"_s,
                   {{"token"_L1, token},
                    {"identity"_L1, agentIdentity(agent.index)},
                    {"roles"_L1, QJsonArray{u"agent"_s}},
                    {"ttlSeconds"_L1, 7200}},
                   this, [this, a, token](bool ok) {
                       if (!ok)
                           m_errors.add("emulator", u"could not mint a token"_s);
                       else
                           a->nextToken = token;
                   });
}

void DialLoad::checkStuck()
{
    for (auto &agent : m_agents) {
        if (agent->inCall &&
            agent->callClock.elapsed() > std::chrono::milliseconds(CallDeadline).count()) {
            m_errors.add("call lost", u"%1 to %2 (%3) without a final status after 60 s"_s.arg(
                                          agentIdentity(agent->index), agent->to, agent->callSid));
            printServiceLines(agent->callSid.isEmpty() ? agentIdentity(agent->index)
                                                       : agent->callSid);
            callEnded(*agent);
        }
    }
}

void DialLoad::printServiceLines(const QString &needle) const
{
    // What the service said about it: the last few lines that name it.
    const QList<QByteArray> lines = m_rig.serviceOutput().split('\n');
    QList<QByteArray> matching;
    for (const QByteArray &line : lines) {
        if (line.contains(needle.toUtf8()))
            matching.append(line);
    }
    for (qsizetype i = std::max<qsizetype>(0, matching.size() - 8); i < matching.size(); ++i)
        std::printf("    service: %s\n", matching.at(i).left(300).constData());
}

// ---------------------------------------------------------------- stats

struct StatsChurn::Slot
{
    RawSubscriber *subscriber = nullptr; // child of the StatsChurn
    QElapsedTimer openedAt;
    bool closing = false;
};

QStringList StatsChurn::emulatorTokenArgs()
{
    QStringList args;
    for (int i = 0; i < TokenPool; ++i)
        args << u"--token"_s
             << shaped(u"soak-supervisor-%1"_s.arg(i)) + u":supervisor%1:supervisor"_s.arg(i);
    return args;
}

StatsChurn::StatsChurn(ServiceRig &rig, QNetworkAccessManager &nam, SoakErrors &errors,
                       int subscribers)
    : m_rig(rig)
    , m_nam(nam)
    , m_errors(errors)
    , m_count(subscribers)
{
    for (int i = 0; i < TokenPool; ++i)
        m_tokens << shaped(u"soak-supervisor-%1"_s.arg(i));
    m_tokenSerial = TokenPool;
    connect(&m_churnTimer, &QTimer::timeout, this, &StatsChurn::churn);
    connect(&m_tokenTimer, &QTimer::timeout, this, &StatsChurn::renewToken);
}

StatsChurn::~StatsChurn() = default;

void StatsChurn::start()
{
    for (int i = 0; i < m_count; ++i) {
        m_slots.push_back(std::make_unique<Slot>());
        open(*m_slots.back());
    }
    m_churnTimer.start(1s);
    m_tokenTimer.start(30s);
}

void StatsChurn::stop()
{
    m_stopped = true;
    m_churnTimer.stop();
    m_tokenTimer.stop();
    for (auto &slot : m_slots) {
        slot->closing = true;
        if (slot->subscriber)
            slot->subscriber->close();
    }
}

void StatsChurn::open(Slot &slot)
{
    const QString token =
        m_tokens.at(int(QRandomGenerator::global()->bounded(qsizetype(m_tokens.size()))));
    if (slot.subscriber)
        slot.subscriber->deleteLater();
    slot.subscriber = new RawSubscriber(m_rig.port(), token.toUtf8(), this);
    slot.openedAt.start();
    slot.closing = false;
    Slot *s = &slot;
    RawSubscriber *mine = slot.subscriber;
    connect(mine, &RawSubscriber::ended, this, [this, s, mine] {
        if (m_stopped || s->closing || s->subscriber != mine)
            return;
        m_errors.add(
            mine->upgraded() ? "stats socket closed by the service" : "stats refused",
            u"HTTP %1 after %2 ms"_s.arg(mine->refusedStatus()).arg(s->openedAt.elapsed()));
        QTimer::singleShot(1s, this, [this, s, mine] {
            if (!m_stopped && s->subscriber == mine)
                open(*s);
        });
    });
}

void StatsChurn::churn()
{
    // Check the young ones, then replace a few at random.
    for (auto &slot : m_slots) {
        RawSubscriber *s = slot->subscriber;
        if (s && !s->closed() && s->messages() == 0 &&
            slot->openedAt.elapsed() > std::chrono::milliseconds(FirstSnapshotWait).count()) {
            m_errors.add("no first snapshot", u"a subscriber waited 30 s"_s);
            slot->openedAt.start(); // report once per 30 s
        }
    }
    for (int i = 0; i < ChurnPerSecond && !m_slots.empty(); ++i) {
        Slot &slot = *m_slots.at(size_t(QRandomGenerator::global()->bounded(int(m_slots.size()))));
        if (!slot.subscriber || slot.subscriber->messages() == 0)
            continue; // still connecting
        slot.closing = true;
        slot.subscriber->close();
        open(slot);
        ++m_replaced;
    }
}

void StatsChurn::renewToken()
{
    const QString token = shaped(u"soak-supervisor-%1"_s.arg(m_tokenSerial++));
    postToEmulator(m_nam, m_rig, u"/__emulator/tokens"_s,
                   {{"token"_L1, token},
                    {"identity"_L1, u"supervisor%1"_s.arg(m_tokenSerial)},
                    {"roles"_L1, QJsonArray{u"supervisor"_s}},
                    {"ttlSeconds"_L1, 7200}},
                   this, [this, token](bool ok) {
                       if (!ok) {
                           m_errors.add("emulator", u"could not mint a token"_s);
                           return;
                       }
                       m_tokens.removeFirst();
                       m_tokens.append(token);
                   });
}

} // namespace flex::bench
