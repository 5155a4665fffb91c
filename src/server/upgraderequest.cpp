#include "server/upgraderequest.h"

#include "ops/metrics.h"
#include "server/connectionguards.h"
#include "server/flextokenshape.h"

#include <QUrlQuery>

namespace flex::server {

using namespace Qt::StringLiterals;

ops::Counter &handshakes(const QByteArray &result)
{
    return ops::metrics().counter("flex_websocket_handshakes_total",
                                  "WebSocket upgrade attempts by result", {{"result", result}});
}

void refuseHandshake(QTcpSocket *socket, const HandshakeRefusal &refusal)
{
    handshakes(refusal.result).inc();
    refuseConnection(socket, refusal.status, refusal.reason, refusal.body, refusal.extraHeaders);
}

std::optional<HandshakeRefusal> refusalOfUpgrade(const RequestHead &head, bool pathServed,
                                                 const QStringList &allowedOrigins)
{
    if (!head.isWebSocketUpgrade() || head.method != "GET")
        return HandshakeRefusal{
            "not_websocket", 400, "Bad Request", "A WebSocket upgrade is required here.\n", {}};
    if (!pathServed)
        return HandshakeRefusal{
            "unknown_path", 404, "Not Found", "No WebSocket is served at this path.\n", {}};
    const QString origin = QString::fromLatin1(head.header("origin"));
    if (!allowedOrigins.isEmpty() && !origin.isEmpty() && !allowedOrigins.contains(origin))
        return HandshakeRefusal{"origin_refused", 403, "Forbidden", "Origin not allowed.\n", {}};
    return std::nullopt;
}

OfferedToken offeredToken(const RequestHead &head)
{
    const QByteArray protocols = head.header("sec-websocket-protocol");
    if (!protocols.isEmpty())
        return {QString::fromLatin1(protocols.split(',').first().trimmed()), true};
    const QByteArray header = head.header("token");
    if (!header.isEmpty())
        return {QString::fromLatin1(header), false};
    const QByteArray authorization = head.header("authorization");
    if (authorization.size() > 7 && authorization.left(7).toLower() == "bearer ")
        return {QString::fromLatin1(authorization.mid(7).trimmed()), false};
    const QUrlQuery query(head.url());
    return {query.queryItemValue(u"token"_s, QUrl::FullyDecoded), false};
}

std::optional<HandshakeRefusal> refusalOfToken(const QString &token)
{
    if (token.isEmpty())
        return HandshakeRefusal{"bad_token", 403, "Forbidden", "A Flex token is required.\n", {}};
    if (!FlexTokenShape::isPlausible(token))
        return HandshakeRefusal{"bad_token", 403, "Forbidden", "Flex token not valid.\n", {}};
    return std::nullopt;
}

std::optional<HandshakeRefusal> refusalOfAnswer(const Authenticator::Answer &answer)
{
    switch (answer.outcome) {
    case Authenticator::Outcome::Valid:
        break;
    case Authenticator::Outcome::Invalid:
        return HandshakeRefusal{"bad_token", 403, "Forbidden", "Flex token not valid.\n", {}};
    case Authenticator::Outcome::Unavailable:
        return HandshakeRefusal{"iam_unavailable",
                                503,
                                "Service Unavailable",
                                "Flex token validation is unavailable; try again.\n",
                                {}};
    case Authenticator::Outcome::OverBudget: {
        const QByteArray retryAfter =
            "Retry-After: " + QByteArray::number(qint64(answer.retryAfter.count())) + "\r\n";
        return HandshakeRefusal{
            "rate_limited", 429, "Too Many Requests",
            "Too many unknown Flex tokens from this address; try again later.\n", retryAfter};
    }
    }
    return std::nullopt;
}

} // namespace flex::server
