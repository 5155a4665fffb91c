#include "ops/logcategories.h"

namespace flex {

Q_LOGGING_CATEGORY(lcApp, "flex.app", QtInfoMsg)
Q_LOGGING_CATEGORY(lcConfig, "flex.config", QtInfoMsg)
Q_LOGGING_CATEGORY(lcServer, "flex.server", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "flex.auth", QtInfoMsg)
Q_LOGGING_CATEGORY(lcTwilio, "flex.twilio", QtInfoMsg)
Q_LOGGING_CATEGORY(lcDial, "flex.dial", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStats, "flex.stats", QtInfoMsg)
Q_LOGGING_CATEGORY(lcBus, "flex.bus", QtInfoMsg)
Q_LOGGING_CATEGORY(lcOps, "flex.ops", QtInfoMsg)
Q_LOGGING_CATEGORY(lcCheck, "flex.check", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEmulator, "flex.emulator", QtInfoMsg)

// Traffic dumps are logged at debug level; QtInfoMsg as the threshold keeps
// them off until a filter rule names them.
Q_LOGGING_CATEGORY(lcServerTraffic, "flex.server.traffic", QtInfoMsg)
Q_LOGGING_CATEGORY(lcTwilioTraffic, "flex.twilio.traffic", QtInfoMsg)
Q_LOGGING_CATEGORY(lcDialTraffic, "flex.dial.traffic", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStatsTraffic, "flex.stats.traffic", QtInfoMsg)
Q_LOGGING_CATEGORY(lcBusTraffic, "flex.bus.traffic", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEmulatorTraffic, "flex.emulator.traffic", QtInfoMsg)

} // namespace flex
