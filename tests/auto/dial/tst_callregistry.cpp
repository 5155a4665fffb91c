// CallRegistry (ordering by SequenceNumber, early callbacks held and
// released, terminal removal, TTL, ownership). CallStore: tst_callstore.
#include "dial/callregistry.h"

#include <QSignalSpy>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace flex::dial;
using namespace std::chrono_literals;

namespace {

struct Callback
{
    QString status;
    int sequence;
};

// Records what the registry emitted as "owner sid status" lines.
class Recorder : public QObject
{
public:
    explicit Recorder(CallRegistry &registry)
    {
        connect(&registry, &CallRegistry::callUpdate, this,
                [this](const QString &owner, const QString &sid, CallStatus status) {
                    lines.append(owner + u' ' + sid + u' ' + statusText(status));
                });
    }
    QStringList statusesOf(const QString &sid) const
    {
        QStringList out;
        for (const QString &l : lines) {
            if (l.section(u' ', 1, 1) == sid)
                out.append(l.section(u' ', 2, 2));
        }
        return out;
    }
    QStringList lines;
};

CallStatus status(const QString &text)
{
    return parseCallStatus(text).value();
}

} // namespace

Q_DECLARE_METATYPE(QList<Callback>)

class tst_CallRegistry : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void ordering_data();
    void ordering();
    void early_data();
    void early();
    void heldCallbacksExpire();
    void holdingIsBounded();
    void lateCallbackAfterEnd();
    void ttlExpiry();
    void ownersAreKept();
    void restoreSkipsExpired();

private:
    qint64 m_now = 0;
    std::unique_ptr<CallRegistry> m_registry;
};

void tst_CallRegistry::init()
{
    m_now = 1'700'000'000'000;
    m_registry = std::make_unique<CallRegistry>();
    m_registry->setClock([this] { return m_now; });
    CallRegistry::Settings s;
    s.ttl = 60s;
    s.holdTime = 5s;
    s.maxHeld = 100;
    m_registry->configure(s);
}

void tst_CallRegistry::ordering_data()
{
    QTest::addColumn<QList<Callback>>("callbacks");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<bool>("stillThere");

    QTest::newRow("in order") << QList<Callback>{{u"initiated"_s, 0},
                                                 {u"ringing"_s, 1},
                                                 {u"in-progress"_s, 2},
                                                 {u"completed"_s, 3}}
                              << QStringList{u"queued"_s, u"initiated"_s, u"ringing"_s,
                                             u"in-progress"_s, u"completed"_s}
                              << false;
    QTest::newRow("late ringing never follows in-progress")
        << QList<Callback>{{u"in-progress"_s, 1}, {u"ringing"_s, 0}, {u"completed"_s, 2}}
        << QStringList{u"queued"_s, u"in-progress"_s, u"completed"_s} << false;
    QTest::newRow("late in-progress after completed")
        << QList<Callback>{{u"ringing"_s, 0}, {u"completed"_s, 2}, {u"in-progress"_s, 1}}
        << QStringList{u"queued"_s, u"ringing"_s, u"completed"_s} << false;
    QTest::newRow("duplicate") << QList<Callback>{{u"ringing"_s, 0},
                                                  {u"ringing"_s, 0},
                                                  {u"ringing"_s, 1}}
                               << QStringList{u"queued"_s, u"ringing"_s} << true;
    QTest::newRow("no sequence numbers: progress decides")
        << QList<Callback>{{u"ringing"_s, -1},
                           {u"in-progress"_s, -1},
                           {u"ringing"_s, -1},
                           {u"busy"_s, -1}}
        << QStringList{u"queued"_s, u"ringing"_s, u"in-progress"_s, u"busy"_s} << false;
    QTest::newRow("sequence gap is fine")
        << QList<Callback>{{u"ringing"_s, 1}, {u"no-answer"_s, 7}}
        << QStringList{u"queued"_s, u"ringing"_s, u"no-answer"_s} << false;
    QTest::newRow("canceled while ringing")
        << QList<Callback>{{u"ringing"_s, 0}, {u"canceled"_s, 1}}
        << QStringList{u"queued"_s, u"ringing"_s, u"canceled"_s} << false;
}

void tst_CallRegistry::ordering()
{
    QFETCH(QList<Callback>, callbacks);
    QFETCH(QStringList, expected);
    QFETCH(bool, stillThere);
    Recorder rec(*m_registry);
    m_registry->addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, u"+15551234567"_s);
    for (const Callback &cb : std::as_const(callbacks))
        m_registry->applyCallback(u"CA1"_s, status(cb.status), cb.sequence);
    QCOMPARE(rec.statusesOf(u"CA1"_s), expected);
    QCOMPARE(m_registry->find(u"CA1"_s) != nullptr, stillThere);
    QCOMPARE(m_registry->size(), stillThere ? 1 : 0);
}

void tst_CallRegistry::early_data()
{
    QTest::addColumn<QList<Callback>>("before");
    QTest::addColumn<QList<Callback>>("after");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("ringing before the create answer")
        << QList<Callback>{{u"ringing"_s, 0}} << QList<Callback>{{u"in-progress"_s, 1}}
        << QStringList{u"queued"_s, u"ringing"_s, u"in-progress"_s};
    QTest::newRow("two early, out of order")
        << QList<Callback>{{u"ringing"_s, 1}, {u"initiated"_s, 0}} << QList<Callback>{}
        << QStringList{u"queued"_s, u"initiated"_s, u"ringing"_s};
    QTest::newRow("the whole call before the answer")
        << QList<Callback>{{u"completed"_s, 2}, {u"ringing"_s, 0}, {u"in-progress"_s, 1}}
        << QList<Callback>{{u"ringing"_s, 3}}
        << QStringList{u"queued"_s, u"ringing"_s, u"in-progress"_s, u"completed"_s};
}

void tst_CallRegistry::early()
{
    QFETCH(QList<Callback>, before);
    QFETCH(QList<Callback>, after);
    QFETCH(QStringList, expected);
    Recorder rec(*m_registry);
    for (const Callback &cb : std::as_const(before))
        QCOMPARE(m_registry->applyCallback(u"CA1"_s, status(cb.status), cb.sequence),
                 CallRegistry::Outcome::Held);
    QVERIFY(rec.lines.isEmpty()); // nobody to tell yet
    QCOMPARE(m_registry->heldCount(), int(before.size()));
    m_registry->addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, u"+15551234567"_s);
    QCOMPARE(m_registry->heldCount(), 0);
    for (const Callback &cb : std::as_const(after))
        m_registry->applyCallback(u"CA1"_s, status(cb.status), cb.sequence);
    QCOMPARE(rec.statusesOf(u"CA1"_s), expected);
    for (const QString &line : std::as_const(rec.lines))
        QVERIFY(line.startsWith(u"alice "_s));
}

void tst_CallRegistry::heldCallbacksExpire()
{
    Recorder rec(*m_registry);
    QCOMPARE(m_registry->applyCallback(u"CA1"_s, CallStatus::Ringing, 0),
             CallRegistry::Outcome::Held);
    m_now += 4000;
    m_registry->sweep();
    QCOMPARE(m_registry->heldCount(), 1);
    m_now += 1000;
    m_registry->sweep();
    QCOMPARE(m_registry->heldCount(), 0);
    m_registry->addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, {});
    QCOMPARE(rec.statusesOf(u"CA1"_s), QStringList{u"queued"_s});
}

void tst_CallRegistry::holdingIsBounded()
{
    CallRegistry::Settings s;
    s.ttl = 60s;
    s.holdTime = 5s;
    s.maxHeld = 3;
    m_registry->configure(s);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(m_registry->applyCallback(u"CA%1"_s.arg(i), CallStatus::Ringing, 0),
                 CallRegistry::Outcome::Held);
    QCOMPARE(m_registry->applyCallback(u"CAX"_s, CallStatus::Ringing, 0),
             CallRegistry::Outcome::Dropped);
    QCOMPARE(m_registry->heldCount(), 3);
    // Per call too: a flood for one sid cannot take the whole area.
    s.maxHeld = 1000;
    m_registry->configure(s);
    int held = 0;
    for (int i = 0; i < 100; ++i)
        held += m_registry->applyCallback(u"CAY"_s, CallStatus::Ringing, i) ==
                CallRegistry::Outcome::Held;
    QCOMPARE(held, CallRegistry::MaxHeldPerCall);
}

void tst_CallRegistry::lateCallbackAfterEnd()
{
    m_registry->addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, {});
    QCOMPARE(m_registry->applyCallback(u"CA1"_s, CallStatus::Completed, 3),
             CallRegistry::Outcome::Relayed);
    // Not held as if the call were still being created.
    QCOMPARE(m_registry->applyCallback(u"CA1"_s, CallStatus::Ringing, 1),
             CallRegistry::Outcome::Stale);
    QCOMPARE(m_registry->heldCount(), 0);
}

void tst_CallRegistry::ttlExpiry()
{
    QSignalSpy changed(m_registry.get(), &CallRegistry::changed);
    m_registry->addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, {});
    m_now += 30'000;
    m_registry->addCall(u"CA2"_s, u"alice"_s, CallStatus::Queued, {});
    m_now += 20'000;
    m_registry->applyCallback(u"CA2"_s, CallStatus::Ringing, 0); // news keeps it alive
    m_now += 10'000;
    changed.clear();
    m_registry->sweep();
    QVERIFY(!m_registry->find(u"CA1"_s));
    QVERIFY(m_registry->find(u"CA2"_s));
    QCOMPARE(changed.size(), 1);
    m_now += 60'000;
    m_registry->sweep();
    QCOMPARE(m_registry->size(), 0);
}

void tst_CallRegistry::ownersAreKept()
{
    Recorder rec(*m_registry);
    m_registry->addCall(u"CA1"_s, u"alice"_s, CallStatus::Queued, {});
    m_registry->addCall(u"CA2"_s, u"bob"_s, CallStatus::Queued, {});
    m_registry->applyCallback(u"CA2"_s, CallStatus::Ringing, 0);
    m_registry->applyCallback(u"CA1"_s, CallStatus::Ringing, 0);
    QCOMPARE(rec.lines, (QStringList{u"alice CA1 queued"_s, u"bob CA2 queued"_s,
                                     u"bob CA2 ringing"_s, u"alice CA1 ringing"_s}));
    QCOMPARE(m_registry->find(u"CA2"_s)->owner, u"bob"_s);
}

void tst_CallRegistry::restoreSkipsExpired()
{
    CallRecord fresh{u"CA1"_s, u"alice"_s,   u"+1555"_s,  CallStatus::Ringing,
                     0,        m_now - 1000, m_now - 1000};
    CallRecord old{u"CA2"_s,        u"alice"_s,    {}, CallStatus::Ringing, 0,
                   m_now - 120'000, m_now - 61'000};
    CallRecord ended{u"CA3"_s, u"alice"_s, {}, CallStatus::Completed, 3, m_now, m_now};
    CallRecord ownerless{u"CA4"_s, {}, {}, CallStatus::Ringing, 0, m_now, m_now};
    m_registry->restore({fresh, old, ended, ownerless});
    QCOMPARE(m_registry->calls(), QList<CallRecord>{fresh});
    // And the restored call keeps its order state: a stale ringing stays stale.
    QCOMPARE(m_registry->applyCallback(u"CA1"_s, CallStatus::Ringing, 0),
             CallRegistry::Outcome::Stale);
    QCOMPARE(m_registry->applyCallback(u"CA1"_s, CallStatus::Canceled, 1),
             CallRegistry::Outcome::Relayed);
}

QTEST_GUILESS_MAIN(tst_CallRegistry)
#include "tst_callregistry.moc"
