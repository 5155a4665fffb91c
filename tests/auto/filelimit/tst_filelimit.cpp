// The service raises its open-files soft limit to the hard limit at start
// (a login shell's 1024 would cap it at about a thousand sockets).
#include "ops/filelimit.h"
#include "prerequisite.h"
#include "testenvironment.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <sys/resource.h>

using namespace Qt::StringLiterals;

namespace {

// "Max open files  <soft>  <hard>  files" from /proc/<pid>/limits.
QPair<quint64, quint64> limitsOf(qint64 pid)
{
    QFile f(u"/proc/%1/limits"_s.arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QString text = QString::fromLatin1(f.readAll());
    const QRegularExpressionMatch m =
        QRegularExpression(u"Max open files\\s+(\\d+)\\s+(\\d+)"_s).match(text);
    return m.hasMatch() ? qMakePair(m.captured(1).toULongLong(), m.captured(2).toULongLong())
                        : QPair<quint64, quint64>{};
}

} // namespace

class tst_FileLimit : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void raisesItsOwnLimit();
    void serviceRaisesItsLimitAtStart();
    void maxConnectionsFollowsTheLimit();

private:
    rlimit m_original{};
};

void tst_FileLimit::initTestCase()
{
    QCOMPARE(getrlimit(RLIMIT_NOFILE, &m_original), 0);
    if (m_original.rlim_max <= 256)
        QSKIP("the hard open-files limit is too low to lower the soft one below it");
}

void tst_FileLimit::raisesItsOwnLimit()
{
    rlimit low = m_original;
    low.rlim_cur = 256;
    QCOMPARE(setrlimit(RLIMIT_NOFILE, &low), 0);
    const flex::ops::OpenFileLimit limit = flex::ops::raiseOpenFileLimit();
    QVERIFY2(limit.error.isEmpty(), qPrintable(limit.error));
    QCOMPARE(limit.before, quint64(256));
    QCOMPARE(limit.soft, quint64(m_original.rlim_max));
    QVERIFY(limit.raised());
    QVERIFY2(limit.describe().contains(u"raised from 256"_s), qPrintable(limit.describe()));
    rlimit now{};
    QCOMPARE(getrlimit(RLIMIT_NOFILE, &now), 0);
    QCOMPARE(now.rlim_cur, m_original.rlim_max);
    // Again: nothing left to raise.
    QVERIFY(!flex::ops::raiseOpenFileLimit().raised());
}

void tst_FileLimit::serviceRaisesItsLimitAtStart()
{
    if (flex::testing::ServiceProcess::binary().isEmpty())
        FLEX_REQUIRE(false, "FLEX_BACKEND_BIN is not set (run through ctest)");
    // The child inherits a low soft limit, as from a login shell.
    rlimit low = m_original;
    low.rlim_cur = 256;
    QCOMPARE(setrlimit(RLIMIT_NOFILE, &low), 0);
    flex::testing::TestEnvironment env;
    const bool started = env.startService();
    QCOMPARE(setrlimit(RLIMIT_NOFILE, &m_original), 0);
    QVERIFY2(started, env.service().output().constData());
    const auto [soft, hard] = limitsOf(env.service().pid());
    QCOMPARE(hard, quint64(m_original.rlim_max));
    QCOMPARE(soft, hard);
    QVERIFY2(env.service().output().contains("open files limit raised from 256 to"),
             env.service().output().constData());
}

// MAX_CONNECTIONS never exceeds what the descriptors allow: 0 (the default)
// is the limit less the reserve, and a larger number is lowered with a warning.
void tst_FileLimit::maxConnectionsFollowsTheLimit()
{
    FLEX_REQUIRE(!flex::testing::ServiceProcess::binary().isEmpty(),
                 "FLEX_BACKEND_BIN is not set (run through ctest)");
    rlimit now{};
    QCOMPARE(getrlimit(RLIMIT_NOFILE, &now), 0);
    QCOMPARE(flex::ops::connectionCapacity(),
             int(std::min<rlim_t>(now.rlim_cur, 1'000'000)) - flex::ops::ReservedDescriptors);
    flex::testing::TestEnvironment env;
    env.setEnv(u"MAX_CONNECTIONS"_s, u"1000000"_s);
    QVERIFY(env.startService());
    const QByteArray expected =
        "MAX_CONNECTIONS 1000000 is more than the open-files limit "
        "allows; using " +
        QByteArray::number(qint64(m_original.rlim_max) - flex::ops::ReservedDescriptors);
    QVERIFY2(env.service().waitForOutput(expected), env.service().output().constData());
}

QTEST_GUILESS_MAIN(tst_FileLimit)
#include "tst_filelimit.moc"
