// The two Twilio webhooks without a server: signature checks with Twilio's
// official test vectors (and port variants), tampered and missing
// signatures, relaying to the registry, and TwiML that no input breaks.
#include "dial/callcontroller.h"
#include "dial/callregistry.h"
#include "dial/webhookroutes.h"
#include "twilio/requestvalidator.h"
#include "twilio/twilioclient.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>
#include <QUrlQuery>
#include <QXmlStreamReader>

using namespace Qt::StringLiterals;
using namespace flex::dial;
using flex::twilio::RequestValidator;
using flex::twilio::SignatureParams;

namespace {

const QByteArray Token = "12345";

// The parameters of twilio-python's tests/unit/test_request_validator.py.
SignatureParams officialParams()
{
    return {{u"CallSid"_s, u"CA1234567890ABCDE"_s},
            {u"Caller"_s, u"+14158675309"_s},
            {u"Digits"_s, u"1234"_s},
            {u"From"_s, u"+14158675309"_s},
            {u"To"_s, u"+18005551212"_s}};
}

QByteArray formOf(const SignatureParams &params)
{
    return flex::twilio::encodeForm(params);
}

WebhookRequest request(const QString &path, const QString &query, const SignatureParams &params,
                       const QByteArray &signature)
{
    return {path, query, "application/x-www-form-urlencoded", formOf(params), signature};
}

struct TwimlParts
{
    QString workflowSid;
    QJsonObject task;
    QStringList elements;
    bool wellFormed = false;
};

TwimlParts parseTwiml(const QByteArray &xml)
{
    TwimlParts parts;
    QXmlStreamReader reader(xml);
    while (!reader.atEnd()) {
        reader.readNext();
        if (!reader.isStartElement())
            continue;
        parts.elements.append(reader.name().toString());
        if (reader.name() == "Enqueue"_L1)
            parts.workflowSid = reader.attributes().value("workflowSid"_L1).toString();
        if (reader.name() == "Task"_L1) {
            const QString text = reader.readElementText();
            QJsonParseError error;
            parts.task = QJsonDocument::fromJson(text.toUtf8(), &error).object();
            if (error.error != QJsonParseError::NoError)
                return parts;
        }
    }
    parts.wellFormed = !reader.hasError();
    return parts;
}

} // namespace

class tst_DialWebhooks : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void officialVectors_data();
    void officialVectors();
    void tampered_data();
    void tampered();
    void relaysSignedCallbacks();
    void badCallbackFields();
    void queryKeptAsReceived();
    void twimlInjection_data();
    void twimlInjection();
    void twimlNeedsWorker();
    void formParsing();
    void urlsGivenToTwilio();

private:
    std::unique_ptr<CallRegistry> m_registry;
    std::unique_ptr<WebhookRoutes> m_routes;
};

void tst_DialWebhooks::init()
{
    m_registry = std::make_unique<CallRegistry>();
    m_routes = std::make_unique<WebhookRoutes>(*m_registry);
    m_routes->configure(
        {QUrl(u"https://mycompany.com"_s), Token, u"WW00000000000000000000000000000001"_s});
}

void tst_DialWebhooks::officialVectors_data()
{
    QTest::addColumn<QString>("base");
    QTest::addColumn<QByteArray>("signature");
    QTest::addColumn<int>("status");
    // Signed over https://mycompany.com/myapp.php?foo=1&bar=2 (+ params).
    QTest::newRow("as configured")
        << u"https://mycompany.com"_s << QByteArray("RSOYDt4T1cUTdK1PDd93/VVr8B8=") << 200;
    QTest::newRow("Twilio signed with :443, we have no port")
        << u"https://mycompany.com"_s << QByteArray("kvajT1Ptam85bY51eRf/AJRuM3w=") << 200;
    QTest::newRow("we have :443, Twilio signed without")
        << u"https://mycompany.com:443"_s << QByteArray("RSOYDt4T1cUTdK1PDd93/VVr8B8=") << 200;
    QTest::newRow("http with :80")
        << u"http://mycompany.com:80"_s << QByteArray("0ZXoZLH/DfblKGATFgpif+LLRf4=") << 200;
    QTest::newRow("http with :1234")
        << u"http://mycompany.com:1234"_s << QByteArray("Zmvh+3yNM1Phv2jhDCwEM3q5ebU=") << 200;
    QTest::newRow("wrong host") << u"https://evil.example.com"_s
                                << QByteArray("RSOYDt4T1cUTdK1PDd93/VVr8B8=") << 403;
    QTest::newRow("http signature on https")
        << u"https://mycompany.com"_s << QByteArray("0ZXoZLH/DfblKGATFgpif+LLRf4=") << 403;
}

void tst_DialWebhooks::officialVectors()
{
    QFETCH(QString, base);
    QFETCH(QByteArray, signature);
    QFETCH(int, status);
    m_routes->configure({QUrl(base), Token, u"WW1"_s});
    const WebhookRequest r =
        request(u"/myapp.php"_s, u"foo=1&bar=2"_s, officialParams(), signature);
    QCOMPARE(m_routes->statusCallback(r).status, status == 200 ? 400 /* no CallStatus */ : 403);
    // The same request with a status that the registry knows is accepted.
    if (status != 200)
        return;
    QCOMPARE(RequestValidator(Token).validate(m_routes->signedUrl(r), officialParams(), signature),
             true);
}

void tst_DialWebhooks::tampered_data()
{
    QTest::addColumn<QString>("what");
    QTest::newRow("missing signature") << u"missing"_s;
    QTest::newRow("empty signature") << u"empty"_s;
    QTest::newRow("garbage signature") << u"garbage"_s;
    QTest::newRow("changed status") << u"status"_s;
    QTest::newRow("added parameter") << u"added"_s;
    QTest::newRow("removed parameter") << u"removed"_s;
    QTest::newRow("changed path") << u"path"_s;
    QTest::newRow("changed query") << u"query"_s;
    QTest::newRow("other auth token") << u"token"_s;
}

void tst_DialWebhooks::tampered()
{
    QFETCH(QString, what);
    m_registry->addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, {});
    QSignalSpy updates(m_registry.get(), &CallRegistry::callUpdate);
    const QString path = u"/twilio-webhook/callStatusCallbackHandler"_s;
    SignatureParams params{
        {u"CallSid"_s, u"CA1"_s}, {u"CallStatus"_s, u"ringing"_s}, {u"SequenceNumber"_s, u"0"_s}};
    QByteArray signature =
        RequestValidator::computeSignature(Token, u"https://mycompany.com"_s + path, params);
    QString sentPath = path;
    QString query;
    if (what == u"missing"_s || what == u"empty"_s)
        signature.clear();
    else if (what == u"garbage"_s)
        signature = "not-a-signature";
    else if (what == u"status"_s)
        params[1].second = u"completed"_s;
    else if (what == u"added"_s)
        params.append({u"Extra"_s, u"1"_s});
    else if (what == u"removed"_s)
        params.removeLast();
    else if (what == u"path"_s)
        sentPath = u"/twilio-webhook/callHandlerTwiml"_s;
    else if (what == u"query"_s)
        query = u"x=1"_s;
    else if (what == u"token"_s)
        signature = RequestValidator::computeSignature("other-token",
                                                       u"https://mycompany.com"_s + path, params);
    const WebhookRequest r = request(sentPath, query, params, signature);
    const WebhookAnswer answer =
        sentPath == path ? m_routes->statusCallback(r) : m_routes->twiml(r);
    QCOMPARE(answer.status, 403);
    QCOMPARE(updates.size(), 0);
    QCOMPARE(m_registry->find(u"CA1"_s)->status, CallStatus::Queued);
}

void tst_DialWebhooks::relaysSignedCallbacks()
{
    m_registry->addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, {});
    QSignalSpy updates(m_registry.get(), &CallRegistry::callUpdate);
    const QString path = u"/twilio-webhook/callStatusCallbackHandler"_s;
    const auto send = [&](const QString &status, int sequence) {
        const SignatureParams params{{u"AccountSid"_s, u"AC1"_s},
                                     {u"CallSid"_s, u"CA1"_s},
                                     {u"CallStatus"_s, status},
                                     {u"SequenceNumber"_s, QString::number(sequence)},
                                     {u"Timestamp"_s, u"Mon, 01 Jan 2024 00:00:00 +0000"_s}};
        return m_routes->statusCallback(request(
            path, {}, params,
            RequestValidator::computeSignature(Token, u"https://mycompany.com"_s + path, params)));
    };
    const WebhookAnswer answer = send(u"in-progress"_s, 1);
    QCOMPARE(answer.status, 200);
    QVERIFY(answer.contentType.startsWith("text/xml"));
    QCOMPARE(send(u"ringing"_s, 0).status, 200); // late: answered, not relayed
    QCOMPARE(send(u"completed"_s, 2).status, 200);
    QCOMPARE(updates.size(), 2);
    QCOMPARE(updates.at(0).at(2).value<CallStatus>(), CallStatus::InProgress);
    QCOMPARE(updates.at(1).at(2).value<CallStatus>(), CallStatus::Completed);
    QCOMPARE(updates.at(1).at(0).toString(), u"alice"_s);
}

void tst_DialWebhooks::badCallbackFields()
{
    const QString path = u"/twilio-webhook/callStatusCallbackHandler"_s;
    for (const SignatureParams &params :
         {SignatureParams{{u"CallStatus"_s, u"ringing"_s}},
          SignatureParams{{u"CallSid"_s, u"CA1"_s}, {u"CallStatus"_s, u"dancing"_s}}}) {
        const QByteArray sig =
            RequestValidator::computeSignature(Token, u"https://mycompany.com"_s + path, params);
        QCOMPARE(m_routes->statusCallback(request(path, {}, params, sig)).status, 400);
    }
}

void tst_DialWebhooks::queryKeptAsReceived()
{
    const WebhookRequest r = request(u"/twilio-webhook/callHandlerTwiml"_s,
                                     u"workerContactUri=client%3Aalice%2Bx"_s, {}, {});
    QCOMPARE(
        m_routes->signedUrl(r),
        u"https://mycompany.com/twilio-webhook/callHandlerTwiml?workerContactUri=client%3Aalice%2Bx"_s);
}

void tst_DialWebhooks::twimlInjection_data()
{
    QTest::addColumn<QString>("worker");
    QTest::addColumn<QString>("to");
    QTest::newRow("plain") << u"client:alice"_s << u"+15551234567"_s;
    QTest::newRow("quotes") << u"client:al\"ice"_s << u"+1555\"}, \"x\":\"1"_s;
    QTest::newRow("closing Task") << u"client:a</Task></Enqueue><Hangup/>"_s
                                  << u"</Task><Dial>+19005550000</Dial>"_s;
    QTest::newRow("ampersand and entities") << u"client:a&amp;b&lt;"_s << u"&#60;&"_s;
    QTest::newRow("CDATA end") << u"client:]]>"_s << u"<![CDATA[x]]>"_s;
    QTest::newRow("backslashes") << u"client:\\\"}"_s << u"\\u0022"_s;
    QTest::newRow("unicode") << u"client:élodie_😀"_s << u"+١٥٥٥ 中文"_s;
    QTest::newRow("control characters") << u"client:a\u0001\u001fb"_s << u"a\u0000\tb\r\n"_s;
    QTest::newRow("percent and plus") << u"client:a+b%2Fc"_s << u"%3C"_s;
}

void tst_DialWebhooks::twimlInjection()
{
    QFETCH(QString, worker);
    QFETCH(QString, to);
    const QString path = u"/twilio-webhook/callHandlerTwiml"_s;
    // The query as Twilio requests the Url we gave it.
    const QString url = CallController::twimlUrl(QUrl(u"https://mycompany.com"_s), worker);
    const QString query = url.section(u'?', 1);
    const SignatureParams params{
        {u"CallSid"_s, u"CA1"_s}, {u"CallStatus"_s, u"in-progress"_s}, {u"To"_s, to}};
    const WebhookAnswer answer = m_routes->twiml(
        request(path, query, params, RequestValidator::computeSignature(Token, url, params)));
    QCOMPARE(answer.status, 200);
    QVERIFY(answer.contentType.startsWith("text/xml"));
    const TwimlParts parts = parseTwiml(answer.body);
    QVERIFY2(parts.wellFormed, answer.body.constData());
    QCOMPARE(parts.elements, (QStringList{u"Response"_s, u"Enqueue"_s, u"Task"_s}));
    QCOMPARE(parts.workflowSid, u"WW00000000000000000000000000000001"_s);
    // JSON escapes carry every character, even those XML cannot.
    QCOMPARE(parts.task.value("targetWorker"_L1).toString(), worker);
    QCOMPARE(parts.task.value("name"_L1).toString(), to);
    QCOMPARE(parts.task.value("autoAnswer"_L1).toString(), u"true"_s);
    QCOMPARE(parts.task.value("type"_L1).toString(), u"outbound"_s);
    QCOMPARE(parts.task.value("direction"_L1).toString(), u"outbound"_s);
    QCOMPARE(parts.task.size(), 5);
}

void tst_DialWebhooks::twimlNeedsWorker()
{
    const QString path = u"/twilio-webhook/callHandlerTwiml"_s;
    const SignatureParams params{{u"To"_s, u"+15551234567"_s}};
    const QByteArray sig =
        RequestValidator::computeSignature(Token, u"https://mycompany.com"_s + path, params);
    QCOMPARE(m_routes->twiml(request(path, {}, params, sig)).status, 400);
}

void tst_DialWebhooks::formParsing()
{
    const SignatureParams params =
        flex::twilio::decodeForm("To=%2B1555+1234&Digits=1&Digits=2&Empty=&Flag&Uni=%C3%A9");
    QCOMPARE(params, (SignatureParams{{u"To"_s, u"+1555 1234"_s},
                                      {u"Digits"_s, u"1"_s},
                                      {u"Digits"_s, u"2"_s},
                                      {u"Empty"_s, QString()},
                                      {u"Flag"_s, QString()},
                                      {u"Uni"_s, u"é"_s}}));
    // Round trip with what the REST client (and the emulator) send.
    const SignatureParams tricky{{u"A"_s, u"a b+c&d=e%f/é"_s}};
    QCOMPARE(flex::twilio::decodeForm(formOf(tricky)), tricky);
}

void tst_DialWebhooks::urlsGivenToTwilio()
{
    const QUrl base(u"https://flex.example.com/"_s);
    QCOMPARE(CallController::statusCallbackUrl(base),
             u"https://flex.example.com/twilio-webhook/callStatusCallbackHandler"_s);
    QCOMPARE(
        CallController::twimlUrl(base, u"client:alice"_s),
        u"https://flex.example.com/twilio-webhook/callHandlerTwiml?workerContactUri=client%3Aalice"_s);
    const QString nasty = CallController::twimlUrl(base, u"client:a&b=c#d é"_s);
    QCOMPARE(
        QUrlQuery(QUrl(nasty).query()).queryItemValue(u"workerContactUri"_s, QUrl::FullyDecoded),
        u"client:a&b=c#d é"_s);
}

QTEST_GUILESS_MAIN(tst_DialWebhooks)
#include "tst_dialwebhooks.moc"
