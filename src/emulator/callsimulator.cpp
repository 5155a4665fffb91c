#include "callsimulator.h"

#include "contactcentre.h"
#include "twilioerror.h"

#include <QJsonDocument>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QTimer>
#include <QUrl>
#include <QXmlStreamReader>

namespace flex::emulator {

namespace {

const QString ApiVersion = QStringLiteral("2010-04-01");
constexpr int OutgoingTimeoutMs = 10000;
constexpr int EarlyResponseTimeoutMs = 3000;

QString rfc2822(const QDateTime &t)
{
    if (!t.isValid())
        return {};
    return QLocale::c().toString(t.toUTC(), QStringLiteral("ddd, dd MMM yyyy HH:mm:ss '+0000'"));
}

QJsonValue rfc2822OrNull(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(rfc2822(t)) : QJsonValue(QJsonValue::Null);
}

QString param(const FormParams &params, const QString &name)
{
    for (const auto &p : params) {
        if (p.first == name)
            return p.second;
    }
    return {};
}

bool hasParam(const FormParams &params, const QString &name)
{
    for (const auto &p : params) {
        if (p.first == name)
            return true;
    }
    return false;
}

bool isValidAddress(const QString &number)
{
    static const QRegularExpression e164(QStringLiteral("^\\+[1-9][0-9]{6,14}$"));
    static const QRegularExpression client(QStringLiteral("^(client|sip):[^\\s]+$"));
    return e164.match(number).hasMatch() || client.match(number).hasMatch();
}

bool isHttpUrl(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    return url.isValid() && !url.host().isEmpty() &&
           (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https"));
}

bool isTerminal(const QString &status)
{
    return status == QLatin1String("completed") || status == QLatin1String("busy") ||
           status == QLatin1String("failed") || status == QLatin1String("no-answer") ||
           status == QLatin1String("canceled");
}

} // namespace

CallSimulator::CallSimulator(const QString &accountSid, const QByteArray &authToken,
                             ContactCentre *model, QObject *parent)
    : QObject(parent)
    , m_accountSid(accountSid)
    , m_authToken(authToken)
    , m_model(model)
{
    for (int i = 0; i < 8; ++i) {
        auto *nam = new QNetworkAccessManager(this);
        nam->setTransferTimeout(OutgoingTimeoutMs);
        m_nams.push_back(nam);
    }
}

CallSimulator::Outcome CallSimulator::outcomeFor(const QString &to) const
{
    if (to.endsWith(QLatin1String("0001")))
        return Outcome::Busy;
    if (to.endsWith(QLatin1String("0002")))
        return Outcome::NoAnswer;
    if (to.endsWith(QLatin1String("0003")))
        return Outcome::Failed;
    if (to.endsWith(QLatin1String("0004")))
        return Outcome::RingForever;
    return Outcome::Answer;
}

void CallSimulator::create(const FormParams &params, const Done &done)
{
    const QString to = param(params, QStringLiteral("To"));
    const QString from = param(params, QStringLiteral("From"));
    if (to.isEmpty()) {
        done(twilioError(400, 21201, QStringLiteral("No 'To' number is specified")));
        return;
    }
    if (from.isEmpty()) {
        done(twilioError(400, 21603, QStringLiteral("A 'From' phone number is required.")));
        return;
    }
    if (!isValidAddress(to)) {
        done(twilioError(400, 21211, QStringLiteral("Invalid 'To' Phone Number: %1").arg(to)));
        return;
    }
    if (!isValidAddress(from)) {
        done(twilioError(400, 21212, QStringLiteral("Invalid 'From' Phone Number: %1").arg(from)));
        return;
    }
    const QString url = param(params, QStringLiteral("Url"));
    const QString twiml = param(params, QStringLiteral("Twiml"));
    if (url.isEmpty() && twiml.isEmpty() && !hasParam(params, QStringLiteral("ApplicationSid"))) {
        done(twilioError(400, 21205, QStringLiteral("Url parameter is required.")));
        return;
    }
    if (!url.isEmpty() && !isHttpUrl(url)) {
        done(twilioError(400, 21205, QStringLiteral("Url is not a valid URL: %1").arg(url)));
        return;
    }
    const QString statusCallback = param(params, QStringLiteral("StatusCallback"));
    if (!statusCallback.isEmpty() && !isHttpUrl(statusCallback)) {
        done(twilioError(
            400, 21609,
            QStringLiteral("StatusCallback is not a valid URL: %1").arg(statusCallback)));
        return;
    }

    Call call;
    call.sid = QStringLiteral("CA%1%2")
                   .arg(quint64(QDateTime::currentMSecsSinceEpoch()), 16, 16, QLatin1Char('0'))
                   .arg(++m_sidCounter, 16, 16, QLatin1Char('0'));
    call.to = to;
    call.from = from;
    call.url = url;
    call.twiml = twiml;
    call.method = param(params, QStringLiteral("Method")).toUpper();
    if (call.method != QLatin1String("GET"))
        call.method = QStringLiteral("POST");
    call.statusCallback = statusCallback;
    call.callbackMethod = param(params, QStringLiteral("StatusCallbackMethod")).toUpper();
    if (call.callbackMethod != QLatin1String("GET"))
        call.callbackMethod = QStringLiteral("POST");
    for (const auto &p : params) {
        if (p.first == QLatin1String("StatusCallbackEvent")) {
            // Clients may also send one space-separated value.
            const QStringList parts = p.second.split(QLatin1Char(' '), Qt::SkipEmptyParts);
            for (const QString &e : parts)
                call.events.insert(e.toLower());
        }
    }
    if (call.events.isEmpty())
        call.events.insert(QStringLiteral("completed"));
    call.outcome = outcomeFor(to);
    call.created = call.updated = QDateTime::currentDateTimeUtc();
    m_calls.insert(call.sid, call);
    m_order.append(call.sid);

    HttpResponse response;
    response.status = 201;
    response.body = QJsonDocument(toJson(call)).toJson(QJsonDocument::Compact);
    const QString sid = call.sid;

    if (!m_early) {
        done(response);
        schedule(sid, std::chrono::milliseconds(0), &CallSimulator::stepInitiated);
        return;
    }
    // Twilio's race: the first callbacks can reach the service before the
    // create answer does. Hold the answer until they have been delivered.
    Call &c = m_calls[sid];
    c.releaseResponse = [done, response] { done(response); };
    stepInitiated(c);
    if (m_calls.value(sid).status == QLatin1String("queued"))
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
    return toJson(*it);
}

void CallSimulator::update(const QString &sid, const FormParams &params, const Done &done)
{
    auto it = m_calls.find(sid);
    if (it == m_calls.end()) {
        done(twilioError(
            404, 20404,
            QStringLiteral("The requested resource /2010-04-01/Accounts/%1/Calls/%2.json "
                           "was not found")
                .arg(m_accountSid, sid)));
        return;
    }
    Call &call = *it;
    const QString status = param(params, QStringLiteral("Status"));
    const QString url = param(params, QStringLiteral("Url"));
    const QString twiml = param(params, QStringLiteral("Twiml"));
    if (!status.isEmpty() && status != QLatin1String("canceled") &&
        status != QLatin1String("completed")) {
        done(twilioError(400, 21218, QStringLiteral("Invalid Status: %1").arg(status)));
        return;
    }
    const QString cb = param(params, QStringLiteral("StatusCallback"));
    if (!cb.isEmpty()) {
        if (!isHttpUrl(cb)) {
            done(twilioError(400, 21609, QStringLiteral("StatusCallback is not a valid URL")));
            return;
        }
        call.statusCallback = cb;
    }
    if (status == QLatin1String("canceled")) {
        // Only queued or ringing calls can be canceled; others stay as they are.
        if (call.status == QLatin1String("queued") || call.status == QLatin1String("ringing"))
            finish(call, QStringLiteral("canceled"));
    } else if (status == QLatin1String("completed")) {
        if (!isTerminal(call.status))
            finish(call, QStringLiteral("completed"));
    } else if (!url.isEmpty() || !twiml.isEmpty()) {
        if (call.status != QLatin1String("in-progress")) {
            done(twilioError(400, 21220,
                             QStringLiteral("Call is not in-progress. Cannot redirect.")));
            return;
        }
        if (!url.isEmpty() && !isHttpUrl(url)) {
            done(twilioError(400, 21205, QStringLiteral("Url is not a valid URL: %1").arg(url)));
            return;
        }
        call.url = url;
        call.twiml = twiml;
        fetchTwiml(call);
    }
    call.updated = QDateTime::currentDateTimeUtc();
    HttpResponse response;
    response.body = QJsonDocument(toJson(call)).toJson(QJsonDocument::Compact);
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
    if (call.events.contains(QStringLiteral("initiated")))
        statusCallback(call, QStringLiteral("initiated"), bool(call.releaseResponse));
    schedule(call.sid, m_stepInterval, &CallSimulator::stepRinging);
}

void CallSimulator::stepRinging(Call &call)
{
    ++call.generation;
    if (call.outcome == Outcome::Failed) {
        finish(call, QStringLiteral("failed"));
        return;
    }
    call.status = QStringLiteral("ringing");
    call.updated = QDateTime::currentDateTimeUtc();
    if (call.events.contains(QStringLiteral("ringing")))
        statusCallback(call, QStringLiteral("ringing"), bool(call.releaseResponse));
    if (call.outcome == Outcome::RingForever)
        return;
    // No answer rings a little longer before giving up.
    schedule(call.sid, call.outcome == Outcome::NoAnswer ? 2 * m_stepInterval : m_stepInterval,
             &CallSimulator::stepAnswer);
}

void CallSimulator::stepAnswer(Call &call)
{
    ++call.generation;
    if (call.outcome == Outcome::Busy) {
        finish(call, QStringLiteral("busy"));
        return;
    }
    if (call.outcome == Outcome::NoAnswer) {
        finish(call, QStringLiteral("no-answer"));
        return;
    }
    call.status = QStringLiteral("in-progress");
    call.started = call.updated = QDateTime::currentDateTimeUtc();
    if (call.events.contains(QStringLiteral("answered")))
        statusCallback(call, QStringLiteral("answered"));
    fetchTwiml(call);
    schedule(call.sid, m_talkTime, &CallSimulator::stepComplete);
}

void CallSimulator::stepComplete(Call &call)
{
    finish(call, QStringLiteral("completed"));
}

void CallSimulator::finish(Call &call, const QString &status)
{
    ++call.generation;
    call.status = status;
    call.ended = call.updated = QDateTime::currentDateTimeUtc();
    if (call.events.contains(QStringLiteral("completed")))
        statusCallback(call, QStringLiteral("completed"), bool(call.releaseResponse));
    if (!call.taskSid.isEmpty())
        m_model->callEnded(call.sid);
}

void CallSimulator::statusCallback(Call &call, const QString &event, bool early)
{
    if (call.statusCallback.isEmpty())
        return;
    const QString callStatus = event == QLatin1String("initiated") ? event : call.status;
    OutgoingRecord r;
    r.kind = QStringLiteral("status-callback");
    r.callSid = call.sid;
    r.url = call.statusCallback;
    r.method = call.callbackMethod;
    r.callStatus = callStatus;
    r.sequenceNumber = call.nextSequence++;
    r.params = {
        {QStringLiteral("AccountSid"), m_accountSid},
        {QStringLiteral("ApiVersion"), ApiVersion},
        {QStringLiteral("CallSid"), call.sid},
        {QStringLiteral("CallStatus"), callStatus},
        {QStringLiteral("CallbackSource"), QStringLiteral("call-progress-events")},
        {QStringLiteral("Called"), call.to},
        {QStringLiteral("Caller"), call.from},
        {QStringLiteral("Direction"), QStringLiteral("outbound-api")},
        {QStringLiteral("From"), call.from},
        {QStringLiteral("SequenceNumber"), QString::number(r.sequenceNumber)},
        {QStringLiteral("Timestamp"), rfc2822(QDateTime::currentDateTimeUtc())},
        {QStringLiteral("To"), call.to},
    };
    if (isTerminal(call.status)) {
        const qint64 duration =
            call.started.isValid() ? std::max<qint64>(0, call.started.secsTo(call.ended)) : 0;
        r.params.append({QStringLiteral("CallDuration"), QString::number(duration)});
        r.params.append({QStringLiteral("Duration"), QString::number((duration + 59) / 60)});
    }
    r.id = m_nextOutgoingId++;
    m_outgoing.append(r);
    const int index = int(m_outgoing.size() - 1);
    if (early) {
        ++call.pendingEarly;
        dispatch(index, &call);
        return;
    }
    if (!m_reorder) {
        dispatch(index, nullptr);
        return;
    }
    // Reordering: hold one callback back and send it right after the next
    // one. The final callback never waits, and a held one never waits long.
    if (m_heldCallback < 0 && !isTerminal(call.status)) {
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
    if (index < 0 || index >= m_outgoing.size())
        return;
    const QString sid = earlyFor ? earlyFor->sid : QString();
    send(index, [this, index, sid](int, const QByteArray &) {
        Q_EMIT outgoingFinished(index);
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
    r.kind = QStringLiteral("twiml");
    r.callSid = call.sid;
    r.url = call.url;
    r.method = call.method;
    r.callStatus = call.status;
    r.params = {
        {QStringLiteral("AccountSid"), m_accountSid},
        {QStringLiteral("ApiVersion"), ApiVersion},
        {QStringLiteral("CallSid"), call.sid},
        {QStringLiteral("CallStatus"), call.status},
        {QStringLiteral("Called"), call.to},
        {QStringLiteral("Caller"), call.from},
        {QStringLiteral("Direction"), QStringLiteral("outbound-api")},
        {QStringLiteral("From"), call.from},
        {QStringLiteral("To"), call.to},
    };
    r.id = m_nextOutgoingId++;
    m_outgoing.append(r);
    const int index = int(m_outgoing.size() - 1);
    const QString sid = call.sid;
    send(index, [this, sid, index](int status, const QByteArray &body) {
        Q_EMIT outgoingFinished(index);
        auto it = m_calls.find(sid);
        if (it == m_calls.end() || it->status != QLatin1String("in-progress"))
            return;
        if (status >= 200 && status < 300)
            handleTwiml(*it, body);
        else
            finish(*it, QStringLiteral("failed")); // Twilio plays an application error
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
            if (reader.name() == QLatin1String("Enqueue")) {
                inEnqueue = true;
            } else if (reader.name() == QLatin1String("Hangup")) {
                hangup = true;
            } else if (inEnqueue && reader.name() == QLatin1String("Task")) {
                const int priority = reader.attributes().value(QStringLiteral("priority")).toInt();
                const QString text = reader.readElementText();
                const QJsonObject attributes = QJsonDocument::fromJson(text.toUtf8()).object();
                call.taskSid = m_model->enqueueCallTask(call.sid, attributes, priority);
            }
        } else if (reader.isEndElement() && reader.name() == QLatin1String("Enqueue")) {
            inEnqueue = false;
        }
    }
    if (reader.hasError() || hangup)
        finish(call, reader.hasError() ? QStringLiteral("failed") : QStringLiteral("completed"));
}

void CallSimulator::send(int index,
                         const std::function<void(int status, const QByteArray &body)> &onDone)
{
    OutgoingRecord &r = m_outgoing[index];
    r.sentAt = QDateTime::currentDateTimeUtc();
    QUrl url(r.url);
    QNetworkRequest request;
    request.setRawHeader("User-Agent", "TwilioProxy/1.1");
    request.setRawHeader("Accept", "*/*");
    QNetworkReply *reply = nullptr;
    QNetworkAccessManager *nam = m_nams[qHash(r.callSid) % m_nams.size()];
    if (r.method == QLatin1String("GET")) {
        QUrlQuery query(url);
        for (const auto &p : std::as_const(r.params))
            query.addQueryItem(p.first, p.second);
        url.setQuery(query);
        r.signature = twilioSignature(m_authToken, url.toString(QUrl::FullyEncoded), {});
        request.setUrl(url);
        request.setRawHeader("X-Twilio-Signature", r.signature);
        reply = nam->get(request);
    } else {
        r.signature = twilioSignature(m_authToken, r.url, r.params);
        request.setUrl(url);
        request.setRawHeader("X-Twilio-Signature", r.signature);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/x-www-form-urlencoded"));
        reply = nam->post(request, formEncode(r.params));
    }
    reply->setParent(this);
    const quint64 id = r.id;
    connect(reply, &QNetworkReply::finished, this, [this, reply, id, onDone] {
        reply->deleteLater();
        const QVariant code = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        const int status = code.isValid() ? code.toInt() : -1;
        const QByteArray body = reply->readAll().left(64 * 1024);
        // The log may have been cleared meanwhile: find the record by id.
        for (qsizetype i = m_outgoing.size() - 1; i >= 0; --i) {
            if (m_outgoing.at(i).id == id) {
                m_outgoing[i].httpStatus = status;
                if (m_outgoing.at(i).kind == QLatin1String("twiml"))
                    m_outgoing[i].responseBody = body;
                break;
            }
        }
        onDone(status, body);
    });
}

QJsonObject CallSimulator::toJson(const Call &call) const
{
    const QString uri =
        QStringLiteral("/2010-04-01/Accounts/%1/Calls/%2").arg(m_accountSid, call.sid);
    QJsonObject subresources;
    for (const char *name :
         {"notifications", "recordings", "payments", "events", "siprec", "streams",
          "transcriptions", "user_defined_message_subscriptions", "user_defined_messages"}) {
        const QString n = QString::fromLatin1(name);
        subresources.insert(n, QString(uri + QLatin1Char('/') + n + QStringLiteral(".json")));
    }
    const bool ended = isTerminal(call.status);
    qint64 duration = 0;
    if (call.started.isValid() && ended)
        duration = std::max<qint64>(0, call.started.secsTo(call.ended));
    return QJsonObject{
        {QStringLiteral("sid"), call.sid},
        {QStringLiteral("date_created"), rfc2822OrNull(call.created)},
        {QStringLiteral("date_updated"), rfc2822OrNull(call.updated)},
        {QStringLiteral("parent_call_sid"), QJsonValue::Null},
        {QStringLiteral("account_sid"), m_accountSid},
        {QStringLiteral("to"), call.to},
        {QStringLiteral("to_formatted"), call.to},
        {QStringLiteral("from"), call.from},
        {QStringLiteral("from_formatted"), call.from},
        {QStringLiteral("phone_number_sid"), QJsonValue::Null},
        {QStringLiteral("status"), call.status},
        {QStringLiteral("start_time"), rfc2822OrNull(call.started)},
        {QStringLiteral("end_time"), rfc2822OrNull(call.ended)},
        {QStringLiteral("duration"),
         ended ? QJsonValue(QString::number(duration)) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("price"), QJsonValue::Null},
        {QStringLiteral("price_unit"), QStringLiteral("USD")},
        {QStringLiteral("direction"), QStringLiteral("outbound-api")},
        {QStringLiteral("answered_by"), QJsonValue::Null},
        {QStringLiteral("api_version"), ApiVersion},
        {QStringLiteral("forwarded_from"), QJsonValue::Null},
        {QStringLiteral("group_sid"), QJsonValue::Null},
        {QStringLiteral("caller_name"), QJsonValue::Null},
        {QStringLiteral("queue_time"), QStringLiteral("0")},
        {QStringLiteral("trunk_sid"), QJsonValue::Null},
        {QStringLiteral("uri"), QString(uri + QStringLiteral(".json"))},
        {QStringLiteral("subresource_uris"), subresources},
    };
}

QJsonArray CallSimulator::callsJson() const
{
    QJsonArray out;
    for (const QString &sid : m_order)
        out.append(toJson(m_calls.value(sid)));
    return out;
}

} // namespace flex::emulator
