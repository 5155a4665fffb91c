#pragma once

#include "check/check.h"

#include <QJsonArray>

namespace flex::check {

// "activities": the activities the dialpad plugin switches agents between
// exist in the workspace: Busy (or Offline) unavailable, for while it dials,
// and Idle (or Available) available, for when the call is answered.
class ActivitiesCheck : public Check
{
    Q_OBJECT
public:
    using Check::Check;
    QStringList ids() const override;
    void start() override;

    // The verdict for a workspace's activities (pure, for tests).
    static CheckResult judge(const QJsonArray &activities, const QString &workspaceSid);
};

// "channels": every TaskChannel named in STATS_CHANNELS exists; with auto,
// the channels that will be reported.
class ChannelsCheck : public Check
{
    Q_OBJECT
public:
    using Check::Check;
    QStringList ids() const override;
    void start() override;

    static CheckResult judge(const QJsonArray &channels, const QStringList &wanted,
                             const QString &workspaceSid);
};

// "settings": SLA_THRESHOLDS, STATS_TIMEZONE and DIAL_ALLOWED_PREFIXES parse
// (the configuration would not have loaded otherwise) and what they mean.
class SettingsCheck : public Check
{
    Q_OBJECT
public:
    using Check::Check;
    QStringList ids() const override;
    void start() override;
};

} // namespace flex::check
