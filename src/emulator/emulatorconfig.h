#pragma once

#include <QString>
#include <QStringList>

#include <chrono>

namespace flex::emulator {

using namespace Qt::StringLiterals;

// Everything the emulator can be configured with at construction. Defaults
// live here and nowhere else; the SIDs have Twilio's formats (prefix + 32 hex).
struct EmulatorConfig
{
    QString accountSid = u"AC00000000000000000000000000000001"_s;
    QString authToken = u"emulator-auth-token-0000000000001"_s;
    QString apiKeySid = u"SK00000000000000000000000000000001"_s;
    QString apiKeySecret = u"emulator-api-key-secret-00000001"_s;
    QString workspaceSid = u"WS00000000000000000000000000000001"_s;
    QString workflowSid = u"WW00000000000000000000000000000001"_s;

    // Queues created at start: the first queueNames are used as given, the
    // rest (up to queueCount) get generated names.
    int queueCount = 5;
    QStringList queueNames = {u"Everyone"_s, u"Sales"_s, u"Support"_s, u"Billing"_s, u"Priority"_s};
    // TaskChannel unique names. Simulated traffic uses voice, chat and video
    // when they exist.
    QStringList channels = {u"default"_s, u"voice"_s, u"chat"_s, u"sms"_s, u"video"_s};
    // Workers per queue created at start (each is also eligible for a second queue).
    int workersPerQueue = 4;

    quint32 seed = 1;
    // Contact-centre simulation step. With frozen = true nothing moves until
    // tick() is called; each tick then advances the simulated clock by tickInterval.
    std::chrono::milliseconds tickInterval{1000};
    bool frozen = false;
    // Simulated history generated at start so "today" is not empty.
    std::chrono::milliseconds warmup{std::chrono::minutes(15)};
    // Expected new tasks per queue per simulated minute.
    double arrivalsPerQueuePerMinute = 1.0;

    // Call progression: one state step per callStepInterval; answered calls
    // complete after talkTime.
    std::chrono::milliseconds callStepInterval{500};
    std::chrono::milliseconds talkTime{5000};
};

} // namespace flex::emulator
