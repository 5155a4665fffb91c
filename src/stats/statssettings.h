#pragma once

#include <QList>
#include <QStringList>
#include <QTimeZone>
#include <QUrl>

#include <chrono>

namespace flex::config {
struct Config;
}

namespace flex::stats {

// The part of the configuration the stats feature uses; compared on reload.
struct StatsSettings
{
    QUrl taskrouterUrl; // e.g. https://taskrouter.twilio.com
    QString workspaceSid;
    // No defaults here: fromConfig fills every field (tests start from
    // fromConfig(config::Config::defaults())).
    std::chrono::seconds realtimeInterval{};
    std::chrono::seconds cumulativeInterval{};
    QStringList channels; // "all" and unique names, or {"auto"}
    QList<int> slaThresholds;
    QTimeZone timeZone;

    bool autoChannels() const { return channels == QStringList{QStringLiteral("auto")}; }
    QUrl workspaceUrl(const QString &path) const; // {taskrouter}/v1/Workspaces/{WS}/{path}

    static StatsSettings fromConfig(const config::Config &config);
    friend bool operator==(const StatsSettings &a, const StatsSettings &b);
    friend bool operator!=(const StatsSettings &a, const StatsSettings &b) { return !(a == b); }
};

} // namespace flex::stats
