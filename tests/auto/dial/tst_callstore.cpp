// CallStore (the durable file of calls in flight: atomic replacement,
// refusal of damaged files) and CallCommitter (no update of a new call
// reaches its owner before the call is on disk; one write per event-loop
// turn however many calls were created in it).
#include "config/config.h"
#include "dial/callcommitter.h"
#include "dial/callregistry.h"
#include "dial/callstore.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace flex::dial;

// Named, not anonymous: the test class (external linkage) holds these types.
namespace callstore_test {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(f.write(data), data.size());
}

const QList<CallRecord> TwoCalls{
    {u"CA1"_s, u"alice"_s, u"+15551234567"_s, CallStatus::InProgress, 2, 1000, 2000},
    {u"CA2"_s, u"user_40example_2Dcom"_s, u"sip:x@example.com"_s, CallStatus::Queued, -1, 3000,
     3000},
};

// What the owner was sent, and whether the call was on disk at that moment.
struct Sent
{
    QString sid;
    QString status;
    bool onDisk;
};

} // namespace callstore_test
using namespace callstore_test;

class tst_CallStore : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrip();
    void damagedFileIsMovedAside_data();
    void damagedFileIsMovedAside();
    void crashMidWriteKeepsTheLastList();
    void damagedEntriesCostOnlyThemselves();

    void newCallIsOnDiskBeforeItsFirstUpdate();
    void oneWritePerTurn();
    void heldCallbacksFollowQueuedInOrder();
    void knownCallsPassAtOnce();
    void failedWriteStillTellsTheAgent();

private:
    struct Rig
    {
        explicit Rig(const QString &stateDir);
        CallStore store;
        CallRegistry registry;
        QList<Sent> sent;
        CallCommitter committer;
        QStringList statuses() const;
    };
};

tst_CallStore::Rig::Rig(const QString &stateDir)
    : store(stateDir)
    , committer(store, registry, [this](const QString &, const QString &sid, CallStatus status) {
        sent.append({sid, statusText(status), readFile(store.filePath()).contains(sid.toUtf8())});
    })
{
    // The registry's settings have no defaults of their own: the service
    // fills them from its configuration, so the test does the same.
    CallRegistry::Settings settings;
    settings.ttl = flex::config::Config::defaults().dialCallTtl;
    settings.holdTime = std::chrono::seconds(20);
    settings.maxHeld = flex::config::Config::defaults().dialMaxHeldCallbacks;
    registry.configure(settings);
    QObject::connect(&registry, &CallRegistry::callUpdate, &committer,
                     [this](const QString &owner, const QString &sid, CallStatus status) {
                         committer.offer(owner, sid, status);
                     });
    QObject::connect(&registry, &CallRegistry::changed, &committer,
                     [this] { committer.saveSoon(); });
}

QStringList tst_CallStore::Rig::statuses() const
{
    QStringList out;
    for (const Sent &s : sent)
        out.append(s.sid + u' ' + s.status);
    return out;
}

void tst_CallStore::roundTrip()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString stateDir = dir.filePath(u"nested/state"_s); // created on demand
    CallStore store(stateDir);
    QString error;
    QVERIFY2(store.save(TwoCalls, &error), qPrintable(error));
    QCOMPARE(QFile::permissions(store.filePath()) & (QFile::ReadOther | QFile::ReadGroup),
             QFile::Permissions());
    CallStore::Loaded loaded = store.load();
    QCOMPARE(loaded.calls, TwoCalls);
    QVERIFY(loaded.problem.isEmpty());
    QVERIFY2(store.save({}, &error), qPrintable(error));
    loaded = store.load();
    QCOMPARE(loaded.calls, QList<CallRecord>{});
    // No temporary file is left behind.
    QCOMPARE(QDir(stateDir).entryList(QDir::Files), QStringList{u"dial-calls.json"_s});
    // A missing file is no problem.
    QVERIFY(QFile::remove(store.filePath()));
    loaded = store.load();
    QVERIFY(loaded.calls.isEmpty());
    QVERIFY(loaded.problem.isEmpty());
    QVERIFY(loaded.movedTo.isEmpty());
}

void tst_CallStore::damagedFileIsMovedAside_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("reason");
    const QByteArray good = CallStore::serialize(TwoCalls);
    QTest::newRow("empty") << QByteArray() << u"empty"_s;
    QTest::newRow("truncated") << good.left(good.size() / 2) << u"not a JSON object"_s;
    QTest::newRow("cut after the last call")
        << good.left(good.lastIndexOf(']') + 1) << u"not a JSON object"_s;
    QTest::newRow("garbage") << QByteArray("\x00\xff\x13garbage", 10) << u"not a JSON object"_s;
    QTest::newRow("array") << QByteArray("[]") << u"not a JSON object"_s;
    QTest::newRow("other version") << QByteArray(R"({"version":99,"calls":[]})") << u"version 99"_s;
    QTest::newRow("no list") << QByteArray(R"({"version":1,"calls":{}})") << u"no list"_s;
}

void tst_CallStore::damagedFileIsMovedAside()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, reason);
    QTemporaryDir dir;
    CallStore store(dir.path());
    writeFile(store.filePath(), content);

    const CallStore::Loaded loaded = store.load();
    QVERIFY(loaded.calls.isEmpty());
    QVERIFY2(loaded.problem.contains(u"damaged"_s) && loaded.problem.contains(reason),
             qPrintable(loaded.problem));
    // Moved aside intact, so the next save cannot destroy the evidence.
    QVERIFY2(QFileInfo(loaded.movedTo).fileName().startsWith(u"dial-calls.json.corrupt-"_s),
             qPrintable(loaded.movedTo));
    QCOMPARE(readFile(loaded.movedTo), content);
    QVERIFY(!QFile::exists(store.filePath()));
    QString error;
    QVERIFY2(store.save(TwoCalls, &error), qPrintable(error));
    QCOMPARE(store.load().calls, TwoCalls);
}

void tst_CallStore::crashMidWriteKeepsTheLastList()
{
    QTemporaryDir dir;
    CallStore store(dir.path());
    QString error;
    QVERIFY(store.save(TwoCalls, &error));
    // A crash after the temporary file was begun, before the rename.
    writeFile(store.filePath() + u".tmp"_s, CallStore::serialize(TwoCalls.mid(1)).left(20));
    const CallStore::Loaded loaded = store.load();
    QCOMPARE(loaded.calls, TwoCalls);
    QVERIFY(loaded.problem.isEmpty());
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{u"dial-calls.json"_s});
}

void tst_CallStore::damagedEntriesCostOnlyThemselves()
{
    QTemporaryDir dir;
    CallStore store(dir.path());
    writeFile(
        store.filePath(),
        R"({"version":1,"calls":[{"sid":"CA1","owner":"alice","status":"ringing"},{"sid":"CA2","status":"bogus"},7]})");
    const CallStore::Loaded loaded = store.load();
    QVERIFY(loaded.problem.isEmpty());
    QCOMPARE(loaded.calls.size(), 1);
    QCOMPARE(loaded.calls.first().sid, u"CA1"_s);
    QCOMPARE(loaded.skipped, 2);
}

void tst_CallStore::newCallIsOnDiskBeforeItsFirstUpdate()
{
    QTemporaryDir dir;
    Rig rig(dir.path());
    rig.registry.addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, u"+15551230000"_s);
    QVERIFY(rig.sent.isEmpty()); // not before the end of this turn
    QTRY_COMPARE(rig.sent.size(), 1);
    QCOMPARE(rig.sent.first().status, u"queued"_s);
    QVERIFY(rig.sent.first().onDisk);
    QCOMPARE(rig.committer.heldUpdates(), 0);
}

void tst_CallStore::oneWritePerTurn()
{
    QTemporaryDir dir;
    Rig rig(dir.path());
    for (int i = 0; i < 20; ++i)
        rig.registry.addCall(u"CA%1"_s.arg(i), u"alice"_s, CallStatus::Queued, u"+1555"_s);
    QTRY_COMPARE(rig.sent.size(), 20);
    QCOMPARE(rig.committer.writes(), 1);
    for (const Sent &s : std::as_const(rig.sent))
        QVERIFY2(s.onDisk, qPrintable(s.sid));
    QCOMPARE(rig.store.load().calls.size(), 20);
}

void tst_CallStore::heldCallbacksFollowQueuedInOrder()
{
    QTemporaryDir dir;
    Rig rig(dir.path());
    rig.registry.addCall(u"CA0"_s, u"alice"_s, CallStatus::Queued, u"+1555"_s);
    QTRY_COMPARE(rig.sent.size(), 1);
    // A callback that beat the create answer, and an update of a call on
    // disk in the same turn: both wait behind the new call's queued.
    QCOMPARE(rig.registry.applyCallback(u"CA1"_s, CallStatus::Ringing, 1),
             CallRegistry::Outcome::Held);
    rig.registry.addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, u"+1555"_s);
    rig.registry.applyCallback(u"CA0"_s, CallStatus::Ringing, 1);
    QCOMPARE(rig.sent.size(), 1);
    QTRY_COMPARE(rig.sent.size(), 4);
    QCOMPARE(rig.statuses(),
             (QStringList{u"CA0 queued"_s, u"CA1 queued"_s, u"CA1 ringing"_s, u"CA0 ringing"_s}));
    QVERIFY(rig.sent.at(1).onDisk);
}

void tst_CallStore::knownCallsPassAtOnce()
{
    QTemporaryDir dir;
    {
        // Recent: the registry restores only calls younger than the TTL.
        QList<CallRecord> recent = TwoCalls;
        for (CallRecord &c : recent)
            c.createdMs = c.updatedMs = QDateTime::currentMSecsSinceEpoch();
        CallStore seed(dir.path());
        QString error;
        QVERIFY(seed.save(recent, &error));
    }
    Rig rig(dir.path());
    rig.registry.restore(rig.store.load().calls);
    rig.committer.markSaved();
    rig.registry.applyCallback(u"CA2"_s, CallStatus::Ringing, 1);
    QCOMPARE(rig.statuses(), QStringList{u"CA2 ringing"_s}); // synchronously
    // The change itself is saved shortly after.
    QTRY_VERIFY(readFile(rig.store.filePath()).contains("\"ringing\""));
}

void tst_CallStore::failedWriteStillTellsTheAgent()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(u"file"_s), "not a directory");
    Rig rig(dir.filePath(u"file/state"_s));
    rig.registry.addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, u"+1555"_s);
    QTest::ignoreMessage(
        QtWarningMsg, QRegularExpression(u"calls in flight not saved, a crash now would lose"_s));
    QTRY_COMPARE(rig.sent.size(), 1);
    QCOMPARE(rig.sent.first().status, u"queued"_s);
    QTest::ignoreMessage(
        QtWarningMsg, QRegularExpression(u"calls in flight not saved, a crash now would lose"_s));
    QVERIFY(!rig.committer.saveNow());
}

QTEST_GUILESS_MAIN(tst_CallStore)
#include "tst_callstore.moc"
