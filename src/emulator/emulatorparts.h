#pragma once

#include "emulatorconfig.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace flex::emulator {

class CallSimulator;
class ContactCentre;
class FaultInjector;
class SetupApi;
class SetupModel;
class TwilioApi;

// The parts of one emulator, owned by TwilioEmulator, by reference: the C++
// facade and the HTTP control API both drive them, and the operations that
// span several parts are here once.
struct EmulatorParts
{
    const EmulatorConfig &config;
    ContactCentre &model;
    CallSimulator &calls;
    FaultInjector &faults;
    TwilioApi &api;
    SetupModel &setup;
    SetupApi &setupApi;

    // Faults, counters, the request log, recorded callbacks, the set-up and
    // fidelity back to their defaults.
    void reset() const;
    // Statistics exactly as the endpoints compute them (stats fields only);
    // channel: unique name or TC sid, empty = all channels.
    QJsonObject realtimeStatistics(const QString &queueSid, const QString &channel) const;
    QJsonObject cumulativeStatistics(const QString &queueSid, const QDateTime &start,
                                     const QDateTime &end, const QString &channel,
                                     const QList<int> &splitByWaitTime) const;
};

} // namespace flex::emulator
