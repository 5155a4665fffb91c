// Webhook signature validation (official twilio-python test vectors) and
// TwiML building (no input may break out of the <Task> JSON or the XML).

#include "twilio/requestvalidator.h"
#include "twilio/twimlbuilder.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QXmlStreamReader>

using flex::twilio::RequestValidator;
using flex::twilio::SignatureParams;
namespace twiml = flex::twilio::twiml;

Q_DECLARE_METATYPE(SignatureParams)

namespace {

const QByteArray kToken = QByteArrayLiteral("12345");
const QString kUrl = QStringLiteral("https://mycompany.com/myapp.php?foo=1&bar=2");
const QByteArray kSignature = QByteArrayLiteral("RSOYDt4T1cUTdK1PDd93/VVr8B8=");

SignatureParams commonParams()
{
    return {
        {QStringLiteral("CallSid"), QStringLiteral("CA1234567890ABCDE")},
        {QStringLiteral("Caller"), QStringLiteral("+14158675309")},
        {QStringLiteral("Digits"), QStringLiteral("1234")},
        {QStringLiteral("From"), QStringLiteral("+14158675309")},
        {QStringLiteral("To"), QStringLiteral("+18005551212")},
    };
}

QString withPort(QString url, const QString &port)
{
    return url.replace(QStringLiteral(".com"), QStringLiteral(".com:") + port);
}

QString asHttp(QString url)
{
    return url.replace(QStringLiteral("https"), QStringLiteral("http"));
}

const QByteArray kJsonBody = QByteArrayLiteral("{\"property\": \"value\", \"boolean\": true}");
const QByteArray kJsonBodyHash =
    QByteArrayLiteral("0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620");

struct ParsedTwiml
{
    bool ok = false;
    QString error;
    QString workflowSid;
    QString taskText;
    QStringList elements; // every start element, in order
};

ParsedTwiml parseTwiml(const QByteArray &xml)
{
    ParsedTwiml parsed;
    QXmlStreamReader reader(xml);
    QString current;
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isStartElement()) {
            current = reader.name().toString();
            parsed.elements << current;
            if (current == QLatin1String("Enqueue"))
                parsed.workflowSid =
                    reader.attributes().value(QLatin1String("workflowSid")).toString();
        } else if (reader.isCharacters() && current == QLatin1String("Task")) {
            parsed.taskText += reader.text().toString();
        } else if (reader.isEndElement()) {
            current.clear();
        }
    }
    parsed.ok = !reader.hasError();
    parsed.error = reader.errorString();
    return parsed;
}

} // namespace

class tst_TwilioSignature : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void officialVectors_data();
    void officialVectors();
    void computeSignature();
    void bodyHash();
    void jsonBody();
    void tampered_data();
    void tampered();
    void jsonBodyTampered();
    void portVariants_data();
    void portVariants();
    void emptyToken();

    void outboundTaskJson();
    void outboundEnqueueExact();
    void emptyResponse();
    void escaping_data();
    void escaping();
    void workflowSidEscaping_data();
    void workflowSidEscaping();
};

void tst_TwilioSignature::officialVectors_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<SignatureParams>("params");
    QTest::addColumn<QByteArray>("signature");

    const SignatureParams p = commonParams();
    QTest::newRow("validation") << kUrl << p << kSignature;
    QTest::newRow("removes port on https")
        << withPort(kUrl, QStringLiteral("1234")) << p << kSignature;
    QTest::newRow("http with port 1234") << asHttp(withPort(kUrl, QStringLiteral("1234"))) << p
                                         << QByteArrayLiteral("Zmvh+3yNM1Phv2jhDCwEM3q5ebU=");
    QTest::newRow("adds port 443 on https")
        << kUrl << p << QByteArrayLiteral("kvajT1Ptam85bY51eRf/AJRuM3w=");
    QTest::newRow("adds port 80 on http")
        << asHttp(kUrl) << p << QByteArrayLiteral("0ZXoZLH/DfblKGATFgpif+LLRf4=");
    QTest::newRow("multi-valued, duplicates removed")
        << kUrl
        << SignatureParams{{QStringLiteral("Sid"), QStringLiteral("CA123")},
                           {QStringLiteral("SidAccount"), QStringLiteral("AC123")},
                           {QStringLiteral("Digits"), QStringLiteral("5678")},
                           {QStringLiteral("Digits"), QStringLiteral("1234")},
                           {QStringLiteral("Digits"), QStringLiteral("1234")}}
        << QByteArrayLiteral("IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    // From the twilio-ruby/twilio-node suites (credentials in the URL kept as is).
    QTest::newRow("url with credentials")
        << QStringLiteral("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2") << p
        << QByteArrayLiteral("CukzLTc1tT5dXEDIHm/tKBanW10=");
}

void tst_TwilioSignature::officialVectors()
{
    QFETCH(QString, url);
    QFETCH(SignatureParams, params);
    QFETCH(QByteArray, signature);
    QVERIFY(RequestValidator(kToken).validate(url, params, signature));
}

void tst_TwilioSignature::computeSignature()
{
    QCOMPARE(RequestValidator::computeSignature(kToken, kUrl, commonParams()), kSignature);
    QCOMPARE(RequestValidator::computeSignature(kToken, withPort(kUrl, QStringLiteral("443")),
                                                commonParams()),
             QByteArrayLiteral("kvajT1Ptam85bY51eRf/AJRuM3w="));
    QCOMPARE(RequestValidator::computeSignature(
                 kToken, asHttp(withPort(kUrl, QStringLiteral("80"))), commonParams()),
             QByteArrayLiteral("0ZXoZLH/DfblKGATFgpif+LLRf4="));
    // Parameter order as received does not matter.
    SignatureParams reversed = commonParams();
    std::reverse(reversed.begin(), reversed.end());
    QCOMPARE(RequestValidator::computeSignature(kToken, kUrl, reversed), kSignature);
}

void tst_TwilioSignature::bodyHash()
{
    QCOMPARE(RequestValidator::bodySha256(kJsonBody), kJsonBodyHash);
}

void tst_TwilioSignature::jsonBody()
{
    const QString url = kUrl + QStringLiteral("&bodySHA256=") + QString::fromLatin1(kJsonBodyHash);
    const QByteArray signature = QByteArrayLiteral("a9nBmqA0ju/hNViExpshrM61xv4=");
    QCOMPARE(RequestValidator::computeSignature(kToken, url), signature);
    QVERIFY(RequestValidator(kToken).validateBody(url, kJsonBody, signature));
}

void tst_TwilioSignature::tampered_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QString>("url");
    QTest::addColumn<SignatureParams>("params");
    QTest::addColumn<QByteArray>("signature");

    const SignatureParams p = commonParams();
    SignatureParams changedValue = p;
    changedValue[4].second = QStringLiteral("+18005551213");
    SignatureParams extraParam = p;
    extraParam.append({QStringLiteral("Extra"), QStringLiteral("1")});
    SignatureParams missingParam = p;
    missingParam.removeLast();
    SignatureParams renamed = p;
    renamed[0].first = QStringLiteral("CallSId");
    SignatureParams duplicateDifferent = p;
    duplicateDifferent.append({QStringLiteral("Digits"), QStringLiteral("9")});

    QTest::newRow("changed param value") << kToken << kUrl << changedValue << kSignature;
    QTest::newRow("added param") << kToken << kUrl << extraParam << kSignature;
    QTest::newRow("missing param") << kToken << kUrl << missingParam << kSignature;
    QTest::newRow("renamed param") << kToken << kUrl << renamed << kSignature;
    QTest::newRow("second value") << kToken << kUrl << duplicateDifferent << kSignature;
    QTest::newRow("changed path") << kToken
                                  << QStringLiteral("https://mycompany.com/myapp2.php?foo=1&bar=2")
                                  << p << kSignature;
    QTest::newRow("changed query")
        << kToken << QStringLiteral("https://mycompany.com/myapp.php?foo=1&bar=3") << p
        << kSignature;
    QTest::newRow("changed host") << kToken
                                  << QStringLiteral("https://evil.com/myapp.php?foo=1&bar=2") << p
                                  << kSignature;
    QTest::newRow("http instead of https") << kToken << asHttp(kUrl) << p << kSignature;
    QTest::newRow("wrong token") << QByteArrayLiteral("12346") << kUrl << p << kSignature;
    QTest::newRow("empty token") << QByteArray() << kUrl << p << kSignature;
    QTest::newRow("missing header") << kToken << kUrl << p << QByteArray();
    QTest::newRow("garbage header") << kToken << kUrl << p << QByteArrayLiteral("not-a-signature");
    QTest::newRow("truncated signature") << kToken << kUrl << p << kSignature.left(27);
    QTest::newRow("one bit off") << kToken << kUrl << p
                                 << QByteArrayLiteral("RSOYDt4T1cUTdK1PDd93/VVr8B9=");
}

void tst_TwilioSignature::tampered()
{
    QFETCH(QByteArray, token);
    QFETCH(QString, url);
    QFETCH(SignatureParams, params);
    QFETCH(QByteArray, signature);
    QVERIFY(!RequestValidator(token).validate(url, params, signature));
}

void tst_TwilioSignature::jsonBodyTampered()
{
    const QString url = kUrl + QStringLiteral("&bodySHA256=") + QString::fromLatin1(kJsonBodyHash);
    const QByteArray signature = QByteArrayLiteral("a9nBmqA0ju/hNViExpshrM61xv4=");
    const RequestValidator validator(kToken);
    QVERIFY(!validator.validateBody(url, kJsonBody + ' ', signature));           // body changed
    QVERIFY(!validator.validateBody(kUrl, kJsonBody, signature));                // no bodySHA256
    QVERIFY(!validator.validateBody(url, kJsonBody, kSignature));                // wrong signature
    QVERIFY(!RequestValidator("54321").validateBody(url, kJsonBody, signature)); // wrong token
    // A matching hash does not help when the URL (hash included) was re-signed by someone else.
    const QByteArray otherBody = QByteArrayLiteral("{}");
    const QString otherUrl = kUrl + QStringLiteral("&bodySHA256=") +
                             QString::fromLatin1(RequestValidator::bodySha256(otherBody));
    QVERIFY(!validator.validateBody(otherUrl, otherBody, signature));
}

void tst_TwilioSignature::portVariants_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("withoutPort");
    QTest::addColumn<QString>("withPort");

    QTest::newRow("https no port")
        << QStringLiteral("https://a.com/x?y=1") << QStringLiteral("https://a.com/x?y=1")
        << QStringLiteral("https://a.com:443/x?y=1");
    QTest::newRow("http no port") << QStringLiteral("http://a.com/x")
                                  << QStringLiteral("http://a.com/x")
                                  << QStringLiteral("http://a.com:80/x");
    QTest::newRow("custom port") << QStringLiteral("https://a.com:8443/x")
                                 << QStringLiteral("https://a.com/x")
                                 << QStringLiteral("https://a.com:8443/x");
    QTest::newRow("no path") << QStringLiteral("https://a.com?q=a:b")
                             << QStringLiteral("https://a.com?q=a:b")
                             << QStringLiteral("https://a.com:443?q=a:b");
    QTest::newRow("userinfo") << QStringLiteral("https://u:p@a.com:99/x")
                              << QStringLiteral("https://u:p@a.com/x")
                              << QStringLiteral("https://u:p@a.com:99/x");
    QTest::newRow("ipv6") << QStringLiteral("http://[::1]:8080/x")
                          << QStringLiteral("http://[::1]/x")
                          << QStringLiteral("http://[::1]:8080/x");
    QTest::newRow("colon in path only")
        << QStringLiteral("https://a.com/x:1") << QStringLiteral("https://a.com/x:1")
        << QStringLiteral("https://a.com:443/x:1");
}

void tst_TwilioSignature::portVariants()
{
    QFETCH(QString, url);
    QFETCH(QString, withoutPort);
    QFETCH(QString, withPort);
    QCOMPARE(RequestValidator::urlWithoutPort(url), withoutPort);
    QCOMPARE(RequestValidator::urlWithPort(url), withPort);
}

void tst_TwilioSignature::emptyToken()
{
    // An unset token must not turn into "HMAC with an empty key", which anyone can compute.
    const QByteArray forged = RequestValidator::computeSignature({}, kUrl, commonParams());
    QVERIFY(!RequestValidator().validate(kUrl, commonParams(), forged));
}

void tst_TwilioSignature::outboundTaskJson()
{
    QCOMPARE(twiml::outboundTaskAttributes(QStringLiteral("client:alice"),
                                           QStringLiteral("+15551234567")),
             QByteArrayLiteral("{\"targetWorker\":\"client:alice\",\"autoAnswer\":\"true\","
                               "\"type\":\"outbound\",\"direction\":\"outbound\","
                               "\"name\":\"+15551234567\"}"));
}

void tst_TwilioSignature::outboundEnqueueExact()
{
    const QByteArray xml =
        twiml::outboundEnqueue(QStringLiteral("WW0123456789abcdef0123456789abcdef"),
                               QStringLiteral("client:alice"), QStringLiteral("+15551234567"));
    // QXmlStreamWriter (Qt 6.4) escapes '"' in text as &quot;: same document for any XML parser.
    QCOMPARE(xml,
             QByteArrayLiteral(
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                 "<Response><Enqueue workflowSid=\"WW0123456789abcdef0123456789abcdef\">"
                 "<Task>{&quot;targetWorker&quot;:&quot;client:alice&quot;,"
                 "&quot;autoAnswer&quot;:&quot;true&quot;,&quot;type&quot;:&quot;outbound&quot;,"
                 "&quot;direction&quot;:&quot;outbound&quot;,"
                 "&quot;name&quot;:&quot;+15551234567&quot;}</Task></Enqueue></Response>\n"));
    const ParsedTwiml parsed = parseTwiml(xml);
    QVERIFY(parsed.ok);
    QCOMPARE(parsed.taskText.toUtf8(),
             twiml::outboundTaskAttributes(QStringLiteral("client:alice"),
                                           QStringLiteral("+15551234567")));
}

void tst_TwilioSignature::emptyResponse()
{
    const QByteArray xml = twiml::emptyResponse();
    QVERIFY(xml.startsWith("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    const ParsedTwiml parsed = parseTwiml(xml);
    QVERIFY2(parsed.ok, qPrintable(parsed.error));
    QCOMPARE(parsed.elements, QStringList{QStringLiteral("Response")});
}

void tst_TwilioSignature::escaping_data()
{
    QTest::addColumn<QString>("worker");
    QTest::addColumn<QString>("to");
    QTest::addColumn<bool>("exact"); // value survives unchanged

    QTest::newRow("plain") << QStringLiteral("client:alice") << QStringLiteral("+15551234567")
                           << true;
    QTest::newRow("quotes") << QStringLiteral("a\"b'c") << QStringLiteral("\"},\"x\":\"") << true;
    QTest::newRow("xml specials") << QStringLiteral("<b>&amp;</b>") << QStringLiteral("a<&>b")
                                  << true;
    QTest::newRow("close task") << QStringLiteral("</Task></Enqueue><Hangup/>")
                                << QStringLiteral("</Task>") << true;
    QTest::newRow("cdata end") << QStringLiteral("]]>") << QStringLiteral("<![CDATA[x]]>") << true;
    QTest::newRow("backslashes") << QStringLiteral("a\\\"b\\") << QStringLiteral("\\u0022") << true;
    QTest::newRow("unicode") << QStringLiteral("client:j\u00f6rg") << QStringLiteral("\u65e5\u672c")
                             << true;
    QTest::newRow("astral") << QString::fromUtf8("client:\xF0\x9F\x98\x80")
                            << QString::fromUtf8("\xF0\x9D\x84\x9E") << true;
    QTest::newRow("control chars") << QStringLiteral("a\x01\x02\x1f"
                                                     "b")
                                   << QStringLiteral("\t\n\r\x0b\x0c") << true;
    QTest::newRow("nul") << QString(QChar(0)) + QStringLiteral("x") << QStringLiteral("y") << true;
    QTest::newRow("xml noncharacters") << QString(QChar(0xFFFE)) << QString(QChar(0xFFFF)) << true;
    QTest::newRow("line separators") << QString(QChar(0x2028)) << QString(QChar(0x2029)) << true;
    QTest::newRow("processing instruction")
        << QStringLiteral("<?xml version=\"1.0\"?>") << QStringLiteral("<!-- -->") << true;
    QTest::newRow("empty") << QString() << QString() << true;
    QTest::newRow("lone surrogate") << QString(QChar(0xD800)) << QString(QChar(0xDC00)) << false;
}

void tst_TwilioSignature::escaping()
{
    QFETCH(QString, worker);
    QFETCH(QString, to);
    QFETCH(bool, exact);

    const QString sid = QStringLiteral("WW0123456789abcdef0123456789abcdef");
    const QByteArray xml = twiml::outboundEnqueue(sid, worker, to);
    const ParsedTwiml parsed = parseTwiml(xml);
    QVERIFY2(parsed.ok, qPrintable(parsed.error + QLatin1Char(' ') + QString::fromUtf8(xml)));
    QCOMPARE(parsed.elements, (QStringList{QStringLiteral("Response"), QStringLiteral("Enqueue"),
                                           QStringLiteral("Task")}));
    QCOMPARE(parsed.workflowSid, sid);

    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(parsed.taskText.toUtf8(), &error);
    QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
    QVERIFY(doc.isObject());
    const QJsonObject task = doc.object();
    QCOMPARE(task.keys().size(), 5);
    QCOMPARE(task.value(QLatin1String("autoAnswer")).toString(), QStringLiteral("true"));
    QCOMPARE(task.value(QLatin1String("type")).toString(), QStringLiteral("outbound"));
    QCOMPARE(task.value(QLatin1String("direction")).toString(), QStringLiteral("outbound"));
    QVERIFY(task.value(QLatin1String("targetWorker")).isString());
    QVERIFY(task.value(QLatin1String("name")).isString());
    if (exact) {
        QCOMPARE(task.value(QLatin1String("targetWorker")).toString(), worker);
        QCOMPARE(task.value(QLatin1String("name")).toString(), to);
    }
}

void tst_TwilioSignature::workflowSidEscaping_data()
{
    QTest::addColumn<QString>("sid");
    QTest::addColumn<QString>("expected");

    QTest::newRow("quote breakout")
        << QStringLiteral("WW\"><Hangup/><x y=\"") << QStringLiteral("WW\"><Hangup/><x y=\"");
    QTest::newRow("apostrophe amp") << QStringLiteral("WW'&") << QStringLiteral("WW'&");
    QTest::newRow("control chars dropped")
        << QStringLiteral("WW\x01\x02x") << QStringLiteral("WWx");
}

void tst_TwilioSignature::workflowSidEscaping()
{
    QFETCH(QString, sid);
    QFETCH(QString, expected);
    const QByteArray xml = twiml::outboundEnqueue(sid, QStringLiteral("w"), QStringLiteral("t"));
    const ParsedTwiml parsed = parseTwiml(xml);
    QVERIFY2(parsed.ok, qPrintable(parsed.error + QLatin1Char(' ') + QString::fromUtf8(xml)));
    QCOMPARE(parsed.elements, (QStringList{QStringLiteral("Response"), QStringLiteral("Enqueue"),
                                           QStringLiteral("Task")}));
    QCOMPARE(parsed.workflowSid, expected);
}

QTEST_GUILESS_MAIN(tst_TwilioSignature)
#include "tst_twiliosignature.moc"
