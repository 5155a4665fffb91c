#pragma once

#include "httpmessage.h"
#include "requestsigner.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>

#include <QSet>
#include <vector>

#include <chrono>
#include <functional>
#include <optional>

class QNetworkAccessManager;

namespace flex::emulator {

class ContactCentre;

// One request the emulator made to the service: a status callback or a
// TwiML fetch, with what came back.
struct OutgoingRecord
{
    quint64 id = 0;
    QString kind; // "status-callback" or "twiml"
    QString callSid;
    QString url;
    QString method;
    QString callStatus;
    int sequenceNumber = -1; // status callbacks only
    FormParams params;
    QByteArray signature;
    QDateTime sentAt;
    int httpStatus = 0;      // 0 until answered; -1 on network error or timeout
    QByteArray responseBody; // TwiML fetches only
};

// Outbound calls as Twilio runs them. Outcome is chosen by the last four
// digits of To: 0001 busy, 0002 no-answer, 0003 failed, 0004 rings until hung
// up; anything else is answered (TwiML fetched) and completed after talkTime.
class CallSimulator : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const HttpResponse &)>;

    CallSimulator(const QString &accountSid, const QByteArray &authToken, ContactCentre *model,
                  QObject *parent = nullptr);

    void setStepInterval(std::chrono::milliseconds interval) { m_stepInterval = interval; }
    void setTalkTime(std::chrono::milliseconds talkTime) { m_talkTime = talkTime; }
    void setReorderCallbacks(bool on) { m_reorder = on; }
    void setEarlyCallbacks(bool on) { m_early = on; }
    std::chrono::milliseconds stepInterval() const { return m_stepInterval; }
    std::chrono::milliseconds talkTime() const { return m_talkTime; }

    void create(const FormParams &params, const Done &done);
    std::optional<QJsonObject> fetch(const QString &sid) const;
    void update(const QString &sid, const FormParams &params, const Done &done);

    QJsonArray callsJson() const;
    const QList<OutgoingRecord> &outgoing() const { return m_outgoing; }
    void clearOutgoing()
    {
        m_outgoing.clear();
        m_heldCallback = -1;
    }

Q_SIGNALS:
    void outgoingFinished(int index);

private:
    enum class Outcome { Answer, Busy, NoAnswer, Failed, RingForever };
    struct Call
    {
        QString sid, from, to, url, method, twiml, statusCallback, callbackMethod;
        QSet<QString> events;
        QString status = QStringLiteral("queued");
        Outcome outcome = Outcome::Answer;
        QDateTime created, updated, started, ended;
        int nextSequence = 0;
        int generation = 0; // bumps on every state change, stale timers see it
        int pendingEarly = 0;
        std::function<void()> releaseResponse;
        QString taskSid;
    };

    QJsonObject toJson(const Call &call) const;
    void schedule(const QString &sid, std::chrono::milliseconds delay,
                  void (CallSimulator::*step)(Call &));
    void stepInitiated(Call &call);
    void stepRinging(Call &call);
    void stepAnswer(Call &call);
    void stepComplete(Call &call);
    void finish(Call &call, const QString &status);
    void statusCallback(Call &call, const QString &event, bool early = false);
    void dispatch(int index, Call *earlyFor);
    void releaseEarly(const QString &sid);
    void fetchTwiml(Call &call);
    void handleTwiml(Call &call, const QByteArray &xml);
    void send(int index, const std::function<void(int status, const QByteArray &body)> &onDone);
    Outcome outcomeFor(const QString &to) const;

    QString m_accountSid;
    QByteArray m_authToken;
    ContactCentre *m_model;
    // Twilio posts from many machines at once; one QNetworkAccessManager
    // would funnel every call's requests through 6 connections.
    std::vector<QNetworkAccessManager *> m_nams;
    QHash<QString, Call> m_calls;
    QStringList m_order;
    QList<OutgoingRecord> m_outgoing;
    quint64 m_nextOutgoingId = 1;
    int m_heldCallback = -1; // reorder: index of a callback waiting to go after the next one
    std::chrono::milliseconds m_stepInterval{500};
    std::chrono::milliseconds m_talkTime{5000};
    bool m_reorder = false;
    bool m_early = false;
    quint64 m_sidCounter = 0;
};

} // namespace flex::emulator
