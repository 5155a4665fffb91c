#pragma once

#include "httpmessage.h"
#include "requestsigner.h"

#include <QDateTime>
#include <QJsonObject>
#include <QSet>
#include <QString>

#include <functional>
#include <optional>

namespace flex::emulator {

using namespace Qt::StringLiterals;

// One outbound call as the simulator holds it: what Create Call asked for,
// where it is in its life, its Twilio JSON and the parameters of the
// requests Twilio makes to the service about it.
struct SimulatedCall
{
    // Chosen by the last four digits of To: 0001 busy, 0002 no-answer,
    // 0003 failed, 0004 rings until hung up; anything else is answered.
    enum class Outcome { Answer, Busy, NoAnswer, Failed, RingForever };

    QString sid, from, to, url, method, twiml, statusCallback, callbackMethod;
    QSet<QString> events;
    QString status = u"queued"_s;
    Outcome outcome = Outcome::Answer;
    QDateTime created, updated, started, ended;
    int nextSequence = 0;
    int generation = 0; // bumps on every state change, stale timers see it
    int pendingEarly = 0;
    std::function<void()> releaseResponse;
    QString taskSid;

    // The call Create Call's parameters describe (sid, outcome and times
    // left to the simulator), or the Twilio error that refuses them.
    static std::optional<HttpResponse> fromCreateParams(const FormParams &params,
                                                        SimulatedCall *call);
    static Outcome outcomeFor(const QString &to);
    static bool isTerminal(const QString &status);

    QJsonObject toJson(const QString &accountSid) const;
    // Parameters of a TwiML fetch, and of a status callback (without the
    // event's own CallStatus, SequenceNumber and durations).
    FormParams twimlParams(const QString &accountSid) const;
    FormParams commonParams(const QString &accountSid, const QString &callStatus) const;
    FormParams statusParams(const QString &accountSid, const QString &callStatus,
                            int sequenceNumber) const;
};

// The value of the first parameter called name, or an empty string.
QString formParam(const FormParams &params, const QString &name);
// An absolute http or https URL with a host (Url, StatusCallback).
bool isHttpUrl(const QString &text);

} // namespace flex::emulator
