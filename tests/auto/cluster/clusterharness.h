#pragma once

#include "emulator/twilioemulator.h"
#include "redisserver.h"
#include "serviceprocess.h"

#include <QNetworkAccessManager>
#include <QProcess>
#include <QTemporaryDir>

#include <memory>
#include <vector>

namespace flex::testing {

// Three (or more) real flex-backend instances sharing a private
// redis-server, behind nginx running packaging/nginx-cluster.conf (round
// robin), against one in-process Twilio emulator whose callbacks go to
// nginx: a callback lands on any instance, not the one holding the socket.
class Cluster
{
public:
    Cluster();
    ~Cluster();

    // Empty when nginx is there, else why not (skip, or fail with CI=true).
    static QString nginxMissing();

    void setEnv(const QString &name, const QString &value) { m_env.append({name, value}); }
    bool start(int instances = 3);

    emulator::TwilioEmulator &emulator() { return *m_emulator; }
    RedisServer &redis() { return m_redis; }
    int size() const { return int(m_instances.size()); }
    ServiceProcess &instance(int i) { return *m_instances.at(size_t(i)); }
    bool restartInstance(int i); // same port, same INSTANCE_ID
    QUrl wsUrl(int i, const QString &path) { return instance(i).wsUrl(path); }

    // GET on one instance (loopback, so /metrics and /readyz answer).
    QByteArray get(int i, const QString &path, int *status = nullptr);
    // Sum of a metric's samples on instance i whose line contains every filter.
    double metric(int i, const QByteArray &name, const QByteArrayList &filters = {});

private:
    bool startNginx();
    ServiceProcess *makeInstance(int i);

    std::unique_ptr<emulator::TwilioEmulator> m_emulator;
    RedisServer m_redis;
    QTemporaryDir m_dir;
    QList<QPair<QString, QString>> m_env;
    std::vector<std::unique_ptr<ServiceProcess>> m_instances;
    std::unique_ptr<QProcess> m_nginx;
    quint16 m_nginxPort = 0;
    QNetworkAccessManager m_nam;
};

} // namespace flex::testing
