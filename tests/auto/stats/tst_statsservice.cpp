#include <QTest>
class tst_StatsService : public QObject { Q_OBJECT };
QTEST_GUILESS_MAIN(tst_StatsService)
#include "tst_statsservice.moc"
