#include "dial/dialsession.h"

#include "ops/logcategories.h"
#include "ops/metrics.h"

#include <QWebSocket>

namespace flex::dial {

using namespace Qt::StringLiterals;

namespace {

// A client that sends but never reads must not grow our memory without bound.
constexpr qint64 MaxUnsentBytes = 4 * 1024 * 1024;

} // namespace

DialSession::DialSession(QWebSocket *socket, const server::FlexIdentity &who, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
    , m_who(who)
{
    socket->setParent(this);
    connect(socket, &QWebSocket::textMessageReceived, this, &DialSession::onText);
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &) {
        sendError({DialError::Reason::BadMessage,
                   u"binary messages are not understood; send JSON text"_s});
    });
    connect(socket, &QWebSocket::disconnected, this, &QObject::deleteLater);
}

DialSession::~DialSession() = default;

void DialSession::onText(const QString &text)
{
    qCDebug(lcDialTraffic).noquote() << "from" << m_who.identity << ":" << text.left(2048);
    const ClientMessage message = parseClientMessage(text);
    if (const auto *call = std::get_if<CallRequest>(&message)) {
        Q_EMIT callRequested(*call);
    } else if (const auto *hangup = std::get_if<HangupRequest>(&message)) {
        Q_EMIT hangupRequested(hangup->callSid);
    } else if (const auto *echo = std::get_if<EchoRequest>(&message)) {
        sendText(echoText(echo->text));
    } else {
        sendError(std::get<DialError>(message));
    }
}

void DialSession::sendFrame(const QByteArray &frame)
{
    sendText(QString::fromUtf8(frame));
}

void DialSession::sendError(const DialError &error)
{
    ops::metrics()
        .counter("flex_dial_errors_total", "Error messages sent on dial sockets, by reason",
                 {{"reason", error.reasonLabel()}})
        .inc();
    qCInfo(lcDial).noquote() << "error for" << m_who.identity << ":" << error.message;
    sendFrame(errorFrame(error.message));
}

void DialSession::sendText(const QString &text)
{
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    m_socket->sendTextMessage(text);
    qCDebug(lcDialTraffic).noquote() << "to" << m_who.identity << ":" << text.left(2048);
    if (m_socket->bytesToWrite() > MaxUnsentBytes) {
        qCWarning(lcDial) << "closing a dial socket that does not read what it is sent";
        m_socket->close(QWebSocketProtocol::CloseCodePolicyViolated, u"not reading"_s);
    }
}

} // namespace flex::dial
