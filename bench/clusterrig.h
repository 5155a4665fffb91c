#pragma once

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QUrl>

#include <functional>
#include <memory>
#include <vector>

namespace flex::bench {

// The processes of `flex-bench cluster`: one redis-server, one
// twilio-emulator (frozen, call steps of stepMs, the given tokens), nginx,
// and flex-backend instances in slots 0..kNodes-1 (cluster mode, INSTANCE_ID
// node-<slot>) or kSingle (one instance without Redis). nginx takes Twilio's
// callbacks for both: for the single instance on one port; for the cluster on
// another, handing each status callback to the instance after the one its
// owner's socket is on (the owner's identity ends in -a<slot>).
class ClusterRig : public QObject
{
public:
    static constexpr int kNodes = 3;
    static constexpr int kSingle = kNodes;

    struct Settings
    {
        int stepMs = 20;
        QStringList tokens; // --token arguments of the emulator: token:identity:role
    };

    explicit ClusterRig(Settings settings, QObject *parent = nullptr);
    ~ClusterRig() override;

    // Redis, the emulator and nginx; up() gets an empty string, or what failed.
    void start(std::function<void(const QString &)> up);
    void startService(int slot, bool cluster, std::function<void(bool)> up);
    void stopService(int slot);

    quint16 port(int slot) const { return m_ports[slot]; }
    QUrl dialUrl(int slot) const;
    // A call to the emulator's control API (/__emulator/...), JSON both ways.
    void emulatorCall(const QByteArray &verb, const QString &path, const QByteArray &body,
                      std::function<void(const QJsonObject &)> then);
    // From nginx's log: {status callbacks handed to the instance holding the
    // owner's socket, all status callbacks of the cluster}.
    QPair<int, int> callbacksOnOwnInstance() const;
    // A few warning lines of each service, so a bad number has a why.
    void printWarnings() const;

private:
    void startRedis();
    void startEmulator();
    QString nginxConfig() const;
    void startNginx();
    QProcessEnvironment serviceEnv(int slot, bool cluster) const;

    Settings m_settings;
    std::function<void(const QString &)> m_up;
    QTemporaryDir m_dir;
    quint16 m_ports[kNodes + 1] = {};
    quint16 m_nginxSingle = 0;
    quint16 m_nginxCluster = 0;
    quint16 m_redisPort = 0;
    QProcess m_redis;
    QProcess m_emulator;
    QProcess m_nginx;
    std::vector<std::unique_ptr<QProcess>> m_services;  // by slot
    std::vector<std::shared_ptr<QByteArray>> m_outputs; // each service's log, by slot
    QUrl m_emulatorUrl;
    QNetworkAccessManager m_nam;
};

} // namespace flex::bench
