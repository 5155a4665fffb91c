#include "config/valueparsers.h"

#include <QRegularExpression>

#include <algorithm>

namespace flex::config {

using namespace Qt::StringLiterals;

namespace {

const QString redisForms = u"must be redis://[user:password@]host[:port][/db], "
                           u"rediss://... (TLS) or unix:///path[?db=N]"_s;

// "/3" (redis://) or "db=3" (unix://); empty: 0.
bool parseRedisDb(const QString &text, int *db)
{
    if (text.isEmpty()) {
        *db = 0;
        return true;
    }
    static const QRegularExpression digits(u"^[0-9]{1,4}$"_s);
    if (!digits.match(text).hasMatch())
        return false;
    *db = text.toInt();
    return true;
}

} // namespace

QStringList splitList(const QString &text)
{
    QStringList out;
    const QStringList parts = text.split(u',', Qt::SkipEmptyParts);
    for (const QString &part : parts) {
        const QString item = part.trimmed();
        if (!item.isEmpty())
            out << item;
    }
    return out;
}

QString parseRedisUrl(const QString &text, RedisEndpoint *out)
{
    *out = RedisEndpoint{};
    if (text.isEmpty())
        return {};
    // Never quote the text: it may hold the password.
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return redisForms;
    RedisEndpoint endpoint;
    endpoint.enabled = true;
    endpoint.user = url.userName();
    endpoint.password = url.password();
    const QString scheme = url.scheme().toLower();
    if (scheme == u"unix") {
        endpoint.transport = RedisEndpoint::Transport::Unix;
        endpoint.socketPath = url.path();
        const QString query = url.query();
        if (!url.host().isEmpty() || !endpoint.socketPath.startsWith(u'/'))
            return redisForms + u" (unix:// needs an absolute socket path)"_s;
        if (!query.isEmpty() &&
            !(query.startsWith(u"db="_s) && parseRedisDb(query.mid(3), &endpoint.db)))
            return redisForms + u" (the database is a number from 0 to 9999)"_s;
    } else if (scheme == u"redis" || scheme == u"rediss") {
        endpoint.transport =
            scheme == u"rediss" ? RedisEndpoint::Transport::Tls : RedisEndpoint::Transport::Tcp;
        endpoint.host = url.host();
        if (endpoint.host.isEmpty())
            return redisForms + u" (the host is missing)"_s;
        if (url.port() == 0)
            return redisForms + u" (port 0)"_s;
        endpoint.port = quint16(url.port(6379));
        QString path = url.path();
        if (path.startsWith(u'/'))
            path.remove(0, 1);
        if (!parseRedisDb(path, &endpoint.db) || url.hasQuery())
            return redisForms + u" (the database is a number from 0 to 9999)"_s;
    } else {
        return redisForms;
    }
    *out = endpoint;
    return {};
}

QString parseTrustedProxies(const QString &text, QList<QPair<QHostAddress, int>> *out)
{
    out->clear();
    if (text.trimmed().compare(u"none"_s, Qt::CaseInsensitive) == 0)
        return {};
    const QStringList items = splitList(text);
    for (const QString &item : items) {
        const QPair<QHostAddress, int> subnet = QHostAddress::parseSubnet(item);
        if (subnet.first.isNull() || subnet.second < 0)
            return u"\"%1\" is not an IP address or CIDR range such as 10.0.0.0/8"_s.arg(
                item.left(60));
        if (!out->contains(subnet))
            out->append(subnet);
    }
    return {};
}

QString showTrustedProxies(const QList<QPair<QHostAddress, int>> &proxies)
{
    QStringList items;
    for (const auto &[address, prefix] : proxies)
        items << address.toString() + u'/' + QString::number(prefix);
    return items.join(u',');
}

QString parseExternalHost(const QString &text, QUrl *webhookBaseUrl)
{
    *webhookBaseUrl = QUrl();
    if (text.isEmpty())
        return {};
    static const QRegularExpression hostPattern(
        u"^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$"_s);
    // "host[:port]" as in the Node original means https; a full
    // "http://host:port" is accepted for local setups without TLS.
    QString scheme = u"https"_s;
    QString authority = text;
    if (authority.startsWith(u"http://"_s) || authority.startsWith(u"https://"_s)) {
        scheme = authority.section(u"://"_s, 0, 0);
        authority = authority.section(u"://"_s, 1);
        if (authority.endsWith(u'/'))
            authority.chop(1);
    }
    if (!hostPattern.match(authority).hasMatch())
        return u"must be a host name with an optional :port (or http(s)://host[:port]), "
               u"without path"_s;
    *webhookBaseUrl = QUrl(scheme + u"://"_s + authority);
    return {};
}

QString parseSlaThresholds(const QString &text, QList<int> *out)
{
    out->clear();
    const QStringList items = splitList(text);
    if (items.isEmpty() || items.size() > 3)
        return u"must list one to three thresholds in seconds"_s;
    for (const QString &item : items) {
        bool ok = false;
        const int seconds = item.toInt(&ok);
        if (!ok || seconds <= 0 || seconds > 86400)
            return u"\"%1\" is not a whole number of seconds from 1 to 86400"_s.arg(item.left(20));
        if (out->contains(seconds))
            return u"%1 is listed twice"_s.arg(seconds);
        out->append(seconds);
    }
    std::sort(out->begin(), out->end());
    return {};
}

QString parseStatsChannels(const QString &text, QStringList *out)
{
    static const QRegularExpression channelPattern(u"^[A-Za-z0-9_-]{1,64}$"_s);
    *out = splitList(text);
    if (out->isEmpty())
        return u"must name at least one channel (or auto)"_s;
    for (const QString &channel : std::as_const(*out)) {
        if (!channelPattern.match(channel).hasMatch())
            return u"\"%1\" is not a channel name"_s.arg(channel.left(20));
    }
    if (out->contains(u"auto"_s) && out->size() > 1)
        return u"auto cannot be combined with channel names"_s;
    out->removeDuplicates();
    return {};
}

} // namespace flex::config
