// The real flex-backend binary against the in-process emulator: command line,
// configuration errors, WebSocket authentication on the one port, limits,
// and the Twilio client's retries and concurrency cap as seen by the emulator.
#include "testenvironment.h"

#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

using namespace flex::testing;
using namespace Qt::StringLiterals;
using FaultKind = flex::emulator::Fault::Kind;

namespace {

const QString DialPath = u"/websocket/outboundDial"_s;

// Sends raw bytes and returns everything the server answered before closing
// (or before timeoutMs).
QByteArray rawExchange(quint16 port, const QByteArray &bytes, int timeoutMs = 15000,
                       bool *closed = nullptr)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; },
                         timeoutMs))
        return {};
    socket.write(bytes);
    QByteArray answer;
    QObject::connect(&socket, &QTcpSocket::readyRead, &socket, [&] { answer += socket.readAll(); });
    const bool ended = QTest::qWaitFor(
        [&] { return socket.state() == QAbstractSocket::UnconnectedState; }, timeoutMs);
    answer += socket.readAll();
    if (closed)
        *closed = ended;
    return answer;
}

QByteArray upgradeRequest(const QString &path, const QByteArray &extraHeaders)
{
    return "GET " + path.toUtf8() +
           " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
           extraHeaders + "\r\n";
}

int statusOf(const QByteArray &answer)
{
    const QList<QByteArray> parts = answer.left(answer.indexOf('\r')).split(' ');
    return parts.size() > 1 ? parts[1].toInt() : 0;
}

} // namespace

class tst_FrontDoor : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void version();
    void helpListsEverySetting();
    void configErrors_data();
    void configErrors();
    void commandLineWinsOverEnvironmentAndEnvFile();
    void tokenAsSubprotocolIsEchoed();
    void tokenPlacements_data();
    void tokenPlacements();
    void refusedTokens_data();
    void refusedTokens();
    void invalidTokenAnswers_data();
    void invalidTokenAnswers();
    void rejectedCredentialsShownByReadyz();
    void iamUnavailable_data();
    void iamUnavailable();
    void validationIsCached();
    void rateLimitedValidationIsRetried();
    void concurrencyCapHolds();
    void unknownUpgradePathRefused();
    void oversizedHeadRefused();
    void oversizedBodyRefused();
    void slowClientDropped();
    void oversizedWebSocketMessageClosesSocket();
    void upgradeOnReusedConnection();
    void connectionCloseHonoured();
    void originAllowList();

private:
    std::unique_ptr<TestEnvironment> m_env;
};

void tst_FrontDoor::initTestCase()
{
    QVERIFY2(!ServiceProcess::binary().isEmpty(), "FLEX_BACKEND_BIN is not set");
    m_env = std::make_unique<TestEnvironment>();
    m_env->setEnv(u"TWILIO_MAX_CONCURRENCY"_s, u"2"_s);
    m_env->setEnv(u"HTTP_HEAD_TIMEOUT"_s, u"2"_s);
    m_env->setEnv(u"ALLOWED_ORIGINS"_s, u"https://flex.twilio.com"_s);
    QVERIFY(m_env->startService());
}

void tst_FrontDoor::version()
{
    ServiceProcess p;
    QVERIFY(p.run({u"--version"_s}));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(p.output().startsWith("flex-backend "), p.output().constData());
}

void tst_FrontDoor::helpListsEverySetting()
{
    ServiceProcess p;
    p.setEnv(u"TWILIO_AUTH_TOKEN"_s, u"secret-auth-token-value-9876"_s);
    QVERIFY(p.run({u"--help"_s}));
    QCOMPARE(p.exitCode(), 0);
    const QByteArray help = p.output();
    // A few rows, checked exactly: option, variable and default.
    for (const char *needle :
         {"--twilio-account-sid", "[env TWILIO_ACCOUNT_SID]", "--port", "[env PORT, default 3000]",
          "--sla-thresholds", "default 30,60,120]", "--env-file", "--dev", "[env METRICS_TOKEN]"}) {
        // QCommandLineParser wraps long lines; compare without line breaks.
        QByteArray flat = help.simplified();
        QVERIFY2(flat.contains(needle), needle);
    }
    QVERIFY(!help.contains("secret-auth-token-value-9876"));
}

void tst_FrontDoor::configErrors_data()
{
    QTest::addColumn<QString>("variable");
    QTest::addColumn<QString>("value"); // empty: unset
    QTest::addColumn<QByteArray>("says");
    QTest::newRow("account sid unset") << u"TWILIO_ACCOUNT_SID"_s << QString()
                                       << QByteArray("TWILIO_ACCOUNT_SID: not set (required)");
    QTest::newRow("account sid malformed")
        << u"TWILIO_ACCOUNT_SID"_s << u"ACnope"_s << QByteArray("TWILIO_ACCOUNT_SID: must be AC");
    QTest::newRow("port") << u"PORT"_s << u"99999"_s << QByteArray("PORT: must be");
    QTest::newRow("sla") << u"SLA_THRESHOLDS"_s << u"30,60,90,120"_s
                         << QByteArray("SLA_THRESHOLDS: must list one to three");
    QTest::newRow("external host")
        << u"EXTERNAL_HOST"_s << u"https://x.example/path"_s << QByteArray("EXTERNAL_HOST:");
}

void tst_FrontDoor::configErrors()
{
    QFETCH(QString, variable);
    QFETCH(QString, value);
    QFETCH(QByteArray, says);
    TestEnvironment env;
    if (value.isEmpty())
        env.service().unsetEnv(variable);
    else
        env.setEnv(variable, value);
    QVERIFY(env.service().run({}));
    QCOMPARE(env.service().exitCode(), 78);
    const QByteArray out = env.service().output().trimmed();
    QVERIFY2(out.contains(says), out.constData());
    QCOMPARE(out.count('\n'), 0); // one line
    QVERIFY(!out.contains(env.emulator().config().authToken.toUtf8()));
}

void tst_FrontDoor::commandLineWinsOverEnvironmentAndEnvFile()
{
    TestEnvironment env;
    const quint16 cliPort = freeLoopbackPort();
    // The env file supplies a value the environment does not have...
    QFile file(env.stateDir() + u"/flex.env"_s);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("# test\nTWILIO_OUTBOUND_WORKFLOW_SID=" +
               env.emulator().config().workflowSid.toUtf8() + "\nPORT=1\n");
    file.close();
    env.service().unsetEnv(u"TWILIO_OUTBOUND_WORKFLOW_SID"_s);
    // ...the environment overrides the file's PORT, and the command line both.
    QVERIFY(env.startService(
        {u"--env-file"_s, file.fileName(), u"--port"_s, QString::number(cliPort)}));
    QCOMPARE(env.service().port(), cliPort);
}

void tst_FrontDoor::tokenAsSubprotocolIsEchoed()
{
    WsClient client;
    QVERIFY(client.open(m_env->service().wsUrl(DialPath), TestEnvironment::agentToken()));
    // Browsers fail the handshake unless the 101 names the offered protocol.
    QCOMPARE(client.socket().subprotocol(), TestEnvironment::agentToken());
    QVERIFY(!m_env->service().output().contains(TestEnvironment::agentToken().toUtf8()));
}

void tst_FrontDoor::tokenPlacements_data()
{
    QTest::addColumn<QString>("placement");
    QTest::newRow("token header") << u"header"_s;
    QTest::newRow("bearer") << u"bearer"_s;
    QTest::newRow("query") << u"query"_s;
}

void tst_FrontDoor::tokenPlacements()
{
    QFETCH(QString, placement);
    QUrl url = m_env->service().wsUrl(DialPath);
    const QString token = TestEnvironment::otherAgentToken();
    if (placement == u"query"_s)
        url.setQuery(u"token="_s + token);
    QNetworkRequest request(url);
    if (placement == u"header"_s)
        request.setRawHeader("token", token.toUtf8());
    if (placement == u"bearer"_s)
        request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    WsClient client;
    QVERIFY(client.open(request));
    QVERIFY(client.socket().subprotocol().isEmpty());
}

void tst_FrontDoor::refusedTokens_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<int>("status");
    QTest::newRow("unknown token")
        << QByteArray("Sec-WebSocket-Protocol: " + flexToken(u"not-a-real-token-1"_s).toLatin1() +
                      "\r\n")
        << 403;
    QTest::newRow("no token") << QByteArray() << 403;
    QTest::newRow("garbage token") << QByteArray("token: \x01\x02\r\n") << 403;
}

void tst_FrontDoor::refusedTokens()
{
    QFETCH(QByteArray, headers);
    QFETCH(int, status);
    bool closed = false;
    const QByteArray answer =
        rawExchange(m_env->servicePort(), upgradeRequest(DialPath, headers), 15000, &closed);
    QCOMPARE(statusOf(answer), status);
    QVERIFY(closed);
    QVERIFY(!answer.contains("101"));

    WsClient client; // and a real client cannot open it
    QVERIFY(!client.open(m_env->service().wsUrl(DialPath), flexToken(u"not-a-real-token-2"_s)));
}

// However Twilio answers {"valid":false} (200 in the validator's own tests,
// 401 or 403 elsewhere), it is a verdict on the token: 403 to the client,
// remembered, and the service stays ready.
void tst_FrontDoor::invalidTokenAnswers_data()
{
    QTest::addColumn<int>("twilioStatus");
    QTest::newRow("200 valid:false") << 200;
    QTest::newRow("401 valid:false") << 401;
    QTest::newRow("403 valid:false") << 403;
}

void tst_FrontDoor::invalidTokenAnswers()
{
    QFETCH(int, twilioStatus);
    auto &emu = m_env->emulator();
    QString error;
    QVERIFY(emu.fidelity().apply(QJsonObject{{u"invalidTokenStatus"_s, twilioStatus}}, &error));
    const QByteArray token = flexToken(u"stranger-%1"_s.arg(twilioStatus)).toLatin1();
    const int before = emu.counters(u"ValidateToken"_s).requests;
    for (int i = 0; i < 3; ++i) {
        const QByteArray answer =
            rawExchange(m_env->servicePort(),
                        upgradeRequest(DialPath, "Sec-WebSocket-Protocol: " + token + "\r\n"));
        QCOMPARE(statusOf(answer), 403);
    }
    emu.fidelity() = flex::emulator::Fidelity();
    QCOMPARE(emu.counters(u"ValidateToken"_s).requests, before + 1); // negatively cached
    const QByteArray ready = rawExchange(
        m_env->servicePort(), "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY2(statusOf(ready) == 200, ready.constData());
}

// Twilio refusing the service's own credentials (20003) is not the
// client's fault: 503, a critical log line, and /readyz says so until an
// answer accepts the credentials again.
void tst_FrontDoor::rejectedCredentialsShownByReadyz()
{
    auto &emu = m_env->emulator();
    emu.injectFault(u"ValidateToken"_s, {FaultKind::Unauthorized401, -1});
    const QByteArray answer = rawExchange(
        m_env->servicePort(),
        upgradeRequest(DialPath, "Sec-WebSocket-Protocol: " +
                                     flexToken(u"token-while-creds-are-bad"_s).toLatin1() +
                                     "\r\n"));
    QCOMPARE(statusOf(answer), 503);
    const QByteArray readyz = "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    QByteArray ready = rawExchange(m_env->servicePort(), readyz);
    QCOMPARE(statusOf(ready), 503);
    QVERIFY2(ready.contains("rejected the credentials used for Flex token validation"),
             ready.constData());
    QVERIFY(m_env->service().waitForOutput("rejected the credentials used for Flex token"));
    // At most once a minute: a second refusal logs nothing new.
    const int logged = int(m_env->service().output().count("rejected the credentials used"));
    QCOMPARE(statusOf(rawExchange(
                 m_env->servicePort(),
                 upgradeRequest(DialPath, "Sec-WebSocket-Protocol: " +
                                              flexToken(u"second-token-creds-bad"_s).toLatin1() +
                                              "\r\n"))),
             503);
    QCOMPARE(int(m_env->service().output().count("rejected the credentials used")), logged);

    emu.clearFaults();
    emu.addToken(flexToken(u"creds-fixed-token-0123456789"_s), u"frank"_s);
    WsClient client;
    QVERIFY(client.open(m_env->service().wsUrl(DialPath),
                        flexToken(u"creds-fixed-token-0123456789"_s)));
    ready = rawExchange(m_env->servicePort(), readyz);
    QVERIFY2(statusOf(ready) == 200, ready.constData());
}

void tst_FrontDoor::iamUnavailable_data()
{
    QTest::addColumn<int>("kind");
    QTest::newRow("500") << int(FaultKind::Error500);
    QTest::newRow("401 (our credentials)") << int(FaultKind::Unauthorized401);
    QTest::newRow("connection dropped") << int(FaultKind::Drop);
}

void tst_FrontDoor::iamUnavailable()
{
    QFETCH(int, kind);
    auto &emu = m_env->emulator();
    emu.injectFault(u"ValidateToken"_s, {FaultKind(kind), -1});
    const QByteArray answer = rawExchange(
        m_env->servicePort(),
        upgradeRequest(DialPath, "Sec-WebSocket-Protocol: " +
                                     flexToken(u"token-while-iam-is-down"_s).toLatin1() + "\r\n"),
        60000);
    emu.clearFaults();
    QCOMPARE(statusOf(answer), 503);
}

void tst_FrontDoor::validationIsCached()
{
    auto &emu = m_env->emulator();
    emu.addToken(flexToken(u"cached-token-0123456789"_s), u"carol"_s, {u"agent"_s},
                 QDateTime::currentDateTimeUtc().addSecs(600));
    const int before = emu.counters(u"ValidateToken"_s).requests;
    for (int i = 0; i < 3; ++i) {
        WsClient client;
        QVERIFY(
            client.open(m_env->service().wsUrl(DialPath), flexToken(u"cached-token-0123456789"_s)));
    }
    QCOMPARE(emu.counters(u"ValidateToken"_s).requests, before + 1);

    // Refusals are remembered too, briefly.
    const int refusedBefore = emu.counters(u"ValidateToken"_s).requests;
    for (int i = 0; i < 3; ++i) {
        WsClient client;
        QVERIFY(
            !client.open(m_env->service().wsUrl(DialPath), flexToken(u"cached-bad-token-0123"_s)));
    }
    QCOMPARE(emu.counters(u"ValidateToken"_s).requests, refusedBefore + 1);
}

void tst_FrontDoor::rateLimitedValidationIsRetried()
{
    auto &emu = m_env->emulator();
    emu.addToken(flexToken(u"retry-token-0123456789"_s), u"dave"_s);
    emu.injectFault(u"ValidateToken"_s, {FaultKind::TooMany429, 1, 1});
    const int before = emu.counters(u"ValidateToken"_s).requests;
    WsClient client;
    QVERIFY(client.open(m_env->service().wsUrl(DialPath), flexToken(u"retry-token-0123456789"_s),
                        30000));
    QCOMPARE(emu.counters(u"ValidateToken"_s).requests, before + 2); // refused once, retried

    // A 500 is not retried: the client gets 503 after exactly one request.
    emu.addToken(flexToken(u"no-retry-token-0123456789"_s), u"erin"_s);
    emu.injectFault(u"ValidateToken"_s, {FaultKind::Error500, 1});
    const int before500 = emu.counters(u"ValidateToken"_s).requests;
    const QByteArray answer = rawExchange(
        m_env->servicePort(),
        upgradeRequest(DialPath, "Sec-WebSocket-Protocol: " +
                                     flexToken(u"no-retry-token-0123456789"_s).toLatin1() +
                                     "\r\n"));
    QCOMPARE(statusOf(answer), 503);
    QCOMPARE(emu.counters(u"ValidateToken"_s).requests, before500 + 1);
}

void tst_FrontDoor::concurrencyCapHolds()
{
    // TWILIO_MAX_CONCURRENCY=2: six slow validations never overlap more than two at a time.
    auto &emu = m_env->emulator();
    emu.resetCounters();
    QList<QString> tokens;
    for (int i = 0; i < 6; ++i) {
        tokens << flexToken(u"cap-token-%1"_s.arg(i));
        emu.addToken(tokens.last(), u"cap%1"_s.arg(i));
    }
    emu.injectFault(u"ValidateToken"_s, {FaultKind::Delay, 6, 0, std::chrono::milliseconds(400)});
    std::vector<std::unique_ptr<WsClient>> clients;
    for (const QString &token : std::as_const(tokens)) {
        clients.push_back(std::make_unique<WsClient>());
        QNetworkRequest request(m_env->service().wsUrl(DialPath));
        request.setRawHeader("Sec-WebSocket-Protocol", token.toUtf8());
        clients.back()->socket().open(request);
    }
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(clients.begin(), clients.end(),
                                         [](const auto &c) {
                                             return c->socket().state() ==
                                                    QAbstractSocket::ConnectedState;
                                         }),
                             60000);
    const auto counters = emu.counters(u"ValidateToken"_s);
    QCOMPARE(counters.requests, 6);
    QCOMPARE(counters.maxInFlight, 2);
}

void tst_FrontDoor::unknownUpgradePathRefused()
{
    const QByteArray answer = rawExchange(
        m_env->servicePort(), upgradeRequest(u"/websocket/elsewhere"_s,
                                             "Sec-WebSocket-Protocol: " +
                                                 TestEnvironment::agentToken().toUtf8() + "\r\n"));
    QCOMPARE(statusOf(answer), 404);
}

void tst_FrontDoor::oversizedHeadRefused()
{
    const QByteArray huge = "X-Filler: " + QByteArray(20000, 'a') + "\r\n";
    const QByteArray answer =
        rawExchange(m_env->servicePort(), "GET /healthz HTTP/1.1\r\nHost: x\r\n" + huge + "\r\n");
    QCOMPARE(statusOf(answer), 431);
}

void tst_FrontDoor::oversizedBodyRefused()
{
    const QByteArray body(70000, 'a');
    const QByteArray answer =
        rawExchange(m_env->servicePort(),
                    "POST /twilio-webhook/callStatusCallbackHandler HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                        QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QCOMPARE(statusOf(answer), 413);

    // A keep-alive connection cannot sneak a large body in after a small request.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_env->servicePort());
    QTRY_VERIFY(socket.state() == QAbstractSocket::ConnectedState);
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(socket.bytesAvailable() > 0, 15000);
    socket.readAll();
    socket.write("POST /twilio-webhook/callStatusCallbackHandler HTTP/1.1\r\nHost: x\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    QByteArray chunks;
    for (int i = 0; i < 40; ++i)
        chunks += QByteArray::number(4096, 16) + "\r\n" + QByteArray(4096, 'b') + "\r\n";
    socket.write(chunks);
    QTRY_VERIFY_WITH_TIMEOUT(socket.state() == QAbstractSocket::UnconnectedState, 15000);
}

void tst_FrontDoor::slowClientDropped()
{
    // HTTP_HEAD_TIMEOUT=2: a client that never finishes its head is dropped.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_env->servicePort());
    QTRY_VERIFY(socket.state() == QAbstractSocket::ConnectedState);
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(socket.state() == QAbstractSocket::UnconnectedState, 20000);
    // And the service still serves others.
    const QByteArray answer = rawExchange(
        m_env->servicePort(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QCOMPARE(statusOf(answer), 200);
}

void tst_FrontDoor::oversizedWebSocketMessageClosesSocket()
{
    // WS_MAX_MESSAGE_BYTES defaults to 64 KiB.
    WsClient client;
    QVERIFY(client.open(m_env->service().wsUrl(DialPath), TestEnvironment::agentToken()));
    client.sendText(QString(70000, u'x'));
    QVERIFY(client.waitForDisconnect());
    QCOMPARE(client.socket().closeCode(), QWebSocketProtocol::CloseCodeTooMuchData);
    // Others are not affected.
    WsClient other;
    QVERIFY(other.open(m_env->service().wsUrl(DialPath), TestEnvironment::agentToken()));
}

void tst_FrontDoor::upgradeOnReusedConnection()
{
    // Reverse proxies reuse connections: an upgrade after a plain request on
    // the same connection must still be authenticated and upgraded.
    QTcpSocket socket;
    QByteArray answer;
    connect(&socket, &QTcpSocket::readyRead, this, [&] { answer += socket.readAll(); });
    socket.connectToHost(QHostAddress::LocalHost, m_env->servicePort());
    QTRY_VERIFY(socket.state() == QAbstractSocket::ConnectedState);
    socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(answer.startsWith("HTTP/1.1 200") && answer.endsWith("ok\n"), 15000);
    answer.clear();
    socket.write(upgradeRequest(
        DialPath, "Sec-WebSocket-Protocol: " + TestEnvironment::agentToken().toUtf8() + "\r\n"));
    QTRY_VERIFY_WITH_TIMEOUT(answer.contains("\r\n\r\n"), 15000);
    QVERIFY2(answer.startsWith("HTTP/1.1 101"), answer.constData());
    QVERIFY(answer.contains(
        QByteArray("Sec-WebSocket-Protocol: " + TestEnvironment::agentToken().toUtf8())));

    // A bad token on a reused connection is refused the same way.
    QByteArray second;
    QTcpSocket other;
    connect(&other, &QTcpSocket::readyRead, this, [&] { second += other.readAll(); });
    other.connectToHost(QHostAddress::LocalHost, m_env->servicePort());
    QTRY_VERIFY(other.state() == QAbstractSocket::ConnectedState);
    other.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_VERIFY_WITH_TIMEOUT(second.endsWith("ok\n"), 15000);
    second.clear();
    other.write(upgradeRequest(
        DialPath,
        "Sec-WebSocket-Protocol: " + flexToken(u"reused-bad-token-1"_s).toLatin1() + "\r\n"));
    QTRY_VERIFY_WITH_TIMEOUT(other.state() == QAbstractSocket::UnconnectedState, 15000);
    QCOMPARE(statusOf(second), 403);
}

void tst_FrontDoor::connectionCloseHonoured()
{
    bool closed = false;
    const QByteArray answer = rawExchange(
        m_env->servicePort(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        15000, &closed);
    QCOMPARE(statusOf(answer), 200);
    QVERIFY(closed);
}

void tst_FrontDoor::originAllowList()
{
    const QByteArray token = TestEnvironment::agentToken().toUtf8();
    const QByteArray refused = rawExchange(
        m_env->servicePort(),
        upgradeRequest(
            DialPath, "Origin: https://evil.example\r\nSec-WebSocket-Protocol: " + token + "\r\n"));
    QCOMPARE(statusOf(refused), 403);
    QNetworkRequest request(m_env->service().wsUrl(DialPath));
    request.setRawHeader("Origin", "https://flex.twilio.com");
    request.setRawHeader("Sec-WebSocket-Protocol", token);
    WsClient client;
    QVERIFY(client.open(request));
}

QTEST_GUILESS_MAIN(tst_FrontDoor)
#include "tst_frontdoor.moc"
