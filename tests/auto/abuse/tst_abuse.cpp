// Strangers at the front door, against the real binary on loopback: floods
// of handshakes with made-up tokens, floods of connections, forwarded
// addresses, frames that break RFC 6455, malformed webhooks. Every case is
// bounded in count and time; every wait is on a condition.
#include "testenvironment.h"

#include <QHostAddress>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTest>

#include <memory>
#include <vector>

using namespace flex::testing;
using namespace Qt::StringLiterals;

namespace {

constexpr int kWait = 20000;
const QString DialPath = u"/websocket/outboundDial"_s;

QByteArray upgradeHead(const QString &token, const QByteArray &extra = {})
{
    return "GET " + DialPath.toUtf8() +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Protocol: " +
           token.toLatin1() + "\r\n" + extra + "\r\n";
}

int statusOf(const QByteArray &answer)
{
    const QList<QByteArray> parts = answer.left(answer.indexOf('\r')).split(' ');
    return parts.size() > 1 ? parts[1].toInt() : 0;
}

QString randomJwt()
{
    return flexToken(u"stranger-%1"_s.arg(QRandomGenerator::global()->generate64()));
}

// One raw connection from `source` (127.0.0.x): sends bytes, collects what comes back.
class RawClient
{
public:
    explicit RawClient(quint16 port, const QHostAddress &source = QHostAddress::LocalHost)
    {
        m_socket.bind(source, 0);
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket,
                         [this] { received += m_socket.readAll(); });
        m_socket.connectToHost(QHostAddress::LocalHost, port);
    }
    bool connected(int timeoutMs = kWait)
    {
        return QTest::qWaitFor(
            [this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, timeoutMs);
    }
    void send(const QByteArray &bytes) { m_socket.write(bytes); }
    bool closed() const { return m_socket.state() == QAbstractSocket::UnconnectedState; }
    bool waitClosed(int timeoutMs = kWait)
    {
        return QTest::qWaitFor([this] { return closed(); }, timeoutMs);
    }
    bool waitFor(const QByteArray &needle, int timeoutMs = kWait)
    {
        return QTest::qWaitFor([&] { return received.contains(needle); }, timeoutMs);
    }
    bool answered() const { return received.contains("\r\n\r\n"); }
    QTcpSocket &socket() { return m_socket; }

    QByteArray received;

private:
    QTcpSocket m_socket;
};

// A client frame (RFC 6455 §5.2): masked unless told otherwise.
QByteArray frame(quint8 opcode, const QByteArray &payload, bool masked = true, bool fin = true)
{
    QByteArray out;
    out.append(char((fin ? 0x80 : 0) | opcode));
    const char maskBit = masked ? char(0x80) : char(0);
    if (payload.size() < 126) {
        out.append(char(maskBit | char(payload.size())));
    } else {
        out.append(char(maskBit | 126));
        out.append(char((payload.size() >> 8) & 0xff));
        out.append(char(payload.size() & 0xff));
    }
    if (!masked)
        return out + payload;
    const QByteArray key("\x12\x34\x56\x78", 4);
    out.append(key);
    for (qsizetype i = 0; i < payload.size(); ++i)
        out.append(char(payload[i] ^ key[i % 4]));
    return out;
}

// The opcodes of the server's frames after the 101, and the code of its
// close frame (-1 while none has come).
struct ServerFrames
{
    QList<int> opcodes;
    int closeCode = -1;
};

ServerFrames serverFrames(const QByteArray &received)
{
    ServerFrames out;
    const qsizetype start = received.indexOf("\r\n\r\n");
    if (start < 0)
        return out;
    qsizetype i = start + 4;
    while (i + 2 <= received.size()) {
        const quint8 opcode = quint8(received[i]) & 0x0f;
        qsizetype length = quint8(received[i + 1]) & 0x7f;
        qsizetype header = 2;
        if (length == 126) {
            if (i + 4 > received.size())
                return out;
            length = (qsizetype(quint8(received[i + 2])) << 8) | quint8(received[i + 3]);
            header = 4;
        }
        if (i + header + length > received.size())
            return out;
        out.opcodes << opcode;
        if (opcode == 0x8) {
            out.closeCode =
                length >= 2 ? (quint8(received[i + header]) << 8) | quint8(received[i + header + 1])
                            : 1005;
            return out;
        }
        i += header + length;
    }
    return out;
}

} // namespace

class tst_Abuse : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void handshakeFloodSpendsBoundedValidations();
    void notTokenShapedCostsNothing();
    void connectionFloodPerAddressRefusedAndRecovers();
    void connectionFloodGlobalRefusedAndRecovers();
    void closedWebSocketsGiveTheirPlaceBack_data();
    void closedWebSocketsGiveTheirPlaceBack();
    void forwardedForOnlyFromTrustedProxies_data();
    void forwardedForOnlyFromTrustedProxies();
    void badFrames_data();
    void badFrames();
    void fragmentedAndInterleavedFramesAreServed();
    void pingFloodHarmsNoOne();
    void malformedWebhooks_data();
    void malformedWebhooks();

private:
    std::unique_ptr<TestEnvironment> start(const QList<QPair<QString, QString>> &env);
    // A WebSocket on the dial endpoint through a raw socket: 101 received.
    std::unique_ptr<RawClient> openRaw(TestEnvironment &env);

    std::unique_ptr<TestEnvironment> m_framesEnv;
    std::unique_ptr<TestEnvironment> m_webhooksEnv;
};

void tst_Abuse::initTestCase()
{
    QVERIFY2(!ServiceProcess::binary().isEmpty(), "FLEX_BACKEND_BIN is not set");
    // 127.0.0.2 is loopback too on Linux: the "other address" of these tests.
    QTcpSocket probe;
    QVERIFY2(probe.bind(QHostAddress(u"127.0.0.2"_s), 0), "cannot bind 127.0.0.2");
}

std::unique_ptr<TestEnvironment> tst_Abuse::start(const QList<QPair<QString, QString>> &env)
{
    auto e = std::make_unique<TestEnvironment>();
    for (const auto &[name, value] : env)
        e->setEnv(name, value);
    if (!e->startService())
        return nullptr;
    return e;
}

std::unique_ptr<RawClient> tst_Abuse::openRaw(TestEnvironment &env)
{
    auto c = std::make_unique<RawClient>(env.servicePort());
    if (!c->connected())
        return nullptr;
    c->send(upgradeHead(TestEnvironment::agentToken()));
    if (!c->waitFor("\r\n\r\n") || statusOf(c->received) != 101)
        return nullptr;
    return c;
}

// 3,000 upgrades with random, well-shaped tokens from one address: Twilio
// is asked at most the address's budget (plus what refills meanwhile), the
// rest get 429 with Retry-After, and a real agent from another address
// connects at once in the middle of it.
void tst_Abuse::handshakeFloodSpendsBoundedValidations()
{
    constexpr int Budget = 20;
    auto env = start({{u"AUTH_RATE_PER_ADDRESS"_s, QString::number(Budget)}});
    QVERIFY(env);
    auto &emu = env->emulator();
    emu.resetCounters();
    QElapsedTimer elapsed;
    elapsed.start();
    QHash<int, int> statuses;
    int withRetryAfter = 0;
    bool agentConnected = false;
    constexpr int Total = 3000, Batch = 150;
    for (int sent = 0; sent < Total; sent += Batch) {
        std::vector<std::unique_ptr<RawClient>> batch;
        for (int i = 0; i < Batch; ++i) {
            batch.push_back(std::make_unique<RawClient>(env->servicePort()));
            batch.back()->send(upgradeHead(randomJwt()));
        }
        if (sent == Total / 2) {
            // Mid-flood: the agent, from another address.
            RawClient agent(env->servicePort(), QHostAddress(u"127.0.0.2"_s));
            QVERIFY(agent.connected());
            agent.send(upgradeHead(TestEnvironment::agentToken()));
            QVERIFY(agent.waitFor("\r\n\r\n", 5000));
            QCOMPARE(statusOf(agent.received), 101);
            agentConnected = true;
        }
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const auto &c : batch) {
                    if (!c->answered() && !c->closed())
                        return false;
                }
                return true;
            },
            kWait));
        for (const auto &c : batch) {
            ++statuses[statusOf(c->received)];
            if (c->received.contains("\r\nRetry-After: "))
                ++withRetryAfter;
        }
    }
    const int validations = emu.counters(u"ValidateToken"_s).requests;
    const double minutes = double(elapsed.elapsed()) / 60000.0;
    qInfo("%d upgrades in %.1f s: %d x 403, %d x 429, %d validations asked of Twilio", Total,
          minutes * 60, statuses.value(403), statuses.value(429), validations);
    QVERIFY(agentConnected);
    // The budget, what refilled during the run, and the agent's own token.
    QVERIFY2(validations <= Budget + int(minutes * Budget) + 2,
             qPrintable(u"%1 validations"_s.arg(validations)));
    QVERIFY(validations >= Budget); // the budget itself is spent, not refused
    QCOMPARE(statuses.value(403) + statuses.value(429), Total);
    QCOMPARE(withRetryAfter, statuses.value(429));
    QVERIFY(statuses.value(429) >= Total - validations);
}

// Values that are not Flex tokens at all never reach Twilio, however many.
void tst_Abuse::notTokenShapedCostsNothing()
{
    auto env = start({{u"AUTH_RATE_PER_ADDRESS"_s, u"5"_s}});
    QVERIFY(env);
    env->emulator().resetCounters();
    const QStringList junk{
        u"not-a-token"_s, u"a.b"_s, u"a.b.c"_s, u"x.y.z.w"_s, QString(9000, u'a') + u".b.c"_s,
        u"e30.e30.sig"_s};
    for (int round = 0; round < 20; ++round) {
        for (const QString &token : junk) {
            RawClient c(env->servicePort());
            c.send(upgradeHead(token));
            QVERIFY(c.waitFor("\r\n\r\n"));
            QCOMPARE(statusOf(c.received), 403);
        }
    }
    QCOMPARE(env->emulator().counters(u"ValidateToken"_s).requests, 0);
    // And the budget is untouched: a real agent from the same address connects.
    QVERIFY(openRaw(*env));
}

void tst_Abuse::connectionFloodPerAddressRefusedAndRecovers()
{
    constexpr int PerAddress = 40;
    auto env = start({{u"MAX_CONNECTIONS_PER_ADDRESS"_s, QString::number(PerAddress)},
                      {u"TRUSTED_PROXIES"_s, u"none"_s}});
    QVERIFY(env);
    std::vector<std::unique_ptr<RawClient>> held;
    for (int i = 0; i < PerAddress; ++i) {
        held.push_back(std::make_unique<RawClient>(env->servicePort()));
        QVERIFY(held.back()->connected());
    }
    // Held connections are counted once accepted: wait until the service
    // has them all (it refuses the next one then).
    RawClient extra(env->servicePort());
    QVERIFY(extra.waitFor("\r\n\r\n"));
    QCOMPARE(statusOf(extra.received), 429);
    QVERIFY(extra.received.contains("Too many connections from this address"));
    QVERIFY(extra.waitClosed());
    // Another address is not affected.
    RawClient other(env->servicePort(), QHostAddress(u"127.0.0.2"_s));
    QVERIFY(other.connected());
    other.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(other.waitFor("\r\n\r\n"));
    QCOMPARE(statusOf(other.received), 200);
    // Recovers as the flood goes away.
    held.clear();
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            RawClient again(env->servicePort());
            again.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            return again.waitFor("\r\n\r\n", 5000) && statusOf(again.received) == 200;
        }(),
        kWait);
}

void tst_Abuse::connectionFloodGlobalRefusedAndRecovers()
{
    constexpr int Max = 60;
    auto env = start({{u"MAX_CONNECTIONS"_s, QString::number(Max)}});
    QVERIFY(env);
    std::vector<std::unique_ptr<RawClient>> held;
    for (int i = 0; i < Max; ++i) {
        const QHostAddress source(QHostAddress(u"127.0.0.3"_s).toIPv4Address() + quint32(i % 5));
        held.push_back(std::make_unique<RawClient>(env->servicePort(), source));
        QVERIFY(held.back()->connected());
    }
    RawClient extra(env->servicePort(), QHostAddress(u"127.0.0.2"_s));
    QVERIFY(extra.waitFor("\r\n\r\n"));
    QCOMPARE(statusOf(extra.received), 503);
    held.clear();
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            RawClient again(env->servicePort(), QHostAddress(u"127.0.0.2"_s));
            again.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            return again.waitFor("\r\n\r\n", 5000) && statusOf(again.received) == 200;
        }(),
        kWait);
}

// Caps count open connections, not connections ever made: 30 WebSockets
// opened and closed one after the other under caps of 10 all open. (Qt 6.4's
// QWebSocket disconnects its transport's signals when it goes away, which
// once made every upgraded connection count forever.)
void tst_Abuse::closedWebSocketsGiveTheirPlaceBack_data()
{
    QTest::addColumn<QString>("setting");
    QTest::addColumn<bool>("abrupt");
    QTest::newRow("per address, closed cleanly") << u"MAX_CONNECTIONS_PER_ADDRESS"_s << false;
    QTest::newRow("per address, dropped") << u"MAX_CONNECTIONS_PER_ADDRESS"_s << true;
    QTest::newRow("global, closed cleanly") << u"MAX_CONNECTIONS"_s << false;
    QTest::newRow("global, dropped") << u"MAX_CONNECTIONS"_s << true;
}

void tst_Abuse::closedWebSocketsGiveTheirPlaceBack()
{
    QFETCH(QString, setting);
    QFETCH(bool, abrupt);
    auto env = start({{setting, u"10"_s}, {u"TRUSTED_PROXIES"_s, u"none"_s}});
    QVERIFY(env);
    for (int i = 0; i < 30; ++i) {
        // The service may still be letting the previous one go: a bounded retry.
        std::unique_ptr<RawClient> c;
        QTRY_VERIFY_WITH_TIMEOUT((c = openRaw(*env)) != nullptr, kWait);
        if (abrupt) {
            c->socket().abort();
        } else {
            c->send(frame(0x8, QByteArray("\x03\xe8", 2)));
            QVERIFY(c->waitClosed());
        }
    }
}

// The per-address validation budget follows X-Forwarded-For only when the
// peer is a trusted proxy; otherwise the header is anyone's word.
void tst_Abuse::forwardedForOnlyFromTrustedProxies_data()
{
    QTest::addColumn<QString>("trusted");
    QTest::addColumn<bool>("believed");
    QTest::newRow("peer is a trusted proxy") << u"127.0.0.1"_s << true;
    QTest::newRow("default: a proxy on this host") << QString() << true;
    QTest::newRow("peer not trusted") << u"10.9.9.9"_s << false;
    QTest::newRow("none") << u"none"_s << false;
}

void tst_Abuse::forwardedForOnlyFromTrustedProxies()
{
    QFETCH(QString, trusted);
    QFETCH(bool, believed);
    constexpr int Budget = 3;
    QList<QPair<QString, QString>> settings{{u"AUTH_RATE_PER_ADDRESS"_s, QString::number(Budget)}};
    if (!trusted.isEmpty())
        settings.append({u"TRUSTED_PROXIES"_s, trusted});
    auto env = start(settings);
    QVERIFY(env);
    const auto attempt = [&](const QByteArray &client) {
        RawClient c(env->servicePort());
        c.send(upgradeHead(randomJwt(), "X-Forwarded-For: " + client + "\r\n"));
        return c.waitFor("\r\n\r\n") ? statusOf(c.received) : 0;
    };
    for (int i = 0; i < Budget; ++i)
        QCOMPARE(attempt("198.51.100.7"), 403); // validated: not a real token
    QCOMPARE(attempt("198.51.100.7"), 429);
    // Another forwarded client: its own budget only if the header is believed.
    QCOMPARE(attempt("203.0.113.9, 127.0.0.1"), believed ? 403 : 429);
}

// RFC 6455 answers to broken client frames, and nothing reaches the
// application: the agent's socket gets no reply to the broken message.
void tst_Abuse::badFrames_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("closeCode");
    const QByteArray hello = R"({"method":"call","to":"+15551230000"})";
    QTest::newRow("unmasked text frame") << frame(0x1, hello, false) << 1002;
    QTest::newRow("unmasked after a masked one")
        << frame(0x9, "ping") + frame(0x1, hello, false) << 1002;
    QTest::newRow("invalid UTF-8 in text") << frame(0x1, QByteArray("\xc3\x28\xff", 3)) << 1007;
    QTest::newRow("control frame over 125 bytes") << frame(0x9, QByteArray(126, 'p')) << 1002;
    QTest::newRow("fragmented control frame") << frame(0x9, "p", true, false) << 1002;
    QTest::newRow("bad close code 999") << frame(0x8, QByteArray("\x03\xe7", 2)) << 1002;
    QTest::newRow("reserved opcode") << frame(0x3, "x") << 1002;
}

void tst_Abuse::badFrames()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, closeCode);
    if (!m_framesEnv)
        m_framesEnv = start({});
    QVERIFY(m_framesEnv);
    auto c = openRaw(*m_framesEnv);
    QVERIFY(c);
    c->send(bytes);
    QTRY_VERIFY_WITH_TIMEOUT(serverFrames(c->received).closeCode != -1, kWait);
    const ServerFrames frames = serverFrames(c->received);
    QCOMPARE(frames.closeCode, closeCode);
    QVERIFY(c->waitClosed());
    // Nothing answered the message itself (no text frame before the close).
    QVERIFY2(!frames.opcodes.contains(0x1), c->received.toHex().constData());
    // The service is fine.
    QVERIFY(openRaw(*m_framesEnv));
}

// A message in three fragments with a ping between them (RFC 6455 §5.4
// allows control frames in the middle): the ping is answered at once and
// the reassembled message is served (an error answer for an unknown call).
void tst_Abuse::fragmentedAndInterleavedFramesAreServed()
{
    if (!m_framesEnv)
        m_framesEnv = start({});
    QVERIFY(m_framesEnv);
    auto c = openRaw(*m_framesEnv);
    QVERIFY(c);
    const QByteArray message =
        R"({"method":"hangup","callSid":"CA00000000000000000000000000000009"})";
    c->send(frame(0x1, message.left(10), true, false));
    c->send(frame(0x9, "mid"));
    c->send(frame(0x0, message.mid(10, 20), true, false));
    c->send(frame(0x0, message.mid(30), true, true));
    QTRY_VERIFY_WITH_TIMEOUT(serverFrames(c->received).opcodes.contains(0x1), kWait);
    const ServerFrames frames = serverFrames(c->received);
    QCOMPARE(frames.opcodes.first(), 0xA); // the pong came first
    QCOMPARE(frames.closeCode, -1);
    QVERIFY2(c->received.contains("CA00000000000000000000000000000009"), c->received.constData());
}

// Thousands of pings on one socket: each is ponged, other clients keep
// being served, and the socket still works afterwards.
void tst_Abuse::pingFloodHarmsNoOne()
{
    auto env = start({});
    QVERIFY(env);
    auto flooder = openRaw(*env);
    QVERIFY(flooder);
    QByteArray pings;
    constexpr int Pings = 5000;
    for (int i = 0; i < Pings; ++i)
        pings += frame(0x9, "p");
    flooder->send(pings);
    RawClient other(env->servicePort(), QHostAddress(u"127.0.0.2"_s));
    other.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(other.waitFor("\r\n\r\n"));
    QCOMPARE(statusOf(other.received), 200);
    // Every ping answered (pong frames are 0x8A 0x01 'p').
    QTRY_VERIFY_WITH_TIMEOUT(flooder->received.count(QByteArray("\x8a\x01p", 3)) == Pings, kWait);
    QVERIFY(!flooder->closed());
}

void tst_Abuse::malformedWebhooks_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    const QByteArray path = "/twilio-webhook/callStatusCallbackHandler";
    const auto post = [&](const QByteArray &body, const QByteArray &headers = {}) -> QByteArray {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
               "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
               QByteArray::number(body.size()) + "\r\n" + headers + "\r\n" + body;
    };
    QTest::newRow("no signature") << post("CallSid=CA1&CallStatus=ringing") << 403;
    QTest::newRow("wrong signature")
        << post("CallSid=CA1&CallStatus=ringing", "X-Twilio-Signature: AAAA\r\n") << 403;
    QTest::newRow("two signature headers")
        << post("CallSid=CA1", "X-Twilio-Signature: AAAA\r\nX-Twilio-Signature: BBBB\r\n") << 403;
    QTest::newRow("invalid percent-encoding")
        << post("CallSid=%ZZ%&CallStatus=%E0%A4%A", "X-Twilio-Signature: AAAA\r\n") << 403;
    QTest::newRow("repeated parameters")
        << post(QByteArray("CallSid=CA1&").repeated(2000), "X-Twilio-Signature: AAAA\r\n") << 403;
    QTest::newRow("huge body") << post(QByteArray(200'000, 'a')) << 413;
    QTest::newRow("body shorter than its length")
        << QByteArray("POST " + path +
                      " HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nCallSid=CA1")
        << 408;
}

void tst_Abuse::malformedWebhooks()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    if (!m_webhooksEnv)
        m_webhooksEnv = start({{u"HTTP_HEAD_TIMEOUT"_s, u"2"_s}});
    QVERIFY(m_webhooksEnv);
    TestEnvironment *env = m_webhooksEnv.get();
    RawClient c(env->servicePort());
    QVERIFY(c.connected());
    c.send(request);
    const bool answered = c.waitFor("\r\n\r\n");
    if (status == 408) {
        // A truncated body: the service gives up on it (an answer or a close) and lives.
        QVERIFY(answered || c.waitClosed());
    } else {
        QVERIFY2(answered, c.received.constData());
        QCOMPARE(statusOf(c.received), status);
    }
    RawClient health(env->servicePort());
    health.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(health.waitFor("\r\n\r\n"));
    QCOMPARE(statusOf(health.received), 200);
}

QTEST_GUILESS_MAIN(tst_Abuse)
#include "tst_abuse.moc"
