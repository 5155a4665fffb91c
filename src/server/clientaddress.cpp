#include "server/clientaddress.h"

namespace flex::server {

QHostAddress normalizedAddress(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4) : address;
}

bool isTrusted(const QHostAddress &address, const AddressRanges &trustedProxies)
{
    const QHostAddress a = normalizedAddress(address);
    for (const auto &[range, prefix] : trustedProxies) {
        if (a.isInSubnet(normalizedAddress(range), prefix))
            return true;
    }
    return false;
}

QHostAddress clientAddress(const QHostAddress &peer, const QByteArray &forwardedFor,
                           const AddressRanges &trustedProxies)
{
    QHostAddress client = normalizedAddress(peer);
    if (forwardedFor.isEmpty() || !isTrusted(client, trustedProxies))
        return client;
    const QList<QByteArray> hops = forwardedFor.split(',');
    for (auto it = hops.crbegin(); it != hops.crend(); ++it) {
        QByteArray hop = it->trimmed();
        // "[v6]:port" and "v4:port" forms some proxies write.
        if (hop.startsWith('[') && hop.contains(']'))
            hop = hop.mid(1, hop.indexOf(']') - 1);
        else if (hop.count(':') == 1)
            hop = hop.left(hop.indexOf(':'));
        const QHostAddress address(QString::fromLatin1(hop));
        if (address.isNull())
            return client;
        client = normalizedAddress(address);
        if (!isTrusted(client, trustedProxies))
            return client;
    }
    return client;
}

} // namespace flex::server
