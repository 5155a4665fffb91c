#include "clusterrig.h"

#include "scenario.h"
#include "servicerig.h"

#include "emulator/emulatorconfig.h"
#include "emulator/twilioemulator.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QStandardPaths>
#include <QTimer>

#include <cstdio>

namespace flex::bench {

using namespace Qt::StringLiterals;

ClusterRig::ClusterRig(Settings settings, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
{
    for (quint16 &port : m_ports)
        port = freePort();
    m_nginxSingle = freePort();
    m_nginxCluster = freePort();
    for (int slot = 0; slot <= kSingle; ++slot) {
        m_services.push_back(std::make_unique<QProcess>());
        m_outputs.push_back(std::make_shared<QByteArray>());
    }
}

ClusterRig::~ClusterRig()
{
    std::vector<QProcess *> all{&m_redis, &m_emulator, &m_nginx};
    for (auto &p : m_services)
        all.push_back(p.get());
    for (QProcess *process : all) {
        if (process->state() != QProcess::NotRunning) {
            process->terminate();
            process->waitForFinished(5000); // the bench, not the service
        }
    }
}

void ClusterRig::start(std::function<void(const QString &)> up)
{
    m_up = std::move(up);
    startRedis();
}

void ClusterRig::stopService(int slot)
{
    m_services[size_t(slot)]->terminate();
}

QUrl ClusterRig::dialUrl(int slot) const
{
    return QUrl(u"ws://127.0.0.1:%1/websocket/outboundDial"_s.arg(m_ports[slot]));
}

void ClusterRig::startRedis()
{
    const QString redis = QStandardPaths::findExecutable(u"redis-server"_s);
    if (redis.isEmpty())
        return m_up(u"redis-server is not installed (apt-get install redis-server)"_s);
    m_redisPort = freePort();
    const QStringList args{u"--port"_s,       QString::number(m_redisPort),
                           u"--bind"_s,       u"127.0.0.1"_s,
                           u"--save"_s,       u""_s,
                           u"--appendonly"_s, u"no"_s,
                           u"--dir"_s,        m_dir.path()};
    launchProcess(this, m_redis, redis, args, QProcessEnvironment::systemEnvironment(), "Ready ",
                  /* "to accept connections" */ std::make_shared<QByteArray>(),
                  [this](const QByteArray &up) {
                      if (up.isEmpty())
                          return m_up(u"redis-server did not start"_s);
                      startEmulator();
                  });
}

void ClusterRig::startEmulator()
{
    const QString step = QString::number(m_settings.stepMs);
    QStringList args{u"--port"_s,   u"0"_s,
                     u"--frozen"_s, u"--warmup-s"_s,
                     u"0"_s,        u"--call-step-ms"_s,
                     step,          u"--talk-time-ms"_s,
                     step};
    for (const QString &token : m_settings.tokens)
        args << u"--token"_s << token;
    const QString binary =
        QCoreApplication::applicationDirPath() + u"/../src/emulator/twilio-emulator"_s;
    launchProcess(this, m_emulator, binary, args, QProcessEnvironment::systemEnvironment(),
                  "listening on ", std::make_shared<QByteArray>(), [this](const QByteArray &url) {
                      if (url.isEmpty())
                          return m_up(u"twilio-emulator did not start"_s);
                      m_emulatorUrl = QUrl(QString::fromUtf8(url.trimmed()));
                      startNginx();
                  });
}

QString ClusterRig::nginxConfig() const
{
    const QString d = m_dir.path();
    QString upstreams =
        u"  upstream single { server 127.0.0.1:%1; keepalive 16; }\n"_s.arg(m_ports[kSingle]);
    for (int k = 0; k < kNodes; ++k)
        upstreams +=
            u"  upstream node%1 { server 127.0.0.1:%2; keepalive 16; }\n"_s.arg(k).arg(m_ports[k]);
    QString map = u"  map $arg_owner $next_node {\n    default node0;\n"_s;
    for (int k = 0; k < kNodes; ++k)
        map += u"    ~-a%1$ node%2;\n"_s.arg(k).arg((k + 1) % kNodes);
    map += u"  }\n"_s;
    const QString location = u"proxy_http_version 1.1; proxy_set_header Connection \"\"; "
                             u"proxy_set_header Host $http_host;"_s;
    return u"error_log %1/error.log warn;\npid %1/nginx.pid;\nworker_processes 1;\n"
           u"events { worker_connections 4096; }\nhttp {\n"
           u"  log_format routed '$server_port $arg_owner $upstream_addr $status';\n"
           u"  access_log %1/access.log routed;\n"
           u"  client_body_temp_path %1/body; proxy_temp_path %1/proxy;\n"
           u"  fastcgi_temp_path %1/fastcgi; uwsgi_temp_path %1/uwsgi; "
           u"scgi_temp_path %1/scgi;\n"_s.arg(d) +
           upstreams + map +
           u"  server { listen 127.0.0.1:%1; location / { proxy_pass http://single; %3 } }\n"
           u"  server { listen 127.0.0.1:%2; location / { proxy_pass http://$next_node; "
           u"%3 } }\n}\n"_s.arg(m_nginxSingle)
               .arg(m_nginxCluster)
               .arg(location);
}

void ClusterRig::startNginx()
{
    const QString nginx =
        QStandardPaths::findExecutable(u"nginx"_s, {u"/usr/sbin"_s, u"/usr/bin"_s});
    if (nginx.isEmpty())
        return m_up(u"nginx is not installed (apt-get install nginx-light)"_s);
    QFile conf(m_dir.filePath(u"nginx.conf"_s));
    if (!conf.open(QIODevice::WriteOnly))
        return m_up(u"cannot write nginx.conf"_s);
    conf.write(nginxConfig().toUtf8());
    conf.close();
    m_nginx.setProcessChannelMode(QProcess::MergedChannels);
    m_nginx.start(nginx,
                  {u"-p"_s, m_dir.path(), u"-c"_s, conf.fileName(), u"-g"_s, u"daemon off;"_s});
    // Up once it wrote its pid file.
    auto *poll = new QTimer(this);
    auto started = std::make_shared<QElapsedTimer>();
    started->start();
    connect(poll, &QTimer::timeout, this, [this, poll, started] {
        const bool up = QFile::exists(m_dir.filePath(u"nginx.pid"_s));
        if (!up && started->elapsed() < 15000)
            return;
        poll->stop();
        poll->deleteLater();
        m_up(up ? QString() : u"nginx did not start"_s);
    });
    poll->start(20);
}

QProcessEnvironment ClusterRig::serviceEnv(int slot, bool cluster) const
{
    QProcessEnvironment env;
    env.insert(u"PATH"_s, qEnvironmentVariable("PATH"));
    const auto settings =
        emulator::TwilioEmulator::serviceSettings(emulator::EmulatorConfig{}, m_emulatorUrl);
    for (const auto &[key, value] : settings)
        env.insert(key, value);
    const quint16 front = cluster ? m_nginxCluster : m_nginxSingle;
    env.insert(u"EXTERNAL_HOST"_s, u"http://127.0.0.1:%1"_s.arg(front));
    env.insert(u"BIND_ADDRESS"_s, u"127.0.0.1"_s);
    env.insert(u"PORT"_s, QString::number(m_ports[slot]));
    env.insert(u"STATE_DIR"_s, m_dir.filePath(u"state-%1"_s.arg(slot)));
    env.insert(u"STATS_REALTIME_INTERVAL"_s, u"1"_s);
    env.insert(u"STATS_CUMULATIVE_INTERVAL"_s, u"3600"_s);
    env.insert(u"STATS_TIMEZONE"_s, u"UTC"_s);
    env.insert(u"DIAL_MAX_CALLS_PER_MINUTE"_s, u"0"_s);
    env.insert(u"LOG_LEVEL"_s, u"info"_s);
    if (cluster) {
        env.insert(u"REDIS_URL"_s, u"redis://127.0.0.1:%1"_s.arg(m_redisPort));
        env.insert(u"INSTANCE_ID"_s, u"node-%1"_s.arg(slot));
    }
    return env;
}

void ClusterRig::startService(int slot, bool cluster, std::function<void(bool)> up)
{
    QDir().mkpath(m_dir.filePath(u"state-%1"_s.arg(slot)));
    m_services[size_t(slot)] = std::make_unique<QProcess>();
    QProcess &process = *m_services[size_t(slot)];
    process.setWorkingDirectory(m_dir.path());
    launchProcess(this, process, backendBinary(), {}, serviceEnv(slot, cluster), "listening on ",
                  m_outputs[size_t(slot)], [up](const QByteArray &url) { up(!url.isEmpty()); });
}

void ClusterRig::emulatorCall(const QByteArray &verb, const QString &path, const QByteArray &body,
                              std::function<void(const QJsonObject &)> then)
{
    QUrl url = m_emulatorUrl;
    url.setPath(path);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = m_nam.sendCustomRequest(request, verb, body);
    connect(reply, &QNetworkReply::finished, this, [reply, then] {
        reply->deleteLater();
        then(QJsonDocument::fromJson(reply->readAll()).object());
    });
}

// Status callbacks nginx handed to the instance holding the owner's socket.
QPair<int, int> ClusterRig::callbacksOnOwnInstance() const
{
    QFile log(m_dir.filePath(u"access.log"_s));
    if (!log.open(QIODevice::ReadOnly))
        return {-1, -1};
    int own = 0;
    int routed = 0;
    const QList<QByteArray> lines = log.readAll().split('\n');
    for (const QByteArray &line : lines) {
        const QList<QByteArray> f = line.split(' ');
        if (f.size() < 4 || f[0].toInt() != m_nginxCluster || !f[1].contains("-a"))
            continue;
        ++routed;
        const int socketNode = f[1].mid(f[1].lastIndexOf("-a") + 2).toInt();
        own += f[2].endsWith(QByteArray(':' + QByteArray::number(m_ports[socketNode]))) ? 1 : 0;
    }
    return {own, routed};
}

// The services' warnings (a few per instance), so a bad number has a why.
void ClusterRig::printWarnings() const
{
    for (size_t i = 0; i < m_outputs.size(); ++i) {
        int shown = 0;
        const QList<QByteArray> lines = m_outputs[i]->split('\n');
        for (const QByteArray &line : lines) {
            if ((line.contains(" warning ") || line.contains(" critical ")) && shown++ < 5)
                std::printf("    %s: %s\n", i == size_t(kSingle) ? "single" : "cluster",
                            line.left(300).constData());
        }
    }
}

} // namespace flex::bench
