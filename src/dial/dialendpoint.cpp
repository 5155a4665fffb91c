#include "dial/dialendpoint.h"

#include "dial/dialsession.h"
#include "ops/metrics.h"

#include <QWebSocket>

namespace flex::dial {

DialEndpoint::DialEndpoint(QObject *parent)
    : QObject(parent)
{}

DialEndpoint::~DialEndpoint() = default;

void DialEndpoint::acceptSocket(QWebSocket *socket, const server::FlexIdentity &who)
{
    auto *session = new DialSession(socket, who, this);
    m_sessions.insert(who.identity, session);
    const QString identity = who.identity;
    connect(session, &QObject::destroyed, this,
            [this, identity, session] { m_sessions.remove(identity, session); });
    Q_EMIT sessionOpened(session);
}

int DialEndpoint::deliver(const QString &identity, const QByteArray &frame)
{
    int sent = 0;
    for (auto it = m_sessions.constFind(identity); it != m_sessions.cend() && it.key() == identity;
         ++it) {
        (*it)->sendFrame(frame);
        ++sent;
    }
    ops::metrics()
        .counter("flex_call_updates_relayed_total", "Call update frames written to dial sockets")
        .inc(sent);
    return sent;
}

} // namespace flex::dial
