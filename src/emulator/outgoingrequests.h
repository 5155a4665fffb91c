#pragma once

#include "requestsigner.h"

#include <QDateTime>
#include <QList>
#include <QObject>

#include <functional>
#include <vector>

class QNetworkAccessManager;

namespace flex::emulator {

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
    QByteArray signature; // X-Twilio-Signature sent
    QDateTime sentAt;
    int httpStatus = 0;      // 0 until answered; -1 on network error or timeout
    QByteArray responseBody; // TwiML fetches only
};

// Sends the emulator's requests to the service, signed as Twilio signs them,
// and keeps the log of what was sent and what came back.
class OutgoingRequests : public QObject
{
    Q_OBJECT
public:
    using OnDone = std::function<void(int status, const QByteArray &body)>;

    OutgoingRequests(const QByteArray &authToken, QObject *parent = nullptr);

    // Logs a record (its id assigned here) and returns its index in records().
    int add(OutgoingRecord record);
    // Sends records()[index]; onDone runs when the answer (or the error) came.
    void send(int index, const OnDone &onDone);
    const QList<OutgoingRecord> &records() const { return m_records; }
    void clear() { m_records.clear(); }

private:
    void recordAnswer(quint64 id, int status, const QByteArray &body);

    QByteArray m_authToken;
    // Twilio posts from many machines at once; one QNetworkAccessManager
    // would funnel every call's requests through 6 connections.
    std::vector<QNetworkAccessManager *> m_nams;
    QList<OutgoingRecord> m_records;
    quint64 m_nextId = 1;
};

} // namespace flex::emulator
