#include "outgoingrequests.h"

#include "twilio/twiliorequest.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrl>
#include <QUrlQuery>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

constexpr int OutgoingTimeoutMs = 10000;
constexpr int NetworkAccessManagers = 8;

} // namespace

OutgoingRequests::OutgoingRequests(const QByteArray &authToken, QObject *parent)
    : QObject(parent)
    , m_authToken(authToken)
{
    for (int i = 0; i < NetworkAccessManagers; ++i) {
        auto *nam = new QNetworkAccessManager(this);
        nam->setTransferTimeout(OutgoingTimeoutMs);
        m_nams.push_back(nam);
    }
}

int OutgoingRequests::add(OutgoingRecord record)
{
    record.id = m_nextId++;
    m_records.append(std::move(record));
    return int(m_records.size() - 1);
}

void OutgoingRequests::send(int index, const OnDone &onDone)
{
    OutgoingRecord &r = m_records[index];
    r.sentAt = QDateTime::currentDateTimeUtc();
    QUrl url(r.url);
    QNetworkRequest request;
    request.setRawHeader("User-Agent", "TwilioProxy/1.1");
    request.setRawHeader("Accept", "*/*");
    QNetworkReply *reply = nullptr;
    QNetworkAccessManager *nam = m_nams[qHash(r.callSid) % m_nams.size()];
    if (r.method == u"GET"_s) {
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
        reply = nam->post(request, twilio::encodeForm(r.params));
    }
    reply->setParent(this);
    const quint64 id = r.id;
    connect(reply, &QNetworkReply::finished, this, [this, reply, id, onDone] {
        reply->deleteLater();
        const QVariant code = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        const int status = code.isValid() ? code.toInt() : -1;
        const QByteArray body = reply->readAll().left(64 * 1024);
        recordAnswer(id, status, body);
        onDone(status, body);
    });
}

void OutgoingRequests::recordAnswer(quint64 id, int status, const QByteArray &body)
{
    // The log may have been cleared meanwhile: find the record by id.
    for (qsizetype i = m_records.size() - 1; i >= 0; --i) {
        if (m_records.at(i).id == id) {
            m_records[i].httpStatus = status;
            if (m_records.at(i).kind == u"twiml"_s)
                m_records[i].responseBody = body;
            return;
        }
    }
}

} // namespace flex::emulator
