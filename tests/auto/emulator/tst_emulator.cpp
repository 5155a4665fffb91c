#include "emulator/httpserver.h"
#include "emulator/requestsigner.h"
#include "emulator/twilioemulator.h"
#include "twilio/twiliorequest.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

#include <memory>

using namespace flex::emulator;
using namespace std::chrono_literals;

// Named, not anonymous: the test class (external linkage) holds these types.
namespace emulator_test {

struct Reply
{
    int status = 0;
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QJsonObject json;
    QByteArray body;
    QByteArray retryAfter;
};

// One request the test receiver (the "service") got from the emulator.
struct Received
{
    QString path;
    FormParams params;
    QByteArray signature;
};

// Plays the service's webhook side: answers TwiML fetches and status callbacks.
class Receiver : public QObject
{
public:
    Receiver()
    {
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        connect(&server, &HttpServer::requestReceived, this,
                [this](HttpConnection *c, const HttpRequest &r) {
                    received.append(
                        {r.path, flex::twilio::decodeForm(r.body), r.header("x-twilio-signature")});
                    HttpResponse response;
                    response.contentType = "text/xml";
                    if (r.path == QLatin1String("/twiml"))
                        response.body = twiml;
                    else
                        response.body = "<Response/>";
                    c->respond(response);
                });
    }
    QString url(const char *path) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(server.port()).arg(QLatin1String(path));
    }
    QList<Received> callbacks() const
    {
        QList<Received> out;
        for (const Received &r : received) {
            if (r.path == QLatin1String("/status"))
                out.append(r);
        }
        return out;
    }

    HttpServer server;
    QList<Received> received;
    QByteArray twiml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Enqueue "
                       "workflowSid=\"WW00000000000000000000000000000001\"><Task>{\"targetWorker\":"
                       "\"client:alice\",\"autoAnswer\":\"true\",\"type\":\"outbound\"}</Task>"
                       "</Enqueue></Response>";
};

QString param(const FormParams &params, const char *name)
{
    for (const auto &p : params) {
        if (p.first == QLatin1String(name))
            return p.second;
    }
    return {};
}

} // namespace emulator_test
using namespace emulator_test;

class tst_Emulator : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TwilioEmulator> start(EmulatorConfig config = testConfig())
    {
        auto e = std::make_unique<TwilioEmulator>(config);
        if (!e->listen())
            return nullptr;
        return e;
    }
    static EmulatorConfig testConfig()
    {
        EmulatorConfig c;
        c.warmup = 0ms;
        c.frozen = true;
        c.callStepInterval = 20ms;
        c.talkTime = 100ms;
        return c;
    }
    QNetworkRequest request(const TwilioEmulator &e, const QString &pathAndQuery,
                            const QByteArray &user = {}, const QByteArray &password = {})
    {
        QNetworkRequest r(QUrl(e.baseUrl().toString() + pathAndQuery));
        const QByteArray u = user.isEmpty() ? e.config().accountSid.toUtf8() : user;
        const QByteArray p = password.isEmpty() ? e.config().authToken.toUtf8() : password;
        if (u != "-")
            r.setRawHeader("Authorization", "Basic " + QByteArray(u + ':' + p).toBase64());
        return r;
    }
    Reply wait(QNetworkReply *reply)
    {
        std::unique_ptr<QNetworkReply> guard(reply);
        if (!reply->isFinished()) {
            QSignalSpy spy(reply, &QNetworkReply::finished);
            spy.wait(20000);
        }
        Reply r;
        r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        r.error = reply->error();
        r.body = reply->readAll();
        r.json = QJsonDocument::fromJson(r.body).object();
        r.retryAfter = reply->rawHeader("Retry-After");
        return r;
    }
    Reply get(const TwilioEmulator &e, const QString &path)
    {
        return wait(m_nam.get(request(e, path)));
    }
    Reply getUrl(const TwilioEmulator &e, const QString &url)
    {
        QNetworkRequest r = request(e, QString());
        r.setUrl(QUrl(url));
        return wait(m_nam.get(r));
    }
    QNetworkReply *postForm(const TwilioEmulator &e, const QString &path, const FormParams &params)
    {
        QNetworkRequest r = request(e, path);
        r.setHeader(QNetworkRequest::ContentTypeHeader,
                    QByteArrayLiteral("application/x-www-form-urlencoded"));
        return m_nam.post(r, flex::twilio::encodeForm(params));
    }
    QString ws(const TwilioEmulator &e) const
    {
        return QStringLiteral("/v1/Workspaces/") + e.config().workspaceSid;
    }
    QString calls(const TwilioEmulator &e) const
    {
        return QStringLiteral("/2010-04-01/Accounts/") + e.config().accountSid +
               QStringLiteral("/Calls");
    }
    QString createCall(TwilioEmulator &e, Receiver &rx, const QString &to,
                       const QStringList &events = {QStringLiteral("ringing"),
                                                    QStringLiteral("answered"),
                                                    QStringLiteral("completed")})
    {
        FormParams p{{QStringLiteral("To"), to},
                     {QStringLiteral("From"), QStringLiteral("+15557654321")},
                     {QStringLiteral("Url"), rx.url("/twiml")},
                     {QStringLiteral("StatusCallback"), rx.url("/status")}};
        for (const QString &ev : events)
            p.append({QStringLiteral("StatusCallbackEvent"), ev});
        const Reply r = wait(postForm(e, calls(e) + QStringLiteral(".json"), p));
        if (r.status != 201)
            qWarning() << r.body;
        return r.json.value(QStringLiteral("sid")).toString();
    }

    QNetworkAccessManager m_nam;

private Q_SLOTS:
    void signatureMatchesTwilioVectors()
    {
        const FormParams params{{QStringLiteral("CallSid"), QStringLiteral("CA1234567890ABCDE")},
                                {QStringLiteral("Caller"), QStringLiteral("+14158675309")},
                                {QStringLiteral("Digits"), QStringLiteral("1234")},
                                {QStringLiteral("From"), QStringLiteral("+14158675309")},
                                {QStringLiteral("To"), QStringLiteral("+18005551212")}};
        QCOMPARE(twilioSignature("12345",
                                 QStringLiteral("https://mycompany.com/myapp.php?foo=1&bar=2"),
                                 params),
                 QByteArray("RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        const FormParams dup{{QStringLiteral("Sid"), QStringLiteral("CA123")},
                             {QStringLiteral("SidAccount"), QStringLiteral("AC123")},
                             {QStringLiteral("Digits"), QStringLiteral("5678")},
                             {QStringLiteral("Digits"), QStringLiteral("1234")},
                             {QStringLiteral("Digits"), QStringLiteral("1234")}};
        QCOMPARE(twilioSignature(
                     "12345", QStringLiteral("https://mycompany.com/myapp.php?foo=1&bar=2"), dup),
                 QByteArray("IK+Dwps556ElfBT0I3Rgjkr1wJU="));
    }

    void auth_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("user");
        QTest::addColumn<QByteArray>("password");
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("code");
        const QString ws = QStringLiteral("/v1/Workspaces/WS00000000000000000000000000000001");
        QTest::newRow("account token")
            << ws + QStringLiteral("/TaskQueues") << QByteArray() << QByteArray() << 200 << 0;
        QTest::newRow("api key") << ws + QStringLiteral("/TaskChannels")
                                 << QByteArray("SK00000000000000000000000000000001")
                                 << QByteArray("emulator-api-key-secret-00000001") << 200 << 0;
        QTest::newRow("no auth") << ws + QStringLiteral("/TaskQueues") << QByteArray("-")
                                 << QByteArray() << 401 << 20003;
        QTest::newRow("wrong token") << ws + QStringLiteral("/TaskQueues") << QByteArray()
                                     << QByteArray("nope") << 401 << 20003;
        QTest::newRow("other account in path")
            << QStringLiteral(
                   "/2010-04-01/Accounts/AC00000000000000000000000000000002/Calls/CA1.json")
            << QByteArray() << QByteArray() << 401 << 20003;
        QTest::newRow("other workspace")
            << QStringLiteral("/v1/Workspaces/WS00000000000000000000000000000009/TaskQueues")
            << QByteArray() << QByteArray() << 404 << 20404;
        QTest::newRow("unknown path")
            << QStringLiteral("/v1/Nothing") << QByteArray() << QByteArray() << 404 << 20404;
        QTest::newRow("unknown call")
            << QStringLiteral("/2010-04-01/Accounts/AC00000000000000000000000000000001/Calls/"
                              "CA00000000000000000000000000000000.json")
            << QByteArray() << QByteArray() << 404 << 20404;
    }
    void auth()
    {
        QFETCH(QString, path);
        QFETCH(QByteArray, user);
        QFETCH(QByteArray, password);
        QFETCH(int, status);
        QFETCH(int, code);
        auto e = start();
        QVERIFY(e);
        const Reply r = wait(m_nam.get(request(*e, path, user, password)));
        QCOMPARE(r.status, status);
        if (code) {
            QCOMPARE(r.json.value(QStringLiteral("code")).toInt(), code);
            QCOMPARE(r.json.value(QStringLiteral("status")).toInt(), status);
            QVERIFY(r.json.value(QStringLiteral("more_info"))
                        .toString()
                        .startsWith(QLatin1String("https://")));
            QVERIFY(!r.json.value(QStringLiteral("message")).toString().isEmpty());
        }
    }

    void paging()
    {
        auto e = start();
        QVERIFY(e);
        QStringList seen;
        QString url = e->baseUrl().toString() + ws(*e) + QStringLiteral("/TaskQueues?PageSize=2");
        int pages = 0;
        while (!url.isEmpty()) {
            const Reply r = getUrl(*e, url);
            QCOMPARE(r.status, 200);
            const QJsonObject meta = r.json.value(QStringLiteral("meta")).toObject();
            QCOMPARE(meta.value(QStringLiteral("key")).toString(), QStringLiteral("task_queues"));
            QCOMPARE(meta.value(QStringLiteral("page")).toInt(), pages);
            QCOMPARE(meta.value(QStringLiteral("page_size")).toInt(), 2);
            QVERIFY(meta.value(QStringLiteral("first_page_url"))
                        .toString()
                        .startsWith(e->baseUrl().toString()));
            QCOMPARE(meta.value(QStringLiteral("previous_page_url")).isNull(), pages == 0);
            for (const QJsonValue &q : r.json.value(QStringLiteral("task_queues")).toArray())
                seen.append(q.toObject().value(QStringLiteral("sid")).toString());
            const QJsonValue next = meta.value(QStringLiteral("next_page_url"));
            QVERIFY(next.isNull() || next.isString());
            url = next.toString();
            ++pages;
            QVERIFY(pages <= 3);
        }
        QCOMPARE(pages, 3);
        QCOMPARE(seen, e->queueSids());

        QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues?PageSize=0")).status, 400);
        QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues?PageSize=1001")).status, 400);
        const Reply all = get(*e, ws(*e) + QStringLiteral("/TaskQueues/Statistics?PageSize=1000"));
        QCOMPARE(all.json.value(QStringLiteral("task_queues_statistics")).toArray().size(), 5);
        QVERIFY(all.json.value(QStringLiteral("meta"))
                    .toObject()
                    .value(QStringLiteral("next_page_url"))
                    .isNull());
    }

    void faults_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("status");
        QTest::newRow("401") << int(Fault::Kind::Unauthorized401) << 401;
        QTest::newRow("404") << int(Fault::Kind::NotFound404) << 404;
        QTest::newRow("429") << int(Fault::Kind::TooMany429) << 429;
        QTest::newRow("500") << int(Fault::Kind::Error500) << 500;
        QTest::newRow("503") << int(Fault::Kind::Unavailable503) << 503;
        QTest::newRow("drop") << int(Fault::Kind::Drop) << 0;
        QTest::newRow("delay") << int(Fault::Kind::Delay) << 200;
    }
    void faults()
    {
        QFETCH(int, kind);
        QFETCH(int, status);
        auto e = start();
        QVERIFY(e);
        const QString path = ws(*e) + QStringLiteral("/TaskChannels");
        // QNetworkAccessManager resends a GET once when the connection closes
        // without an answer, so a dropping fault must outlast that retry.
        const bool drop = Fault::Kind(kind) == Fault::Kind::Drop;
        e->injectFault(QStringLiteral("ListTaskChannel"),
                       {Fault::Kind(kind), drop ? -1 : 2, 7, 300ms});
        for (int i = 0; i < 2; ++i) {
            QElapsedTimer timer;
            timer.start();
            const Reply r = get(*e, path);
            QCOMPARE(r.status, status);
            if (status == 429)
                QCOMPARE(r.retryAfter, QByteArray("7"));
            if (status == 0)
                QVERIFY(r.error != QNetworkReply::NoError);
            if (Fault::Kind(kind) == Fault::Kind::Delay)
                QVERIFY(timer.elapsed() >= 290);
            else if (status != 0)
                QCOMPARE(r.json.value(QStringLiteral("status")).toInt(), status);
        }
        if (drop)
            e->clearFaults(QStringLiteral("ListTaskChannel"));
        QCOMPARE(get(*e, path).status, 200); // fault used up
        QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues")).status,
                 200); // other operations unaffected
        if (!drop)
            QCOMPARE(e->counters(QStringLiteral("ListTaskChannel")).requests, 3);
        QCOMPARE(e->counters(QStringLiteral("ListTaskChannel")).inFlight, 0);
    }

    void faultUntilCleared()
    {
        auto e = start();
        QVERIFY(e);
        e->injectFault(QStringLiteral("ListTaskQueue"), {Fault::Kind::Error500, -1});
        for (int i = 0; i < 3; ++i)
            QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues")).status, 500);
        e->clearFaults();
        QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues")).status, 200);
    }

    void concurrencyCounters()
    {
        auto e = start();
        QVERIFY(e);
        e->injectFault(QStringLiteral("FetchTaskQueue"), {Fault::Kind::Delay, -1, 1, 300ms});
        const QString path = ws(*e) + QStringLiteral("/TaskQueues/") + e->queueSids().first();
        QList<QNetworkReply *> replies;
        for (int i = 0; i < 4; ++i)
            replies.append(m_nam.get(request(*e, path)));
        QTRY_COMPARE_WITH_TIMEOUT(e->counters(QStringLiteral("FetchTaskQueue")).inFlight, 4, 10000);
        for (QNetworkReply *r : replies)
            QCOMPARE(wait(r).status, 200);
        const OperationCounters c = e->counters(QStringLiteral("FetchTaskQueue"));
        QCOMPARE(c.requests, 4);
        QCOMPARE(c.inFlight, 0);
        QCOMPARE(c.maxInFlight, 4);
        const auto recent = e->recentRequests();
        QCOMPARE(recent.size(), 4);
        QCOMPARE(recent.first().operation, QStringLiteral("FetchTaskQueue"));
        QCOMPARE(recent.first().status, 200);
    }

    void tokenValidation()
    {
        auto e = start();
        QVERIFY(e);
        e->addToken(QStringLiteral("good"), QStringLiteral("alice"), {QStringLiteral("agent")},
                    QDateTime::currentDateTimeUtc().addSecs(600));
        e->addToken(QStringLiteral("old"), QStringLiteral("bob"), {QStringLiteral("agent")},
                    QDateTime::currentDateTimeUtc().addSecs(-1));
        auto validate = [&](const QByteArray &body) {
            QNetworkRequest r =
                request(*e, QStringLiteral("/v1/Accounts/") + e->config().accountSid +
                                QStringLiteral("/Tokens/validate"));
            r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
            return wait(m_nam.post(r, body));
        };
        Reply r = validate(R"({"token":"good"})");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.value(QStringLiteral("valid")).toBool(), true);
        QCOMPARE(r.json.value(QStringLiteral("identity")).toString(), QStringLiteral("alice"));
        QVERIFY(r.json.value(QStringLiteral("message")).isNull());
        QVERIFY(
            r.json.value(QStringLiteral("worker_sid")).toString().startsWith(QLatin1String("WK")));
        QVERIFY(r.json.value(QStringLiteral("expiration")).toString().endsWith(QLatin1Char('Z')));
        r = validate(R"({"token":"unknown"})");
        QCOMPARE(r.status, 403);
        QCOMPARE(r.json.value(QStringLiteral("valid")).toBool(true), false);
        r = validate(R"({"token":"old"})");
        QCOMPARE(r.status, 403);
        QCOMPARE(r.json.value(QStringLiteral("valid")).toBool(true), false);
        QCOMPARE(validate("not json").status, 400);
    }

    void createCallValidation_data()
    {
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("from");
        QTest::addColumn<int>("code");
        QTest::newRow("missing To") << QString() << QStringLiteral("+15557654321") << 21201;
        QTest::newRow("missing From") << QStringLiteral("+15551234567") << QString() << 21603;
        QTest::newRow("invalid To")
            << QStringLiteral("12ab") << QStringLiteral("+15557654321") << 21211;
    }
    void createCallValidation()
    {
        QFETCH(QString, to);
        QFETCH(QString, from);
        QFETCH(int, code);
        auto e = start();
        QVERIFY(e);
        FormParams p{{QStringLiteral("Url"), QStringLiteral("http://127.0.0.1:1/x")}};
        if (!to.isEmpty())
            p.append({QStringLiteral("To"), to});
        if (!from.isEmpty())
            p.append({QStringLiteral("From"), from});
        const Reply r = wait(postForm(*e, calls(*e) + QStringLiteral(".json"), p));
        QCOMPARE(r.status, 400);
        QCOMPARE(r.json.value(QStringLiteral("code")).toInt(), code);
        QCOMPARE(e->outgoingRequests().size(), 0);
    }

    void callProgression()
    {
        auto e = start();
        QVERIFY(e);
        Receiver rx;
        const QString sid = createCall(*e, rx, QStringLiteral("+15551234567"));
        QVERIFY(sid.startsWith(QLatin1String("CA")));
        QTRY_COMPARE_WITH_TIMEOUT(rx.callbacks().size(), 3, 15000);
        const QList<Received> cbs = rx.callbacks();
        const QStringList expected = {QStringLiteral("ringing"), QStringLiteral("in-progress"),
                                      QStringLiteral("completed")};
        for (int i = 0; i < cbs.size(); ++i) {
            const Received &cb = cbs.at(i);
            QCOMPARE(param(cb.params, "CallStatus"), expected.at(i));
            QCOMPARE(param(cb.params, "SequenceNumber"), QString::number(i));
            QCOMPARE(param(cb.params, "CallSid"), sid);
            QCOMPARE(param(cb.params, "ApiVersion"), QStringLiteral("2010-04-01"));
            QCOMPARE(param(cb.params, "Direction"), QStringLiteral("outbound-api"));
            QCOMPARE(param(cb.params, "CallbackSource"), QStringLiteral("call-progress-events"));
            QVERIFY(!param(cb.params, "Timestamp").isEmpty());
            QCOMPARE(cb.signature,
                     twilioSignature(e->config().authToken.toUtf8(), rx.url("/status"), cb.params));
        }
        QVERIFY(!param(cbs.last().params, "CallDuration").isEmpty());
        // The TwiML fetch came once, signed, after answering.
        const auto twimlFetch =
            std::find_if(rx.received.cbegin(), rx.received.cend(),
                         [](const Received &r) { return r.path == QLatin1String("/twiml"); });
        QVERIFY(twimlFetch != rx.received.cend());
        QCOMPARE(param(twimlFetch->params, "CallStatus"), QStringLiteral("in-progress"));
        QCOMPARE(twimlFetch->signature, twilioSignature(e->config().authToken.toUtf8(),
                                                        rx.url("/twiml"), twimlFetch->params));
        // The enqueued call became a voice task in the first queue.
        const QDateTime from = e->now().addSecs(-60);
        const QJsonObject cumulative = e->cumulativeStatistics(
            e->queueSids().first(), from, e->now().addSecs(1), QStringLiteral("voice"));
        QCOMPARE(cumulative.value(QStringLiteral("tasks_entered")).toInt(), 1);
        QCOMPARE(cumulative.value(QStringLiteral("reservations_created")).toInt(), 1);
        // Every callback was answered 200 by the receiver.
        auto allAnswered = [&] {
            const QList<OutgoingRecord> out = e->outgoingRequests();
            return out.size() == 4 &&
                   std::all_of(out.cbegin(), out.cend(),
                               [](const OutgoingRecord &o) { return o.httpStatus == 200; });
        };
        QTRY_VERIFY_WITH_TIMEOUT(allAnswered(), 10000);
        const Reply fetched = get(*e, calls(*e) + QLatin1Char('/') + sid + QStringLiteral(".json"));
        QCOMPARE(fetched.status, 200);
        QCOMPARE(fetched.json.value(QStringLiteral("status")).toString(),
                 QStringLiteral("completed"));
    }

    void callOutcomes_data()
    {
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("status");
        QTest::newRow("busy") << QStringLiteral("+15550000001") << QStringLiteral("busy");
        QTest::newRow("no-answer") << QStringLiteral("+15550000002") << QStringLiteral("no-answer");
        QTest::newRow("failed") << QStringLiteral("+15550000003") << QStringLiteral("failed");
        QTest::newRow("answered") << QStringLiteral("+15550000009") << QStringLiteral("completed");
    }
    void callOutcomes()
    {
        QFETCH(QString, to);
        QFETCH(QString, status);
        auto e = start();
        QVERIFY(e);
        Receiver rx;
        // No StatusCallbackEvent: only the final callback is sent.
        const QString sid = createCall(*e, rx, to, {});
        QVERIFY(!sid.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(rx.callbacks().size(), 1, 15000);
        QCOMPARE(param(rx.callbacks().first().params, "CallStatus"), status);
        QCOMPARE(param(rx.callbacks().first().params, "SequenceNumber"), QStringLiteral("0"));
        QCOMPARE(e->call(sid).value(QStringLiteral("status")).toString(), status);
    }

    void cancelAndComplete()
    {
        auto e = start();
        QVERIFY(e);
        e->setTalkTime(60s);
        Receiver rx;
        const QString path = calls(*e) + QLatin1Char('/');
        // Rings forever until canceled.
        const QString ringing = createCall(*e, rx, QStringLiteral("+15550000004"));
        QTRY_COMPARE_WITH_TIMEOUT(e->call(ringing).value(QStringLiteral("status")).toString(),
                                  QStringLiteral("ringing"), 10000);
        Reply r = wait(postForm(*e, path + ringing + QStringLiteral(".json"),
                                {{QStringLiteral("Status"), QStringLiteral("canceled")}}));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json.value(QStringLiteral("status")).toString(), QStringLiteral("canceled"));
        QTRY_VERIFY_WITH_TIMEOUT(!rx.callbacks().isEmpty() &&
                                     param(rx.callbacks().last().params, "CallStatus") ==
                                         QLatin1String("canceled"),
                                 10000);

        // An answered call ignores canceled, ends with completed.
        const QString talking = createCall(*e, rx, QStringLiteral("+15551112222"));
        QTRY_COMPARE_WITH_TIMEOUT(e->call(talking).value(QStringLiteral("status")).toString(),
                                  QStringLiteral("in-progress"), 10000);
        r = wait(postForm(*e, path + talking + QStringLiteral(".json"),
                          {{QStringLiteral("Status"), QStringLiteral("canceled")}}));
        QCOMPARE(r.json.value(QStringLiteral("status")).toString(), QStringLiteral("in-progress"));
        r = wait(postForm(*e, path + talking + QStringLiteral(".json"),
                          {{QStringLiteral("Status"), QStringLiteral("completed")}}));
        QCOMPARE(r.json.value(QStringLiteral("status")).toString(), QStringLiteral("completed"));
        QTRY_VERIFY_WITH_TIMEOUT(
            param(rx.callbacks().last().params, "CallStatus") == QLatin1String("completed"), 10000);
        r = wait(postForm(*e, path + talking + QStringLiteral(".json"),
                          {{QStringLiteral("Status"), QStringLiteral("bogus")}}));
        QCOMPARE(r.status, 400);
    }

    void reorderedCallbacksKeepTruthfulSequence()
    {
        auto e = start();
        QVERIFY(e);
        e->setReorderCallbacks(true);
        Receiver rx;
        createCall(*e, rx, QStringLiteral("+15551234567"),
                   {QStringLiteral("initiated"), QStringLiteral("ringing"),
                    QStringLiteral("answered"), QStringLiteral("completed")});
        QTRY_COMPARE_WITH_TIMEOUT(rx.callbacks().size(), 4, 15000);
        QList<int> seq;
        for (const Received &r : rx.callbacks())
            seq.append(param(r.params, "SequenceNumber").toInt());
        QVERIFY2(seq != QList<int>({0, 1, 2, 3}), "callbacks were not reordered");
        std::sort(seq.begin(), seq.end());
        QCOMPARE(seq, QList<int>({0, 1, 2, 3}));
    }

    void earlyCallbacksArriveBeforeCreateAnswer()
    {
        auto e = start();
        QVERIFY(e);
        e->setEarlyCallbacks(true);
        Receiver rx;
        FormParams p{{QStringLiteral("To"), QStringLiteral("+15551234567")},
                     {QStringLiteral("From"), QStringLiteral("+15557654321")},
                     {QStringLiteral("Url"), rx.url("/twiml")},
                     {QStringLiteral("StatusCallback"), rx.url("/status")},
                     {QStringLiteral("StatusCallbackEvent"), QStringLiteral("ringing")},
                     {QStringLiteral("StatusCallbackEvent"), QStringLiteral("completed")}};
        QNetworkReply *reply = postForm(*e, calls(*e) + QStringLiteral(".json"), p);
        int callbacksWhenAnswered = -1;
        connect(reply, &QNetworkReply::finished, this,
                [&] { callbacksWhenAnswered = int(rx.callbacks().size()); });
        const Reply r = wait(reply);
        QCOMPARE(r.status, 201);
        QCOMPARE(r.json.value(QStringLiteral("status")).toString(), QStringLiteral("queued"));
        QCOMPARE(callbacksWhenAnswered, 1);
        QCOMPARE(param(rx.callbacks().first().params, "CallStatus"), QStringLiteral("ringing"));
    }

    void statsConsistency()
    {
        EmulatorConfig c = testConfig();
        c.arrivalsPerQueuePerMinute = 3;
        auto e = this->start(c);
        QVERIFY(e);
        const QDateTime start = e->now();
        e->tick(900); // 15 simulated minutes
        int entered = 0;
        for (const QString &sid : e->queueSids()) {
            const QJsonObject all = e->realtimeStatistics(sid);
            QJsonObject sum;
            for (const QString &channel : e->channelNames()) {
                const QJsonObject byStatus = e->realtimeStatistics(sid, channel)
                                                 .value(QStringLiteral("tasks_by_status"))
                                                 .toObject();
                for (auto it = byStatus.begin(); it != byStatus.end(); ++it)
                    sum.insert(it.key(), sum.value(it.key()).toInt() + it->toInt());
            }
            QCOMPARE(sum, all.value(QStringLiteral("tasks_by_status")).toObject());

            const QJsonObject cumAll = e->cumulativeStatistics(sid, start, e->now(), {}, {30, 60});
            int enteredByChannel = 0, canceledByChannel = 0;
            for (const QString &channel : e->channelNames()) {
                const QJsonObject cum = e->cumulativeStatistics(sid, start, e->now(), channel);
                enteredByChannel += cum.value(QStringLiteral("tasks_entered")).toInt();
                canceledByChannel += cum.value(QStringLiteral("tasks_canceled")).toInt();
            }
            QCOMPARE(enteredByChannel, cumAll.value(QStringLiteral("tasks_entered")).toInt());
            QCOMPARE(canceledByChannel, cumAll.value(QStringLiteral("tasks_canceled")).toInt());
            const QJsonObject split30 = cumAll.value(QStringLiteral("split_by_wait_time"))
                                            .toObject()
                                            .value(QStringLiteral("30"))
                                            .toObject();
            QCOMPARE(split30.value(QStringLiteral("above"))
                             .toObject()
                             .value(QStringLiteral("tasks_canceled"))
                             .toInt() +
                         split30.value(QStringLiteral("below"))
                             .toObject()
                             .value(QStringLiteral("tasks_canceled"))
                             .toInt(),
                     cumAll.value(QStringLiteral("tasks_canceled")).toInt());
            // Tasks entered = finished + still live.
            const int live = all.value(QStringLiteral("total_tasks")).toInt();
            QCOMPARE(cumAll.value(QStringLiteral("tasks_entered")).toInt(),
                     cumAll.value(QStringLiteral("tasks_completed")).toInt() +
                         cumAll.value(QStringLiteral("tasks_canceled")).toInt() + live);
            entered += cumAll.value(QStringLiteral("tasks_entered")).toInt();

            // The endpoints compute exactly what the accessors return.
            const Reply rt = get(*e, ws(*e) + QStringLiteral("/TaskQueues/") + sid +
                                         QStringLiteral("/RealTimeStatistics?TaskChannel=voice"));
            QCOMPARE(rt.status, 200);
            const QJsonObject expectedRt = e->realtimeStatistics(sid, QStringLiteral("voice"));
            for (auto it = expectedRt.begin(); it != expectedRt.end(); ++it)
                QCOMPARE(rt.json.value(it.key()), it.value());
            const QString startText = start.toString(Qt::ISODate);
            const Reply cum = get(*e, ws(*e) + QStringLiteral("/TaskQueues/") + sid +
                                          QStringLiteral("/CumulativeStatistics?StartDate=") +
                                          startText + QStringLiteral("&SplitByWaitTime=30,60"));
            QCOMPARE(cum.status, 200);
            const QJsonObject expectedCum = e->cumulativeStatistics(
                sid, QDateTime::fromString(startText, Qt::ISODate), e->now(), {}, {30, 60});
            for (auto it = expectedCum.begin(); it != expectedCum.end(); ++it)
                QCOMPARE(cum.json.value(it.key()), it.value());
        }
        QVERIFY2(entered > 50, "the simulation should have produced traffic");
        // Deterministic: the same seed gives the same numbers.
        auto again = this->start(c);
        QVERIFY(again);
        again->tick(900);
        QCOMPARE(
            again->realtimeStatistics(again->queueSids().first())
                .value(QStringLiteral("tasks_by_status")),
            e->realtimeStatistics(e->queueSids().first()).value(QStringLiteral("tasks_by_status")));
    }

    // TaskRouter: "statistics on up to 10,000 Tasks/Reservations for any
    // given threshold". Counts stay exact; only the split is capped.
    void splitByWaitTimeCappedAt10000()
    {
        auto e = start();
        QVERIFY(e);
        const QString sid = e->queueSids().first();
        const QDateTime from = e->now().addSecs(-60);
        e->addHistory(sid, QStringLiteral("voice"), 10'050, std::chrono::seconds(5));
        const QJsonObject cum =
            e->cumulativeStatistics(sid, from, e->now().addSecs(1), {}, {30, 60});
        QCOMPARE(cum.value(QStringLiteral("tasks_entered")).toInt(), 10'050);
        QCOMPARE(cum.value(QStringLiteral("reservations_accepted")).toInt(), 10'050);
        const QJsonObject split = cum.value(QStringLiteral("split_by_wait_time")).toObject();
        for (const char *threshold : {"30", "60"}) {
            const QJsonObject t = split.value(QLatin1String(threshold)).toObject();
            QCOMPARE(t.value(QStringLiteral("below"))
                         .toObject()
                         .value(QStringLiteral("reservations_accepted"))
                         .toInt(),
                     10'000);
            QCOMPARE(t.value(QStringLiteral("above"))
                         .toObject()
                         .value(QStringLiteral("reservations_accepted"))
                         .toInt(),
                     0);
        }
    }

    // total_available_workers counts workers in an available activity,
    // busy or not; eligible counts all.
    void availableWorkersIncludeBusyOnes()
    {
        EmulatorConfig c = testConfig();
        c.arrivalsPerQueuePerMinute = 30;
        auto e = this->start(c);
        QVERIFY(e);
        e->tick(120);
        const QString sid = e->queueSids().first();
        const QJsonObject rt = e->realtimeStatistics(sid);
        int inAvailableActivity = 0;
        for (const QJsonValue &a : rt.value(QStringLiteral("activity_statistics")).toArray()) {
            const QString name = a.toObject().value(QStringLiteral("friendly_name")).toString();
            if (name == QLatin1String("Available") || name == QLatin1String("Idle"))
                inAvailableActivity += a.toObject().value(QStringLiteral("workers")).toInt();
        }
        const QJsonObject byStatus = rt.value(QStringLiteral("tasks_by_status")).toObject();
        QVERIFY2(byStatus.value(QStringLiteral("assigned")).toInt() +
                         byStatus.value(QStringLiteral("reserved")).toInt() +
                         byStatus.value(QStringLiteral("wrapping")).toInt() >
                     0,
                 "some workers must be busy for this test to mean anything");
        QCOMPARE(rt.value(QStringLiteral("total_available_workers")).toInt(), inAvailableActivity);
    }

    // The fidelity knobs: invalid tokens with other statuses, the official
    // example's thin list items, next pages on a regional host.
    void fidelityKnobs()
    {
        auto e = start();
        QVERIFY(e);
        const QByteArray control = "/__emulator/fidelity";
        QNetworkRequest r(QUrl(e->baseUrl().toString() + QLatin1String(control)));
        r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QCOMPARE(wait(m_nam.post(r, R"({"invalidTokenStatus":500})")).status, 400);
        QCOMPARE(wait(m_nam.post(r, R"({"nonsense":1})")).status, 400);
        const Reply set = wait(m_nam.post(
            r,
            R"({"invalidTokenStatus":200,"officialStatisticsList":true,"pageHost":"taskrouter.dublin.ie1.twilio.com"})"));
        QCOMPARE(set.status, 200);
        QCOMPARE(set.json.value(QStringLiteral("invalidTokenStatus")).toInt(), 200);

        QNetworkRequest validate =
            request(*e, QStringLiteral("/v1/Accounts/") + e->config().accountSid +
                            QStringLiteral("/Tokens/validate"));
        validate.setHeader(QNetworkRequest::ContentTypeHeader,
                           QByteArrayLiteral("application/json"));
        const Reply invalid = wait(m_nam.post(validate, R"({"token":"nobody-knows-me"})"));
        QCOMPARE(invalid.status, 200);
        QCOMPARE(invalid.json.value(QStringLiteral("valid")), QJsonValue(false));

        const Reply list = get(
            *e, ws(*e) + QStringLiteral("/TaskQueues/Statistics?PageSize=2&SplitByWaitTime=30"));
        QCOMPARE(list.status, 200);
        const QJsonObject item =
            list.json.value(QStringLiteral("task_queues_statistics")).toArray().first().toObject();
        const QJsonObject cumulative = item.value(QStringLiteral("cumulative")).toObject();
        QVERIFY(cumulative.contains(QStringLiteral("tasks_entered")));
        QVERIFY(!cumulative.contains(QStringLiteral("split_by_wait_time")));
        QVERIFY(!cumulative.contains(QStringLiteral("wait_duration_until_accepted")));
        QVERIFY(!cumulative.contains(QStringLiteral("tasks_completed")));
        const QJsonObject realtime = item.value(QStringLiteral("realtime")).toObject();
        QVERIFY(realtime.contains(QStringLiteral("tasks_by_status")));
        QVERIFY(!realtime.contains(QStringLiteral("tasks_by_priority")));
        const QUrl next(list.json.value(QStringLiteral("meta"))
                            .toObject()
                            .value(QStringLiteral("next_page_url"))
                            .toString());
        QCOMPARE(next.host(), QStringLiteral("taskrouter.dublin.ie1.twilio.com"));
        QCOMPARE(next.scheme(), QStringLiteral("https"));
        QVERIFY(next.path().endsWith(QLatin1String("/TaskQueues/Statistics")));

        e->reset();
        QCOMPARE(e->fidelity().invalidTokenStatus, 403);
        QVERIFY(!e->fidelity().officialStatisticsList);
    }

    void addAndRemoveQueues()
    {
        auto e = start();
        QVERIFY(e);
        for (int i = 0; i < 100; ++i)
            e->addQueue(QStringLiteral("Extra %1").arg(i));
        Reply r = get(*e, ws(*e) + QStringLiteral("/TaskQueues/Statistics?PageSize=1000"));
        QCOMPARE(r.json.value(QStringLiteral("task_queues_statistics")).toArray().size(), 105);
        const QString gone = e->queueSids().at(3);
        QVERIFY(e->removeQueue(gone));
        QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues/") + gone).status, 404);
        r = get(*e, ws(*e) + QStringLiteral("/TaskQueues?PageSize=1000"));
        QCOMPARE(r.json.value(QStringLiteral("task_queues")).toArray().size(), 104);
    }

    void malformedInputDoesNotCrash()
    {
        auto e = start();
        QVERIFY(e);
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, e->port());
        QTRY_VERIFY_WITH_TIMEOUT(socket.state() == QAbstractSocket::ConnectedState, 15000);
        socket.write("GARBAGE\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(
            socket.bytesAvailable() > 0 || socket.state() != QAbstractSocket::ConnectedState, 5000);
        QVERIFY(socket.readAll().startsWith("HTTP/1.1 400"));
        // Bad bodies and bad parameters are answered, not fatal.
        const QString sid = e->queueSids().first();
        QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues/") + sid +
                             QStringLiteral("/CumulativeStatistics?StartDate=yesterday"))
                     .status,
                 400);
        QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues/") + sid +
                             QStringLiteral("/RealTimeStatistics?TaskChannel=pigeon"))
                     .status,
                 400);
        QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues/") + sid +
                             QStringLiteral("/CumulativeStatistics?SplitByWaitTime=a,b"))
                     .status,
                 400);
        QNetworkRequest bulk =
            request(*e, ws(*e) + QStringLiteral("/TaskQueues/RealTimeStatistics"));
        bulk.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        QCOMPARE(wait(m_nam.post(bulk, "{{{")).status, 400);
        const Reply ok = wait(m_nam.post(
            bulk, QJsonDocument(QJsonObject{{QStringLiteral("TaskQueueSids"), QJsonArray{sid}}})
                      .toJson()));
        QCOMPARE(ok.status, 200);
        QCOMPARE(ok.json.value(QStringLiteral("task_queue_response_count")).toInt(), 1);
        QCOMPARE(get(*e, ws(*e) + QStringLiteral("/TaskQueues")).status, 200);
    }

    void controlApi()
    {
        auto e = start();
        QVERIFY(e);
        auto control = [&](const QByteArray &verb, const QString &path,
                           const QJsonObject &body = {}) {
            QNetworkRequest r(QUrl(e->baseUrl().toString() + QStringLiteral("/__emulator") + path));
            r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
            return wait(m_nam.sendCustomRequest(
                r, verb, body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson()));
        };
        QCOMPARE(control("POST", QStringLiteral("/faults"),
                         {{QStringLiteral("operation"), QStringLiteral("ListTaskQueue")},
                          {QStringLiteral("kind"), QStringLiteral("429")},
                          {QStringLiteral("retryAfter"), 3}})
                     .status,
                 200);
        const Reply faulted = get(*e, ws(*e) + QStringLiteral("/TaskQueues"));
        QCOMPARE(faulted.status, 429);
        QCOMPARE(faulted.retryAfter, QByteArray("3"));
        const Reply counters = control("GET", QStringLiteral("/counters"));
        QCOMPARE(counters.json.value(QStringLiteral("operations"))
                     .toObject()
                     .value(QStringLiteral("ListTaskQueue"))
                     .toObject()
                     .value(QStringLiteral("requests"))
                     .toInt(),
                 1);
        QCOMPARE(control("POST", QStringLiteral("/faults"),
                         {{QStringLiteral("operation"), QStringLiteral("Nope")},
                          {QStringLiteral("kind"), QStringLiteral("500")}})
                     .status,
                 400);
        const Reply added = control("POST", QStringLiteral("/queues"),
                                    {{QStringLiteral("name"), QStringLiteral("Added")}});
        QVERIFY(e->queueSids().contains(added.json.value(QStringLiteral("sid")).toString()));
        QCOMPARE(control("POST", QStringLiteral("/tokens"),
                         {{QStringLiteral("token"), QStringLiteral("t")},
                          {QStringLiteral("identity"), QStringLiteral("i")}})
                     .status,
                 200);
        const QDateTime before = e->now();
        QCOMPARE(control("POST", QStringLiteral("/tick"), {{QStringLiteral("count"), 5}}).status,
                 200);
        QCOMPARE(before.msecsTo(e->now()), 5000);
        QCOMPARE(control("POST", QStringLiteral("/reset")).status, 200);
        QCOMPARE(e->totalCounters().requests, 0);
        QCOMPARE(control("GET", QStringLiteral("/nothing")).status, 404);
    }
};

QTEST_GUILESS_MAIN(tst_Emulator)
#include "tst_emulator.moc"
#include "twilio/twiliorequest.h"
