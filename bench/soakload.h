#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QNetworkAccessManager>
#include <QObject>
#include <QTimer>
#include <QWebSocket>

#include <functional>
#include <memory>
#include <vector>

namespace flex::bench {

class RawSubscriber;
class ServiceRig;

// Errors seen by the soak's clients, counted by kind, with the first few
// explained on stdout.
class SoakErrors
{
public:
    void add(const QByteArray &kind, const QString &detail);
    int total() const { return m_total; }
    QString summary() const; // "kind: n, kind: n" or "none"

private:
    QHash<QByteArray, int> m_byKind;
    int m_total = 0;
};

// POSTs JSON to the emulator's control API.
void postToEmulator(QNetworkAccessManager &nam, const ServiceRig &rig, const QString &path,
                    const QJsonObject &body, QObject *context, std::function<void(bool)> done = {});

// Dial agents, each placing one call after the other (answered, busy,
// unanswered, failed, and rung-then-hung-up calls), each call followed to its
// final status; every so often one agent gets a fresh Flex token (minted at
// the emulator) and reconnects with it.
class DialLoad : public QObject
{
public:
    DialLoad(ServiceRig &rig, QNetworkAccessManager &nam, SoakErrors &errors, int agents);
    ~DialLoad() override;
    void start();
    void stop();
    int callsCompleted() const { return m_completed; }
    int tokensRotated() const { return m_rotated; }
    static QStringList emulatorTokenArgs(int agents);

private:
    struct Agent;
    void connectAgent(Agent &agent);
    void placeCall(Agent &agent);
    void onMessage(Agent &agent, const QString &text);
    void callEnded(Agent &agent);
    void rotateToken();
    void checkStuck();
    void printServiceLines(const QString &needle) const;

    ServiceRig &m_rig;
    QNetworkAccessManager &m_nam;
    SoakErrors &m_errors;
    std::vector<std::unique_ptr<Agent>> m_agents;
    QTimer m_rotateTimer;
    QTimer m_stuckTimer;
    int m_completed = 0;
    int m_rotated = 0;
    int m_nextRotation = 0;
    bool m_stopped = false;
};

// Stats subscribers held at a steady count, a few replaced every second,
// their tokens drawn from a pool that is renewed as time goes by.
class StatsChurn : public QObject
{
public:
    StatsChurn(ServiceRig &rig, QNetworkAccessManager &nam, SoakErrors &errors, int subscribers);
    ~StatsChurn() override;
    void start();
    void stop();
    int replaced() const { return m_replaced; }
    static QStringList emulatorTokenArgs();

private:
    struct Slot;
    void open(Slot &slot);
    void churn();
    void renewToken();

    ServiceRig &m_rig;
    QNetworkAccessManager &m_nam;
    SoakErrors &m_errors;
    const int m_count;
    std::vector<std::unique_ptr<Slot>> m_slots;
    QStringList m_tokens;
    int m_tokenSerial = 0;
    QTimer m_churnTimer;
    QTimer m_tokenTimer;
    int m_replaced = 0;
    bool m_stopped = false;
};

} // namespace flex::bench
