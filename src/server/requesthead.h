#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QUrl>

#include <optional>

namespace flex::server {

// The request line and headers of an HTTP/1.1 request, read by the front door
// before it decides where the connection goes.
struct RequestHead
{
    QByteArray method;
    QByteArray target; // as sent: path and query
    QByteArray version;
    QList<QPair<QByteArray, QByteArray>> headers; // names lower-cased, values trimmed
    qsizetype size = 0;                           // bytes of the head including the blank line

    QByteArray header(const QByteArray &lowerName) const;
    QList<QByteArray> headerValues(const QByteArray &lowerName) const;
    QByteArray path() const; // target without query
    QUrl url() const;        // target parsed (path + query)
    bool isWebSocketUpgrade() const;
    std::optional<qint64> contentLength() const; // nullopt: absent; -1: malformed
    bool isChunked() const;
};

enum class HeadParse { Incomplete, Complete, Malformed, TooLarge };

// Parses the head at the start of buffer. Complete sets out; Incomplete means
// the blank line has not arrived yet (and buffer is still under maxBytes).
HeadParse parseRequestHead(const QByteArray &buffer, qsizetype maxBytes, RequestHead &out);

} // namespace flex::server
