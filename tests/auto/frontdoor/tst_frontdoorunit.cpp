// The front door's pure rules: what a Flex token looks like, who the client
// is behind a proxy, the per-address budgets, the client frame scanner, the
// rules an upgrade passes before its token is checked, and the Qt 6.4
// workarounds that keep state (subprotocol echo list, upgrade pairing).
#include "server/addressbudgets.h"
#include "server/clientaddress.h"
#include "server/flextokenshape.h"
#include "server/flextokenvalidator.h"
#include "twilio/twilioclient.h"
#include "server/qt64workarounds.h"
#include "server/upgraderequest.h"

#include <QTest>
#include <QWebSocketServer>

using namespace flex::server;
using namespace flex::server::qt64;
using namespace Qt::StringLiterals;
using namespace std::chrono_literals;

class tst_FrontDoorUnit : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void tokenShape_data();
    void tokenShape();
    void clientAddress_data();
    void clientAddress();
    void validationBudget();
    void connectionCap();
    void frameScanner_data();
    void frameScanner();
    void tokenVerdict_data();
    void tokenVerdict();
    void upgradeRefusals_data();
    void upgradeRefusals();
    void offeredTokens_data();
    void offeredTokens();
    void answerRefusals();
    void subprotocolEcho();
    void upgradePairing();
};

namespace {

RequestHead headOf(const QByteArray &text)
{
    RequestHead head;
    const HeadParse parsed = parseRequestHead(text, 8192, head);
    if (parsed != HeadParse::Complete)
        qFatal("test head does not parse");
    return head;
}

const QByteArray Upgrade = "Connection: Upgrade\r\nUpgrade: websocket\r\n";

} // namespace

void tst_FrontDoorUnit::tokenShape_data()
{
    QTest::addColumn<QString>("token");
    QTest::addColumn<bool>("plausible");
    const QString header = u"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"_s; // {"alg":"HS256","typ":"JWT"}
    QTest::newRow("jwt") << header + u".eyJzdWIiOiJ4In0.c2ln"_s << true;
    QTest::newRow("empty signature (unsecured)") << header + u".eyJzdWIiOiJ4In0."_s << true;
    QTest::newRow("example") << FlexTokenShape::unsignedExample(u"alice"_s) << true;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("no dots") << u"test-token-alice-0123456789"_s << false;
    QTest::newRow("two segments") << header + u".eyJzdWIiOiJ4In0"_s << false;
    QTest::newRow("four segments") << header + u".a.b.c"_s << false;
    QTest::newRow("empty payload") << header + u"..c2ln"_s << false;
    QTest::newRow("header not json") << u"bm90IGpzb24.eyJ9.c2ln"_s << false;
    QTest::newRow("header without alg") << u"e30.e30.c2ln"_s << false; // {}
    QTest::newRow("standard base64 chars") << header + u".ab+/.c2ln"_s << false;
    QTest::newRow("space") << header + u".ab cd.c2ln"_s << false;
    QTest::newRow("non-ascii") << header + u".é.c2ln"_s << false;
    QTest::newRow("too long") << header + u"."_s + QString(8200, u'a') + u".c2ln"_s << false;
}

void tst_FrontDoorUnit::tokenShape()
{
    QFETCH(QString, token);
    QFETCH(bool, plausible);
    QCOMPARE(FlexTokenShape::isPlausible(token), plausible);
}

void tst_FrontDoorUnit::clientAddress_data()
{
    QTest::addColumn<QString>("peer");
    QTest::addColumn<QByteArray>("forwardedFor");
    QTest::addColumn<QString>("trusted");
    QTest::addColumn<QString>("client");

    QTest::newRow("no proxy, header ignored")
        << u"203.0.113.5"_s << QByteArray("1.2.3.4") << u""_s << u"203.0.113.5"_s;
    QTest::newRow("untrusted peer's header ignored")
        << u"203.0.113.5"_s << QByteArray("1.2.3.4") << u"10.0.0.0/8"_s << u"203.0.113.5"_s;
    QTest::newRow("trusted proxy")
        << u"10.0.0.2"_s << QByteArray("198.51.100.7") << u"10.0.0.0/8"_s << u"198.51.100.7"_s;
    QTest::newRow("spoofed left entry, rightmost untrusted wins")
        << u"10.0.0.2"_s << QByteArray("6.6.6.6, 198.51.100.7") << u"10.0.0.0/8"_s
        << u"198.51.100.7"_s;
    QTest::newRow("chain of trusted proxies")
        << u"10.0.0.2"_s << QByteArray("198.51.100.7, 10.0.0.9") << u"10.0.0.0/8"_s
        << u"198.51.100.7"_s;
    QTest::newRow("all trusted: leftmost")
        << u"10.0.0.2"_s << QByteArray("10.0.0.8, 10.0.0.9") << u"10.0.0.0/8"_s << u"10.0.0.8"_s;
    QTest::newRow("garbage stops the walk")
        << u"10.0.0.2"_s << QByteArray("198.51.100.7, not-an-ip") << u"10.0.0.0/8"_s
        << u"10.0.0.2"_s;
    QTest::newRow("port forms") << u"10.0.0.2"_s << QByteArray("198.51.100.7:4711")
                                << u"10.0.0.0/8"_s << u"198.51.100.7"_s;
    QTest::newRow("v6 with port") << u"10.0.0.2"_s << QByteArray("[2001:db8::1]:80")
                                  << u"10.0.0.0/8"_s << u"2001:db8::1"_s;
    QTest::newRow("v4-mapped peer") << u"::ffff:10.0.0.2"_s << QByteArray("198.51.100.7")
                                    << u"10.0.0.0/8"_s << u"198.51.100.7"_s;
    QTest::newRow("empty header") << u"10.0.0.2"_s << QByteArray() << u"10.0.0.0/8"_s
                                  << u"10.0.0.2"_s;
}

void tst_FrontDoorUnit::clientAddress()
{
    QFETCH(QString, peer);
    QFETCH(QByteArray, forwardedFor);
    QFETCH(QString, trusted);
    QFETCH(QString, client);
    AddressRanges ranges;
    if (!trusted.isEmpty())
        ranges.append(QHostAddress::parseSubnet(trusted));
    QCOMPARE(flex::server::clientAddress(QHostAddress(peer), forwardedFor, ranges).toString(),
             client);
}

void tst_FrontDoorUnit::validationBudget()
{
    AddressBudgets budgets;
    budgets.setAuthRatePerMinute(6); // one every 10 s
    const QHostAddress a(u"192.0.2.1"_s), b(u"192.0.2.2"_s);
    const auto t0 = AddressBudgets::Clock::time_point{} + 1h;
    for (int i = 0; i < 6; ++i)
        QVERIFY(!budgets.takeValidation(a, t0));
    const auto wait = budgets.takeValidation(a, t0);
    QVERIFY(wait);
    QCOMPARE(wait->count(), 10);
    QVERIFY(!budgets.takeValidation(b, t0)); // another address has its own
    QVERIFY(budgets.takeValidation(a, t0 + 9s));
    QVERIFY(!budgets.takeValidation(a, t0 + 11s)); // refilled one
    QVERIFY(budgets.takeValidation(a, t0 + 11s));
    // v4-mapped v6 is the same client.
    QVERIFY(budgets.takeValidation(QHostAddress(u"::ffff:192.0.2.1"_s), t0 + 11s));
    // Idle, full buckets are forgotten.
    QCOMPARE(budgets.trackedAddresses(), 2);
    budgets.prune(t0 + 2min);
    QCOMPARE(budgets.trackedAddresses(), 0);
}

void tst_FrontDoorUnit::connectionCap()
{
    AddressBudgets budgets;
    budgets.setMaxConnectionsPerAddress(2);
    const QHostAddress a(u"192.0.2.1"_s);
    QVERIFY(budgets.addConnection(a));
    QVERIFY(budgets.addConnection(a));
    QVERIFY(!budgets.addConnection(a));
    QVERIFY(budgets.addConnection(QHostAddress(u"192.0.2.2"_s)));
    budgets.releaseConnection(a);
    QCOMPARE(budgets.connections(a), 1);
    QVERIFY(budgets.addConnection(a));
    budgets.prune();
    QCOMPARE(budgets.connections(a), 2); // entries with connections are kept
}

namespace {

QByteArray clientFrame(quint8 opcode, int length, bool masked)
{
    QByteArray out(1, char(0x80 | opcode));
    const char mask = masked ? char(0x80) : char(0);
    if (length < 126) {
        out.append(char(mask | length));
    } else if (length <= 0xffff) {
        out.append(char(mask | 126));
        out.append(char(length >> 8));
        out.append(char(length & 0xff));
    } else {
        out.append(char(mask | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.append(char((quint64(length) >> shift) & 0xff));
    }
    if (masked)
        out.append("\x01\x02\x03\x04", 4);
    return out + QByteArray(length, 'x');
}

} // namespace

void tst_FrontDoorUnit::frameScanner_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<bool>("ok");
    QTest::newRow("masked small") << clientFrame(1, 5, true) << true;
    QTest::newRow("masked empty") << clientFrame(9, 0, true) + clientFrame(1, 3, true) << true;
    QTest::newRow("masked 16-bit length")
        << clientFrame(1, 300, true) + clientFrame(1, 2, true) << true;
    QTest::newRow("masked 64-bit length")
        << clientFrame(2, 70000, true) + clientFrame(1, 1, true) << true;
    QTest::newRow("unmasked") << clientFrame(1, 5, false) << false;
    QTest::newRow("unmasked after masked")
        << clientFrame(1, 300, true) + clientFrame(1, 1, false) << false;
    // A payload byte that looks like an unmasked header is payload.
    QTest::newRow("payload looks like a header")
        << clientFrame(1, 2, true).replace(6, 2, "\x81\x05") + clientFrame(1, 1, true) << true;
}

void tst_FrontDoorUnit::frameScanner()
{
    QFETCH(QByteArray, stream);
    QFETCH(bool, ok);
    // Every chunking of the stream gives the same verdict.
    for (int chunk : {1, 2, 3, 7, 64, int(stream.size())}) {
        ClientFrameScanner scanner;
        bool result = true;
        for (qsizetype i = 0; i < stream.size(); i += chunk)
            result = scanner.feed(QByteArrayView(stream).sliced(
                         i, std::min<qsizetype>(chunk, stream.size() - i))) &&
                     result;
        QCOMPARE(result, ok);
        QCOMPARE(scanner.violated(), !ok);
    }
    QCOMPARE(ClientFrameGuard::closeFrame(1002, "x"), QByteArray("\x88\x03\x03\xea"
                                                                 "x",
                                                                 5));
}

void tst_FrontDoorUnit::upgradeRefusals_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<bool>("served");
    QTest::addColumn<QByteArray>("result"); // empty: passes
    QTest::addColumn<int>("status");
    const QByteArray get = "GET /websocket/outboundDial HTTP/1.1\r\nHost: x\r\n";
    QTest::newRow("upgrade") << get + Upgrade + "\r\n" << true << QByteArray() << 0;
    QTest::newRow("allowed origin") << get + Upgrade + "Origin: https://flex.twilio.com\r\n\r\n"
                                    << true << QByteArray() << 0;
    QTest::newRow("plain GET") << get + "\r\n" << true << QByteArray("not_websocket") << 400;
    QTest::newRow("POST upgrade") << "POST /websocket/outboundDial HTTP/1.1\r\n" + Upgrade + "\r\n"
                                  << true << QByteArray("not_websocket") << 400;
    QTest::newRow("unknown path") << get + Upgrade + "\r\n"
                                  << false << QByteArray("unknown_path") << 404;
    QTest::newRow("other origin") << get + Upgrade + "Origin: https://evil.example\r\n\r\n"
                                  << true << QByteArray("origin_refused") << 403;
}

void tst_FrontDoorUnit::upgradeRefusals()
{
    QFETCH(QByteArray, head);
    QFETCH(bool, served);
    QFETCH(QByteArray, result);
    QFETCH(int, status);
    const std::optional<HandshakeRefusal> refusal =
        refusalOfUpgrade(headOf(head), served, {u"https://flex.twilio.com"_s});
    QCOMPARE(refusal.has_value(), !result.isEmpty());
    if (refusal) {
        QCOMPARE(refusal->result, result);
        QCOMPARE(refusal->status, status);
    }
    // Without an allow-list every origin passes.
    const std::optional<HandshakeRefusal> open = refusalOfUpgrade(headOf(head), served, {});
    QCOMPARE(open.has_value(), !result.isEmpty() && result != "origin_refused");
}

void tst_FrontDoorUnit::offeredTokens_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("token");
    QTest::addColumn<bool>("viaSubprotocol");
    QTest::newRow("subprotocol") << QByteArray("Sec-WebSocket-Protocol: tok1, other\r\n")
                                 << u"/websocket/x"_s << u"tok1"_s << true;
    QTest::newRow("token header") << QByteArray("token: tok2\r\n") << u"/websocket/x"_s << u"tok2"_s
                                  << false;
    QTest::newRow("bearer") << QByteArray("Authorization: Bearer tok3\r\n") << u"/websocket/x"_s
                            << u"tok3"_s << false;
    QTest::newRow("query") << QByteArray() << u"/websocket/x?token=tok%2B4"_s << u"tok+4"_s
                           << false;
    QTest::newRow("none") << QByteArray() << u"/websocket/x"_s << QString() << false;
}

void tst_FrontDoorUnit::offeredTokens()
{
    QFETCH(QByteArray, headers);
    QFETCH(QString, target);
    QFETCH(QString, token);
    QFETCH(bool, viaSubprotocol);
    const OfferedToken offered =
        offeredToken(headOf("GET " + target.toLatin1() + " HTTP/1.1\r\n" + headers + "\r\n"));
    QCOMPARE(offered.token, token);
    QCOMPARE(offered.viaSubprotocol, viaSubprotocol);
    // No token, or one that is not JWT-shaped, is refused before any check.
    QCOMPARE(refusalOfToken(token).has_value(), true);
    QCOMPARE(refusalOfToken(token)->status, 403);
    QCOMPARE(refusalOfToken(FlexTokenShape::unsignedExample(u"alice"_s)).has_value(), false);
}

void tst_FrontDoorUnit::answerRefusals()
{
    Authenticator::Answer answer;
    answer.outcome = Authenticator::Outcome::Valid;
    QVERIFY(!refusalOfAnswer(answer));
    answer.outcome = Authenticator::Outcome::Invalid;
    QCOMPARE(refusalOfAnswer(answer)->status, 403);
    QCOMPARE(refusalOfAnswer(answer)->result, QByteArray("bad_token"));
    answer.outcome = Authenticator::Outcome::Unavailable;
    QCOMPARE(refusalOfAnswer(answer)->status, 503);
    QCOMPARE(refusalOfAnswer(answer)->result, QByteArray("iam_unavailable"));
    answer.outcome = Authenticator::Outcome::OverBudget;
    answer.retryAfter = 17s;
    QCOMPARE(refusalOfAnswer(answer)->status, 429);
    QCOMPARE(refusalOfAnswer(answer)->result, QByteArray("rate_limited"));
    QCOMPARE(refusalOfAnswer(answer)->extraHeaders, QByteArray("Retry-After: 17\r\n"));
}

void tst_FrontDoorUnit::subprotocolEcho()
{
    QWebSocketServer server(u"test"_s, QWebSocketServer::NonSecureMode);
    SubprotocolEcho echo(server);
    echo.offer(QString());
    QCOMPARE(server.supportedSubprotocols(), QStringList());
    echo.offer(u"a"_s);
    echo.offer(u"a"_s); // two upgrades with one token
    echo.offer(u"b"_s);
    QStringList offered = server.supportedSubprotocols();
    offered.sort();
    QCOMPARE(offered, QStringList({u"a"_s, u"b"_s}));
    echo.release(u"a"_s);
    offered = server.supportedSubprotocols();
    offered.sort();
    QCOMPARE(offered, QStringList({u"a"_s, u"b"_s}));
    echo.release(u"a"_s);
    echo.release(u"a"_s); // one release too many changes nothing
    QCOMPARE(server.supportedSubprotocols(), QStringList({u"b"_s}));
    echo.release(u"b"_s);
    QCOMPARE(server.supportedSubprotocols(), QStringList());
}

void tst_FrontDoorUnit::upgradePairing()
{
    QTcpSocket first;
    QTcpSocket second;
    const PeerEndpoint one{QHostAddress(u"192.0.2.1"_s), 40000};
    const PeerEndpoint other{QHostAddress(u"192.0.2.1"_s), 40001};
    UpgradePairing pairing;
    pairing.expect(one, &first);
    pairing.expect(other, &second);
    pairing.forget(one, &second); // not the socket paired with `one`
    QCOMPARE(pairing.take(one), &first);
    QCOMPARE(pairing.take(one), nullptr);
    pairing.forget(other, &second);
    QCOMPARE(pairing.take(other), nullptr);
}

QTEST_GUILESS_MAIN(tst_FrontDoorUnit)
#include "tst_frontdoorunit.moc"

void tst_FrontDoorUnit::tokenVerdict_data()
{
    using Outcome = FlexTokenValidator::Outcome;
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<Outcome>("outcome");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<bool>("credentialsRejected");
    const QByteArray valid = R"({"valid":true,"realm_user_id":"alice","identity":"alice",
        "roles":["agent"],"worker_sid":"WK1"})";
    QTest::newRow("200 valid") << 200 << valid << Outcome::Valid << QString() << false;
    QTest::newRow("200 invalid") << 200 << QByteArray(R"({"valid":false,"message":"expired"})")
                                 << Outcome::Invalid << u"expired"_s << false;
    QTest::newRow("401 invalid") << 401 << QByteArray(R"({"valid":false})") << Outcome::Invalid
                                 << u"token not valid"_s << false;
    // Found by fuzz-tokenanswer: a blank message gave the client a blank reason.
    QTest::newRow("401 invalid, blank message")
        << 401 << QByteArray(R"({"valid":false,"message":"  "})") << Outcome::Invalid
        << u"token not valid"_s << false;
    QTest::newRow("403 invalid, message not a string")
        << 403 << QByteArray(R"({"valid":false,"message":7})") << Outcome::Invalid
        << u"token not valid"_s << false;
    QTest::newRow("200 without valid")
        << 200 << QByteArray(R"({"identity":"alice"})") << Outcome::Unavailable
        << u"token validation answer has no boolean \"valid\""_s << false;
    QTest::newRow("401 our credentials")
        << 401 << QByteArray(R"({"code":20003,"message":"Authenticate","status":401})")
        << Outcome::Unavailable << u"Twilio HTTP error 20003 (HTTP 401): Authenticate"_s << true;
    QTest::newRow("503") << 503 << QByteArray("busy") << Outcome::Unavailable
                         << u"Twilio HTTP error (HTTP 503): HTTP 503"_s << false;
}

void tst_FrontDoorUnit::tokenVerdict()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(FlexTokenValidator::Outcome, outcome);
    QFETCH(QString, reason);
    QFETCH(bool, credentialsRejected);
    const auto result =
        FlexTokenValidator::resultFromAnswer(flex::twilio::answerFromHttp(status, body));
    QCOMPARE(result.outcome, outcome);
    if (outcome == FlexTokenValidator::Outcome::Valid)
        QCOMPARE(result.who.identity, u"alice"_s);
    else
        QCOMPARE(result.reason, reason);
    QCOMPARE(result.credentialsRejected, credentialsRejected);
}
