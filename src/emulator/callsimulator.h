#pragma once

#include "httpmessage.h"
#include "outgoingrequests.h"
#include "simulatedcall.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>

#include <chrono>
#include <functional>
#include <optional>

namespace flex::emulator {

class ContactCentre;

// Outbound calls as Twilio runs them (outcome by number: SimulatedCall):
// answered calls fetch their TwiML and complete after talkTime; status
// callbacks go out as the call moves, optionally reordered or early.
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
    const QList<OutgoingRecord> &outgoing() const { return m_outgoing->records(); }
    void clearOutgoing()
    {
        m_outgoing->clear();
        m_heldCallback = -1;
    }

private:
    using Call = SimulatedCall;

    void startEarly(const QString &sid, const HttpResponse &response, const Done &done);
    void schedule(const QString &sid, std::chrono::milliseconds delay,
                  void (CallSimulator::*step)(Call &));
    void stepInitiated(Call &call);
    void stepRinging(Call &call);
    void stepAnswer(Call &call);
    void stepComplete(Call &call);
    void finish(Call &call, const QString &status);
    void statusCallback(Call &call, const QString &event, bool early = false);
    void sendReordered(int index, bool final);
    void dispatch(int index, Call *earlyFor);
    void releaseEarly(const QString &sid);
    void fetchTwiml(Call &call);
    void handleTwiml(Call &call, const QByteArray &xml);

    QString m_accountSid;
    ContactCentre *m_model;
    OutgoingRequests *m_outgoing;
    QHash<QString, Call> m_calls;
    QStringList m_order;
    int m_heldCallback = -1; // reorder: index of a callback waiting to go after the next one
    std::chrono::milliseconds m_stepInterval{500};
    std::chrono::milliseconds m_talkTime{5000};
    bool m_reorder = false;
    bool m_early = false;
    quint64 m_sidCounter = 0;
};

} // namespace flex::emulator
