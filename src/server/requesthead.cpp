#include "server/requesthead.h"

namespace flex::server {

QByteArray RequestHead::header(const QByteArray &lowerName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return {};
}

QList<QByteArray> RequestHead::headerValues(const QByteArray &lowerName) const
{
    QList<QByteArray> values;
    for (const auto &[name, value] : headers) {
        if (name == lowerName)
            values << value;
    }
    return values;
}

QByteArray RequestHead::path() const
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? target : target.left(q);
}

QUrl RequestHead::url() const
{
    return QUrl::fromEncoded(target, QUrl::TolerantMode);
}

bool RequestHead::isWebSocketUpgrade() const
{
    const QList<QByteArray> connection = header("connection").toLower().split(',');
    bool upgrade = false;
    for (const QByteArray &token : connection)
        upgrade = upgrade || token.trimmed() == "upgrade";
    return upgrade && header("upgrade").toLower() == "websocket";
}

std::optional<qint64> RequestHead::contentLength() const
{
    const QList<QByteArray> values = headerValues("content-length");
    if (values.isEmpty())
        return std::nullopt;
    bool ok = false;
    const qint64 length = values.first().toLongLong(&ok);
    if (!ok || length < 0)
        return -1;
    for (const QByteArray &other : values) {
        if (other != values.first())
            return -1; // conflicting lengths: a smuggling attempt
    }
    return length;
}

bool RequestHead::isChunked() const
{
    return header("transfer-encoding").toLower().contains("chunked");
}

HeadParse parseRequestHead(const QByteArray &buffer, qsizetype maxBytes, RequestHead &out)
{
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return buffer.size() > maxBytes ? HeadParse::TooLarge : HeadParse::Incomplete;
    if (end + 4 > maxBytes)
        return HeadParse::TooLarge;

    RequestHead head;
    head.size = end + 4;
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    const QByteArray requestLine = lines.first().trimmed();
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3 || parts[0].isEmpty() || !parts[1].startsWith('/') ||
        !parts[2].startsWith("HTTP/1."))
        return HeadParse::Malformed;
    for (char c : parts[0]) {
        if (c < 'A' || c > 'Z')
            return HeadParse::Malformed;
    }
    head.method = parts[0];
    head.target = parts[1];
    head.version = parts[2];
    for (qsizetype i = 1; i < lines.size(); ++i) {
        QByteArray line = lines[i];
        if (line.endsWith('\r'))
            line.chop(1);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || line.startsWith(' ') || line.startsWith('\t'))
            return HeadParse::Malformed; // obsolete folding or garbage
        const QByteArray name = line.left(colon);
        if (name.contains(' ') || name.contains('\t'))
            return HeadParse::Malformed;
        head.headers.append({name.toLower(), line.mid(colon + 1).trimmed()});
    }
    out = std::move(head);
    return HeadParse::Complete;
}

} // namespace flex::server
