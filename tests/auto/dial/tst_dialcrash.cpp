// Crash safety of calls in flight, on the real binary: kill -9 during a burst
// of calls never loses one the agent was told is `queued`, and a damaged
// state file is refused, moved aside, and the service starts.
#include "dial/callstore.h"
#include "prerequisite.h"
#include "testenvironment.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTest>

#include <csignal>
#include <memory>

using namespace Qt::StringLiterals;
using flex::testing::TestEnvironment;
using flex::testing::WsClient;

namespace {

constexpr int Timeout = 30000;
const QString RingsForever = u"+15551230004"_s; // rings until hung up
const QString Answers = u"+15551230000"_s;

QJsonObject callMessage(const QString &to)
{
    return {{"method"_L1, u"call"_s},
            {"to"_L1, to},
            {"from"_L1, u"+15557654321"_s},
            {"workerContactUri"_L1, u"client:alice"_s}};
}

QString statusOf(const QJsonDocument &d)
{
    const QJsonObject o = d.object();
    return o.value("messageType"_L1) == "callUpdate"_L1 ? o.value("callStatus"_L1).toString()
                                                        : QString();
}

// The sids of every call the client was told is queued.
QSet<QString> queuedSids(const WsClient &client)
{
    QSet<QString> sids;
    for (int i = 0; i < client.messages().size(); ++i) {
        if (statusOf(client.json(i)) == u"queued"_s)
            sids.insert(client.json(i).object().value("callSid"_L1).toString());
    }
    return sids;
}

bool hasUpdate(const WsClient &client, const QString &sid, const QString &status)
{
    for (int i = 0; i < client.messages().size(); ++i) {
        const QJsonDocument d = client.json(i);
        if (statusOf(d) == status && d.object().value("callSid"_L1).toString() == sid)
            return true;
    }
    return false;
}

std::unique_ptr<WsClient> openDial(TestEnvironment &env, const QString &token)
{
    auto client = std::make_unique<WsClient>();
    if (!client->open(env.service().wsUrl(u"/websocket/outboundDial"_s), token, Timeout))
        return nullptr;
    return client;
}

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(data), data.size());
}

} // namespace

class tst_DialCrash : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void killDuringABurstLosesNoQueuedCall();
    void damagedStateFileIsRefused_data();
    void damagedStateFileIsRefused();
};

void tst_DialCrash::initTestCase()
{
    if (flex::testing::ServiceProcess::binary().isEmpty())
        FLEX_REQUIRE(false, "FLEX_BACKEND_BIN is not set (run through ctest)");
}

void tst_DialCrash::killDuringABurstLosesNoQueuedCall()
{
    TestEnvironment env;
    env.setEnv(u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"0"_s);
    QVERIFY(env.startService());
    auto alice = openDial(env, TestEnvironment::agentToken());
    QVERIFY(alice);

    // A burst; the service dies the moment the agent holds half of its
    // queued updates, while the other creates are still on their way.
    constexpr int Burst = 24;
    for (int i = 0; i < Burst; ++i)
        alice->sendJson(callMessage(RingsForever));
    QTRY_VERIFY_WITH_TIMEOUT(queuedSids(*alice).size() >= Burst / 2, Timeout);
    env.service().signal(SIGKILL);
    QVERIFY(env.service().waitForExit(Timeout));
    QVERIFY(alice->waitForDisconnect(Timeout)); // every frame sent before the kill is in
    const QSet<QString> promised = queuedSids(*alice);
    QVERIFY(promised.size() >= Burst / 2);
    qInfo("%d calls were reported queued before the kill", int(promised.size()));

    // Same STATE_DIR. The owner's new socket gets each call's later updates:
    // hanging up works (the call and its owner survived) and the emulator's
    // canceled callback reaches it.
    QVERIFY(env.service().start());
    QTRY_VERIFY_WITH_TIMEOUT(env.service().output().count("listening on") >= 2, Timeout);
    QVERIFY2(env.service().output().contains("restored"), env.service().output().constData());
    std::unique_ptr<WsClient> again;
    QTRY_VERIFY_WITH_TIMEOUT((again = openDial(env, TestEnvironment::agentToken())) != nullptr,
                             Timeout);
    for (const QString &sid : promised)
        again->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    for (const QString &sid : promised) {
        QTRY_VERIFY2_WITH_TIMEOUT(hasUpdate(*again, sid, u"canceled"_s),
                                  qPrintable(sid + u" lost; socket got:\n"_s + again->dump() +
                                             u"\nservice:\n"_s +
                                             QString::fromUtf8(env.service().output().right(3000))),
                                  Timeout);
    }
    // Nothing else failed: no "no such call" for any of them.
    for (int i = 0; i < again->messages().size(); ++i)
        QVERIFY2(again->json(i).object().value("messageType"_L1) != "error"_L1,
                 qPrintable(again->messages().at(i)));
    // A new call after the restart is as durable as ever.
    const int before = int(again->messages().size());
    again->sendJson(callMessage(Answers));
    QVERIFY(again->waitFor([](const QJsonDocument &d) { return statusOf(d) == u"completed"_s; },
                           Timeout, before) >= 0);
}

void tst_DialCrash::damagedStateFileIsRefused_data()
{
    QTest::addColumn<QByteArray>("content");
    const QList<flex::dial::CallRecord> calls{{u"CA0123456789abcdef0123456789abcdef"_s, u"alice"_s,
                                               RingsForever, flex::dial::CallStatus::Ringing, 1,
                                               QDateTime::currentMSecsSinceEpoch(),
                                               QDateTime::currentMSecsSinceEpoch()}};
    const QByteArray good = flex::dial::CallStore::serialize(calls);
    QTest::newRow("truncated mid-write") << good.left(good.size() - 5);
    QTest::newRow("garbage") << QByteArray("\x7f"
                                           "ELF\x02\x01\x01 not json at all",
                                           24);
    QTest::newRow("empty") << QByteArray();
}

void tst_DialCrash::damagedStateFileIsRefused()
{
    QFETCH(QByteArray, content);
    TestEnvironment env;
    const QString stateFile = QDir(env.stateDir()).filePath(u"dial-calls.json"_s);
    writeFile(stateFile, content);
    QVERIFY(env.startService());
    QVERIFY2(env.service().waitForOutput("refused the saved calls in flight", Timeout),
             env.service().output().constData());
    const QStringList aside =
        QDir(env.stateDir()).entryList({u"dial-calls.json.corrupt-*"_s}, QDir::Files);
    QCOMPARE(aside.size(), 1);
    QVERIFY(env.service().output().contains(aside.first().toUtf8()));
    QFile moved(QDir(env.stateDir()).filePath(aside.first()));
    QVERIFY(moved.open(QIODevice::ReadOnly));
    QCOMPARE(moved.readAll(), content);

    // The service works, and its new state file is good.
    auto alice = openDial(env, TestEnvironment::agentToken());
    QVERIFY(alice);
    alice->sendJson(callMessage(RingsForever));
    QTRY_VERIFY_WITH_TIMEOUT(queuedSids(*alice).size() == 1, Timeout);
    const QString sid = *queuedSids(*alice).begin();
    QFile saved(stateFile);
    QVERIFY(saved.open(QIODevice::ReadOnly));
    QString error;
    const auto loaded = flex::dial::CallStore::deserialize(saved.readAll(), &error);
    QVERIFY2(loaded, qPrintable(error));
    QCOMPARE(loaded->size(), 1);
    QCOMPARE(loaded->first().sid, sid);
    alice->sendJson({{"method"_L1, u"hangup"_s}, {"callSid"_L1, sid}});
    QTRY_VERIFY_WITH_TIMEOUT(hasUpdate(*alice, sid, u"canceled"_s), Timeout);
}

QTEST_GUILESS_MAIN(tst_DialCrash)
#include "tst_dialcrash.moc"
