#include "server/staticpages.h"

#include <QFile>
#include <QHttpServer>
#include <QHttpServerResponse>
#include <QRegularExpression>

namespace flex::server {

using namespace Qt::StringLiterals;

namespace {

QByteArray mimeTypeOf(const QString &name)
{
    if (name.endsWith(u".html"_s))
        return "text/html; charset=utf-8";
    if (name.endsWith(u".js"_s))
        return "text/javascript; charset=utf-8";
    if (name.endsWith(u".css"_s))
        return "text/css; charset=utf-8";
    if (name.endsWith(u".svg"_s))
        return "image/svg+xml";
    return "application/octet-stream";
}

QHttpServerResponse page(const QString &name)
{
    QFile file(u":/pages/"_s + name);
    if (!file.open(QIODevice::ReadOnly))
        return QHttpServerResponse("text/plain", "Not Found\n",
                                   QHttpServerResponse::StatusCode::NotFound);
    QHttpServerResponse response(mimeTypeOf(name), file.readAll());
    // The pages only talk to this origin.
    response.setHeader("Content-Security-Policy",
                       "default-src 'self'; connect-src 'self' ws: wss:; "
                       "img-src 'self' data:; frame-ancestors 'none'");
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("Cache-Control", "no-cache");
    return response;
}

} // namespace

void StaticPages::registerRoutes(QHttpServer &server)
{
    server.route(u"/"_s, QHttpServerRequest::Method::Get, [] { return page(u"index.html"_s); });
    server.route(u"/dialpad"_s, QHttpServerRequest::Method::Get,
                 [] { return page(u"dialpad.html"_s); });
    server.route(u"/dashboard"_s, QHttpServerRequest::Method::Get,
                 [] { return page(u"dashboard.html"_s); });
    server.route(u"/assets/<arg>"_s, QHttpServerRequest::Method::Get, [](const QString &name) {
        static const QRegularExpression safe(u"^[A-Za-z0-9_-]+\\.(js|css|svg)$"_s);
        if (!safe.match(name).hasMatch())
            return QHttpServerResponse("text/plain", "Not Found\n",
                                       QHttpServerResponse::StatusCode::NotFound);
        return page(u"assets/"_s + name);
    });
}

} // namespace flex::server
