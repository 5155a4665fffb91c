// TwilioClient: pure functions (form encoding, error mapping, backoff,
// Retry-After) and behaviour against a scripted local HTTP server.

#include "emulator/twilioemulator.h"
#include "ops/metrics.h"
#include "twilio/twilioclient.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonDocument>
#include <QLocale>
#include <QLoggingCategory>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace flex::twilio;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

Q_DECLARE_METATYPE(FormFields)

namespace {

constexpr int kWait = 15000;
const QString kUser = QStringLiteral("ACtestuser");
const QString kSecret = QStringLiteral("s3cr3t-auth-token");

// ---------------------------------------------------------------------------
// A tiny HTTP/1.1 server: one request per connection, answers from a script
// (or a responder function), can hold answers back and counts open requests.

struct FakeResponse
{
    int status = 200;
    QByteArray body = QByteArrayLiteral("{}");
    QList<QPair<QByteArray, QByteArray>> headers;
    bool hold = false;         // answer only on release()
    qint64 claimedLength = -1; // Content-Length to announce instead of body.size()
};

struct ReceivedRequest
{
    QByteArray method;
    QByteArray path;
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;
    qint64 atMs = 0;
};

class FakeServer : public QObject
{
    Q_OBJECT
public:
    FakeServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, &FakeServer::onNewConnection);
        m_clock.start();
    }
    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QUrl url(const QString &path) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path));
    }

    QList<FakeResponse> script;                                     // consumed in order
    std::function<FakeResponse(const ReceivedRequest &)> responder; // when script is empty
    QList<ReceivedRequest> received;
    int open = 0;
    int maxOpen = 0;

    int held() const { return int(m_held.size()); }
    void releaseOne()
    {
        while (!m_held.isEmpty()) {
            auto [socket, response] = m_held.takeFirst();
            if (socket) {
                response.hold = false;
                answer(socket, response);
                return;
            }
        }
    }
    void releaseAll()
    {
        while (!m_held.isEmpty())
            releaseOne();
    }

Q_SIGNALS:
    void requestReceived();

private:
    void onNewConnection()
    {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                if (socket->property("pending").toBool()) {
                    socket->setProperty("pending", false);
                    --open;
                }
                socket->deleteLater();
            });
        }
    }

    void onReadyRead(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        ReceivedRequest request;
        const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        request.method = requestLine.value(0);
        request.path = requestLine.value(1);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            if (colon > 0)
                request.headers.insert(lines[i].left(colon).trimmed().toLower(),
                                       lines[i].mid(colon + 1).trimmed());
        }
        const qsizetype length = request.headers.value("content-length", "0").toLongLong();
        if (buffer.size() < headerEnd + 4 + length)
            return;
        request.body = buffer.mid(headerEnd + 4, length);
        request.atMs = m_clock.elapsed();
        m_buffers.remove(socket);

        received.append(request);
        socket->setProperty("pending", true);
        maxOpen = std::max(maxOpen, ++open);

        FakeResponse response;
        if (!script.isEmpty())
            response = script.takeFirst();
        else if (responder)
            response = responder(request);
        if (response.hold)
            m_held.append({QPointer<QTcpSocket>(socket), response});
        else
            answer(socket, response);
        Q_EMIT requestReceived();
    }

    void answer(QTcpSocket *socket, const FakeResponse &response)
    {
        if (socket->property("pending").toBool()) {
            socket->setProperty("pending", false);
            --open;
        }
        QByteArray out = "HTTP/1.1 " + QByteArray::number(response.status) + " Scripted\r\n";
        out += "Content-Type: application/json\r\nConnection: close\r\n";
        for (const auto &[name, value] : response.headers)
            out += name + ": " + value + "\r\n";
        out += "Content-Length: " +
               QByteArray::number(response.claimedLength >= 0 ? response.claimedLength
                                                              : response.body.size()) +
               "\r\n\r\n";
        out += response.body;
        socket->write(out);
        if (response.claimedLength < 0)
            socket->disconnectFromHost();
    }

    QTcpServer m_server;
    QElapsedTimer m_clock;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QList<QPair<QPointer<QTcpSocket>, FakeResponse>> m_held;
};

FakeResponse respond(int status, const QByteArray &body = QByteArrayLiteral("{}"),
                     QList<QPair<QByteArray, QByteArray>> headers = {})
{
    FakeResponse r;
    r.status = status;
    r.body = body;
    r.headers = std::move(headers);
    return r;
}

FakeResponse held(int status = 200, const QByteArray &body = QByteArrayLiteral("{}"))
{
    FakeResponse r = respond(status, body);
    r.hold = true;
    return r;
}

struct Capture
{
    int calls = 0;
    TwilioResult last;
    TwilioClient::Handler handler()
    {
        return [this](const TwilioResult &result) {
            ++calls;
            last = result;
        };
    }
};

TwilioRequest get(const QUrl &url, const QString &endpoint = QStringLiteral("Test"))
{
    TwilioRequest r;
    r.method = TwilioRequest::Method::Get;
    r.url = url;
    r.endpoint = endpoint;
    return r;
}

TwilioRequest post(const QUrl &url, bool createsResource,
                   const QString &endpoint = QStringLiteral("CreateCall"))
{
    TwilioRequest r;
    r.method = TwilioRequest::Method::Post;
    r.url = url;
    r.endpoint = endpoint;
    r.createsResource = createsResource;
    r.form = {{QStringLiteral("To"), QStringLiteral("+15551234567")}};
    return r;
}

RetryPolicy fastRetries(int maxRetries = 3)
{
    RetryPolicy p;
    p.maxRetries = maxRetries;
    p.baseDelay = 5ms;
    p.maxDelay = 20ms;
    return p;
}

QString errorText(const TwilioResult &result)
{
    return result.error ? result.error->toString() : QString();
}

double counterValue(const QByteArray &name, const flex::ops::Labels &labels)
{
    return flex::ops::metrics().counter(name, "test", labels).value();
}

QStringList g_logLines;
QtMessageHandler g_previousHandler = nullptr;

void captureLogs(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    g_logLines << message;
    if (g_previousHandler && type != QtDebugMsg && type != QtInfoMsg)
        g_previousHandler(type, context, message);
}

} // namespace

class tst_TwilioClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void encodeForm_data();
    void encodeForm();
    void errorMapping_data();
    void errorMapping();
    void delayFor_data();
    void delayFor();
    void retryAfterOverride();
    void parseRetryAfter_data();
    void parseRetryAfter();

    void headersAndBody();
    void jsonBody();
    void retryAfter429();
    void retryRules_data();
    void retryRules();
    void retriesExhausted();
    void timeout_data();
    void timeout();
    void connectionRefusedIsSafeForCreate();
    void badJsonAnswer();
    void tooLargeAnswer();
    void concurrencyCapFifo();
    void paging();
    void nextPageThroughBase_data();
    void nextPageThroughBase();
    void pagingAcrossTwilioHosts();
    void pagingThroughRegionalEmulator();
    void errorBlame_data();
    void errorBlame();
    void pagingGuards_data();
    void pagingGuards();
    void contextDestroyed();
    void contextDestroyedStopsPageWalk();
    void pagingCountsRetries();
    void clientDestroyedWithRequestsInFlight();
    void drain();
    void metricsCounted();
    void noSecretsInLogsOrErrors();
};

void tst_TwilioClient::initTestCase()
{
    // Exercise the traffic dump too: it must not leak secrets either.
    QLoggingCategory::setFilterRules(QStringLiteral("flex.twilio.traffic.debug=true\n"
                                                    "flex.twilio.debug=true"));
    g_previousHandler = qInstallMessageHandler(captureLogs);
}

void tst_TwilioClient::cleanupTestCase()
{
    qInstallMessageHandler(g_previousHandler);
}

void tst_TwilioClient::encodeForm_data()
{
    QTest::addColumn<FormFields>("fields");
    QTest::addColumn<QByteArray>("expected");

    const auto f = [](const char *k, const char *v) {
        return QPair<QString, QString>(QString::fromUtf8(k), QString::fromUtf8(v));
    };
    QTest::newRow("empty list") << FormFields{} << QByteArray();
    QTest::newRow("plus") << FormFields{f("To", "+15551234567")}
                          << QByteArrayLiteral("To=%2B15551234567");
    QTest::newRow("spaces") << FormFields{f("a b", "c d")} << QByteArrayLiteral("a%20b=c%20d");
    QTest::newRow("amp and equals")
        << FormFields{f("k&=", "v&=x")} << QByteArrayLiteral("k%26%3D=v%26%3Dx");
    QTest::newRow("unicode") << FormFields{f("Name", "J\xC3\xB6rg \xE2\x82\xAC")}
                             << QByteArrayLiteral("Name=J%C3%B6rg%20%E2%82%AC");
    QTest::newRow("repeated keys")
        << FormFields{f("StatusCallbackEvent", "ringing"), f("StatusCallbackEvent", "answered"),
                      f("StatusCallbackEvent", "completed")}
        << QByteArrayLiteral("StatusCallbackEvent=ringing&StatusCallbackEvent=answered&"
                             "StatusCallbackEvent=completed");
    QTest::newRow("empty values") << FormFields{f("A", ""), f("B", "x"), f("C", "")}
                                  << QByteArrayLiteral("A=&B=x&C=");
    QTest::newRow("unreserved kept")
        << FormFields{f("a", "-._~AZaz09")} << QByteArrayLiteral("a=-._~AZaz09");
    QTest::newRow("url value")
        << FormFields{f("Url", "https://h.example/x?workerContactUri=client:alice&y=1")}
        << QByteArrayLiteral(
               "Url=https%3A%2F%2Fh.example%2Fx%3FworkerContactUri%3Dclient%3Aalice%26y%3D1");
    QTest::newRow("percent and hash")
        << FormFields{f("p", "100%#")} << QByteArrayLiteral("p=100%25%23");
}

void tst_TwilioClient::encodeForm()
{
    QFETCH(FormFields, fields);
    QFETCH(QByteArray, expected);
    QCOMPARE(flex::twilio::encodeForm(fields), expected);
}

void tst_TwilioClient::errorMapping_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("moreInfo");

    QTest::newRow("legacy") << 400
                            << QByteArrayLiteral(
                                   "{\"code\": 21211, \"message\": \"Invalid 'To' Phone Number\", "
                                   "\"more_info\": \"https://www.twilio.com/docs/errors/21211\", "
                                   "\"status\": 400}")
                            << QStringLiteral("Bad Request") << 21211
                            << QStringLiteral("Invalid 'To' Phone Number")
                            << QStringLiteral("https://www.twilio.com/docs/errors/21211");
    QTest::newRow("rfc9457")
        << 400
        << QByteArrayLiteral("{\"type\": \"https://www.twilio.com/docs/errors/20001\", "
                             "\"title\": \"Invalid parameter\", \"status\": 400, \"code\": 20001, "
                             "\"detail\": \"To is required\", \"instance\": \"/v1/x\"}")
        << QString() << 20001 << QStringLiteral("To is required")
        << QStringLiteral("https://www.twilio.com/docs/errors/20001");
    QTest::newRow("rfc9457 without detail")
        << 429
        << QByteArrayLiteral("{\"type\": \"https://www.twilio.com/docs/errors/20429\", "
                             "\"title\": \"Too Many Requests\", \"status\": 429, \"code\": 20429}")
        << QString() << 20429 << QStringLiteral("Too Many Requests")
        << QStringLiteral("https://www.twilio.com/docs/errors/20429");
    QTest::newRow("legacy missing code")
        << 404
        << QByteArrayLiteral(
               "{\"message\": \"The requested resource was not found\", \"status\": 404}")
        << QStringLiteral("Not Found") << 404
        << QStringLiteral("The requested resource was not found") << QString();
    QTest::newRow("code as string")
        << 401 << QByteArrayLiteral("{\"code\": \"20003\", \"message\": \"Authenticate\"}")
        << QString() << 20003 << QStringLiteral("Authenticate") << QString();
    QTest::newRow("non-JSON") << 502 << QByteArrayLiteral("<html>Bad gateway</html>")
                              << QStringLiteral("Bad Gateway") << 502
                              << QStringLiteral("Bad Gateway") << QString();
    QTest::newRow("empty body") << 503 << QByteArray() << QString() << 503
                                << QStringLiteral("HTTP 503") << QString();
    QTest::newRow("JSON array") << 500 << QByteArrayLiteral("[1,2]")
                                << QStringLiteral("Internal Server Error") << 500
                                << QStringLiteral("Internal Server Error") << QString();
    QTest::newRow("unrelated object") << 500 << QByteArrayLiteral("{\"oops\": true}") << QString()
                                      << 500 << QStringLiteral("HTTP 500") << QString();
}

void tst_TwilioClient::errorMapping()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, reason);
    QFETCH(int, code);
    QFETCH(QString, message);
    QFETCH(QString, moreInfo);

    const TwilioError e = TwilioError::fromHttp(status, body, reason);
    QCOMPARE(e.kind, TwilioError::Kind::Http);
    QCOMPARE(e.httpStatus, status);
    QCOMPARE(e.code, code);
    QCOMPARE(e.message, message);
    QCOMPARE(e.moreInfo, moreInfo);
    QVERIFY(e.toString().contains(message));
    QVERIFY(e.toString().contains(QString::number(status)));
}

void tst_TwilioClient::delayFor_data()
{
    QTest::addColumn<int>("retry");
    QTest::addColumn<double>("jitter");
    QTest::addColumn<qint64>("expectedMs");

    // base 250 ms, cap 8 s: ceilings 250, 500, 1000, 2000, 4000, 8000.
    const qint64 ceilings[] = {250, 500, 1000, 2000, 4000, 8000};
    for (int retry = 1; retry <= 6; ++retry) {
        const qint64 ceiling = ceilings[retry - 1];
        QTest::addRow("retry %d jitter 0", retry) << retry << 0.0 << qint64(0);
        QTest::addRow("retry %d jitter 0.999", retry)
            << retry << 0.999 << qint64(std::floor(double(ceiling) * 0.999));
        QTest::addRow("retry %d jitter 0.5", retry) << retry << 0.5 << ceiling / 2;
    }
    QTest::newRow("retry 7 capped") << 7 << 0.999 << qint64(7992);
    QTest::newRow("retry 100 capped") << 100 << 0.999 << qint64(7992);
    QTest::newRow("retry 0 treated as 1") << 0 << 0.999 << qint64(249);
}

void tst_TwilioClient::delayFor()
{
    QFETCH(int, retry);
    QFETCH(double, jitter);
    QFETCH(qint64, expectedMs);
    const RetryPolicy policy{3, 250ms, 8000ms}; // 250 ms base, 8 s cap
    const milliseconds delay = policy.delayFor(retry, std::nullopt, jitter);
    QCOMPARE(delay.count(), expectedMs);
    QVERIFY(delay <=
            std::min(policy.maxDelay, policy.baseDelay * (1 << std::clamp(retry - 1, 0, 20))));
}

void tst_TwilioClient::retryAfterOverride()
{
    const RetryPolicy policy{3, 250ms, 8000ms};
    QCOMPARE(policy.delayFor(1, 2000ms, 0.0), 2000ms);
    QCOMPARE(policy.delayFor(5, 2000ms, 0.999), 2000ms);
    QCOMPARE(policy.delayFor(1, 0ms, 0.5), 0ms);
    QCOMPARE(policy.delayFor(1, 60000ms, 0.5), 32000ms); // capped at maxDelay * 4
    QCOMPARE(policy.delayFor(1, -5ms, 0.5), 0ms);
}

void tst_TwilioClient::parseRetryAfter_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("expectedMs");
    QTest::addColumn<qint64>("toleranceMs");

    const QLocale c = QLocale::c();
    const QString format = QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'");
    const QDateTime now = QDateTime::currentDateTimeUtc();

    QTest::newRow("seconds") << QByteArrayLiteral("5") << true << qint64(5000) << qint64(0);
    QTest::newRow("zero") << QByteArrayLiteral("0") << true << qint64(0) << qint64(0);
    QTest::newRow("spaces") << QByteArrayLiteral(" 120 ") << true << qint64(120000) << qint64(0);
    QTest::newRow("http-date future")
        << c.toString(now.addSecs(30), format).toLatin1() << true << qint64(30000) << qint64(2000);
    QTest::newRow("http-date past")
        << QByteArrayLiteral("Wed, 21 Oct 2015 07:28:00 GMT") << true << qint64(0) << qint64(0);
    QTest::newRow("empty") << QByteArray() << false << qint64(0) << qint64(0);
    QTest::newRow("garbage") << QByteArrayLiteral("soon") << false << qint64(0) << qint64(0);
    QTest::newRow("negative") << QByteArrayLiteral("-1") << false << qint64(0) << qint64(0);
    QTest::newRow("fraction") << QByteArrayLiteral("1.5") << false << qint64(0) << qint64(0);
    QTest::newRow("bad date") << QByteArrayLiteral("Wed, 32 Oct 2015 07:28:00 GMT") << false
                              << qint64(0) << qint64(0);
}

void tst_TwilioClient::parseRetryAfter()
{
    QFETCH(QByteArray, value);
    QFETCH(bool, valid);
    QFETCH(qint64, expectedMs);
    QFETCH(qint64, toleranceMs);
    const std::optional<milliseconds> parsed = flex::twilio::parseRetryAfter(value);
    QCOMPARE(parsed.has_value(), valid);
    if (valid) {
        QVERIFY2(std::abs(parsed->count() - expectedMs) <= toleranceMs,
                 qPrintable(QString::number(parsed->count())));
    }
}

void tst_TwilioClient::headersAndBody()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.script = {respond(201, QByteArrayLiteral("{\"sid\":\"CA1\",\"status\":\"queued\"}"))};

    TwilioClient client;
    client.setCredentials(kUser, kSecret);
    TwilioRequest request = post(server.url(QStringLiteral("/Calls.json")), true);
    request.form = {{QStringLiteral("To"), QStringLiteral("+1 555")},
                    {QStringLiteral("StatusCallbackEvent"), QStringLiteral("ringing")},
                    {QStringLiteral("StatusCallbackEvent"), QStringLiteral("completed")}};
    Capture capture;
    client.send(request, this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);

    QVERIFY2(capture.last.ok(), qPrintable(errorText(capture.last)));
    QCOMPARE(capture.last.httpStatus, 201);
    QCOMPARE(capture.last.attempts, 1);
    QCOMPARE(capture.last.body.value(QLatin1String("sid")).toString(), QStringLiteral("CA1"));

    QCOMPARE(server.received.size(), 1);
    const ReceivedRequest &r = server.received.first();
    QCOMPARE(r.method, QByteArrayLiteral("POST"));
    QCOMPARE(r.path, QByteArrayLiteral("/Calls.json"));
    QCOMPARE(r.headers.value("authorization"),
             QByteArrayLiteral("Basic ") +
                 (kUser + QLatin1Char(':') + kSecret).toUtf8().toBase64());
    QCOMPARE(r.headers.value("accept"), QByteArrayLiteral("application/json"));
    QCOMPARE(r.headers.value("accept-charset"), QByteArrayLiteral("utf-8"));
    QCOMPARE(r.headers.value("user-agent"), QByteArrayLiteral("flex-backend/" FLEX_VERSION));
    QCOMPARE(r.headers.value("content-type"),
             QByteArrayLiteral("application/x-www-form-urlencoded"));
    QCOMPARE(r.body, QByteArrayLiteral("To=%2B1%20555&StatusCallbackEvent=ringing&"
                                       "StatusCallbackEvent=completed"));
}

void tst_TwilioClient::jsonBody()
{
    FakeServer server;
    QVERIFY(server.listen());
    TwilioClient client;
    TwilioRequest request =
        post(server.url(QStringLiteral("/bulk")), false, QStringLiteral("BulkStats"));
    request.jsonBody = QByteArrayLiteral("{\"TaskQueueSids\":[\"WQ1\"]}");
    Capture capture;
    client.send(request, this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QVERIFY(capture.last.ok());
    QCOMPARE(server.received.first().headers.value("content-type"),
             QByteArrayLiteral("application/json"));
    QCOMPARE(server.received.first().body, request.jsonBody);
    QVERIFY(!server.received.first().headers.contains("authorization")); // no credentials set
}

void tst_TwilioClient::retryAfter429()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.script = {respond(429,
                             QByteArrayLiteral("{\"code\":20429,\"message\":\"Too Many Requests\","
                                               "\"status\":429}"),
                             {{"Retry-After", "1"}}),
                     respond(201, QByteArrayLiteral("{\"sid\":\"CA2\"}"))};

    TwilioClient client;
    RetryPolicy policy = fastRetries();
    policy.maxDelay = 1000ms; // Retry-After may reach maxDelay * 4
    client.setRetryPolicy(policy);
    QSignalSpy retrying(&client, &TwilioClient::retrying);
    Capture capture;
    client.send(post(server.url(QStringLiteral("/Calls.json")), true), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);

    QVERIFY(capture.last.ok());
    QCOMPARE(capture.last.attempts, 2);
    QCOMPARE(server.received.size(), 2);
    QCOMPARE(retrying.size(), 1);
    QCOMPARE(retrying.first().at(1).toInt(), 429);
    QCOMPARE(retrying.first().at(2).value<milliseconds>(), 1000ms); // Retry-After beats maxDelay
    const qint64 gap = server.received.at(1).atMs - server.received.at(0).atMs;
    QVERIFY2(gap >= 950, qPrintable(QString::number(gap)));
}

void tst_TwilioClient::retryRules_data()
{
    QTest::addColumn<int>("firstStatus");
    QTest::addColumn<bool>("isPost");
    QTest::addColumn<bool>("createsResource");
    QTest::addColumn<int>("expectedAttempts");

    QTest::newRow("GET 503 retried") << 503 << false << false << 2;
    QTest::newRow("GET 429 retried") << 429 << false << false << 2;
    QTest::newRow("GET 500 not retried") << 500 << false << false << 1;
    QTest::newRow("GET 502 not retried") << 502 << false << false << 1;
    QTest::newRow("GET 404 not retried") << 404 << false << false << 1;
    QTest::newRow("hang-up POST 503 retried") << 503 << true << false << 2;
    QTest::newRow("create POST 429 retried") << 429 << true << true << 2;
    QTest::newRow("create POST 503 not retried") << 503 << true << true << 1;
    QTest::newRow("create POST 500 not retried") << 500 << true << true << 1;
    QTest::newRow("create POST 400 not retried") << 400 << true << true << 1;
}

void tst_TwilioClient::retryRules()
{
    QFETCH(int, firstStatus);
    QFETCH(bool, isPost);
    QFETCH(bool, createsResource);
    QFETCH(int, expectedAttempts);

    FakeServer server;
    QVERIFY(server.listen());
    server.script = {respond(firstStatus, QByteArrayLiteral("{\"code\":12345,\"message\":\"x\"}")),
                     respond(200, QByteArrayLiteral("{\"ok\":true}"))};
    TwilioClient client;
    client.setRetryPolicy(fastRetries());
    const QUrl url = server.url(QStringLiteral("/r"));
    Capture capture;
    client.send(isPost ? post(url, createsResource) : get(url), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QCOMPARE(capture.last.attempts, expectedAttempts);
    QCOMPARE(server.received.size(), expectedAttempts);
    if (expectedAttempts == 1) {
        QVERIFY(!capture.last.ok());
        QCOMPARE(capture.last.error->kind, TwilioError::Kind::Http);
        QCOMPARE(capture.last.error->httpStatus, firstStatus);
        QCOMPARE(capture.last.error->code, 12345);
    } else {
        QVERIFY(capture.last.ok());
    }
}

void tst_TwilioClient::retriesExhausted()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.responder = [](const ReceivedRequest &) { return respond(503, QByteArray()); };
    TwilioClient client;
    client.setRetryPolicy(fastRetries(2));
    QSignalSpy finished(&client, &TwilioClient::requestFinished);
    Capture capture;
    client.send(get(server.url(QStringLiteral("/busy"))), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QCOMPARE(capture.last.attempts, 3);
    QCOMPARE(server.received.size(), 3);
    QCOMPARE(capture.last.error->httpStatus, 503);
    QCOMPARE(finished.size(), 3); // one per exchange
}

void tst_TwilioClient::timeout_data()
{
    QTest::addColumn<bool>("isPost");
    QTest::addColumn<bool>("createsResource");
    QTest::addColumn<int>("maxRetries");
    QTest::addColumn<int>("expectedAttempts");

    QTest::newRow("GET, no retries") << false << false << 0 << 1;
    QTest::newRow("GET retried") << false << false << 1 << 2;
    QTest::newRow("create POST not retried") << true << true << 3 << 1;
}

void tst_TwilioClient::timeout()
{
    QFETCH(bool, isPost);
    QFETCH(bool, createsResource);
    QFETCH(int, maxRetries);
    QFETCH(int, expectedAttempts);

    FakeServer server;
    QVERIFY(server.listen());
    server.responder = [](const ReceivedRequest &) { return held(); };
    TwilioClient client;
    client.setRetryPolicy(fastRetries(maxRetries));
    client.setDefaultTimeout(200ms);
    const QUrl url = server.url(QStringLiteral("/slow"));
    Capture capture;
    client.send(isPost ? post(url, createsResource) : get(url), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QVERIFY(!capture.last.ok());
    QCOMPARE(capture.last.error->kind, TwilioError::Kind::Timeout);
    QCOMPARE(capture.last.attempts, expectedAttempts);
    QCOMPARE(server.received.size(), expectedAttempts);
    QCOMPARE(client.inFlight(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(server.open, 0, kWait); // the client closed the connections
}

void tst_TwilioClient::connectionRefusedIsSafeForCreate()
{
    QUrl url;
    {
        FakeServer closed;
        QVERIFY(closed.listen());
        url = closed.url(QStringLiteral("/Calls.json"));
    } // nobody listens there any more
    TwilioClient client;
    client.setRetryPolicy(fastRetries(2));
    Capture capture;
    client.send(post(url, true), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QVERIFY(!capture.last.ok());
    QCOMPARE(capture.last.error->kind, TwilioError::Kind::Network);
    QCOMPARE(capture.last.error->httpStatus, 0);
    QCOMPARE(capture.last.attempts, 3);
}

void tst_TwilioClient::badJsonAnswer()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.script = {respond(200, QByteArrayLiteral("not json")), respond(200, "[1]"),
                     respond(204, QByteArray())};
    TwilioClient client;
    Capture capture;
    client.send(get(server.url(QStringLiteral("/a"))), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QCOMPARE(capture.last.error->kind, TwilioError::Kind::BadAnswer);
    QCOMPARE(capture.last.attempts, 1);
    client.send(get(server.url(QStringLiteral("/b"))), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 2, kWait);
    QCOMPARE(capture.last.error->kind, TwilioError::Kind::BadAnswer);
    client.send(get(server.url(QStringLiteral("/c"))), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 3, kWait);
    QVERIFY(capture.last.ok()); // an empty success body is fine
    QCOMPARE(capture.last.httpStatus, 204);
}

void tst_TwilioClient::tooLargeAnswer()
{
    FakeServer server;
    QVERIFY(server.listen());
    FakeResponse huge = respond(200, QByteArrayLiteral("{\"a\":\""));
    huge.claimedLength = 64LL * 1024 * 1024;
    server.script = {huge};
    TwilioClient client;
    Capture capture;
    client.send(get(server.url(QStringLiteral("/huge"))), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QVERIFY(!capture.last.ok());
    QCOMPARE(capture.last.error->kind, TwilioError::Kind::BadAnswer);
    QCOMPARE(capture.last.attempts, 1);
}

void tst_TwilioClient::concurrencyCapFifo()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.responder = [](const ReceivedRequest &) { return held(); };
    TwilioClient client;
    client.setMaxInFlight(3);
    Capture capture;
    QStringList finishedOrder;
    for (int i = 0; i < 10; ++i) {
        client.send(get(server.url(QStringLiteral("/r%1").arg(i))), this,
                    [&capture, &finishedOrder, i](const TwilioResult &result) {
                        ++capture.calls;
                        QVERIFY(result.ok());
                        finishedOrder << QString::number(i);
                    });
    }
    QCOMPARE(client.inFlight(), 3);
    QCOMPARE(client.waiting(), 7);
    QTRY_COMPARE_WITH_TIMEOUT(server.received.size(), 3, kWait);
    QSet<QByteArray> firstThree;
    for (const auto &r : std::as_const(server.received))
        firstThree.insert(r.path);
    QCOMPARE(firstThree, (QSet<QByteArray>{"/r0", "/r1", "/r2"}));

    // Each answer lets exactly the next queued request start, in FIFO order.
    for (int next = 3; next < 10; ++next) {
        server.releaseOne();
        QTRY_COMPARE_WITH_TIMEOUT(server.received.size(), next + 1, kWait);
        QCOMPARE(server.received.last().path, QByteArray("/r" + QByteArray::number(next)));
        QVERIFY(client.inFlight() <= 3);
    }
    server.releaseAll();
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 10, kWait);
    QCOMPARE(server.maxOpen, 3);
    QCOMPARE(client.inFlight(), 0);
    QCOMPARE(client.waiting(), 0);
}

void tst_TwilioClient::paging()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.responder = [&server](const ReceivedRequest &request) {
        const int page = request.path.mid(request.path.indexOf("Page=") + 5).toInt();
        QJsonArray items;
        for (int i = 0; i < 2; ++i)
            items.append(
                QJsonObject{{QStringLiteral("sid"), QStringLiteral("WQ%1").arg(page * 2 + i)}});
        QJsonObject meta{{QStringLiteral("key"), QStringLiteral("task_queues")},
                         {QStringLiteral("page"), page}};
        meta.insert(
            QStringLiteral("next_page_url"),
            page < 2
                ? QJsonValue(
                      server.url(QStringLiteral("/TaskQueues?PageSize=2&Page=%1").arg(page + 1))
                          .toString())
                : QJsonValue(QJsonValue::Null));
        const QJsonObject body{{QStringLiteral("task_queues"), items},
                               {QStringLiteral("meta"), meta}};
        return respond(200, QJsonDocument(body).toJson(QJsonDocument::Compact));
    };
    TwilioClient client;
    int calls = 0;
    int requests = 0;
    QJsonArray all;
    std::optional<TwilioError> error;
    client.getAllPages(server.url(QStringLiteral("/TaskQueues?PageSize=2&Page=0")), QString(),
                       QStringLiteral("ListTaskQueue"), this, [&](const PagesResult &r) {
                           ++calls;
                           all = r.items;
                           requests = r.requests;
                           error = r.error;
                       });
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, kWait);
    QVERIFY(!error);
    QCOMPARE(server.received.size(), 3);
    QCOMPARE(requests, 3);
    QCOMPARE(all.size(), 6);
    for (int i = 0; i < 6; ++i)
        QCOMPARE(all.at(i).toObject().value(QLatin1String("sid")).toString(),
                 QStringLiteral("WQ%1").arg(i));
}

void tst_TwilioClient::nextPageThroughBase_data()
{
    QTest::addColumn<QString>("next");
    QTest::addColumn<QString>("expected"); // empty: refused

    const QString base = QStringLiteral("https://taskrouter.dublin.ie1.twilio.com/v1/W");
    QTest::newRow("same origin") << base + QStringLiteral("?Page=1")
                                 << base + QStringLiteral("?Page=1");
    QTest::newRow("global host through the regional base")
        << QStringLiteral("https://taskrouter.twilio.com/v1/W?PageSize=50&Page=1&PageToken=PT9")
        << base + QStringLiteral("?PageSize=50&Page=1&PageToken=PT9");
    QTest::newRow("another region's host")
        << QStringLiteral("https://taskrouter.sydney.au1.twilio.com/v1/W?Page=2")
        << base + QStringLiteral("?Page=2");
    QTest::newRow("bare twilio.com")
        << QStringLiteral("https://twilio.com/v1/W?Page=3") << base + QStringLiteral("?Page=3");
    QTest::newRow("case of the host") << QStringLiteral("https://TaskRouter.Twilio.COM/v1/W?Page=4")
                                      << base + QStringLiteral("?Page=4");
    QTest::newRow("foreign host") << QStringLiteral("https://evil.example/v1/W") << QString();
    QTest::newRow("lookalike suffix") << QStringLiteral("https://eviltwilio.com/v1/W") << QString();
    QTest::newRow("twilio.com as a subdomain elsewhere")
        << QStringLiteral("https://twilio.com.evil.example/v1/W") << QString();
    QTest::newRow("plain http twilio")
        << QStringLiteral("http://taskrouter.twilio.com/v1/W") << QString();
    QTest::newRow("relative") << QStringLiteral("/v1/W?Page=1") << QString();
}

void tst_TwilioClient::nextPageThroughBase()
{
    QFETCH(QString, next);
    QFETCH(QString, expected);
    const std::optional<QUrl> through = flex::twilio::nextPageThroughBase(
        QUrl(next), QUrl(QStringLiteral("https://taskrouter.dublin.ie1.twilio.com/v1/W?Page=0")));
    if (expected.isEmpty()) {
        QVERIFY(!through);
    } else {
        QVERIFY(through);
        QCOMPARE(through->toString(), expected);
    }
}

// A regional answer names another twilio.com host as its next page: the
// walk goes on through the configured (here: loopback) base.
void tst_TwilioClient::pagingAcrossTwilioHosts()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.responder = [](const ReceivedRequest &request) {
        const int page = request.path.mid(request.path.indexOf("Page=") + 5).toInt();
        QJsonObject meta{{QStringLiteral("key"), QStringLiteral("task_queues")}};
        meta.insert(QStringLiteral("next_page_url"),
                    page < 1 ? QJsonValue(QStringLiteral(
                                   "https://taskrouter.dublin.ie1.twilio.com/TaskQueues?Page=1"))
                             : QJsonValue(QJsonValue::Null));
        const QJsonObject body{{QStringLiteral("task_queues"),
                                QJsonArray{QJsonObject{{QStringLiteral("page"), page}}}},
                               {QStringLiteral("meta"), meta}};
        return respond(200, QJsonDocument(body).toJson(QJsonDocument::Compact));
    };
    TwilioClient client;
    int calls = 0;
    QJsonArray all;
    std::optional<TwilioError> error;
    client.getAllPages(server.url(QStringLiteral("/TaskQueues?Page=0")), QString(),
                       QStringLiteral("ListTaskQueue"), this, [&](const PagesResult &r) {
                           ++calls;
                           all = r.items;
                           error = r.error;
                       });
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, kWait);
    QVERIFY2(!error, qPrintable(error ? error->toString() : QString()));
    QCOMPARE(server.received.size(), 2);
    QCOMPARE(all.size(), 2);
    QCOMPARE(all.at(1).toObject().value(QLatin1String("page")).toInt(), 1);
}

// The emulator answering as a regional Twilio: every next_page_url names
// taskrouter.dublin.ie1.twilio.com; the walk still gets every queue, and
// every request went to the emulator (the configured base).
void tst_TwilioClient::pagingThroughRegionalEmulator()
{
    flex::emulator::EmulatorConfig config;
    config.queueCount = 7;
    config.frozen = true;
    flex::emulator::TwilioEmulator emulator(config);
    QVERIFY(emulator.listen());
    emulator.fidelity().pageHost = QStringLiteral("taskrouter.dublin.ie1.twilio.com");
    TwilioClient client;
    client.setCredentials(config.accountSid, config.authToken);
    QJsonArray all;
    std::optional<TwilioError> error;
    int calls = 0;
    const QUrl first(emulator.baseUrl().toString() + QStringLiteral("/v1/Workspaces/") +
                     config.workspaceSid + QStringLiteral("/TaskQueues?PageSize=2"));
    client.getAllPages(first, QStringLiteral("task_queues"), QStringLiteral("ListTaskQueue"), this,
                       [&](const PagesResult &r) {
                           ++calls;
                           all = r.items;
                           error = r.error;
                       });
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, kWait);
    QVERIFY2(!error, qPrintable(error ? error->toString() : QString()));
    QCOMPARE(all.size(), 7);
    QCOMPARE(emulator.counters(QStringLiteral("ListTaskQueue")).requests, 4);
}

void tst_TwilioClient::errorBlame_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("blame");

    using B = TwilioError::Blame;
    QTest::newRow("400 bad To") << 400 << QByteArray(R"({"code":21211,"message":"Invalid To"})")
                                << int(B::Request);
    QTest::newRow("403 invalid token")
        << 403 << QByteArray(R"({"valid":false,"code":20101})") << int(B::Request);
    QTest::newRow("404 unknown SID") << 404 << QByteArray(R"({"code":20404})") << int(B::Request);
    QTest::newRow("401 credentials")
        << 401 << QByteArray(R"({"code":20003,"message":"Authenticate"})") << int(B::Credentials);
    QTest::newRow("401 without body") << 401 << QByteArray() << int(B::Credentials);
    QTest::newRow("403 with 20003")
        << 403 << QByteArray(R"({"code":20003})") << int(B::Credentials);
    QTest::newRow("429") << 429 << QByteArray(R"({"code":20429})") << int(B::Twilio);
    QTest::newRow("500") << 500 << QByteArray() << int(B::Twilio);
    QTest::newRow("503") << 503 << QByteArray(R"({"code":20503})") << int(B::Twilio);
}

void tst_TwilioClient::errorBlame()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(int, blame);
    const TwilioError error = TwilioError::fromHttp(status, body);
    QCOMPARE(int(error.blame()), blame);
    QCOMPARE(error.isServiceFault(), blame != int(TwilioError::Blame::Request));
    TwilioError network;
    network.kind = TwilioError::Kind::Network;
    QCOMPARE(network.blame(), TwilioError::Blame::Twilio);
}

void tst_TwilioClient::pagingGuards_data()
{
    QTest::addColumn<QString>("next");
    QTest::addColumn<int>("expectedRequests");

    QTest::newRow("loop to itself") << QStringLiteral("/list") << 1;
    QTest::newRow("other origin") << QStringLiteral("https://evil.example/list") << 1;
}

void tst_TwilioClient::pagingGuards()
{
    QFETCH(QString, next);
    QFETCH(int, expectedRequests);
    FakeServer server;
    QVERIFY(server.listen());
    server.responder = [&server, next](const ReceivedRequest &) {
        const QString nextUrl =
            next.startsWith(QLatin1Char('/')) ? server.url(next).toString() : next;
        const QJsonObject body{{QStringLiteral("channels"), QJsonArray{1}},
                               {QStringLiteral("meta"),
                                QJsonObject{{QStringLiteral("key"), QStringLiteral("channels")},
                                            {QStringLiteral("next_page_url"), nextUrl}}}};
        return respond(200, QJsonDocument(body).toJson(QJsonDocument::Compact));
    };
    TwilioClient client;
    int calls = 0;
    std::optional<TwilioError> error;
    QJsonArray all;
    client.getAllPages(server.url(QStringLiteral("/list")), QStringLiteral("channels"),
                       QStringLiteral("ListTaskChannel"), this, [&](const PagesResult &r) {
                           ++calls;
                           all = r.items;
                           error = r.error;
                       });
    QTRY_COMPARE_WITH_TIMEOUT(calls, 1, kWait);
    QVERIFY(error);
    QCOMPARE(error->kind, TwilioError::Kind::BadAnswer);
    QVERIFY(all.isEmpty());
    QCOMPARE(server.received.size(), expectedRequests);
}

void tst_TwilioClient::contextDestroyed()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.script = {held()};
    TwilioClient client;
    QSignalSpy finished(&client, &TwilioClient::requestFinished);
    auto context = std::make_unique<QObject>();
    Capture capture;
    client.send(get(server.url(QStringLiteral("/x"))), context.get(), capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(server.received.size(), 1, kWait);
    QCOMPARE(server.open, 1);
    QCOMPARE(client.inFlight(), 1);
    // Cancelling is destroying the context: the request in flight is aborted
    // at once, and the server sees its connection closed.
    context.reset();
    QCOMPARE(client.inFlight(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(server.open, 0, kWait);
    server.releaseOne(); // nobody to answer any more
    QCOMPARE(capture.calls, 0);
    QCOMPARE(finished.size(), 0); // an abort is ours, not an exchange with Twilio

    // A request whose context died while queued never reaches the server.
    client.setMaxInFlight(1);
    server.script = {held()};
    client.send(get(server.url(QStringLiteral("/y"))), this, capture.handler());
    auto queuedContext = std::make_unique<QObject>();
    client.send(get(server.url(QStringLiteral("/z"))), queuedContext.get(), capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(server.received.size(), 2, kWait);
    queuedContext.reset();
    server.releaseOne();
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QCOMPARE(client.inFlight(), 0);
    QCOMPARE(client.waiting(), 0);
    QCOMPARE(server.received.size(), 2);
}

namespace {

// A list of two pages: /list?Page=0 names /list?Page=1 as its next page.
FakeResponse listPage(FakeServer &server, const ReceivedRequest &request)
{
    const bool first = request.path.endsWith("Page=0");
    const QJsonValue next = first
                                ? QJsonValue(server.url(QStringLiteral("/list?Page=1")).toString())
                                : QJsonValue(QJsonValue::Null);
    const QJsonObject body{
        {QStringLiteral("channels"), QJsonArray{first ? 1 : 2}},
        {QStringLiteral("meta"), QJsonObject{{QStringLiteral("key"), QStringLiteral("channels")},
                                             {QStringLiteral("next_page_url"), next}}}};
    return respond(200, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

} // namespace

// Destroying a walk's context while its second page is held by the server:
// that request is aborted, the walk sends nothing more, its handler never runs.
void tst_TwilioClient::contextDestroyedStopsPageWalk()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.responder = [&server](const ReceivedRequest &request) {
        FakeResponse response = listPage(server, request);
        response.hold = request.path.endsWith("Page=1");
        return response;
    };
    TwilioClient client;
    auto context = std::make_unique<QObject>();
    int calls = 0;
    client.getAllPages(server.url(QStringLiteral("/list?Page=0")), QStringLiteral("channels"),
                       QStringLiteral("ListTaskChannel"), context.get(),
                       [&calls](const PagesResult &) { ++calls; });
    QTRY_COMPARE_WITH_TIMEOUT(server.held(), 1, kWait);
    QCOMPARE(server.open, 1);
    QCOMPARE(client.inFlight(), 1);
    context.reset();
    QCOMPARE(client.inFlight(), 0);
    QCOMPARE(client.waiting(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(server.open, 0, kWait);
    server.releaseAll();
    QCOMPARE(calls, 0);
    QCOMPARE(server.received.size(), 2);
}

// A walk counts every HTTP request it took: pages and their retries.
void tst_TwilioClient::pagingCountsRetries()
{
    FakeServer server;
    QVERIFY(server.listen());
    int answered = 0;
    server.responder = [&server, &answered](const ReceivedRequest &request) {
        if (answered++ == 0)
            return respond(503, QByteArray(), {{"Retry-After", "0"}});
        return listPage(server, request);
    };
    TwilioClient client;
    client.setRetryPolicy(fastRetries());
    std::optional<PagesResult> result;
    client.getAllPages(server.url(QStringLiteral("/list?Page=0")), QStringLiteral("channels"),
                       QStringLiteral("ListTaskChannel"), this,
                       [&result](const PagesResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), kWait);
    QVERIFY2(result->ok(), qPrintable(result->error ? result->error->toString() : QString()));
    QCOMPARE(result->items, (QJsonArray{1, 2}));
    QCOMPARE(server.received.size(), 3);
    QCOMPARE(result->requests, 3);
}

void tst_TwilioClient::clientDestroyedWithRequestsInFlight()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.responder = [](const ReceivedRequest &) { return held(); };
    auto client = std::make_unique<TwilioClient>();
    client->setMaxInFlight(2);
    Capture capture;
    for (int i = 0; i < 4; ++i)
        client->send(get(server.url(QStringLiteral("/x%1").arg(i))), this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(server.received.size(), 2, kWait);
    client.reset();
    QTRY_COMPARE_WITH_TIMEOUT(server.open, 0, kWait); // connections were aborted
    server.releaseAll();
    QCOMPARE(capture.calls, 0); // documented: handlers are dropped, not called
    QCOMPARE(server.received.size(), 2);
}

void tst_TwilioClient::drain()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.responder = [](const ReceivedRequest &) { return held(); };
    TwilioClient client;
    client.setMaxInFlight(1);
    QSignalSpy idle(&client, &TwilioClient::idle);
    QList<TwilioResult> results;
    for (int i = 0; i < 3; ++i)
        client.send(get(server.url(QStringLiteral("/d%1").arg(i))), this,
                    [&results](const TwilioResult &r) { results.append(r); });
    QTRY_COMPARE_WITH_TIMEOUT(server.received.size(), 1, kWait);
    client.drain();
    QCOMPARE(results.size(), 0); // never called from inside drain()
    QTRY_COMPARE_WITH_TIMEOUT(results.size(), 2, kWait);
    for (const TwilioResult &r : std::as_const(results))
        QCOMPARE(r.error->kind, TwilioError::Kind::Canceled);
    QCOMPARE(idle.size(), 0);
    server.releaseOne();
    QVERIFY(idle.wait(kWait));
    QCOMPARE(results.size(), 3);
    QVERIFY(results.last().ok());
    QCOMPARE(server.received.size(), 1);

    client.send(get(server.url(QStringLiteral("/late"))), this,
                [&results](const TwilioResult &r) { results.append(r); });
    QTRY_COMPARE_WITH_TIMEOUT(results.size(), 4, kWait);
    QCOMPARE(results.last().error->kind, TwilioError::Kind::Canceled);
    QCOMPARE(idle.size(), 1);
}

void tst_TwilioClient::metricsCounted()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.script = {respond(429, QByteArray(), {{"Retry-After", "0"}}), respond(200)};
    const flex::ops::Labels endpoint{{"endpoint", "MetricsProbe"}};
    const double before200 = counterValue("flex_twilio_requests_total",
                                          {{"endpoint", "MetricsProbe"}, {"status", "200"}});
    const double before429 = counterValue("flex_twilio_requests_total",
                                          {{"endpoint", "MetricsProbe"}, {"status", "429"}});
    const double beforeRetries = counterValue("flex_twilio_retries_total", endpoint);
    const double beforeLimited = counterValue("flex_twilio_rate_limited_total", endpoint);

    TwilioClient client;
    client.setRetryPolicy(fastRetries());
    Capture capture;
    client.send(get(server.url(QStringLiteral("/m")), QStringLiteral("MetricsProbe")), this,
                capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QVERIFY(capture.last.ok());
    QCOMPARE(counterValue("flex_twilio_requests_total",
                          {{"endpoint", "MetricsProbe"}, {"status", "200"}}),
             before200 + 1);
    QCOMPARE(counterValue("flex_twilio_requests_total",
                          {{"endpoint", "MetricsProbe"}, {"status", "429"}}),
             before429 + 1);
    QCOMPARE(counterValue("flex_twilio_retries_total", endpoint), beforeRetries + 1);
    QCOMPARE(counterValue("flex_twilio_rate_limited_total", endpoint), beforeLimited + 1);
    const QByteArray rendered = flex::ops::metrics().render();
    QVERIFY(rendered.contains("flex_twilio_request_duration_seconds_bucket"));
    QVERIFY(rendered.contains("MetricsProbe"));
}

void tst_TwilioClient::noSecretsInLogsOrErrors()
{
    FakeServer server;
    QVERIFY(server.listen());
    server.script = {
        respond(401, QByteArrayLiteral("{\"code\":20003,\"message\":\"Authenticate\"}"))};
    g_logLines.clear();
    TwilioClient client;
    client.setCredentials(kUser, kSecret);
    TwilioRequest request = post(server.url(QStringLiteral("/Calls.json")), true);
    request.form.append({QStringLiteral("SipAuthPassword"), QStringLiteral("sip-pa55")});
    Capture capture;
    client.send(request, this, capture.handler());
    QTRY_COMPARE_WITH_TIMEOUT(capture.calls, 1, kWait);
    QCOMPARE(capture.last.error->code, 20003);

    const QString basic =
        QString::fromLatin1((kUser + QLatin1Char(':') + kSecret).toUtf8().toBase64());
    QVERIFY(!g_logLines.isEmpty()); // the traffic dump is on in this test
    const QString all = g_logLines.join(QLatin1Char('\n')) + capture.last.error->toString();
    QVERIFY(!all.contains(kSecret));
    QVERIFY(!all.contains(basic));
    QVERIFY(!all.contains(QLatin1String("sip-pa55")));
    QVERIFY(!all.contains(QLatin1String("Authorization"), Qt::CaseInsensitive));
}

QTEST_GUILESS_MAIN(tst_TwilioClient)
#include "tst_twilioclient.moc"
