// Where values come from: env files (and a missing one), the layers and
// their sources, the effective configuration with secrets masked, and the
// documentation of every setting.

#include "config/configloader.h"
#include "config/twiliohosts.h"
#include "validvalues.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace flex::config;
using namespace Qt::StringLiterals;

class tst_ConfigLoad : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void envFile_data();
    void envFile();
    void envFileErrors_data();
    void envFileErrors();
    void missingEnvFile_data();
    void missingEnvFile();
    void sources();
    void describeMasksSecrets();
    void everySettingDocumented_data();
    void everySettingDocumented();
};

void tst_ConfigLoad::envFile_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::newRow("plain") << QByteArray("PORT=4000\n") << u"PORT"_s << u"4000"_s;
    QTest::newRow("export") << QByteArray("export PORT=4001") << u"PORT"_s << u"4001"_s;
    QTest::newRow("double quotes") << QByteArray("A=\"x y # z\"\n") << u"A"_s << u"x y # z"_s;
    QTest::newRow("single quotes") << QByteArray("A='x \\n y'\n") << u"A"_s << u"x \\n y"_s;
    QTest::newRow("comment") << QByteArray("# c\nA=b # trailing\n") << u"A"_s << u"b"_s;
    QTest::newRow("crlf") << QByteArray("A=b\r\nB=c\r\n") << u"A"_s << u"b"_s;
    QTest::newRow("equals in value") << QByteArray("A=b=c") << u"A"_s << u"b=c"_s;
    QTest::newRow("empty value") << QByteArray("A=") << u"A"_s << QString();
}

void tst_ConfigLoad::envFile()
{
    QFETCH(QByteArray, contents);
    QFETCH(QString, key);
    QFETCH(QString, value);
    Values values;
    QVERIFY(!ConfigLoader::parseEnvFile(contents, values));
    QVERIFY(values.contains(key));
    QCOMPARE(values.value(key), value);
}

void tst_ConfigLoad::envFileErrors_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("says");
    QTest::newRow("no equals") << QByteArray("PORT 3000\n") << u"line 1"_s;
    QTest::newRow("bad key") << QByteArray("A=1\n1X=2\n") << u"line 2"_s;
}

void tst_ConfigLoad::envFileErrors()
{
    QFETCH(QByteArray, contents);
    QFETCH(QString, says);
    Values values;
    const auto error = ConfigLoader::parseEnvFile(contents, values);
    QVERIFY(error);
    QVERIFY2(error->message.contains(says), qPrintable(error->toString()));
}

void tst_ConfigLoad::missingEnvFile_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("says");
    QTest::newRow("missing") << u"/nonexistent/flex-backend.env"_s << u"does not exist"_s;
    QTest::newRow("directory") << u"/"_s << u"is a directory"_s;
}

void tst_ConfigLoad::missingEnvFile()
{
    QFETCH(QString, path);
    QFETCH(QString, says);
    LoadRequest request;
    request.envFile = path;
    request.commandLine = validValues();
    const LoadResult r = ConfigLoader::load(request);
    QVERIFY(!r.ok());
    QCOMPARE(r.error->variable, u"--env-file"_s);
    QVERIFY2(r.error->message.contains(says), qPrintable(r.error->toString()));
}

void tst_ConfigLoad::sources()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(u"test.env"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("PORT=4100\nMAX_CONNECTIONS=500\nLOG_FORMAT=json\n");
    file.close();
    qputenv("MAX_CONNECTIONS", "600");
    qputenv("LOG_FORMAT", "text");
    LoadRequest request;
    request.envFile = file.fileName();
    request.commandLine = validValues();
    request.commandLine.insert(u"LOG_FORMAT"_s, u"json"_s);
    const LoadResult r = ConfigLoader::load(request);
    qunsetenv("MAX_CONNECTIONS");
    qunsetenv("LOG_FORMAT");
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    const Config &c = *r.config;
    QCOMPARE(c.port, 4100);
    QCOMPARE(c.sourceOf(u"PORT"_s), Source::EnvFile);
    QCOMPARE(c.maxConnections, 600);
    QCOMPARE(c.sourceOf(u"MAX_CONNECTIONS"_s), Source::Environment);
    QCOMPARE(c.logFormat, u"json"_s);
    QCOMPARE(c.sourceOf(u"LOG_FORMAT"_s), Source::CommandLine);
    QCOMPARE(c.sourceOf(u"HTTP_HEAD_TIMEOUT"_s), Source::Default);
    QCOMPARE(c.envFile, file.fileName());
    const QStringList lines = ConfigLoader::describe(c);
    QVERIFY(lines.contains(u"PORT=4100 (env file)"_s));
    QVERIFY(lines.contains(u"MAX_CONNECTIONS=600 (environment)"_s));
    QVERIFY(lines.contains(u"LOG_FORMAT=json (command line)"_s));
    QVERIFY(lines.contains(u"HTTP_HEAD_TIMEOUT=10 (default)"_s));
}

void tst_ConfigLoad::describeMasksSecrets()
{
    Values values = validValues();
    values.insert(u"TWILIO_API_KEY"_s, u"SK0123456789abcdef0123456789abcdef"_s);
    values.insert(u"TWILIO_API_SECRET"_s, u"api-secret-value-123456"_s);
    values.insert(u"TWILIO_IAM_API_KEY"_s, u"SK1123456789abcdef0123456789abcdef"_s);
    values.insert(u"TWILIO_IAM_API_SECRET"_s, u"iam-secret-value-123456"_s);
    values.insert(u"METRICS_TOKEN"_s, u"metrics-token-value-123456"_s);
    values.insert(u"REDIS_URL"_s, u"rediss://flex:redis-password-123456@cache:6380/2"_s);
    const LoadResult r = ConfigLoader::build(values, false);
    QVERIFY2(r.ok(), qPrintable(r.error ? r.error->toString() : QString()));
    QCOMPARE(r.config->restUsername(), values.value(u"TWILIO_API_KEY"_s));
    const QStringList lines = ConfigLoader::describe(*r.config);
    const QString text = lines.join(u'\n');
    QVERIFY(text.contains(u"TWILIO_ACCOUNT_SID=AC0123"_s));
    QVERIFY(lines.contains(u"TWILIO_AUTH_TOKEN=(set) (environment)"_s));
    QVERIFY(lines.contains(u"REDIS_URL=rediss://flex:***@cache:6380/2 (environment)"_s));
    QVERIFY(text.contains(u"Voice API base URL: https://api.twilio.com"_s));
    QVERIFY(text.contains(u"TaskRouter base URL: https://taskrouter.twilio.com"_s));
    QVERIFY(text.contains(u"IAM (Flex token validation) base URL: https://iam.twilio.com"_s));
    for (const QString &secret :
         {values.value(u"TWILIO_AUTH_TOKEN"_s), values.value(u"TWILIO_API_SECRET"_s),
          values.value(u"TWILIO_IAM_API_SECRET"_s), values.value(u"METRICS_TOKEN"_s),
          u"redis-password-123456"_s})
        QVERIFY2(!text.contains(secret), "a secret appears in the effective configuration");
    // One line per setting, then the derived URLs.
    QCOMPARE(lines.size(), settingTable().size() + 4);
}

void tst_ConfigLoad::everySettingDocumented_data()
{
    // Each row's name and default, as the table has them.
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("pattern"); // %1: the variable, %2: its default
    QTest::addColumn<QString>("noDefault");
    QTest::newRow("README table") << u"README.md"_s << u"^\\| `%1` \\| %2 \\|"_s << u"—"_s;
    QTest::newRow("packaged env file")
        << u"packaging/flex-backend.env"_s << u"^#%1=%2$"_s << QString();
}

void tst_ConfigLoad::everySettingDocumented()
{
    QFETCH(QString, file);
    QFETCH(QString, pattern);
    QFETCH(QString, noDefault);
    QFile doc(qEnvironmentVariable("FLEX_SOURCE_DIR") + u'/' + file);
    QVERIFY2(doc.open(QIODevice::ReadOnly), qPrintable(file + u" not found (FLEX_SOURCE_DIR)"_s));
    const QString text = QString::fromUtf8(doc.readAll());
    for (const Setting &s : settingTable()) {
        QString shownDefault = s.defaultValue.isEmpty() ? noDefault : s.defaultValue;
        if (!s.defaultValue.isEmpty() && !noDefault.isEmpty())
            shownDefault = u'`' + shownDefault + u'`';
        const QRegularExpression row(pattern.arg(s.env, QRegularExpression::escape(shownDefault)),
                                     QRegularExpression::MultilineOption);
        QVERIFY2(row.match(text).hasMatch(), qPrintable(s.env + u" (default \""_s + s.defaultValue +
                                                        u"\") is not in "_s + file));
    }
}

QTEST_GUILESS_MAIN(tst_ConfigLoad)
#include "tst_configload.moc"
