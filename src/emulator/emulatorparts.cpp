#include "emulatorparts.h"

#include "callsimulator.h"
#include "contactcentre.h"
#include "faultinjector.h"
#include "setupmodel.h"
#include "twilioapi.h"

namespace flex::emulator {

void EmulatorParts::reset() const
{
    api.fidelity() = Fidelity();
    setup.reset();
    faults.clearFaults();
    faults.resetCounters();
    calls.clearOutgoing();
}

QJsonObject EmulatorParts::realtimeStatistics(const QString &queueSid, const QString &channel) const
{
    const QString name =
        channel.isEmpty() ? QString() : model.resolveChannel(channel).value_or(channel);
    return api.calculator().realtime(queueSid, name);
}

QJsonObject EmulatorParts::cumulativeStatistics(const QString &queueSid, const QDateTime &start,
                                                const QDateTime &end, const QString &channel,
                                                const QList<int> &splitByWaitTime) const
{
    CumulativeQuery q;
    q.start = start.toUTC();
    q.end = end.toUTC();
    q.channel = channel.isEmpty() ? QString() : model.resolveChannel(channel).value_or(channel);
    q.splitByWaitTime = splitByWaitTime;
    return api.calculator().cumulative(queueSid, q);
}

} // namespace flex::emulator
