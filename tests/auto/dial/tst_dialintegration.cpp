// Outbound dialing end to end: the real flex-backend against the in-process
// Twilio emulator, over real sockets, the way the unmodified dialpad plugin
// talks to it.
#include "prerequisite.h"
#include "testenvironment.h"
#include "twilio/requestvalidator.h"
#include "twilio/twiliorequest.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>
#include <QXmlStreamReader>

#include <memory>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using flex::testing::TestEnvironment;
using flex::testing::WsClient;

namespace {

constexpr int Timeout = 20000;
const QString StatusPath = u"/twilio-webhook/callStatusCallbackHandler"_s;
const QString TwimlPath = u"/twilio-webhook/callHandlerTwiml"_s;
const QString From = u"+15557654321"_s;

// The Status the service sent Twilio to end the call (UpdateCall), as the emulator saw it.
QString hangUpStatusSent(const flex::emulator::TwilioEmulator &emulator, const QString &sid)
{
    QString sent;
    const auto requests = emulator.recentRequests();
    for (const auto &r : requests) {
        if (r.operation != u"UpdateCall"_s || !r.path.contains(sid))
            continue;
        for (const auto &[name, value] : r.formParams) {
            if (name == u"Status"_s)
                sent = value;
        }
    }
    return sent;
}
const QString Answers = u"+15551230000"_s;      // answered, completed after the talk time
const QString RingsForever = u"+15551230004"_s; // until hung up

bool isUpdate(const QJsonDocument &d, const QString &sid = {}, const QString &status = {})
{
    const QJsonObject o = d.object();
    return o.value("messageType"_L1) == "callUpdate"_L1 &&
           (sid.isEmpty() || o.value("callSid"_L1).toString() == sid) &&
           (status.isEmpty() || o.value("callStatus"_L1).toString() == status);
}

bool isError(const QJsonDocument &d)
{
    return d.object().value("messageType"_L1) == "error"_L1;
}

bool isTerminal(const QString &s)
{
    return s == "completed"_L1 || s == "busy"_L1 || s == "failed"_L1 || s == "no-answer"_L1 ||
           s == "canceled"_L1;
}

int rank(const QString &s)
{
    static const QStringList order{u"queued"_s, u"initiated"_s, u"ringing"_s, u"in-progress"_s};
    return isTerminal(s) ? 4 : int(order.indexOf(s));
}

QJsonObject callMessage(const QString &to, const QString &worker, const QString &from = From)
{
    return {{"method"_L1, u"call"_s},
            {"to"_L1, to},
            {"from"_L1, from},
            {"workerContactUri"_L1, worker}};
}

struct HttpAnswer
{
    int status = 0;
    QByteArray body;
    QByteArray contentType;
};

} // namespace

class tst_DialIntegration : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanup();

    void fullCall();
    void outcomes_data();
    void outcomes();
    void hangUpWhileRinging();
    void hangUpInProgress();
    void rateLimitedByTwilio_data();
    void rateLimitedByTwilio();
    void socketErrors_data();
    void socketErrors();
    void twilioErrorReachesTheAgent();
    void twoTabsAndALateTab();
    void foreignHangUpRefused();
    void earlyCallbacks();
    void reorderedCallbacks();
    void webhookSignaturesOverHttp();
    void twimlOverHttpResistsInjection();
    void fiftyConcurrentDialers();
    void hostileClientsDoNotHurtOthers();
    void guardRails();
    void restartWithACallInFlight();

private:
    std::unique_ptr<WsClient> open(TestEnvironment &env, const QString &token);
    // Places a call and returns its sid (from the queued update), empty on failure.
    QString place(WsClient &client, const QString &to, const QString &worker = u"client:alice"_s);
    QStringList statuses(const WsClient &client, const QString &sid) const;
    HttpAnswer post(TestEnvironment &env, const QString &pathAndQuery,
                    const flex::twilio::SignatureParams &params, const QByteArray &signature);
    QByteArray sign(TestEnvironment &env, const QString &pathAndQuery,
                    const flex::twilio::SignatureParams &params) const;

    std::unique_ptr<TestEnvironment> m_env;
    QNetworkAccessManager m_nam;
};

void tst_DialIntegration::initTestCase()
{
    if (flex::testing::ServiceProcess::binary().isEmpty())
        FLEX_REQUIRE(false, "FLEX_BACKEND_BIN is not set (run through ctest)");
    m_env = std::make_unique<TestEnvironment>();
    m_env->setEnv(u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"0"_s);
    QVERIFY(m_env->startService());
}

void tst_DialIntegration::cleanup()
{
    if (!m_env)
        return;
    m_env->emulator().setEarlyCallbacks(false);
    m_env->emulator().setReorderCallbacks(false);
    m_env->emulator().setTalkTime(TestEnvironment::fastConfig().talkTime);
    if (QTest::currentTestFailed())
        qWarning().noquote() << "service output:\n" << m_env->service().output().right(4000);
}

std::unique_ptr<WsClient> tst_DialIntegration::open(TestEnvironment &env, const QString &token)
{
    auto client = std::make_unique<WsClient>();
    if (!client->open(env.service().wsUrl(u"/websocket/outboundDial"_s), token, Timeout))
        return nullptr;
    return client;
}

QString tst_DialIntegration::place(WsClient &client, const QString &to, const QString &worker)
{
    const int from = int(client.messages().size());
    client.sendJson(callMessage(to, worker));
    // Another call of the same identity may still be sending updates; a
    // queued update is always the first of a new call.
    const int i = client.waitFor(
        [](const QJsonDocument &d) { return isUpdate(d, {}, u"queued"_s) || isError(d); }, Timeout,
        from);
    if (i < 0 || !isUpdate(client.json(i), {}, u"queued"_s)) {
        qWarning().noquote() << "no queued update; messages:\n" << client.dump();
        return {};
    }
    return client.json(i).object().value("callSid"_L1).toString();
}

QStringList tst_DialIntegration::statuses(const WsClient &client, const QString &sid) const
{
    QStringList out;
    for (int i = 0; i < client.messages().size(); ++i) {
        const QJsonDocument d = client.json(i);
        if (isUpdate(d, sid))
            out.append(d.object().value("callStatus"_L1).toString());
    }
    return out;
}

QByteArray tst_DialIntegration::sign(TestEnvironment &env, const QString &pathAndQuery,
                                     const flex::twilio::SignatureParams &params) const
{
    const QString url = u"http://127.0.0.1:%1"_s.arg(env.servicePort()) + pathAndQuery;
    return flex::twilio::RequestValidator::computeSignature(
        env.emulator().config().authToken.toUtf8(), url, params);
}

HttpAnswer tst_DialIntegration::post(TestEnvironment &env, const QString &pathAndQuery,
                                     const flex::twilio::SignatureParams &params,
                                     const QByteArray &signature)
{
    QNetworkRequest request(QUrl(env.service().url().toString() + pathAndQuery));
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    if (!signature.isNull())
        request.setRawHeader("X-Twilio-Signature", signature);
    std::unique_ptr<QNetworkReply> reply(m_nam.post(request, flex::twilio::encodeForm(params)));
    QSignalSpy finished(reply.get(), &QNetworkReply::finished);
    if (!reply->isFinished() && !finished.wait(Timeout))
        return {};
    return {reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), reply->readAll(),
            reply->header(QNetworkRequest::ContentTypeHeader).toByteArray()};
}

void tst_DialIntegration::fullCall()
{
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    const QString sid = place(*alice, Answers);
    QVERIFY(sid.startsWith(u"CA"_s));
    QVERIFY2(
        alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"completed"_s); },
                       Timeout) >= 0,
        qPrintable(alice->dump()));
    QCOMPARE(statuses(*alice, sid),
             (QStringList{u"queued"_s, u"ringing"_s, u"in-progress"_s, u"completed"_s}));

    // What Twilio was asked to do (docs/protocol.md §3).
    const QString base = u"http://127.0.0.1:%1"_s.arg(m_env->servicePort());
    QList<QPair<QString, QString>> create;
    for (const auto &r : m_env->emulator().recentRequests()) {
        if (r.operation == u"CreateCall"_s)
            create = r.formParams;
    }
    QStringList events;
    QHash<QString, QString> fields;
    for (const auto &[name, value] : create) {
        if (name == u"StatusCallbackEvent"_s)
            events.append(value);
        else
            fields.insert(name, value);
    }
    QCOMPARE(fields.value(u"To"_s), Answers);
    QCOMPARE(fields.value(u"From"_s), From);
    QCOMPARE(fields.value(u"Url"_s), base + TwimlPath + u"?workerContactUri=client%3Aalice"_s);
    QCOMPARE(fields.value(u"StatusCallback"_s), base + StatusPath);
    QCOMPARE(events, (QStringList{u"ringing"_s, u"answered"_s, u"completed"_s}));
    // Every signed request of the emulator was accepted, the TwiML included.
    // The agent may see "completed" before the emulator has read the
    // service's answer to that callback: wait until every answer is in.
    const auto answered = [&](int *twiml) {
        *twiml = 0;
        bool all = true;
        for (const auto &r : m_env->emulator().outgoingRequests()) {
            if (r.callSid != sid)
                continue;
            all = all && r.httpStatus != 0;
            *twiml += r.kind == u"twiml"_s;
        }
        return all;
    };
    int twiml = 0;
    QTRY_VERIFY_WITH_TIMEOUT(answered(&twiml), Timeout);
    for (const auto &r : m_env->emulator().outgoingRequests()) {
        if (r.callSid == sid)
            QCOMPARE(r.httpStatus, 200);
    }
    QCOMPARE(twiml, 1);
}

void tst_DialIntegration::outcomes_data()
{
    QTest::addColumn<QString>("to");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("busy") << u"+15551230001"_s << QStringList{u"queued"_s, u"ringing"_s, u"busy"_s};
    QTest::newRow("no-answer") << u"+15551230002"_s
                               << QStringList{u"queued"_s, u"ringing"_s, u"no-answer"_s};
    QTest::newRow("failed") << u"+15551230003"_s << QStringList{u"queued"_s, u"failed"_s};
}

void tst_DialIntegration::outcomes()
{
    QFETCH(QString, to);
    QFETCH(QStringList, expected);
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    const QString sid = place(*alice, to);
    QVERIFY(!sid.isEmpty());
    QVERIFY2(
        alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, expected.last()); },
                       Timeout) >= 0,
        qPrintable(alice->dump()));
    QCOMPARE(statuses(*alice, sid), expected);
}

void tst_DialIntegration::hangUpWhileRinging()
{
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    const QString sid = place(*alice, RingsForever);
    QVERIFY(!sid.isEmpty());
    QVERIFY(alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"ringing"_s); },
                           Timeout) >= 0);
    alice->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    QVERIFY2(alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"canceled"_s); },
                            Timeout) >= 0,
             qPrintable(alice->dump()));
    QCOMPARE(hangUpStatusSent(m_env->emulator(), sid), u"canceled"_s);
    QCOMPARE(statuses(*alice, sid), (QStringList{u"queued"_s, u"ringing"_s, u"canceled"_s}));
}

void tst_DialIntegration::hangUpInProgress()
{
    m_env->emulator().setTalkTime(60s);
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    const QString sid = place(*alice, Answers);
    QVERIFY(!sid.isEmpty());
    QVERIFY(
        alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"in-progress"_s); },
                       Timeout) >= 0);
    alice->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    QVERIFY2(
        alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"completed"_s); },
                       Timeout) >= 0,
        qPrintable(alice->dump()));
    QCOMPARE(hangUpStatusSent(m_env->emulator(), sid), u"completed"_s);
}

void tst_DialIntegration::rateLimitedByTwilio_data()
{
    // Twilio's 429 means "not processed": the service retries and the agent
    // sees the call through to its end, as if nothing happened.
    QTest::addColumn<QString>("operation");
    QTest::addColumn<int>("count");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("create, twice")
        << u"CreateCall"_s << 2 << Answers
        << QStringList{u"queued"_s, u"ringing"_s, u"in-progress"_s, u"completed"_s};
    QTest::newRow("hang up while ringing") << u"UpdateCall"_s << 1 << RingsForever
                                           << QStringList{u"queued"_s, u"ringing"_s, u"canceled"_s};
}

void tst_DialIntegration::rateLimitedByTwilio()
{
    QFETCH(QString, operation);
    QFETCH(int, count);
    QFETCH(QString, to);
    QFETCH(QStringList, expected);
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    const int before = m_env->emulator().counters(operation).requests;
    m_env->emulator().injectFault(operation, {flex::emulator::Fault::Kind::TooMany429, count, 1});
    const QString sid = place(*alice, to);
    QVERIFY2(!sid.isEmpty(), qPrintable(alice->dump()));
    if (to == RingsForever) {
        QVERIFY(
            alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"ringing"_s); },
                           Timeout) >= 0);
        alice->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    }
    QVERIFY2(
        alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, expected.last()); },
                       Timeout) >= 0,
        qPrintable(alice->dump()));
    QCOMPARE(statuses(*alice, sid), expected);
    // Each refused attempt was retried once more.
    QCOMPARE(m_env->emulator().counters(operation).requests - before, count + 1);
}

void tst_DialIntegration::socketErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected"); // a fragment of the error message, or the echo
    QTest::newRow("plain text is echoed") << u"hello there"_s << u"echo: hello there"_s;
    QTest::newRow("malformed JSON") << uR"({"method":"call","to":"+1)"_s << u"malformed JSON"_s;
    QTest::newRow("not an object") << u"[]"_s << u"JSON object"_s;
    QTest::newRow("unknown method") << uR"({"method":"transfer"})"_s << u"unknown method"_s;
    QTest::newRow("missing to")
        << uR"({"method":"call","from":"+15557654321","workerContactUri":"client:alice"})"_s
        << u"\"to\" field is missing"_s;
    QTest::newRow("to not E.164")
        << uR"({"method":"call","to":"555-1234","from":"+15557654321","workerContactUri":"client:alice"})"_s
        << u"E.164"_s;
    QTest::newRow("from not E.164")
        << uR"({"method":"call","to":"+15551234567","from":"anonymous","workerContactUri":"client:alice"})"_s
        << u"\"from\" must be"_s;
    QTest::newRow("injection in to")
        << uR"({"method":"call","to":"+1555\"}</Task><Dial>+1900</Dial>","from":"+15557654321","workerContactUri":"client:alice"})"_s
        << u"E.164"_s;
    QTest::newRow("someone else's worker")
        << uR"({"method":"call","to":"+15551234567","from":"+15557654321","workerContactUri":"client:bob"})"_s
        << u"must be \"client:alice\""_s;
    QTest::newRow("injection in worker")
        << uR"({"method":"call","to":"+15551234567","from":"+15557654321","workerContactUri":"client:alice\"}</Task>&amp;é😀"})"_s
        << u"must be \"client:alice\""_s;
    QTest::newRow("hangup without sid") << uR"({"method":"hangup"})"_s << u"callSid"_s;
    QTest::newRow("hangup of an unknown call")
        << uR"({"method":"hangup","callSid":"CA00000000000000000000000000000000"})"_s
        << u"no such call"_s;
}

void tst_DialIntegration::socketErrors()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    alice->sendText(text);
    QCOMPARE(alice->waitForCount(1, Timeout), 1);
    const QString answer = alice->messages().first();
    if (expected.startsWith(u"echo: "_s)) {
        QCOMPARE(answer, expected);
    } else {
        const QJsonObject o = QJsonDocument::fromJson(answer.toUtf8()).object();
        QCOMPARE(o.value("messageType"_L1).toString(), u"error"_s);
        QVERIFY2(o.value("message"_L1).toString().contains(expected), qPrintable(answer));
        QCOMPARE(o.size(), 2);
    }
    QCOMPARE(alice->socket().state(), QAbstractSocket::ConnectedState);
}

void tst_DialIntegration::twilioErrorReachesTheAgent()
{
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    // E.164 for us, too short for the (emulated) carrier: Twilio answers 21211.
    alice->sendJson(callMessage(u"+1234"_s, u"client:alice"_s));
    const int i = alice->waitFor(isError, Timeout);
    QVERIFY2(i >= 0, qPrintable(alice->dump()));
    const QString message = alice->json(i).object().value("message"_L1).toString();
    QVERIFY2(message.contains(u"21211"_s) && message.contains(u"Invalid 'To' Phone Number"_s),
             qPrintable(message));
}

void tst_DialIntegration::twoTabsAndALateTab()
{
    auto tab1 = open(*m_env, TestEnvironment::agentToken());
    auto tab2 = open(*m_env, TestEnvironment::agentToken());
    auto bob = open(*m_env, TestEnvironment::otherAgentToken());
    QVERIFY(tab1 && tab2 && bob);
    const QString sid = place(*tab1, RingsForever);
    QVERIFY(!sid.isEmpty());
    for (WsClient *tab : {tab1.get(), tab2.get()})
        QVERIFY(tab->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"ringing"_s); },
                             Timeout) >= 0);
    // A reload: the new socket gets the rest of the call.
    auto tab3 = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(tab3);
    tab1.reset(); // the tab that placed the call is gone
    tab2->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    for (WsClient *tab : {tab2.get(), tab3.get()})
        QVERIFY2(
            tab->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"canceled"_s); },
                         Timeout) >= 0,
            qPrintable(tab->dump()));
    QCOMPARE(statuses(*tab2, sid), (QStringList{u"queued"_s, u"ringing"_s, u"canceled"_s}));
    QCOMPARE(statuses(*tab3, sid), QStringList{u"canceled"_s});
    // Bob saw nothing of it. His own call proves his socket works and that
    // anything misrouted would have arrived before it.
    const QString bobs = place(*bob, RingsForever, u"client:bob"_s);
    QVERIFY(!bobs.isEmpty());
    QVERIFY(statuses(*bob, sid).isEmpty());
    bob->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, bobs}});
    QVERIFY(bob->waitFor([&](const QJsonDocument &d) { return isUpdate(d, bobs, u"canceled"_s); },
                         Timeout) >= 0);
    QVERIFY(statuses(*tab3, bobs).isEmpty());
}

void tst_DialIntegration::foreignHangUpRefused()
{
    auto alice = open(*m_env, TestEnvironment::agentToken());
    auto bob = open(*m_env, TestEnvironment::otherAgentToken());
    QVERIFY(alice && bob);
    const QString sid = place(*alice, RingsForever);
    QVERIFY(!sid.isEmpty());
    const int updatesBefore = m_env->emulator().counters(u"UpdateCall"_s).requests;
    bob->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    const int i = bob->waitFor(isError, Timeout);
    QVERIFY(i >= 0);
    QVERIFY2(bob->json(i).object().value("message"_L1).toString().contains(u"another agent"_s),
             qPrintable(bob->dump()));
    QCOMPARE(m_env->emulator().counters(u"UpdateCall"_s).requests, updatesBefore);
    QVERIFY(statuses(*bob, sid).isEmpty());
    alice->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    QVERIFY(alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"canceled"_s); },
                           Timeout) >= 0);
}

void tst_DialIntegration::earlyCallbacks()
{
    m_env->emulator().setEarlyCallbacks(true);
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    QStringList sids;
    for (int i = 0; i < 5; ++i)
        alice->sendJson(callMessage(Answers, u"client:alice"_s));
    QTRY_COMPARE_WITH_TIMEOUT(
        [&] {
            int done = 0;
            for (int i = 0; i < alice->messages().size(); ++i)
                done += isUpdate(alice->json(i), {}, u"completed"_s);
            return done;
        }(),
        5, Timeout);
    for (int i = 0; i < alice->messages().size(); ++i) {
        const QJsonObject o = alice->json(i).object();
        QVERIFY2(isUpdate(alice->json(i)), qPrintable(alice->dump()));
        if (!sids.contains(o.value("callSid"_L1).toString()))
            sids.append(o.value("callSid"_L1).toString());
    }
    QCOMPARE(sids.size(), 5);
    for (const QString &sid : std::as_const(sids))
        QCOMPARE(statuses(*alice, sid),
                 (QStringList{u"queued"_s, u"ringing"_s, u"in-progress"_s, u"completed"_s}));
}

void tst_DialIntegration::reorderedCallbacks()
{
    m_env->emulator().setReorderCallbacks(true);
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    const QStringList numbers{Answers,           u"+15551230001"_s, Answers,
                              u"+15551230002"_s, Answers,           Answers};
    QStringList sids;
    for (const QString &to : numbers) {
        const QString sid = place(*alice, to);
        QVERIFY(!sid.isEmpty());
        sids.append(sid);
    }
    for (const QString &sid : std::as_const(sids)) {
        QVERIFY2(alice->waitFor(
                     [&](const QJsonDocument &d) {
                         return isUpdate(d, sid) &&
                                isTerminal(d.object().value("callStatus"_L1).toString());
                     },
                     Timeout) >= 0,
                 qPrintable(alice->dump()));
    }
    // The emulator held some callbacks back and sent them after newer ones:
    // those arrived late and were dropped, so some call lacks a status sent.
    bool reordered = false;
    for (const QString &sid : std::as_const(sids)) {
        QStringList sent{u"queued"_s};
        for (const auto &r : m_env->emulator().outgoingRequests()) {
            if (r.kind == u"status-callback"_s && r.callSid == sid)
                sent.append(r.callStatus);
        }
        reordered = reordered || sent != statuses(*alice, sid);
    }
    QVERIFY(reordered); // the emulator did send some out of order
    for (const QString &sid : std::as_const(sids)) {
        const QStringList seen = statuses(*alice, sid);
        QCOMPARE(seen.first(), u"queued"_s);
        QVERIFY(isTerminal(seen.last()));
        for (int i = 1; i < seen.size(); ++i)
            QVERIFY2(rank(seen.at(i)) > rank(seen.at(i - 1)), qPrintable(seen.join(u", "_s)));
    }
}

void tst_DialIntegration::webhookSignaturesOverHttp()
{
    auto alice = open(*m_env, TestEnvironment::agentToken());
    QVERIFY(alice);
    const QString sid = place(*alice, RingsForever);
    QVERIFY(!sid.isEmpty());
    QVERIFY(alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"ringing"_s); },
                           Timeout) >= 0);
    const auto callback = [&](const QString &status, int sequence) {
        return flex::twilio::SignatureParams{
            {u"AccountSid"_s, m_env->emulator().config().accountSid},
            {u"CallSid"_s, sid},
            {u"CallStatus"_s, status},
            {u"SequenceNumber"_s, QString::number(sequence)}};
    };
    // A forged "completed": wrong signature, no signature, signature of other params.
    const auto forged = callback(u"completed"_s, 50);
    QCOMPARE(post(*m_env, StatusPath, forged, "bm90IGEgc2lnbmF0dXJl").status, 403);
    QCOMPARE(post(*m_env, StatusPath, forged, QByteArray()).status, 403);
    QCOMPARE(post(*m_env, StatusPath, forged, sign(*m_env, StatusPath, callback(u"ringing"_s, 50)))
                 .status,
             403);
    // Signed with the same URL but another path's signature.
    QCOMPARE(post(*m_env, StatusPath, forged, sign(*m_env, TwimlPath, forged)).status, 403);
    // A genuine one goes through; the forged ones never reached alice before it.
    // (Without a SequenceNumber, so that the emulator's own numbering goes on.)
    auto genuine = callback(u"in-progress"_s, 0);
    genuine.removeLast();
    const HttpAnswer ok = post(*m_env, StatusPath, genuine, sign(*m_env, StatusPath, genuine));
    QCOMPARE(ok.status, 200);
    QVERIFY(ok.contentType.contains("xml"));
    QVERIFY(
        alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"in-progress"_s); },
                       Timeout) >= 0);
    QCOMPARE(statuses(*alice, sid), (QStringList{u"queued"_s, u"ringing"_s, u"in-progress"_s}));
    // The call is still alive for the service: end it properly.
    alice->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    QVERIFY(alice->waitFor(
                [&](const QJsonDocument &d) {
                    return isError(d) || isUpdate(d, sid, u"canceled"_s) ||
                           isUpdate(d, sid, u"completed"_s);
                },
                Timeout) >= 0);
}

void tst_DialIntegration::twimlOverHttpResistsInjection()
{
    const QString worker = u"client:x\"}</Task></Enqueue><Hangup/>&amp;<![CDATA[é😀"_s;
    const QString to = u"+1555\"}, \"targetWorker\":\"client:mallory\"}</Task>"_s;
    const QString pathAndQuery =
        TwimlPath + u"?workerContactUri="_s + QString::fromLatin1(QUrl::toPercentEncoding(worker));
    const flex::twilio::SignatureParams params{
        {u"CallSid"_s, u"CA1"_s}, {u"CallStatus"_s, u"in-progress"_s}, {u"To"_s, to}};
    QCOMPARE(post(*m_env, pathAndQuery, params, {}).status, 403);
    const HttpAnswer answer =
        post(*m_env, pathAndQuery, params, sign(*m_env, pathAndQuery, params));
    QCOMPARE(answer.status, 200);
    QVERIFY(answer.contentType.startsWith("text/xml"));
    QXmlStreamReader xml(answer.body);
    QStringList elements;
    QJsonObject task;
    while (!xml.atEnd()) {
        if (xml.readNext() != QXmlStreamReader::StartElement)
            continue;
        elements.append(xml.name().toString());
        if (xml.name() == "Task"_L1)
            task = QJsonDocument::fromJson(xml.readElementText().toUtf8()).object();
    }
    QVERIFY2(!xml.hasError(), answer.body.constData());
    QCOMPARE(elements, (QStringList{u"Response"_s, u"Enqueue"_s, u"Task"_s}));
    QCOMPARE(task.value("targetWorker"_L1).toString(), worker);
    QCOMPARE(task.value("name"_L1).toString(), to);
}

void tst_DialIntegration::fiftyConcurrentDialers()
{
    constexpr int Dialers = 50;
    const QDateTime expires = QDateTime::currentDateTimeUtc().addSecs(3600);
    std::vector<std::unique_ptr<WsClient>> clients;
    for (int i = 0; i < Dialers; ++i) {
        const QString identity = u"agent%1"_s.arg(i, 2, 10, QLatin1Char('0'));
        m_env->emulator().addToken(flex::testing::flexToken(identity), identity, {u"agent"_s},
                                   expires);
        clients.push_back(open(*m_env, flex::testing::flexToken(identity)));
        QVERIFY(clients.back());
    }
    for (int i = 0; i < Dialers; ++i)
        clients[size_t(i)]->sendJson(
            callMessage(Answers, u"client:agent%1"_s.arg(i, 2, 10, QLatin1Char('0'))));
    for (auto &c : clients) {
        QVERIFY2(c->waitFor(
                     [](const QJsonDocument &d) {
                         return isUpdate(d, {}, u"completed"_s) || isError(d);
                     },
                     60000) >= 0,
                 qPrintable(c->dump()));
    }
    QSet<QString> allSids;
    for (auto &c : clients) {
        QString sid;
        for (int i = 0; i < c->messages().size(); ++i) {
            const QJsonObject o = c->json(i).object();
            QVERIFY2(isUpdate(c->json(i)), qPrintable(c->dump()));
            if (sid.isEmpty())
                sid = o.value("callSid"_L1).toString();
            QCOMPARE(o.value("callSid"_L1).toString(), sid); // nothing of anyone else
        }
        // The emulator posts callbacks through several connections at once,
        // as Twilio does: under load a ringing may arrive after in-progress,
        // and the service drops it as stale. What the agent sees never goes
        // backwards, starts with queued, and has the answer and the end.
        const QStringList seen = statuses(*c, sid);
        const QStringList order{u"queued"_s, u"ringing"_s, u"in-progress"_s, u"completed"_s};
        QVERIFY2(seen.size() >= 3 && seen.first() == order.first() &&
                     seen.contains(u"in-progress"_s) && seen.last() == order.last(),
                 qPrintable(seen.join(u',')));
        for (qsizetype i = 1; i < seen.size(); ++i)
            QVERIFY2(order.indexOf(seen[i - 1]) < order.indexOf(seen[i]),
                     qPrintable(seen.join(u',')));
        allSids.insert(sid);
    }
    QCOMPARE(allSids.size(), Dialers);
}

void tst_DialIntegration::hostileClientsDoNotHurtOthers()
{
    auto alice = open(*m_env, TestEnvironment::agentToken());
    auto mallory = open(*m_env, TestEnvironment::otherAgentToken());
    QVERIFY(alice && mallory);
    mallory->sendText(QString(u"["_s.repeated(20000)));
    mallory->sendText(u"{\"method\":\"call\",\"to\":{\"$gt\":\"\"}}"_s);
    mallory->sendText(u"\u0000\uFFFF"_s);
    mallory->socket().sendBinaryMessage(QByteArray(1000, '\xff'));
    for (int i = 0; i < 200; ++i)
        mallory->sendText(u"{\"method\":\"hangup\",\"callSid\":\"CA%1\"}"_s.arg(i));
    QCOMPARE(mallory->waitForCount(204, Timeout), 204);
    const QString sid = place(*alice, Answers);
    QVERIFY(!sid.isEmpty());
    QVERIFY(alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"completed"_s); },
                           Timeout) >= 0);
    QCOMPARE(mallory->socket().state(), QAbstractSocket::ConnectedState);
}

void tst_DialIntegration::guardRails()
{
    TestEnvironment env;
    env.setEnv(u"DIAL_ALLOWED_PREFIXES"_s, u"+1,+44"_s);
    env.setEnv(u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"2"_s);
    env.setEnv(u"DIAL_ALLOW_ANY_WORKER"_s, u"true"_s);
    QVERIFY(env.startService());
    auto alice = open(env, TestEnvironment::agentToken());
    auto bob = open(env, TestEnvironment::otherAgentToken());
    QVERIFY(alice && bob);

    alice->sendJson(callMessage(u"+4915112345678"_s, u"client:alice"_s));
    int i = alice->waitFor(isError, Timeout);
    QVERIFY(i >= 0);
    QVERIFY2(alice->json(i).object().value("message"_L1).toString().contains(u"not allowed"_s),
             qPrintable(alice->dump()));

    // Any worker is allowed here: the odd contact travels intact to Twilio.
    const QString odd = u"client:x\"}</Task>&é"_s;
    QVERIFY(!place(*alice, u"+442071838750"_s, odd).isEmpty());
    QVERIFY(!place(*alice, RingsForever).isEmpty());
    const int from = int(alice->messages().size());
    alice->sendJson(callMessage(Answers, u"client:alice"_s));
    i = alice->waitFor(isError, Timeout, from);
    QVERIFY(i >= 0);
    QVERIFY2(alice->json(i).object().value("message"_L1).toString().contains(u"too many calls"_s),
             qPrintable(alice->dump()));
    // Per identity: bob may still call.
    QVERIFY(!place(*bob, RingsForever, u"client:bob"_s).isEmpty());

    QString url;
    for (const auto &r : env.emulator().recentRequests()) {
        if (r.operation != u"CreateCall"_s)
            continue;
        for (const auto &[name, value] : r.formParams)
            if (name == u"To"_s && value == u"+442071838750"_s)
                for (const auto &[n, v] : r.formParams)
                    if (n == u"Url"_s)
                        url = v;
    }
    QCOMPARE(QUrlQuery(QUrl(url).query()).queryItemValue(u"workerContactUri"_s, QUrl::FullyDecoded),
             odd);
}

void tst_DialIntegration::restartWithACallInFlight()
{
    TestEnvironment env;
    QVERIFY(env.startService());
    auto alice = open(env, TestEnvironment::agentToken());
    QVERIFY(alice);
    const QString sid = place(*alice, RingsForever);
    QVERIFY(!sid.isEmpty());
    QVERIFY(alice->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"ringing"_s); },
                           Timeout) >= 0);
    const QString stateFile = QDir(env.stateDir()).filePath(u"dial-calls.json"_s);
    const auto saved = [&] {
        QFile f(stateFile);
        return f.open(QIODevice::ReadOnly) && f.readAll().contains(sid.toUtf8());
    };
    QTRY_VERIFY_WITH_TIMEOUT(saved(), Timeout);

    env.service().terminate();
    QVERIFY(env.service().waitForExit(Timeout));
    QCOMPARE(env.service().exitCode(), 0);
    QVERIFY(alice->waitForDisconnect(Timeout));
    QVERIFY(saved());

    QVERIFY(env.service().start());
    QTRY_VERIFY_WITH_TIMEOUT(env.service().output().count("listening on") >= 2, Timeout);
    std::unique_ptr<WsClient> again;
    QTRY_VERIFY_WITH_TIMEOUT((again = open(env, TestEnvironment::agentToken())) != nullptr,
                             Timeout);
    auto bob = open(env, TestEnvironment::otherAgentToken());
    QVERIFY(bob);
    // Ownership survived the restart ...
    bob->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    const int i = bob->waitFor(isError, Timeout);
    QVERIFY(i >= 0);
    QVERIFY2(bob->json(i).object().value("message"_L1).toString().contains(u"another agent"_s),
             qPrintable(bob->dump()));
    // ... and so did the call's state: a cancel (it is ringing), whose
    // status callback reaches the owner's new socket.
    again->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    QVERIFY2(again->waitFor([&](const QJsonDocument &d) { return isUpdate(d, sid, u"canceled"_s); },
                            Timeout) >= 0,
             qPrintable(again->dump() + u"\n"_s + QString::fromUtf8(env.service().output())));
    QTRY_VERIFY_WITH_TIMEOUT(!saved(), Timeout); // gone from disk once over
}

QTEST_GUILESS_MAIN(tst_DialIntegration)
#include "tst_dialintegration.moc"
