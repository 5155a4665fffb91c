// Operations of the real flex-backend binary: systemd notifications on a
// NOTIFY_SOCKET the test owns, graceful SIGTERM (1001 to clients, exit 0),
// SIGHUP reload without dropping sockets, /metrics through the Prometheus
// client's own parser, wss:// with native TLS, and no secret in any log line.
#include "notifysocket.h"
#include "prerequisite.h"
#include "testenvironment.h"

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QSslError>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>
#include <unistd.h>

using namespace flex::testing;
using namespace Qt::StringLiterals;

namespace {

const QString DialPath = u"/websocket/outboundDial"_s;

struct HttpAnswer
{
    int status = 0;
    QByteArray body;
};

HttpAnswer httpGet(const QUrl &url, const QByteArray &authorization = {})
{
    QNetworkAccessManager nam;
    QNetworkRequest request(url);
    if (!authorization.isEmpty())
        request.setRawHeader("Authorization", authorization);
    std::unique_ptr<QNetworkReply> reply(nam.get(request));
    if (!QTest::qWaitFor([&] { return reply->isFinished(); }, 20000))
        return {};
    return {reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll()};
}

// Parses Prometheus text with Debian's prometheus_client and returns
// {"name{label=value,...}": value} for every sample.
QJsonObject parseMetrics(const QByteArray &text, QString *error)
{
    QProcess python;
    python.start(u"/usr/bin/python3"_s,
                 {u"-c"_s,
                  u"import sys, json\n"
                  "from prometheus_client.parser import text_string_to_metric_families\n"
                  "out = {}\n"
                  "for family in text_string_to_metric_families(sys.stdin.read()):\n"
                  "    for s in family.samples:\n"
                  "        labels = ','.join(f'{k}={v}' for k, v in sorted(s.labels.items()))\n"
                  "        out[f'{s.name}{{{labels}}}'] = s.value\n"
                  "print(json.dumps(out))\n"_s});
    python.write(text);
    python.closeWriteChannel();
    if (!QTest::qWaitFor([&] { return python.state() == QProcess::NotRunning; }, 30000)) {
        *error = u"python did not finish"_s;
        return {};
    }
    if (python.exitCode() != 0) {
        *error = QString::fromUtf8(python.readAllStandardError());
        return {};
    }
    return QJsonDocument::fromJson(python.readAllStandardOutput()).object();
}

} // namespace

class tst_Operations : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void systemdNotifications();
    void sigtermClosesSocketsWith1001();
    void sighupReloadsWithoutDroppingSockets();
    void metricsParseAndMove();
    void readiness();
    void nativeTls();
    void noSecretInLogs();
};

void tst_Operations::systemdNotifications()
{
    QTemporaryDir dir;
    NotifySocket notify(dir.filePath(u"notify"_s));
    QVERIFY(notify.ok());
    TestEnvironment env;
    env.setEnv(u"NOTIFY_SOCKET"_s, dir.filePath(u"notify"_s));
    env.setEnv(u"WATCHDOG_USEC"_s, u"400000"_s); // pings every 200 ms
    QVERIFY(env.startService());
    QTRY_VERIFY2_WITH_TIMEOUT(notify.received("READY=1"), notify.dump().constData(), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(notify.count("WATCHDOG=1") >= 3, 20000);
    QTRY_VERIFY_WITH_TIMEOUT(notify.receivedPrefix("STATUS=serving "), 20000);
    env.service().terminate();
    QVERIFY(env.service().waitForExit());
    QTRY_VERIFY_WITH_TIMEOUT(notify.received("STOPPING=1"), 10000);
    QCOMPARE(env.service().exitCode(), 0);
}

void tst_Operations::sigtermClosesSocketsWith1001()
{
    TestEnvironment env;
    QVERIFY(env.startService());
    WsClient a;
    WsClient b;
    QVERIFY(a.open(env.service().wsUrl(DialPath), TestEnvironment::agentToken()));
    QVERIFY(b.open(env.service().wsUrl(DialPath), TestEnvironment::otherAgentToken()));
    env.service().terminate();
    QVERIFY(a.waitForDisconnect());
    QVERIFY(b.waitForDisconnect());
    QCOMPARE(a.socket().closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
    QCOMPARE(b.socket().closeCode(), QWebSocketProtocol::CloseCodeGoingAway);
    QVERIFY(env.service().waitForExit());
    QCOMPARE(env.service().exitStatus(), QProcess::NormalExit);
    QCOMPARE(env.service().exitCode(), 0);
}

void tst_Operations::sighupReloadsWithoutDroppingSockets()
{
    TestEnvironment env;
    const QString file = env.stateDir() + u"/flex.env"_s;
    const auto writeEnv = [&](const QByteArray &text) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(text);
    };
    writeEnv("LOG_LEVEL=info\n");
    QVERIFY(env.startService({u"--env-file"_s, file}));
    WsClient client;
    QVERIFY(client.open(env.service().wsUrl(DialPath), TestEnvironment::agentToken()));
    const QUrl metrics(env.service().url().toString() + u"/metrics"_s);
    QCOMPARE(httpGet(metrics).status, 200); // loopback, no token configured

    // A new setting takes effect; the socket stays open.
    writeEnv("LOG_LEVEL=info\nMETRICS_TOKEN=reloaded-metrics-token-42\n");
    env.service().signal(SIGHUP);
    QVERIFY(env.service().waitForOutput("configuration reloaded"));
    QCOMPARE(httpGet(metrics).status, 401);
    QCOMPARE(httpGet(metrics, "Bearer reloaded-metrics-token-42").status, 200);
    QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
    client.sendText(u"still there?"_s);
    QTRY_VERIFY_WITH_TIMEOUT(client.messages().contains(u"echo: still there?"_s), 15000);

    // An invalid configuration is refused and the old one stays in force.
    writeEnv("LOG_LEVEL=info\nMETRICS_TOKEN=another-token-000000\nSLA_THRESHOLDS=1,2,3,4\n");
    env.service().signal(SIGHUP);
    QVERIFY(env.service().waitForOutput("reload refused"));
    QVERIFY(env.service().output().contains("SLA_THRESHOLDS"));
    QCOMPARE(httpGet(metrics, "Bearer reloaded-metrics-token-42").status, 200);
    QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
    QVERIFY(env.service().isRunning());
}

void tst_Operations::metricsParseAndMove()
{
    TestEnvironment env;
    QVERIFY(env.startService());
    const QUrl metricsUrl(env.service().url().toString() + u"/metrics"_s);
    const auto scrape = [&](QJsonObject &out) {
        const HttpAnswer answer = httpGet(metricsUrl);
        QCOMPARE(answer.status, 200);
        QString error;
        out = parseMetrics(answer.body, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    };
    QJsonObject before;
    scrape(before);
    QVERIFY(before.value(u"process_resident_memory_bytes{}"_s).toDouble() > 0);
    QVERIFY(before.contains(u"process_cpu_seconds_total{}"_s));
    QVERIFY(before.value(u"process_open_fds{}"_s).toDouble() > 0);
    QVERIFY(before.value(u"process_start_time_seconds{}"_s).toDouble() > 1.7e9);

    {
        WsClient good;
        QVERIFY(good.open(env.service().wsUrl(DialPath), TestEnvironment::agentToken()));
        WsClient again; // answered from the cache
        QVERIFY(again.open(env.service().wsUrl(DialPath), TestEnvironment::agentToken()));
        WsClient bad;
        QVERIFY(!bad.open(env.service().wsUrl(DialPath), flexToken(u"bad-token-for-metrics"_s)));
        QJsonObject during;
        scrape(during);
        QCOMPARE(during.value(u"flex_websocket_connections{kind=outboundDial}"_s).toDouble(), 2.0);
    }
    QJsonObject after;
    scrape(after);
    const auto delta = [&](const QString &key) {
        return after.value(key).toDouble() - before.value(key).toDouble();
    };
    QCOMPARE(delta(u"flex_websocket_handshakes_total{result=accepted}"_s), 2.0);
    QCOMPARE(delta(u"flex_websocket_handshakes_total{result=bad_token}"_s), 1.0);
    QCOMPARE(delta(u"flex_token_cache_hits_total{}"_s), 1.0);
    QVERIFY(delta(u"flex_twilio_requests_total{endpoint=ValidateToken,status=200}"_s) >= 1.0);
    QVERIFY(after.value(u"flex_twilio_request_duration_seconds_count{endpoint=ValidateToken}"_s)
                .toDouble() >= 1.0);
    QTRY_COMPARE_WITH_TIMEOUT(
        [&] {
            QJsonObject now;
            const HttpAnswer answer = httpGet(metricsUrl);
            QString error;
            now = parseMetrics(answer.body, &error);
            return now.value(u"flex_websocket_connections{kind=outboundDial}"_s).toDouble();
        }(),
        0.0, 20000);
}

void tst_Operations::readiness()
{
    // Twilio answers nothing but errors from the start: the service never had
    // a good contact, so it must say it is not ready, and why.
    TestEnvironment env;
    using FaultKind = flex::emulator::Fault::Kind;
    for (const QString &operation : {u"ValidateToken"_s, u"ListTaskQueue"_s,
                                     u"ListTaskQueuesStatistics"_s, u"ListTaskChannel"_s})
        env.emulator().injectFault(operation, {FaultKind::Error500, -1});
    env.setEnv(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    QVERIFY(env.startService());
    const QUrl readyz(env.service().url().toString() + u"/readyz"_s);
    QCOMPARE(httpGet(QUrl(env.service().url().toString() + u"/healthz"_s)).status, 200);
    HttpAnswer down;
    QTRY_VERIFY_WITH_TIMEOUT((down = httpGet(readyz)).status == 503, 30000);
    const QJsonObject body = QJsonDocument::fromJson(down.body).object();
    QCOMPARE(body.value(u"ready"_s).toBool(true), false);
    QVERIFY2(down.body.contains("Twilio"), down.body.constData());

    // Twilio answering again makes it ready again.
    env.emulator().clearFaults();
    WsClient client;
    QVERIFY(client.open(env.service().wsUrl(DialPath), TestEnvironment::agentToken()));
    QTRY_COMPARE_WITH_TIMEOUT(httpGet(readyz).status, 200, 30000);
}

void tst_Operations::nativeTls()
{
    QTemporaryDir dir;
    const QString cert = dir.filePath(u"cert.pem"_s);
    const QString key = dir.filePath(u"key.pem"_s);
    QProcess openssl;
    openssl.start(u"openssl"_s,
                  {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s,
                   key, u"-out"_s, cert, u"-days"_s, u"1"_s, u"-subj"_s, u"/CN=127.0.0.1"_s,
                   u"-addext"_s, u"subjectAltName=IP:127.0.0.1"_s});
    QVERIFY(QTest::qWaitFor([&] { return openssl.state() == QProcess::NotRunning; }, 60000));
    if (openssl.exitCode() != 0 || !QFile::exists(cert))
        FLEX_REQUIRE(false, "openssl could not make a test certificate");

    TestEnvironment env;
    env.setEnv(u"TLS_CERT_FILE"_s, cert);
    env.setEnv(u"TLS_KEY_FILE"_s, key);
    QVERIFY(env.startService());
    QCOMPARE(env.service().url().scheme(), u"https"_s);

    WsClient client;
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates(QSslCertificate::fromPath(cert));
    QNetworkRequest request(env.service().wsUrl(DialPath));
    QCOMPARE(request.url().scheme(), u"wss"_s);
    client.socket().setSslConfiguration(tls); // QWebSocket ignores the request's
    request.setRawHeader("Sec-WebSocket-Protocol", TestEnvironment::agentToken().toUtf8());
    QVERIFY(client.open(request));
    QCOMPARE(client.socket().subprotocol(), TestEnvironment::agentToken());

    // Plain HTTP on the TLS port gets nowhere.
    WsClient plain;
    QUrl insecure = env.service().wsUrl(DialPath);
    insecure.setScheme(u"ws"_s);
    QVERIFY(!plain.open(insecure, TestEnvironment::agentToken()));
}

void tst_Operations::noSecretInLogs()
{
    TestEnvironment env;
    const QString metricsToken = u"metrics-secret-token-abcdef"_s;
    env.setEnv(u"LOG_LEVEL"_s, u"debug"_s);
    env.setEnv(u"QT_LOGGING_RULES"_s, u"flex.*.debug=true"_s); // traffic dumps too
    env.setEnv(u"METRICS_TOKEN"_s, metricsToken);
    QVERIFY(env.startService());

    WsClient agent;
    QVERIFY(agent.open(env.service().wsUrl(DialPath), TestEnvironment::agentToken()));
    WsClient bad;
    QVERIFY(!bad.open(env.service().wsUrl(DialPath), flexToken(u"wrong-token-logged-nowhere"_s)));
    agent.sendJson({{u"method"_s, u"call"_s},
                    {u"to"_s, u"+15551230000"_s},
                    {u"from"_s, u"+15557654321"_s},
                    {u"workerContactUri"_s, u"client:alice"_s}});
    agent.waitFor(
        [](const QJsonDocument &d) {
            const QString s = d.object().value(u"callStatus"_s).toString();
            return s == u"completed"_s;
        },
        30000);
    QCOMPARE(httpGet(QUrl(env.service().url().toString() + u"/metrics"_s),
                     "Bearer " + metricsToken.toUtf8())
                 .status,
             200);
    env.service().terminate();
    QVERIFY(env.service().waitForExit());

    const QByteArray out = env.service().output();
    QVERIFY2(out.contains("flex.dial") || out.contains("flex.server"), "no debug output at all");
    QStringList secrets{env.emulator().config().authToken, TestEnvironment::agentToken(),
                        flexToken(u"wrong-token-logged-nowhere"_s), metricsToken};
    for (const auto &request : env.emulator().outgoingRequests()) {
        if (!request.signature.isEmpty())
            secrets << QString::fromLatin1(request.signature);
    }
    for (const QString &secret : std::as_const(secrets))
        QVERIFY2(
            !out.contains(secret.toUtf8()),
            qPrintable(u"a secret appears in the log (%1 characters long)"_s.arg(secret.size())));
}

QTEST_GUILESS_MAIN(tst_Operations)
#include "tst_operations.moc"
