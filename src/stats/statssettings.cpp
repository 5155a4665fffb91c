#include "stats/statssettings.h"

#include "config/config.h"

namespace flex::stats {

using namespace Qt::StringLiterals;

QUrl StatsSettings::workspaceUrl(const QString &path) const
{
    QUrl url = taskrouterUrl;
    QString base = url.path();
    if (base.endsWith(u'/'))
        base.chop(1);
    url.setPath(base + u"/v1/Workspaces/"_s + workspaceSid + u'/' + path);
    return url;
}

StatsSettings StatsSettings::fromConfig(const config::Config &c)
{
    StatsSettings s;
    s.taskrouterUrl = c.taskrouterUrl;
    s.workspaceSid = c.workspaceSid;
    s.realtimeInterval = c.statsRealtimeInterval;
    s.cumulativeInterval = c.statsCumulativeInterval;
    s.channels = c.statsChannels;
    s.slaThresholds = c.slaThresholds;
    s.timeZone = c.statsTimeZone;
    return s;
}

bool operator==(const StatsSettings &a, const StatsSettings &b)
{
    return a.taskrouterUrl == b.taskrouterUrl && a.workspaceSid == b.workspaceSid &&
           a.realtimeInterval == b.realtimeInterval &&
           a.cumulativeInterval == b.cumulativeInterval && a.channels == b.channels &&
           a.slaThresholds == b.slaThresholds && a.timeZone == b.timeZone;
}

} // namespace flex::stats
