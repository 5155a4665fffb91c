#include "config/config.h"

namespace flex::config {

using namespace Qt::StringLiterals;

QString RedisEndpoint::redactedUrl() const
{
    if (!enabled)
        return {};
    QUrl url;
    switch (transport) {
    case Transport::Unix:
        url.setScheme(u"unix"_s);
        url.setPath(socketPath);
        if (db != 0)
            url.setQuery(u"db="_s + QString::number(db));
        break;
    case Transport::Tcp:
    case Transport::Tls:
        url.setScheme(transport == Transport::Tls ? u"rediss"_s : u"redis"_s);
        url.setHost(host);
        url.setPort(port);
        url.setPath(u'/' + QString::number(db));
        break;
    }
    url.setUserName(user);
    if (!password.isEmpty())
        url.setPassword(u"***"_s);
    QString text = url.toString();
    // QUrl drops an empty user name before ":***@"; keep what was configured.
    if (user.isEmpty() && !password.isEmpty() && !text.contains(u":***@"_s))
        text.replace(u"://"_s, u"://:***@"_s);
    return text;
}

bool operator==(const RedisEndpoint &a, const RedisEndpoint &b)
{
    return a.enabled == b.enabled && a.transport == b.transport && a.host == b.host &&
           a.port == b.port && a.socketPath == b.socketPath && a.user == b.user &&
           a.password == b.password && a.db == b.db;
}

} // namespace flex::config
