#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QPair>

namespace flex::server {

using AddressRanges = QList<QPair<QHostAddress, int>>; // address, prefix length

// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) as plain IPv4, so one client
// counts once however it arrives.
QHostAddress normalizedAddress(const QHostAddress &address);

// The client a request comes from. The peer itself, unless the peer is one
// of the trusted proxies: then X-Forwarded-For is read from the right (the
// entry the trusted proxy added last) and the first address that is not a
// trusted proxy is the client. A forwarded value that does not parse stops
// the walk there (the peer's word is all we have). Untrusted peers'
// X-Forwarded-For is ignored entirely: anyone can send one.
QHostAddress clientAddress(const QHostAddress &peer, const QByteArray &forwardedFor,
                           const AddressRanges &trustedProxies);

bool isTrusted(const QHostAddress &address, const AddressRanges &trustedProxies);

} // namespace flex::server
