#include "callsimulator.h"

#include "contactcentre.h"
#include "twilioerror.h"

#include <QJsonDocument>
#include <QTimer>
#include <QXmlStreamReader>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

constexpr int EarlyResponseTimeoutMs = 3000;

} // namespace

CallSimulator::CallSimulator(const QString &accountSid, const QByteArray &authToken,
                             ContactCentre *model, QObject *parent)
    : QObject(parent)
    , m_accountSid(accountSid)
    , m_model(model)
    , m_outgoing(new OutgoingRequests(authToken, this))
{}

void CallSimulator::create(const FormParams &params, const Done &done)
{
    Call call;
    if (const auto error = Call::fromCreateParams(params, &call)) {
        done(*error);
        return;
    }
    call.sid = u"CA%1%2"_s.arg(quint64(QDateTime::currentMSecsSinceEpoch()), 16, 16, QChar(u'0'))
                   .arg(++m_sidCounter, 16, 16, QChar(u'0'));
    call.created = call.updated = QDateTime::currentDateTimeUtc();
    m_calls.insert(call.sid, call);
    m_order.append(call.sid);

    HttpResponse response;
    response.status = 201;
    response.body = QJsonDocument(call.toJson(m_accountSid)).toJson(QJsonDocument::Compact);
    if (m_early) {
        startEarly(call.sid, response, done);
        return;
    }
    done(response);
    schedule(call.sid, std::chrono::milliseconds(0), &CallSimulator::stepInitiated);
}

// Twilio's race: the first callbacks can reach the service before the
// create answer does. Hold the answer until they have been delivered.
void CallSimulator::startEarly(const QString &sid, const HttpResponse &response, const Done &done)
{
    Call &c = m_calls[sid];
    c.releaseResponse = [done, response] { done(response); };
    stepInitiated(c);
    if (m_calls.value(sid).status == u"queued"_s)
        stepRinging(m_calls[sid]);
    if (m_calls.value(sid).pendingEarly == 0) {
        releaseEarly(sid);
    } else {
        QTimer::singleShot(EarlyResponseTimeoutMs, this, [this, sid] { releaseEarly(sid); });
    }
}

void CallSimulator::releaseEarly(const QString &sid)
{
    auto it = m_calls.find(sid);
    if (it == m_calls.end() || !it->releaseResponse)
        return;
    const std::function<void()> release = std::move(it->releaseResponse);
    it->releaseResponse = nullptr;
    release();
}

std::optional<QJsonObject> CallSimulator::fetch(const QString &sid) const
{
    const auto it = m_calls.constFind(sid);
    if (it == m_calls.cend())
        return std::nullopt;
    return it->toJson(m_accountSid);
}

void CallSimulator::update(const QString &sid, const FormParams &params, const Done &done)
{
    auto it = m_calls.find(sid);
    if (it == m_calls.end()) {
        done(resourceNotFound(u"/2010-04-01/Accounts/%1/Calls/%2.json"_s.arg(m_accountSid, sid)));
        return;
    }
    Call &call = *it;
    const QString status = formParam(params, u"Status"_s);
    const QString url = formParam(params, u"Url"_s);
    const QString twiml = formParam(params, u"Twiml"_s);
    if (!status.isEmpty() && status != u"canceled"_s && status != u"completed"_s) {
        done(twilioError(400, 21218, u"Invalid Status: %1"_s.arg(status)));
        return;
    }
    const QString cb = formParam(params, u"StatusCallback"_s);
    if (!cb.isEmpty()) {
        if (!isHttpUrl(cb)) {
            done(twilioError(400, 21609, u"StatusCallback is not a valid URL"_s));
            return;
        }
        call.statusCallback = cb;
    }
    if (status == u"canceled"_s) {
        // Only queued or ringing calls can be canceled; others stay as they are.
        if (call.status == u"queued"_s || call.status == u"ringing"_s)
            finish(call, u"canceled"_s);
    } else if (status == u"completed"_s) {
        if (!Call::isTerminal(call.status))
            finish(call, u"completed"_s);
    } else if (!url.isEmpty() || !twiml.isEmpty()) {
        if (call.status != u"in-progress"_s) {
            done(twilioError(400, 21220, u"Call is not in-progress. Cannot redirect."_s));
            return;
        }
        if (!url.isEmpty() && !isHttpUrl(url)) {
            done(twilioError(400, 21205, u"Url is not a valid URL: %1"_s.arg(url)));
            return;
        }
        call.url = url;
        call.twiml = twiml;
        fetchTwiml(call);
    }
    call.updated = QDateTime::currentDateTimeUtc();
    HttpResponse response;
    response.body = QJsonDocument(call.toJson(m_accountSid)).toJson(QJsonDocument::Compact);
    done(response);
}

void CallSimulator::schedule(const QString &sid, std::chrono::milliseconds delay,
                             void (CallSimulator::*step)(Call &))
{
    const int generation = m_calls.value(sid).generation;
    QTimer::singleShot(delay, this, [this, sid, generation, step] {
        auto it = m_calls.find(sid);
        if (it == m_calls.end() || it->generation != generation)
            return; // the call moved on (hung up) meanwhile
        (this->*step)(*it);
    });
}

void CallSimulator::stepInitiated(Call &call)
{
    ++call.generation;
    if (call.events.contains(u"initiated"_s))
        statusCallback(call, u"initiated"_s, bool(call.releaseResponse));
    schedule(call.sid, m_stepInterval, &CallSimulator::stepRinging);
}

void CallSimulator::stepRinging(Call &call)
{
    ++call.generation;
    if (call.outcome == Call::Outcome::Failed) {
        finish(call, u"failed"_s);
        return;
    }
    call.status = u"ringing"_s;
    call.updated = QDateTime::currentDateTimeUtc();
    if (call.events.contains(u"ringing"_s))
        statusCallback(call, u"ringing"_s, bool(call.releaseResponse));
    if (call.outcome == Call::Outcome::RingForever)
        return;
    // No answer rings a little longer before giving up.
    schedule(call.sid,
             call.outcome == Call::Outcome::NoAnswer ? 2 * m_stepInterval : m_stepInterval,
             &CallSimulator::stepAnswer);
}

void CallSimulator::stepAnswer(Call &call)
{
    ++call.generation;
    if (call.outcome == Call::Outcome::Busy) {
        finish(call, u"busy"_s);
        return;
    }
    if (call.outcome == Call::Outcome::NoAnswer) {
        finish(call, u"no-answer"_s);
        return;
    }
    call.status = u"in-progress"_s;
    call.started = call.updated = QDateTime::currentDateTimeUtc();
    if (call.events.contains(u"answered"_s))
        statusCallback(call, u"answered"_s);
    fetchTwiml(call);
    schedule(call.sid, m_talkTime, &CallSimulator::stepComplete);
}

void CallSimulator::stepComplete(Call &call)
{
    finish(call, u"completed"_s);
}

void CallSimulator::finish(Call &call, const QString &status)
{
    ++call.generation;
    call.status = status;
    call.ended = call.updated = QDateTime::currentDateTimeUtc();
    if (call.events.contains(u"completed"_s))
        statusCallback(call, u"completed"_s, bool(call.releaseResponse));
    if (!call.taskSid.isEmpty())
        m_model->callEnded(call.sid);
}

void CallSimulator::statusCallback(Call &call, const QString &event, bool early)
{
    if (call.statusCallback.isEmpty())
        return;
    OutgoingRecord r;
    r.kind = u"status-callback"_s;
    r.callSid = call.sid;
    r.url = call.statusCallback;
    r.method = call.callbackMethod;
    r.callStatus = event == u"initiated"_s ? event : call.status;
    r.sequenceNumber = call.nextSequence++;
    r.params = call.statusParams(m_accountSid, r.callStatus, r.sequenceNumber);
    const int index = m_outgoing->add(std::move(r));
    if (early) {
        ++call.pendingEarly;
        dispatch(index, &call);
    } else if (m_reorder) {
        sendReordered(index, Call::isTerminal(call.status));
    } else {
        dispatch(index, nullptr);
    }
}

// Reordering: hold one callback back and send it right after the next one.
// The final callback never waits, and a held one never waits long.
void CallSimulator::sendReordered(int index, bool final)
{
    if (m_heldCallback < 0 && !final) {
        m_heldCallback = index;
        QTimer::singleShot(3 * m_stepInterval + std::chrono::milliseconds(50), this, [this, index] {
            if (m_heldCallback == index) {
                m_heldCallback = -1;
                dispatch(index, nullptr);
            }
        });
        return;
    }
    dispatch(index, nullptr);
    if (m_heldCallback >= 0) {
        const int held = m_heldCallback;
        m_heldCallback = -1;
        dispatch(held, nullptr);
    }
}

void CallSimulator::dispatch(int index, Call *earlyFor)
{
    if (index < 0 || index >= m_outgoing->records().size())
        return;
    const QString sid = earlyFor ? earlyFor->sid : QString();
    m_outgoing->send(index, [this, sid](int, const QByteArray &) {
        if (sid.isEmpty())
            return;
        auto it = m_calls.find(sid);
        if (it != m_calls.end() && --it->pendingEarly == 0)
            releaseEarly(sid);
    });
}

void CallSimulator::fetchTwiml(Call &call)
{
    if (call.url.isEmpty()) {
        if (!call.twiml.isEmpty())
            handleTwiml(call, call.twiml.toUtf8());
        return;
    }
    OutgoingRecord r;
    r.kind = u"twiml"_s;
    r.callSid = call.sid;
    r.url = call.url;
    r.method = call.method;
    r.callStatus = call.status;
    r.params = call.twimlParams(m_accountSid);
    const int index = m_outgoing->add(std::move(r));
    const QString sid = call.sid;
    m_outgoing->send(index, [this, sid](int status, const QByteArray &body) {
        auto it = m_calls.find(sid);
        if (it == m_calls.end() || it->status != u"in-progress"_s)
            return;
        if (status >= 200 && status < 300)
            handleTwiml(*it, body);
        else
            finish(*it, u"failed"_s); // Twilio plays an application error
    });
}

void CallSimulator::handleTwiml(Call &call, const QByteArray &xml)
{
    QXmlStreamReader reader(xml);
    bool inEnqueue = false;
    bool hangup = false;
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isStartElement()) {
            if (reader.name() == u"Enqueue"_s) {
                inEnqueue = true;
            } else if (reader.name() == u"Hangup"_s) {
                hangup = true;
            } else if (inEnqueue && reader.name() == u"Task"_s) {
                const int priority = reader.attributes().value(u"priority"_s).toInt();
                const QString text = reader.readElementText();
                const QJsonObject attributes = QJsonDocument::fromJson(text.toUtf8()).object();
                call.taskSid = m_model->enqueueCallTask(call.sid, attributes, priority);
            }
        } else if (reader.isEndElement() && reader.name() == u"Enqueue"_s) {
            inEnqueue = false;
        }
    }
    if (reader.hasError() || hangup)
        finish(call, reader.hasError() ? u"failed"_s : u"completed"_s);
}

QJsonArray CallSimulator::callsJson() const
{
    QJsonArray out;
    for (const QString &sid : m_order)
        out.append(m_calls.value(sid).toJson(m_accountSid));
    return out;
}

} // namespace flex::emulator
