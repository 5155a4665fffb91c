#pragma once

// The logging categories of the service, one per part, declared in one place.
//
// Use them with the category macros, e.g.
//     #include "ops/logcategories.h"
//     qCInfo(lcDial) << "call placed" << sid;
//     qCDebug(lcServerTraffic).noquote() << rawFrame;   // payload dumps
//
// Normal categories log info and above by default (LOG_LEVEL=debug adds debug).
// The *.traffic categories carry payload dumps and stay off even at
// LOG_LEVEL=debug; enable one explicitly, e.g.
//     QT_LOGGING_RULES="flex.twilio.traffic.debug=true"
// Messages pass through the redaction safety net (ops/logging.h) either way.

#include <QLoggingCategory>

namespace flex {

Q_DECLARE_LOGGING_CATEGORY(lcApp)      // flex.app: start-up, shutdown, reload
Q_DECLARE_LOGGING_CATEGORY(lcConfig)   // flex.config
Q_DECLARE_LOGGING_CATEGORY(lcServer)   // flex.server: front door, routes, sockets
Q_DECLARE_LOGGING_CATEGORY(lcAuth)     // flex.auth: Flex token and webhook signature checks
Q_DECLARE_LOGGING_CATEGORY(lcTwilio)   // flex.twilio: REST client
Q_DECLARE_LOGGING_CATEGORY(lcDial)     // flex.dial
Q_DECLARE_LOGGING_CATEGORY(lcStats)    // flex.stats
Q_DECLARE_LOGGING_CATEGORY(lcBus)      // flex.bus
Q_DECLARE_LOGGING_CATEGORY(lcOps)      // flex.ops: health, metrics, systemd
Q_DECLARE_LOGGING_CATEGORY(lcCheck)    // flex.check: the set-up self-check
Q_DECLARE_LOGGING_CATEGORY(lcEmulator) // flex.emulator

// Payload dumps, off by default.
Q_DECLARE_LOGGING_CATEGORY(lcServerTraffic)   // flex.server.traffic
Q_DECLARE_LOGGING_CATEGORY(lcTwilioTraffic)   // flex.twilio.traffic
Q_DECLARE_LOGGING_CATEGORY(lcDialTraffic)     // flex.dial.traffic
Q_DECLARE_LOGGING_CATEGORY(lcStatsTraffic)    // flex.stats.traffic
Q_DECLARE_LOGGING_CATEGORY(lcBusTraffic)      // flex.bus.traffic
Q_DECLARE_LOGGING_CATEGORY(lcEmulatorTraffic) // flex.emulator.traffic

} // namespace flex
