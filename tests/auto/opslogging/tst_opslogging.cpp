// Log line formats (journal, text, JSON), level filtering and redaction.
#include "ops/logcategories.h"
#include "ops/logging.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace flex::ops;

class tst_OpsLogging : public QObject
{
    Q_OBJECT

    QList<QByteArray> m_lines;

private Q_SLOTS:
    void init()
    {
        m_lines.clear();
        setLogSink([this](const QByteArray &line) { m_lines << line; });
        forgetSecrets();
    }
    void cleanupTestCase() { setLogSink({}); }

    void journalPrefixes_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<QByteArray>("prefix");
        QTest::newRow("debug") << int(QtDebugMsg) << QByteArray("<7>");
        QTest::newRow("info") << int(QtInfoMsg) << QByteArray("<6>");
        QTest::newRow("warning") << int(QtWarningMsg) << QByteArray("<4>");
        QTest::newRow("critical") << int(QtCriticalMsg) << QByteArray("<3>");
    }
    void journalPrefixes()
    {
        QFETCH(int, type);
        QFETCH(QByteArray, prefix);
        const QByteArray line = formatLogLine(LogOutput::Journal, QtMsgType(type), "flex.dial",
                                              u"two\nlines"_s, {{u"callSid"_s, u"CA1"_s}});
        QCOMPARE(line, prefix + "flex.dial: two\n" + prefix + "lines callSid=CA1\n");
    }

    void textLine()
    {
        const QByteArray line =
            formatLogLine(LogOutput::Text, QtWarningMsg, "flex.server", u"slow client"_s,
                          {{u"peer"_s, u"a b"_s}, {u"bytes"_s, 42}});
        static const QRegularExpression re(
            u"^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} warning flex\\.server: slow "
            "client bytes=42 peer=\"a b\"\\n$"_s);
        QVERIFY2(re.match(QString::fromUtf8(line)).hasMatch(), line.constData());
    }

    void jsonLine()
    {
        const QByteArray line =
            formatLogLine(LogOutput::Json, QtInfoMsg, "flex.dial", u"call \"placed\""_s,
                          {{u"callSid"_s, u"CA123"_s}, {u"n"_s, 3}, {u"message"_s, u"spoof"_s}});
        QVERIFY(line.endsWith('\n'));
        QCOMPARE(line.count('\n'), 1);
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(line, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(o.value(u"level"_s).toString(), u"info"_s);
        QCOMPARE(o.value(u"category"_s).toString(), u"flex.dial"_s);
        QCOMPARE(o.value(u"message"_s).toString(), u"call \"placed\""_s);
        QCOMPARE(o.value(u"callSid"_s).toString(), u"CA123"_s);
        QCOMPARE(o.value(u"n"_s).toInt(), 3);
        QVERIFY(QDateTime::fromString(o.value(u"time"_s).toString(), Qt::ISODateWithMs).isValid());
    }

    void handlerAndFields()
    {
        QVERIFY(configureLogging(u"info"_s, u"json"_s));
        QCOMPARE(logOutput(), LogOutput::Json);
        qCInfo(flex::lcDial) << "plain";
        logWithFields(flex::lcDial(), QtInfoMsg, u"with fields"_s, {{u"callSid"_s, u"CA9"_s}});
        qCDebug(flex::lcDial) << "hidden at info";
        QCOMPARE(m_lines.size(), 2);
        const QJsonObject a = QJsonDocument::fromJson(m_lines[0]).object();
        const QJsonObject b = QJsonDocument::fromJson(m_lines[1]).object();
        QCOMPARE(a.value(u"message"_s).toString(), u"plain"_s);
        QVERIFY(!a.contains(u"callSid"_s)); // fields do not leak to later lines
        QCOMPARE(b.value(u"message"_s).toString(), u"with fields"_s);
        QCOMPARE(b.value(u"callSid"_s).toString(), u"CA9"_s);
    }

    void levels()
    {
        QVERIFY(configureLogging(u"debug"_s, u"text"_s));
        QVERIFY(flex::lcStats().isDebugEnabled());
        QVERIFY(!flex::lcTwilioTraffic().isDebugEnabled()); // traffic stays off
        QVERIFY(configureLogging(u"warning"_s, u"text"_s));
        QVERIFY(!flex::lcStats().isInfoEnabled());
        QVERIFY(flex::lcStats().isWarningEnabled());
        QVERIFY(configureLogging(u"critical"_s, u"text"_s));
        QVERIFY(!flex::lcStats().isWarningEnabled());
        QVERIFY(flex::lcStats().isCriticalEnabled());
        QVERIFY(configureLogging(u"info"_s, u"text"_s));
        QVERIFY(flex::lcStats().isInfoEnabled());
        QVERIFY(!flex::lcStats().isDebugEnabled());
        QString error;
        QVERIFY(!configureLogging(u"loud"_s, u"text"_s, &error));
        QVERIFY(error.startsWith(u"LOG_LEVEL"_s));
        QVERIFY(!configureLogging(u"info"_s, u"xml"_s, &error));
        QVERIFY(error.startsWith(u"LOG_FORMAT"_s));
    }

    void redaction_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("secret"); // must not appear in the output
        QTest::newRow("registered") << u"token is 0123456789abcdef0123456789abcdef here"_s
                                    << u"0123456789abcdef0123456789abcdef"_s;
        QTest::newRow("jwt") << u"token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl&x=1"_s
                             << u"eyJzdWIiOiJ4In0"_s;
        QTest::newRow("bearer header")
            << u"Authorization: Bearer abcdefghijklmnop"_s << u"abcdefghijklmnop"_s;
        QTest::newRow("basic header")
            << u"{\"authorization\": \"Basic QUM6c2VjcmV0\"}"_s << u"QUM6c2VjcmV0"_s;
        QTest::newRow("signature")
            << u"X-Twilio-Signature: RSOYDt4T1cUTdK1PDd93/VVr8B8="_s << u"RSOYDt4T1cUTdK1PDd93"_s;
        QTest::newRow("url password")
            << u"GET https://AC123:hunter22secret@api.twilio.com/x"_s << u"hunter22secret"_s;
    }
    void redaction()
    {
        QFETCH(QString, input);
        QFETCH(QString, secret);
        registerSecret(u"0123456789abcdef0123456789abcdef"_s);
        const QString out = redact(input);
        QVERIFY2(!out.contains(secret), qPrintable(out));
        QVERIFY2(out.contains(u"[REDACTED]"_s), qPrintable(out));
    }

    void redactionEverywhere()
    {
        registerSecret(u"flex-token-abcdef"_s, SecretLifetime::Transient);
        registerSecret(u"short"_s); // ignored: too short to mask safely
        QVERIFY(configureLogging(u"debug"_s, u"json"_s));
        qCWarning(flex::lcAuth) << "bad token flex-token-abcdef";
        logWithFields(flex::lcAuth(), QtInfoMsg, u"x"_s,
                      {{u"token"_s, u"flex-token-abcdef"_s},
                       {u"nested"_s, QJsonObject{{u"t"_s, u"flex-token-abcdef"_s}}}});
        qCInfo(flex::lcAuth) << "a short word stays";
        QCOMPARE(m_lines.size(), 3);
        for (const QByteArray &line : std::as_const(m_lines))
            QVERIFY2(!line.contains("flex-token-abcdef"), line.constData());
        QVERIFY(m_lines[2].contains("a short word stays"));
        QVERIFY(configureLogging(u"info"_s, u"text"_s));
    }
};

QTEST_GUILESS_MAIN(tst_OpsLogging)
#include "tst_opslogging.moc"
