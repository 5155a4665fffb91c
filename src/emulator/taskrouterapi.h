#pragma once

#include "emulatorconfig.h"
#include "httpmessage.h"
#include "statscalculator.h"

#include <QJsonObject>
#include <QString>

namespace flex::emulator {

class ContactCentre;
struct Fidelity;
class SetupModel;
struct TaskQueue;

// The JSON of TaskRouter's queue, channel and statistics operations over the
// contact-centre model (TwilioApi routes and authenticates before this).
class TaskRouterApi
{
public:
    TaskRouterApi(const EmulatorConfig &config, const ContactCentre &model, const SetupModel &setup,
                  const Fidelity &fidelity);

    const StatsCalculator &calculator() const { return m_stats; }

    HttpResponse listTaskQueues(const HttpRequest &request, const QString &origin) const;
    HttpResponse fetchTaskQueue(const QString &sid, const QString &origin) const;
    HttpResponse realtimeStatistics(const HttpRequest &request, const QString &queueSid,
                                    const QString &origin) const;
    HttpResponse cumulativeStatistics(const HttpRequest &request, const QString &queueSid,
                                      const QString &origin) const;
    HttpResponse bulkRealtimeStatistics(const HttpRequest &request, const QString &origin) const;
    HttpResponse listQueueStatistics(const HttpRequest &request, const QString &origin) const;
    HttpResponse listTaskChannels(const HttpRequest &request, const QString &origin) const;
    HttpResponse workerStatistics(const HttpRequest &request, const QString &origin) const;

private:
    QJsonObject queueJson(const TaskQueue &queue, const QString &origin) const;
    // One queue's statistics with the fields every answer carries; resource:
    // "/RealTimeStatistics" or "/CumulativeStatistics".
    HttpResponse queueStatistics(QJsonObject statistics, const QString &queueSid,
                                 const QString &resource, const QString &origin) const;
    QString workspaceUrl(const QString &origin) const;
    // Resolves ?TaskChannel; false (and *error set) when unknown.
    bool channelFilter(const QString &value, QString *channel, HttpResponse *error) const;
    bool cumulativeQuery(const QUrlQuery &query, CumulativeQuery *out, HttpResponse *error) const;

    const EmulatorConfig &m_config;
    const ContactCentre &m_model;
    const SetupModel &m_setup;
    const Fidelity &m_fidelity;
    StatsCalculator m_stats;
};

} // namespace flex::emulator
