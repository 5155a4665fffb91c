#pragma once

class QHttpServer;

namespace flex::server {

// Serves the built-in pages (Qt resources under :/pages): / (index),
// /dialpad, /dashboard, and their assets under /assets/. Plain files, no
// build step; they speak the same WebSocket protocol as the Flex plugins.
class StaticPages
{
public:
    static void registerRoutes(QHttpServer &server);
};

} // namespace flex::server
