#include "server/requesthead.h"

#include <QTest>

using namespace flex::server;

class tst_RequestHead : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parse_data();
    void parse();
    void upgradeAndLength_data();
    void upgradeAndLength();
    void garbageNeverCrashes();
};

void tst_RequestHead::parse_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("limit");
    QTest::addColumn<int>("expected");
    QTest::addColumn<QByteArray>("path");

    const int ok = int(HeadParse::Complete);
    QTest::newRow("simple") << QByteArray("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") << 1024 << ok
                            << QByteArray("/healthz");
    QTest::newRow("query") << QByteArray("GET /a?token=1&b=2 HTTP/1.1\r\n\r\n") << 1024 << ok
                           << QByteArray("/a");
    QTest::newRow("body after head")
        << QByteArray("POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc") << 1024 << ok
        << QByteArray("/x");
    QTest::newRow("incomplete") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n") << 1024
                                << int(HeadParse::Incomplete) << QByteArray();
    QTest::newRow("too large, no end")
        << QByteArray(2000, 'a') << 1024 << int(HeadParse::TooLarge) << QByteArray();
    QTest::newRow("too large, with end")
        << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(2000, 'a') + "\r\n\r\n") << 1024
        << int(HeadParse::TooLarge) << QByteArray();
    QTest::newRow("lower-case method") << QByteArray("get / HTTP/1.1\r\n\r\n") << 1024
                                       << int(HeadParse::Malformed) << QByteArray();
    QTest::newRow("absolute target") << QByteArray("GET http://x/ HTTP/1.1\r\n\r\n") << 1024
                                     << int(HeadParse::Malformed) << QByteArray();
    QTest::newRow("not http") << QByteArray("GET / SPDY/3\r\n\r\n") << 1024
                              << int(HeadParse::Malformed) << QByteArray();
    QTest::newRow("header without colon") << QByteArray("GET / HTTP/1.1\r\nHost\r\n\r\n") << 1024
                                          << int(HeadParse::Malformed) << QByteArray();
    QTest::newRow("folded header") << QByteArray("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n") << 1024
                                   << int(HeadParse::Malformed) << QByteArray();
    QTest::newRow("space before colon") << QByteArray("GET / HTTP/1.1\r\nHost : x\r\n\r\n") << 1024
                                        << int(HeadParse::Malformed) << QByteArray();
    QTest::newRow("tls bytes") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\r\n\r\n", 13)
                               << 1024 << int(HeadParse::Malformed) << QByteArray();
}

void tst_RequestHead::parse()
{
    QFETCH(QByteArray, input);
    QFETCH(int, limit);
    QFETCH(int, expected);
    QFETCH(QByteArray, path);
    RequestHead head;
    QCOMPARE(int(parseRequestHead(input, limit, head)), expected);
    if (expected == int(HeadParse::Complete)) {
        QCOMPARE(head.path(), path);
        QVERIFY(head.size > 0 && head.size <= input.size());
        QVERIFY(input.left(head.size).endsWith("\r\n\r\n"));
    }
}

void tst_RequestHead::upgradeAndLength_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<bool>("upgrade");
    QTest::addColumn<qint64>("length"); // -2: absent
    QTest::newRow("websocket") << QByteArray(
                                      "Connection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n")
                               << true << qint64(-2);
    QTest::newRow("h2c is not websocket")
        << QByteArray("Connection: Upgrade\r\nUpgrade: h2c\r\n") << false << qint64(-2);
    QTest::newRow("upgrade without connection")
        << QByteArray("Upgrade: websocket\r\n") << false << qint64(-2);
    QTest::newRow("length") << QByteArray("Content-Length: 42\r\n") << false << qint64(42);
    QTest::newRow("negative length") << QByteArray("Content-Length: -1\r\n") << false << qint64(-1);
    QTest::newRow("text length") << QByteArray("Content-Length: ten\r\n") << false << qint64(-1);
    QTest::newRow("conflicting lengths")
        << QByteArray("Content-Length: 1\r\nContent-Length: 2\r\n") << false << qint64(-1);
    QTest::newRow("repeated equal lengths")
        << QByteArray("Content-Length: 2\r\nContent-Length: 2\r\n") << false << qint64(2);
}

void tst_RequestHead::upgradeAndLength()
{
    QFETCH(QByteArray, headers);
    QFETCH(bool, upgrade);
    QFETCH(qint64, length);
    RequestHead head;
    QCOMPARE(parseRequestHead("GET /websocket/x HTTP/1.1\r\n" + headers + "\r\n", 4096, head),
             HeadParse::Complete);
    QCOMPARE(head.isWebSocketUpgrade(), upgrade);
    const std::optional<qint64> parsed = head.contentLength();
    QCOMPARE(parsed.value_or(-2), length);
}

void tst_RequestHead::garbageNeverCrashes()
{
    // Deterministic pseudo-random bytes, with and without a blank line.
    quint32 state = 12345;
    for (int round = 0; round < 2000; ++round) {
        QByteArray input;
        const int size = int(state % 300);
        for (int i = 0; i < size; ++i) {
            state = state * 1103515245u + 12345u;
            input += char((state >> 16) & 0xff);
        }
        if (round % 2)
            input += "\r\n\r\n";
        RequestHead head;
        const HeadParse result = parseRequestHead(input, 256, head);
        if (result == HeadParse::Complete)
            QVERIFY(head.target.startsWith('/'));
    }
}

QTEST_GUILESS_MAIN(tst_RequestHead)
#include "tst_requesthead.moc"
