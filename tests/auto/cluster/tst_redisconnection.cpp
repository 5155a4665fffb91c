// RedisConnection against a real redis-server started by the test: replies
// in order, failures instead of hangs, AUTH and SELECT, timeouts,
// reconnection and re-subscription after a restart, scripts by hash, unix://.
#include "bus/redisconnection.h"
#include "config/valueparsers.h"
#include "prerequisite.h"
#include "redisserver.h"
#include "serviceprocess.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace std::chrono_literals;
using flex::bus::RedisConnection;
using flex::bus::RedisResult;
using flex::bus::RedisScript;
using flex::testing::RedisServer;

namespace {

std::unique_ptr<RedisConnection> connection(const QString &url,
                                            std::chrono::milliseconds timeout = 3000ms)
{
    RedisConnection::Settings s;
    const QString problem = flex::config::parseRedisUrl(url, &s.endpoint);
    if (!problem.isEmpty())
        qFatal("bad url in test");
    s.commandTimeout = timeout;
    s.minBackoff = 20ms;
    s.maxBackoff = 200ms;
    return std::make_unique<RedisConnection>(s);
}

// Runs one command and waits for its callback.
RedisResult run(RedisConnection &c, const QByteArrayList &args)
{
    std::optional<RedisResult> result;
    c.command(args, nullptr, [&](const RedisResult &r) { result = r; });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000))
        return RedisResult{std::nullopt, u"test: no callback within 10 s"_s};
    return *result;
}

bool waitConnected(RedisConnection &c)
{
    return QTest::qWaitFor([&] { return c.isConnected(); }, 15000);
}

} // namespace

class tst_RedisConnection : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init() { FLEX_REQUIRE_REDIS(); }
    void pipelinedRepliesInOrder();
    void errorReplyKeepsConnection();
    void failsFastWhenNotConnected();
    void authAndSelect();
    void wrongPasswordNeverConnects();
    void timeoutFailsAndReconnects();
    void reconnectAfterRestart();
    void resubscribeAfterRestart();
    void scriptsByHash();
    void unixSocket();
    void tlsVerifiesTheServer();
};

void tst_RedisConnection::pipelinedRepliesInOrder()
{
    RedisServer server;
    QVERIFY(server.start());
    auto c = connection(server.url());
    c->open();
    QVERIFY(waitConnected(*c));
    QList<qint64> seen;
    for (int i = 0; i < 500; ++i)
        c->command({"INCR", "counter"}, nullptr,
                   [&](const RedisResult &r) { seen.append(r.reply ? r.reply->integer : -1); });
    QTRY_COMPARE_WITH_TIMEOUT(seen.size(), 500, 10000);
    for (int i = 0; i < 500; ++i)
        QCOMPARE(seen.at(i), qint64(i + 1));
    const RedisResult get = run(*c, {"GET", "counter"});
    QVERIFY(get.ok());
    QCOMPARE(get.reply->text, QByteArray("500"));
    QCOMPARE(c->pending(), 0);
}

void tst_RedisConnection::errorReplyKeepsConnection()
{
    RedisServer server;
    QVERIFY(server.start());
    auto c = connection(server.url());
    c->open();
    QVERIFY(waitConnected(*c));
    QVERIFY(run(*c, {"SET", "text", "not a number"}).ok());
    const RedisResult bad = run(*c, {"INCR", "text"});
    QVERIFY(bad.reply);
    QVERIFY(bad.reply->isError());
    QVERIFY(!bad.error().isEmpty());
    QVERIFY(c->isConnected());
    QVERIFY(run(*c, {"PING"}).ok());
}

void tst_RedisConnection::failsFastWhenNotConnected()
{
    auto c = connection(u"redis://127.0.0.1:%1"_s.arg(flex::testing::freeLoopbackPort()));
    c->open();
    const RedisResult r = run(*c, {"PING"});
    QVERIFY(!r.reply);
    QVERIFY2(r.failure.contains(u"not connected"_s), qPrintable(r.failure));
    QVERIFY(!c->isConnected());
}

void tst_RedisConnection::authAndSelect()
{
    RedisServer server;
    QVERIFY(server.start({u"--requirepass"_s, u"default-secret-123"_s}));
    auto admin = connection(u"redis://:default-secret-123@127.0.0.1:%1/3"_s.arg(server.port()));
    admin->open();
    QVERIFY(waitConnected(*admin));
    QVERIFY(run(*admin, {"SET", "where", "db3"}).ok());
    QVERIFY(run(*admin, {"ACL", "SETUSER", "flex", "on", ">user-secret-456", "~*", "+@all"}).ok());

    auto user = connection(u"redis://flex:user-secret-456@127.0.0.1:%1/3"_s.arg(server.port()));
    user->open();
    QVERIFY(waitConnected(*user));
    QCOMPARE(run(*user, {"GET", "where"}).reply->text, QByteArray("db3"));
    QCOMPARE(run(*user, {"ACL", "WHOAMI"}).reply->text, QByteArray("flex"));

    auto db0 = connection(u"redis://flex:user-secret-456@127.0.0.1:%1"_s.arg(server.port()));
    db0->open();
    QVERIFY(waitConnected(*db0));
    QVERIFY(run(*db0, {"GET", "where"}).reply->isNil());
}

void tst_RedisConnection::wrongPasswordNeverConnects()
{
    RedisServer server;
    QVERIFY(server.start({u"--requirepass"_s, u"right-secret-789"_s}));
    auto c = connection(u"redis://:wrong-secret-000@127.0.0.1:%1"_s.arg(server.port()));
    QSignalSpy connected(c.get(), &RedisConnection::connected);
    c->open();
    QTRY_VERIFY_WITH_TIMEOUT(c->lastError().contains(u"AUTH"_s), 10000);
    QVERIFY2(!c->lastError().contains(u"wrong-secret-000"_s), "the password is in the error");
    QVERIFY(!c->isConnected());
    QCOMPARE(connected.count(), 0);
}

void tst_RedisConnection::timeoutFailsAndReconnects()
{
    RedisServer server;
    QVERIFY(server.start());
    auto c = connection(server.url(), 300ms);
    c->open();
    QVERIFY(waitConnected(*c));
    QSignalSpy disconnected(c.get(), &RedisConnection::disconnected);
    QSignalSpy connected(c.get(), &RedisConnection::connected);
    std::optional<RedisResult> blocked, behind;
    c->command({"BLPOP", "nothing-ever", "0"}, nullptr, [&](const RedisResult &r) { blocked = r; });
    c->command({"PING"}, nullptr, [&](const RedisResult &r) { behind = r; });
    QTRY_VERIFY_WITH_TIMEOUT(blocked.has_value() && behind.has_value(), 10000);
    QVERIFY(!blocked->reply);
    QVERIFY2(blocked->failure.contains(u"no answer within 300 ms"_s), qPrintable(blocked->failure));
    QVERIFY(!behind->reply);
    QCOMPARE(disconnected.count(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(connected.count() >= 1, 10000);
    QVERIFY(run(*c, {"PING"}).ok());
}

void tst_RedisConnection::reconnectAfterRestart()
{
    RedisServer server;
    QVERIFY(server.start());
    auto c = connection(server.url());
    c->open();
    QVERIFY(waitConnected(*c));
    QSignalSpy disconnected(c.get(), &RedisConnection::disconnected);
    QSignalSpy connected(c.get(), &RedisConnection::connected);
    server.kill();
    QVERIFY(disconnected.wait(10000));
    const RedisResult down = run(*c, {"PING"});
    QVERIFY(!down.reply);
    QVERIFY(server.start());
    QVERIFY(connected.wait(15000));
    QVERIFY(run(*c, {"PING"}).ok());
}

void tst_RedisConnection::resubscribeAfterRestart()
{
    RedisServer server;
    QVERIFY(server.start());
    auto pub = connection(server.url());
    auto sub = connection(server.url());
    sub->setSubscriptions({"news", "other"});
    QSignalSpy messages(sub.get(), &RedisConnection::message);
    pub->open();
    sub->open();
    QVERIFY(waitConnected(*pub));
    QVERIFY(waitConnected(*sub));
    QCOMPARE(run(*pub, {"PUBLISH", "news", "one"}).reply->integer, 1);
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 1, 10000);
    QCOMPARE(messages.at(0).at(0).toByteArray(), QByteArray("news"));
    QCOMPARE(messages.at(0).at(1).toByteArray(), QByteArray("one"));

    server.kill();
    QVERIFY(server.start());
    QVERIFY(waitConnected(*pub));
    QTRY_VERIFY_WITH_TIMEOUT(sub->isConnected(), 15000);
    QCOMPARE(run(*pub, {"PUBLISH", "other", "two"}).reply->integer, 1);
    QTRY_COMPARE_WITH_TIMEOUT(messages.count(), 2, 10000);
    QCOMPARE(messages.at(1).at(1).toByteArray(), QByteArray("two"));
}

void tst_RedisConnection::scriptsByHash()
{
    RedisServer server;
    QVERIFY(server.start());
    const RedisScript script("return {KEYS[1], ARGV[1]}");
    auto c = connection(server.url());
    c->addScript(script);
    c->open();
    QVERIFY(waitConnected(*c));
    const RedisResult exists = run(*c, {"SCRIPT", "EXISTS", script.sha1});
    QCOMPARE(exists.reply->elements.value(0).integer, 1); // loaded on connect
    QVERIFY(run(*c, {"SCRIPT", "FLUSH"}).ok());
    std::optional<RedisResult> r;
    c->eval(script, {"k"}, {"v"}, nullptr, [&](const RedisResult &res) { r = res; });
    QTRY_VERIFY_WITH_TIMEOUT(r.has_value(), 10000);
    QVERIFY2(r->ok(), qPrintable(r->error()));
    QCOMPARE(r->reply->elements.size(), 2);
    QCOMPARE(r->reply->elements.at(1).text, QByteArray("v"));
    QCOMPARE(run(*c, {"SCRIPT", "EXISTS", script.sha1}).reply->elements.value(0).integer, 1);
}

void tst_RedisConnection::unixSocket()
{
    RedisServer server;
    QVERIFY(server.start());
    auto c = connection(u"unix://"_s + server.unixSocket() + u"?db=2"_s);
    c->open();
    QVERIFY(waitConnected(*c));
    QVERIFY(run(*c, {"SET", "via", "unix"}).ok());
    auto tcp = connection(server.url() + u"/2"_s);
    tcp->open();
    QVERIFY(waitConnected(*tcp));
    QCOMPARE(run(*tcp, {"GET", "via"}).reply->text, QByteArray("unix"));
}

void tst_RedisConnection::tlsVerifiesTheServer()
{
    QTemporaryDir dir;
    const QString cert = dir.filePath(u"cert.pem"_s);
    const QString key = dir.filePath(u"key.pem"_s);
    QProcess openssl;
    openssl.start(u"openssl"_s,
                  {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-keyout"_s,
                   key, u"-out"_s, cert, u"-days"_s, u"1"_s, u"-subj"_s, u"/CN=127.0.0.1"_s,
                   u"-addext"_s, u"subjectAltName=IP:127.0.0.1"_s});
    QTRY_VERIFY_WITH_TIMEOUT(openssl.state() == QProcess::NotRunning, 30000);
    if (openssl.exitCode() != 0 || !QFile::exists(cert))
        FLEX_REQUIRE(false, "openssl could not make a test certificate");
    const quint16 tlsPort = flex::testing::freeLoopbackPort();
    RedisServer server;
    QVERIFY(server.start({u"--tls-port"_s, QString::number(tlsPort), u"--tls-cert-file"_s, cert,
                          u"--tls-key-file"_s, key, u"--tls-ca-cert-file"_s, cert,
                          u"--tls-auth-clients"_s, u"no"_s}));
    const QString url = u"rediss://127.0.0.1:%1"_s.arg(tlsPort);

    // The system CA store does not know this certificate: refused.
    auto untrusted = connection(url);
    untrusted->open();
    QTRY_VERIFY_WITH_TIMEOUT(!untrusted->lastError().isEmpty(), 10000);
    QVERIFY(!untrusted->isConnected());

    RedisConnection::Settings s;
    QVERIFY(flex::config::parseRedisUrl(url, &s.endpoint).isEmpty());
    s.extraCaCertificates = QSslCertificate::fromPath(cert);
    RedisConnection trusted(s);
    trusted.open();
    QVERIFY(waitConnected(trusted));
    QVERIFY(run(trusted, {"SET", "over", "tls"}).ok());
    auto plain = connection(server.url());
    plain->open();
    QVERIFY(waitConnected(*plain));
    QCOMPARE(run(*plain, {"GET", "over"}).reply->text, QByteArray("tls"));
}

QTEST_GUILESS_MAIN(tst_RedisConnection)
#include "tst_redisconnection.moc"
