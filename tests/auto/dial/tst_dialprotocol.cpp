// The dial socket's message parsing, frames, request validation (addresses,
// prefixes, worker), the per-identity rate limiter and the status enum.
#include "dial/callstatus.h"
#include "dial/dialprotocol.h"
#include "dial/dialrequestvalidator.h"
#include "dial/ratelimiter.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace flex::dial;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(std::optional<DialError::Reason>)

class tst_DialProtocol : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parse_data();
    void parse();
    void frames();
    void statuses_data();
    void statuses();
    void addresses_data();
    void addresses();
    void check_data();
    void check();
    void rateLimit();
    void rateLimitLowered();
};

// kind: "call", "hangup", "echo", "error"; detail: a field value or a message fragment
void tst_DialProtocol::parse_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("detail");

    QTest::newRow("call")
        << uR"({"method":"call","to":"+15551234567","from":"+15557654321","workerContactUri":"client:alice"})"_s
        << u"call"_s << u"+15551234567|+15557654321|client:alice"_s;
    QTest::newRow("call, extra fields ignored")
        << uR"({"method":"call","to":"+15551234567","from":"+15557654321","workerContactUri":"client:alice","x":1})"_s
        << u"call"_s << u"+15551234567|+15557654321|client:alice"_s;
    QTest::newRow("hangup") << uR"({"method":"hangup","callSid":"CA123"})"_s << u"hangup"_s
                            << u"CA123"_s;
    QTest::newRow("hangup, whitespace around")
        << u"  \n{\"method\":\"hangup\",\"callSid\":\" CA123 \"}  "_s << u"hangup"_s << u"CA123"_s;
    QTest::newRow("plain text echoes") << u"hello"_s << u"echo"_s << u"echo: hello"_s;
    QTest::newRow("empty text echoes") << QString() << u"echo"_s << u"echo: "_s;
    QTest::newRow("unicode echoes") << u"héllo 😀"_s << u"echo"_s << u"echo: héllo 😀"_s;
    QTest::newRow("number echoes") << u"42"_s << u"echo"_s << u"echo: 42"_s;
    QTest::newRow("truncated JSON")
        << uR"({"method":"call","to":)"_s << u"error"_s << u"malformed JSON"_s;
    QTest::newRow("array") << u"[1,2]"_s << u"error"_s << u"JSON object"_s;
    QTest::newRow("no method") << uR"({"to":"+15551234567"})"_s << u"error"_s
                               << u"\"method\" field is missing"_s;
    QTest::newRow("method not a string")
        << uR"({"method":7})"_s << u"error"_s << u"\"method\" field is missing"_s;
    QTest::newRow("unknown method")
        << uR"({"method":"dance"})"_s << u"error"_s << u"unknown method \"dance\""_s;
    QTest::newRow("call without to")
        << uR"({"method":"call","from":"+15557654321","workerContactUri":"client:alice"})"_s
        << u"error"_s << u"\"to\" field is missing"_s;
    QTest::newRow("call with null from")
        << uR"({"method":"call","to":"+15551234567","from":null,"workerContactUri":"client:alice"})"_s
        << u"error"_s << u"\"from\" field is missing"_s;
    QTest::newRow("call with numeric to")
        << uR"({"method":"call","to":15551234567,"from":"+15557654321","workerContactUri":"client:alice"})"_s
        << u"error"_s << u"\"to\" field must be a string"_s;
    QTest::newRow("call without worker")
        << uR"({"method":"call","to":"+15551234567","from":"+15557654321"})"_s << u"error"_s
        << u"\"workerContactUri\" field is missing"_s;
    QTest::newRow("hangup without sid")
        << uR"({"method":"hangup"})"_s << u"error"_s << u"\"callSid\" field is missing"_s;
    QTest::newRow("deep nesting") << QString(u"["_s.repeated(100000)) << u"error"_s
                                  << u"malformed JSON"_s;
}

void tst_DialProtocol::parse()
{
    QFETCH(QString, text);
    QFETCH(QString, kind);
    QFETCH(QString, detail);
    const ClientMessage m = parseClientMessage(text);
    if (kind == u"call"_s) {
        const auto *call = std::get_if<CallRequest>(&m);
        QVERIFY(call);
        QCOMPARE(call->to + u'|' + call->from + u'|' + call->workerContactUri, detail);
    } else if (kind == u"hangup"_s) {
        const auto *hangup = std::get_if<HangupRequest>(&m);
        QVERIFY(hangup);
        QCOMPARE(hangup->callSid, detail);
    } else if (kind == u"echo"_s) {
        const auto *echo = std::get_if<EchoRequest>(&m);
        QVERIFY(echo);
        QCOMPARE(echoText(echo->text), detail);
    } else {
        const auto *error = std::get_if<DialError>(&m);
        QVERIFY(error);
        QCOMPARE(error->reason, DialError::Reason::BadMessage);
        QVERIFY2(error->message.contains(detail), qPrintable(error->message));
    }
}

void tst_DialProtocol::frames()
{
    const QJsonObject update =
        QJsonDocument::fromJson(callUpdateFrame(u"CA1"_s, u"in-progress"_s)).object();
    QCOMPARE(update, (QJsonObject{{u"messageType"_s, u"callUpdate"_s},
                                  {u"callSid"_s, u"CA1"_s},
                                  {u"callStatus"_s, u"in-progress"_s}}));
    const QString nasty = u"say \"hi\" </x> \\ \n é 😀"_s;
    const QJsonObject error = QJsonDocument::fromJson(errorFrame(nasty)).object();
    QCOMPARE(error, (QJsonObject{{u"messageType"_s, u"error"_s}, {u"message"_s, nasty}}));
    QCOMPARE(statusCallbackPath(), u"/twilio-webhook/callStatusCallbackHandler"_s);
    QCOMPARE(twimlPath(), u"/twilio-webhook/callHandlerTwiml"_s);
}

void tst_DialProtocol::statuses_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("known");
    QTest::addColumn<bool>("terminal");
    QTest::addColumn<bool>("cancelable");
    QTest::newRow("queued") << u"queued"_s << true << false << true;
    QTest::newRow("initiated") << u"initiated"_s << true << false << true;
    QTest::newRow("ringing") << u"ringing"_s << true << false << true;
    QTest::newRow("in-progress") << u"in-progress"_s << true << false << false;
    QTest::newRow("completed") << u"completed"_s << true << true << false;
    QTest::newRow("busy") << u"busy"_s << true << true << false;
    QTest::newRow("failed") << u"failed"_s << true << true << false;
    QTest::newRow("no-answer") << u"no-answer"_s << true << true << false;
    QTest::newRow("canceled") << u"canceled"_s << true << true << false;
    QTest::newRow("answered is an event, not a status") << u"answered"_s << false << false << false;
    QTest::newRow("case matters") << u"Ringing"_s << false << false << false;
}

void tst_DialProtocol::statuses()
{
    QFETCH(QString, text);
    QFETCH(bool, known);
    QFETCH(bool, terminal);
    QFETCH(bool, cancelable);
    const std::optional<CallStatus> status = parseCallStatus(text);
    QCOMPARE(status.has_value(), known);
    if (!status)
        return;
    QCOMPARE(statusText(*status), text);
    QCOMPARE(isTerminal(*status), terminal);
    QCOMPARE(canBeCanceled(*status), cancelable);
}

void tst_DialProtocol::addresses_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<bool>("e164");
    QTest::addColumn<bool>("dialable");
    QTest::newRow("US") << u"+15551234567"_s << true << true;
    QTest::newRow("UK") << u"+442071838750"_s << true << true;
    QTest::newRow("15 digits") << u"+123456789012345"_s << true << true;
    QTest::newRow("16 digits") << u"+1234567890123456"_s << false << false;
    QTest::newRow("no plus") << u"15551234567"_s << false << false;
    QTest::newRow("leading zero") << u"+05551234567"_s << false << false;
    QTest::newRow("spaces") << u"+1 555 123 4567"_s << false << false;
    QTest::newRow("letters") << u"+1555CALLNOW"_s << false << false;
    QTest::newRow("empty") << QString() << false << false;
    QTest::newRow("client") << u"client:alice"_s << false << true;
    QTest::newRow("client with flex identity") << u"client:user_40example_2Dcom"_s << false << true;
    QTest::newRow("client empty") << u"client:"_s << false << false;
    QTest::newRow("sip") << u"sip:alice@example.com;transport=tls"_s << false << true;
    QTest::newRow("sips") << u"sips:+15551234567@pbx.example.com"_s << false << true;
    QTest::newRow("quote") << u"+1555\"1234567"_s << false << false;
    QTest::newRow("angle bracket") << u"sip:a<b>@example.com"_s << false << false;
    QTest::newRow("closing Task") << u"client:</Task>"_s << false << false;
    QTest::newRow("unicode digits") << u"+١٥٥٥١٢٣٤٥٦٧"_s << false << false;
    QTest::newRow("newline") << u"client:alice\n"_s << false << false;
    QTest::newRow("huge sip") << QString(u"sip:"_s + QString(300, u'a')) << false << false;
}

void tst_DialProtocol::addresses()
{
    QFETCH(QString, address);
    QFETCH(bool, e164);
    QFETCH(bool, dialable);
    QCOMPARE(DialRequestValidator::isE164(address), e164);
    QCOMPARE(DialRequestValidator::isDialable(address), dialable);
}

void tst_DialProtocol::check_data()
{
    QTest::addColumn<QString>("to");
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("worker");
    QTest::addColumn<bool>("anyWorker");
    QTest::addColumn<QStringList>("prefixes");
    QTest::addColumn<std::optional<DialError::Reason>>("expected");
    QTest::addColumn<QString>("fragment");
    using R = DialError::Reason;
    const QString to = u"+15551234567"_s;
    const QString from = u"+15557654321"_s;
    const QString own = u"client:alice"_s;
    const std::optional<R> ok;
    QTest::newRow("ok") << to << from << own << false << QStringList() << ok << QString();
    QTest::newRow("bad to") << u"555-1234"_s << from << own << false << QStringList()
                            << std::optional(R::BadAddress) << u"\"to\" must be"_s;
    QTest::newRow("bad from") << to << u"me"_s << own << false << QStringList()
                              << std::optional(R::BadAddress) << u"\"from\" must be"_s;
    QTest::newRow("injection in to") << u"+1555\"}</Task><Hangup/>"_s << from << own << false
                                     << QStringList() << std::optional(R::BadAddress) << u"E.164"_s;
    QTest::newRow("prefix allowed")
        << to << from << own << false << QStringList{u"+44"_s, u"+1"_s} << ok << QString();
    QTest::newRow("prefix refused")
        << u"+4915112345678"_s << from << own << false << QStringList{u"+44"_s, u"+1"_s}
        << std::optional(R::PrefixRefused) << u"+44, +1"_s;
    QTest::newRow("prefixes leave client: alone")
        << u"client:bob"_s << from << own << false << QStringList{u"+1"_s} << ok << QString();
    QTest::newRow("other worker") << to << from << u"client:bob"_s << false << QStringList()
                                  << std::optional(R::WorkerMismatch) << u"client:alice"_s;
    QTest::newRow("worker injection")
        << to << from << u"client:alice\"}</Task>"_s << false << QStringList()
        << std::optional(R::WorkerMismatch) << u"workerContactUri"_s;
    QTest::newRow("other worker allowed")
        << to << from << u"client:bob"_s << true << QStringList() << ok << QString();
    QTest::newRow("empty worker even when any")
        << to << from << QString() << true << QStringList() << std::optional(R::BadMessage)
        << u"workerContactUri"_s;
}

void tst_DialProtocol::check()
{
    QFETCH(QString, to);
    QFETCH(QString, from);
    QFETCH(QString, worker);
    QFETCH(bool, anyWorker);
    QFETCH(QStringList, prefixes);
    QFETCH(std::optional<DialError::Reason>, expected);
    QFETCH(QString, fragment);
    DialRequestValidator validator;
    validator.setPolicy({anyWorker, prefixes});
    const std::optional<DialError> error = validator.check({to, from, worker}, u"alice"_s);
    QCOMPARE(error.has_value(), expected.has_value());
    if (!error)
        return;
    QCOMPARE(error->reason, *expected);
    QVERIFY2(error->message.contains(fragment), qPrintable(error->message));
}

void tst_DialProtocol::rateLimit()
{
    RateLimiter limiter;
    const auto t0 = RateLimiter::Clock::time_point(1h);
    QVERIFY(!limiter.tryAcquire(u"alice"_s, t0)); // unlimited by default
    limiter.setLimit(3);
    QVERIFY(!limiter.tryAcquire(u"alice"_s, t0));
    QVERIFY(!limiter.tryAcquire(u"alice"_s, t0 + 10s));
    QVERIFY(!limiter.tryAcquire(u"alice"_s, t0 + 20s));
    const auto wait = limiter.tryAcquire(u"alice"_s, t0 + 30s);
    QVERIFY(wait);
    QCOMPARE(*wait, std::chrono::milliseconds(30s));  // the first one leaves the window at t0+60s
    QVERIFY(!limiter.tryAcquire(u"bob"_s, t0 + 30s)); // per identity
    QVERIFY(limiter.tryAcquire(u"alice"_s, t0 + 59s));
    QVERIFY(!limiter.tryAcquire(u"alice"_s, t0 + 60s));
    QCOMPARE(limiter.trackedKeys(), 2);
    limiter.prune(t0 + 200s);
    QCOMPARE(limiter.trackedKeys(), 0);
}

void tst_DialProtocol::rateLimitLowered()
{
    RateLimiter limiter;
    const auto t0 = RateLimiter::Clock::time_point(1h);
    limiter.setLimit(5);
    for (int i = 0; i < 5; ++i)
        QVERIFY(!limiter.tryAcquire(u"alice"_s, t0 + std::chrono::seconds(i)));
    limiter.setLimit(2); // reload
    const auto wait = limiter.tryAcquire(u"alice"_s, t0 + 10s);
    QVERIFY(wait);
    // Two may remain in the window: the one at t0+3s must leave it first.
    QCOMPARE(*wait, std::chrono::milliseconds(53s));
    limiter.setLimit(0);
    QVERIFY(!limiter.tryAcquire(u"alice"_s, t0 + 10s));
}

QTEST_APPLESS_MAIN(tst_DialProtocol)
#include "tst_dialprotocol.moc"
