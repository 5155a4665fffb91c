#include "clusterharness.h"

#include "testenvironment.h"

#include <QDateTime>
#include <QFile>
#include <QNetworkReply>
#include <QStandardPaths>
#include <QTest>

namespace flex::testing {

using namespace Qt::StringLiterals;

Cluster::Cluster()
    : m_emulator(std::make_unique<emulator::TwilioEmulator>(TestEnvironment::fastConfig()))
{
    if (!m_emulator->listen(QHostAddress::LocalHost, 0))
        qFatal("the emulator could not listen");
    const QDateTime expires = QDateTime::currentDateTimeUtc().addSecs(3600);
    for (const QString &who : {u"alice"_s, u"bob"_s, u"carol"_s, u"dave"_s, u"erin"_s, u"frank"_s})
        m_emulator->addToken(flexToken(who), who, {u"agent"_s}, expires);
    m_emulator->addToken(flexToken(u"sam"_s), u"sam"_s, {u"supervisor"_s}, expires);
}

Cluster::~Cluster()
{
    m_instances.clear(); // kills what still runs
    if (m_nginx && m_nginx->state() != QProcess::NotRunning) {
        m_nginx->kill();
        m_nginx->waitForFinished(5000);
    }
}

QString Cluster::nginxMissing()
{
    return QStandardPaths::findExecutable(u"nginx"_s, {u"/usr/sbin"_s, u"/usr/bin"_s}).isEmpty()
               ? u"nginx is not installed (scripts/deps --test installs nginx-light)"_s
               : QString();
}

ServiceProcess *Cluster::makeInstance(int i)
{
    auto *p = new ServiceProcess;
    for (const auto &[key, value] : m_emulator->serviceSettings())
        p->setEnv(key, value);
    p->setEnv(u"EXTERNAL_HOST"_s, u"http://127.0.0.1:%1"_s.arg(m_nginxPort));
    p->setEnv(u"BIND_ADDRESS"_s, u"127.0.0.1"_s);
    p->setEnv(u"PORT"_s, u"0"_s);
    p->setEnv(u"STATE_DIR"_s, m_dir.filePath(u"state-%1"_s.arg(i)));
    p->setEnv(u"STATS_TIMEZONE"_s, u"UTC"_s);
    p->setEnv(u"LOG_LEVEL"_s, u"info"_s);
    p->setEnv(u"AUTH_RATE_PER_ADDRESS"_s, u"100000"_s); // every client is 127.0.0.1
    p->setEnv(u"SETUP_CHECK_AT_START"_s, u"false"_s);   // its requests would be counted
    p->setEnv(u"REDIS_URL"_s, m_redis.url());
    p->setEnv(u"INSTANCE_ID"_s, u"node-%1"_s.arg(i));
    for (const auto &[key, value] : std::as_const(m_env))
        p->setEnv(key, value);
    p->setWorkingDirectory(m_dir.path());
    return p;
}

bool Cluster::start(int instances)
{
    if (!m_redis.start())
        return false;
    m_nginxPort = freeLoopbackPort();
    for (int i = 0; i < instances; ++i) {
        m_instances.emplace_back(makeInstance(i));
        if (!m_instances.back()->start())
            return false;
        m_instances.back()->setEnv(u"PORT"_s, QString::number(m_instances.back()->port()));
    }
    return startNginx();
}

bool Cluster::restartInstance(int i)
{
    ServiceProcess &p = instance(i);
    if (p.isRunning()) {
        p.terminate();
        if (!p.waitForExit(20000))
            return false;
    }
    if (!p.start())
        return false;
    // start() may have read the last run's "listening on": wait for this one.
    return QTest::qWaitFor(
        [&] {
            int status = 0;
            (void)get(i, u"/healthz"_s, &status);
            return status == 200;
        },
        20000);
}

bool Cluster::startNginx()
{
    QFile example(QString::fromLocal8Bit(qgetenv("FLEX_SOURCE_DIR")) +
                  u"/packaging/nginx-cluster.conf"_s);
    if (!example.open(QIODevice::ReadOnly)) {
        qWarning() << "cannot read" << example.fileName();
        return false;
    }
    QString site = QString::fromUtf8(example.readAll());
    // The documented placeholders, each of which must be there.
    QList<QPair<QString, QString>> substitutions{
        {u"listen 443 ssl http2;"_s, u"listen 127.0.0.1:%1;"_s.arg(m_nginxPort)}};
    for (int i = 0; i < size() && i < 3; ++i)
        substitutions.append({u"server 10.0.0.1%1:3000 "_s.arg(i + 1),
                              u"server 127.0.0.1:%1 "_s.arg(instance(i).port())});
    for (const auto &[from, to] : std::as_const(substitutions)) {
        if (!site.contains(from)) {
            qWarning().noquote() << "packaging/nginx-cluster.conf lacks" << from;
            return false;
        }
        site.replace(from, to);
    }
    QStringList lines = site.split(u'\n');
    lines.removeIf([](const QString &l) {
        const QString t = l.trimmed();
        return t.startsWith(u"listen [::]"_s) || t.startsWith(u"ssl_"_s);
    });
    const QString sitePath = m_dir.filePath(u"cluster.conf"_s);
    const QString mainPath = m_dir.filePath(u"nginx.conf"_s);
    QFile siteFile(sitePath);
    QFile mainFile(mainPath);
    if (!siteFile.open(QIODevice::WriteOnly) || !mainFile.open(QIODevice::WriteOnly))
        return false;
    siteFile.write(lines.join(u'\n').toUtf8());
    siteFile.close();
    const QString d = m_dir.path();
    mainFile.write(u"error_log %1/error.log info;\npid %1/nginx.pid;\nworker_processes 1;\n"
                   "events { worker_connections 1024; }\nhttp {\n  access_log %1/access.log;\n"
                   "  client_body_temp_path %1/body;\n  proxy_temp_path %1/proxy;\n"
                   "  fastcgi_temp_path %1/fastcgi;\n  uwsgi_temp_path %1/uwsgi;\n"
                   "  scgi_temp_path %1/scgi;\n  include %2;\n}\n"_s.arg(d, sitePath)
                       .toUtf8());
    mainFile.close();
    m_nginx = std::make_unique<QProcess>();
    m_nginx->setProcessChannelMode(QProcess::MergedChannels);
    m_nginx->start(QStandardPaths::findExecutable(u"nginx"_s, {u"/usr/sbin"_s, u"/usr/bin"_s}),
                   {u"-p"_s, d, u"-c"_s, mainPath, u"-g"_s, u"daemon off;"_s});
    QFile errorLog(m_dir.filePath(u"error.log"_s));
    const bool up = QTest::qWaitFor(
        [&] {
            if (m_nginx->state() == QProcess::NotRunning)
                return true;
            if (!errorLog.isOpen() && !errorLog.open(QIODevice::ReadOnly))
                return false;
            errorLog.seek(0);
            return errorLog.readAll().contains("start worker process");
        },
        15000);
    if (!up || m_nginx->state() == QProcess::NotRunning) {
        qWarning().noquote() << "nginx did not start:" << m_nginx->readAll();
        return false;
    }
    return true;
}

QByteArray Cluster::get(int i, const QString &path, int *status)
{
    QNetworkRequest request(QUrl(instance(i).url().toString() + path));
    QNetworkReply *reply = m_nam.get(request);
    (void)QTest::qWaitFor([&] { return reply->isFinished(); }, 10000);
    if (status)
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    reply->deleteLater();
    return body;
}

double Cluster::metric(int i, const QByteArray &name, const QByteArrayList &filters)
{
    double sum = 0;
    const QByteArray text = get(i, u"/metrics"_s);
    for (const QByteArray &line : text.split('\n')) {
        if (!line.startsWith(name) || line.startsWith('#'))
            continue;
        const char next = line.size() > name.size() ? line.at(name.size()) : ' ';
        if (next != ' ' && next != '{')
            continue;
        bool all = true;
        for (const QByteArray &f : filters)
            all = all && line.contains(f);
        if (all)
            sum += line.mid(line.lastIndexOf(' ') + 1).toDouble();
    }
    return sum;
}

} // namespace flex::testing
