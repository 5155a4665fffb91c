// The metrics registry's text format, parsed back by the official Prometheus
// client parser, and the /healthz /readyz /metrics routes.
#include "ops/metrics.h"
#include "ops/opsroutes.h"
#include "ops/processmetrics.h"
#include "prerequisite.h"

#include <QHttpServer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace Qt::StringLiterals;
using flex::ops::Metrics;
using flex::ops::OpsRoutes;

class tst_OpsMetrics : public QObject
{
    Q_OBJECT

private:
    // Runs the python parser on text; returns the families as JSON.
    QJsonObject parse(const QByteArray &text)
    {
        QProcess python;
        python.setProgram(u"/usr/bin/python3"_s);
        python.setArguments({QFINDTESTDATA("opsmetrics/parse_metrics.py")});
        QSignalSpy finished(&python, &QProcess::finished);
        python.start();
        python.write(text);
        python.closeWriteChannel();
        if (!finished.wait(30000))
            return {};
        const QByteArray err = python.readAllStandardError();
        if (python.exitCode() != 0)
            qWarning().noquote() << "parser failed:" << err << "\n" << text;
        return QJsonDocument::fromJson(python.readAllStandardOutput()).object();
    }

    static double sampleValue(const QJsonObject &families, const QString &family,
                              const QString &sample, const QJsonObject &labels = {})
    {
        const QJsonArray samples = families.value(family).toObject().value(u"samples"_s).toArray();
        for (const QJsonValue &s : samples) {
            const QJsonArray row = s.toArray();
            if (row.at(0).toString() == sample && row.at(1).toObject() == labels)
                return row.at(2).toDouble();
        }
        return -12345;
    }

private Q_SLOTS:
    void initTestCase()
    {
        FLEX_REQUIRE(QFile::exists(u"/usr/bin/python3"_s), "/usr/bin/python3 missing");
        QProcess probe;
        QSignalSpy finished(&probe, &QProcess::finished);
        probe.start(u"/usr/bin/python3"_s, {u"-c"_s, u"import prometheus_client"_s});
        QVERIFY(finished.wait(30000));
        FLEX_REQUIRE(probe.exitCode() == 0, "python3-prometheus-client is not installed (apt "
                                            "install python3-prometheus-client)");
    }

    void textFormatParses()
    {
        Metrics registry;
        registry
            .counter("flex_webhooks_total", "Webhooks by route and result.",
                     {{"route", "/dial/status"}, {"result", "ok"}})
            .inc(3);
        registry
            .counter("flex_webhooks_total", "Webhooks by route and result.",
                     {{"route", "/dial/status"}, {"result", "bad_signature"}})
            .inc();
        registry.gauge("flex_ws_connections", "Open WebSockets by kind.", {{"kind", "dial"}})
            .set(12);
        registry
            .gauge("flex_odd_labels", "Help with \\ backslash\nand newline.",
                   {{"value", "quote \" backslash \\ newline \n end"}})
            .set(0.25);
        auto &latency = registry.histogram("flex_twilio_request_seconds", "Twilio latency.",
                                           {0.05, 0.1, 0.5, 1}, {{"endpoint", "calls"}});
        latency.observe(0.01);
        latency.observe(0.2);
        latency.observe(3);
        flex::ops::installProcessMetrics(registry);
        flex::ops::installProcessMetrics(registry); // idempotent

        const QJsonObject f = parse(registry.render());
        QVERIFY2(!f.isEmpty(), "parser produced nothing");

        QCOMPARE(f.value(u"flex_webhooks"_s).toObject().value(u"type"_s).toString(), u"counter"_s);
        QCOMPARE(sampleValue(f, u"flex_webhooks"_s, u"flex_webhooks_total"_s,
                             {{u"route"_s, u"/dial/status"_s}, {u"result"_s, u"ok"_s}}),
                 3.0);
        QCOMPARE(sampleValue(f, u"flex_ws_connections"_s, u"flex_ws_connections"_s,
                             {{u"kind"_s, u"dial"_s}}),
                 12.0);
        QCOMPARE(sampleValue(f, u"flex_odd_labels"_s, u"flex_odd_labels"_s,
                             {{u"value"_s, u"quote \" backslash \\ newline \n end"_s}}),
                 0.25);
        QCOMPARE(f.value(u"flex_odd_labels"_s).toObject().value(u"help"_s).toString(),
                 u"Help with \\ backslash\nand newline."_s);

        const QJsonObject ep{{u"endpoint"_s, u"calls"_s}};
        auto bucket = [&](const QString &le) {
            QJsonObject l = ep;
            l.insert(u"le"_s, le);
            return sampleValue(f, u"flex_twilio_request_seconds"_s,
                               u"flex_twilio_request_seconds_bucket"_s, l);
        };
        QCOMPARE(bucket(u"0.05"_s), 1.0);
        QCOMPARE(bucket(u"0.1"_s), 1.0);
        QCOMPARE(bucket(u"0.5"_s), 2.0);
        QCOMPARE(bucket(u"1"_s), 2.0);
        QCOMPARE(bucket(u"+Inf"_s), 3.0);
        QCOMPARE(sampleValue(f, u"flex_twilio_request_seconds"_s,
                             u"flex_twilio_request_seconds_count"_s, ep),
                 3.0);

        QVERIFY(sampleValue(f, u"process_resident_memory_bytes"_s,
                            u"process_resident_memory_bytes"_s) > 1e6);
        QVERIFY(sampleValue(f, u"process_virtual_memory_bytes"_s,
                            u"process_virtual_memory_bytes"_s) > 1e6);
        QVERIFY(sampleValue(f, u"process_cpu_seconds"_s, u"process_cpu_seconds_total"_s) >= 0);
        QVERIFY(sampleValue(f, u"process_open_fds"_s, u"process_open_fds"_s) >= 3);
        QVERIFY(sampleValue(f, u"process_max_fds"_s, u"process_max_fds"_s) >= 64);
        const double start =
            sampleValue(f, u"process_start_time_seconds"_s, u"process_start_time_seconds"_s);
        const double now = QDateTime::currentSecsSinceEpoch();
        QVERIFY2(start > now - 3600 && start <= now + 5, qPrintable(QString::number(start)));
    }

    void countersMove()
    {
        Metrics registry;
        auto &c = registry.counter("flex_calls_total", "Calls.");
        c.inc();
        QCOMPARE(sampleValue(parse(registry.render()), u"flex_calls"_s, u"flex_calls_total"_s),
                 1.0);
        c.inc(2);
        QCOMPARE(sampleValue(parse(registry.render()), u"flex_calls"_s, u"flex_calls_total"_s),
                 3.0);
    }

    void access_data()
    {
        QTest::addColumn<QString>("token");
        QTest::addColumn<QString>("remote");
        QTest::addColumn<QByteArray>("authorization");
        QTest::addColumn<bool>("forwarded");
        QTest::addColumn<int>("status");
        QTest::newRow("loopback v4") << QString() << u"127.0.0.1"_s << QByteArray() << false << 200;
        QTest::newRow("loopback v6") << QString() << u"::1"_s << QByteArray() << false << 200;
        QTest::newRow("mapped loopback")
            << QString() << u"::ffff:127.0.0.1"_s << QByteArray() << false << 200;
        QTest::newRow("remote") << QString() << u"203.0.113.9"_s << QByteArray() << false << 403;
        QTest::newRow("proxied loopback")
            << QString() << u"127.0.0.1"_s << QByteArray() << true << 403;
        QTest::newRow("token ok remote") << u"s3cr3t-metrics"_s << u"203.0.113.9"_s
                                         << QByteArray("Bearer s3cr3t-metrics") << false << 200;
        QTest::newRow("token scheme case") << u"s3cr3t-metrics"_s << u"203.0.113.9"_s
                                           << QByteArray("bearer s3cr3t-metrics") << false << 200;
        QTest::newRow("token wrong") << u"s3cr3t-metrics"_s << u"203.0.113.9"_s
                                     << QByteArray("Bearer s3cr3t-metricz") << false << 401;
        QTest::newRow("token prefix")
            << u"s3cr3t-metrics"_s << u"127.0.0.1"_s << QByteArray("Bearer s3cr3t") << false << 401;
        QTest::newRow("token missing on loopback")
            << u"s3cr3t-metrics"_s << u"127.0.0.1"_s << QByteArray() << false << 401;
        QTest::newRow("basic scheme") << u"s3cr3t-metrics"_s << u"127.0.0.1"_s
                                      << QByteArray("Basic s3cr3t-metrics") << false << 401;
    }

    void access()
    {
        QFETCH(QString, token);
        QFETCH(QString, remote);
        QFETCH(QByteArray, authorization);
        QFETCH(bool, forwarded);
        QFETCH(int, status);
        Metrics registry;
        OpsRoutes routes(&registry);
        routes.setMetricsToken(token);
        for (const char *path : {"/metrics", "/readyz"}) {
            const auto r =
                routes.handle({path, QHostAddress(remote), authorization, forwarded, {}});
            QCOMPARE(r.status, status);
            QCOMPARE(r.wwwAuthenticate.isEmpty(), status != 401);
        }
        // /healthz is open to everyone.
        QCOMPARE(routes.handle({"/healthz", QHostAddress(remote), {}, forwarded, {}}).status, 200);
    }

    void healthzNonce_data()
    {
        QTest::addColumn<QString>("nonce");
        QTest::addColumn<int>("status");
        QTest::newRow("random") << u"aZ09_-Qx7w"_s << 200;
        QTest::newRow("one char") << u"x"_s << 200;
        QTest::newRow("128 chars") << QString(128, u'n') << 200;
        QTest::newRow("empty") << QString() << 400;
        QTest::newRow("129 chars") << QString(129, u'n') << 400;
        QTest::newRow("markup") << u"<script>"_s << 400;
        QTest::newRow("space") << u"a b"_s << 400;
    }

    void healthzNonce()
    {
        QFETCH(QString, nonce);
        QFETCH(int, status);
        Metrics registry;
        OpsRoutes routes(&registry);
        OpsRoutes::Request request{"/healthz", QHostAddress(u"203.0.113.9"_s), {}, true, nonce};
        const auto r = routes.handle(request);
        QCOMPARE(r.status, status);
        QCOMPARE(r.contentType, QByteArray("application/json"));
        const QJsonObject body = QJsonDocument::fromJson(r.body).object();
        if (status == 200) {
            QCOMPARE(body.value(u"nonce"_s).toString(), nonce);
            QCOMPARE(body.value(u"service"_s).toString(), u"flex-backend"_s);
        } else {
            QVERIFY(!r.body.contains(nonce.toUtf8()) || nonce.isEmpty());
        }
    }

    void readiness()
    {
        Metrics registry;
        OpsRoutes routes(&registry);
        bool listening = false;
        QString twilio = u"last Twilio contact failed: 401"_s;
        routes.addReadinessCheck(u"not listening"_s, [&] { return listening; });
        routes.addReadinessCheck([&] { return twilio; });
        auto get = [&] {
            return routes.handle({"/readyz", QHostAddress::LocalHost, {}, false, {}});
        };
        auto r = get();
        QCOMPARE(r.status, 503);
        QCOMPARE(r.contentType, QByteArray("application/json"));
        QJsonObject body = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(body.value(u"ready"_s).toBool(true), false);
        QCOMPARE(body.value(u"reasons"_s).toArray(),
                 QJsonArray({u"not listening"_s, u"last Twilio contact failed: 401"_s}));
        listening = true;
        twilio.clear();
        r = get();
        QCOMPARE(r.status, 200);
        body = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(body.value(u"ready"_s).toBool(), true);
        QCOMPARE(body.value(u"reasons"_s).toArray(), QJsonArray());
    }

    void overHttp()
    {
        Metrics registry;
        registry.counter("flex_test_total", "Test.").inc(7);
        OpsRoutes routes(&registry);
        routes.addReadinessCheck(u"not ready"_s, [] { return false; });
        QHttpServer server;
        routes.registerRoutes(server);
        const quint16 port = server.listen(QHostAddress::LocalHost, 0);
        QVERIFY(port != 0);

        QNetworkAccessManager nam;
        auto get = [&](const QString &path) {
            QNetworkReply *reply =
                nam.get(QNetworkRequest(QUrl(u"http://127.0.0.1:%1%2"_s.arg(port).arg(path))));
            reply->setParent(this);
            QSignalSpy done(reply, &QNetworkReply::finished);
            done.wait(10000);
            return reply;
        };
        QNetworkReply *metrics = get(u"/metrics"_s);
        QCOMPARE(metrics->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(metrics->header(QNetworkRequest::ContentTypeHeader).toString(),
                 u"text/plain; version=0.0.4; charset=utf-8"_s);
        QCOMPARE(sampleValue(parse(metrics->readAll()), u"flex_test"_s, u"flex_test_total"_s), 7.0);

        QNetworkReply *ready = get(u"/readyz"_s);
        QCOMPARE(ready->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 503);
        QCOMPARE(QJsonDocument::fromJson(ready->readAll()).object().value(u"reasons"_s).toArray(),
                 QJsonArray({u"not ready"_s}));

        QNetworkReply *health = get(u"/healthz"_s);
        QCOMPARE(health->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(health->readAll(), QByteArray("ok\n"));
        QNetworkReply *echo = get(u"/healthz?nonce=check-Nonce_42"_s);
        QCOMPARE(echo->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        QCOMPARE(QJsonDocument::fromJson(echo->readAll()).object().value(u"nonce"_s).toString(),
                 u"check-Nonce_42"_s);

        routes.setMetricsToken(u"tok-123456"_s);
        QNetworkReply *denied = get(u"/metrics"_s);
        QCOMPARE(denied->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 401);
    }
};

QTEST_GUILESS_MAIN(tst_OpsMetrics)
#include "tst_opsmetrics.moc"
