#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace flex::emulator {

class ContactCentre;

// Time window and filters of a cumulative statistics request.
struct CumulativeQuery
{
    QDateTime start;            // UTC
    QDateTime end;              // UTC
    QString channel;            // unique name; empty = all channels
    QList<int> splitByWaitTime; // seconds; empty = split_by_wait_time is null
};

// Computes TaskRouter statistics from the contact-centre model. The returned
// objects hold only the statistics fields (no account_sid, url, ...); the
// routes add those. The endpoints and the C++ accessors both use this class.
class StatsCalculator
{
public:
    explicit StatsCalculator(const ContactCentre &model)
        : m_model(model)
    {}

    // channel: unique name, empty = all channels.
    QJsonObject realtime(const QString &queueSid, const QString &channel) const;
    QJsonObject cumulative(const QString &queueSid, const CumulativeQuery &query) const;
    QJsonObject workersRealtime(const QString &queueSid) const;
    QJsonObject workersCumulative(const QString &queueSid, const CumulativeQuery &query) const;

    // Twilio's defaults: StartDate/EndDate (ISO 8601) or Minutes (default 15)
    // ending now. Returns false with an error text on malformed input.
    bool parseWindow(const QString &startDate, const QString &endDate, const QString &minutes,
                     CumulativeQuery *query, QString *error) const;
    static bool parseSplit(const QString &value, QList<int> *out);

    static QString isoTime(qint64 ms);

private:
    const ContactCentre &m_model;
};

} // namespace flex::emulator
