#pragma once

#include "twilio/twiliorequest.h"

#include <QJsonArray>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QUrl>

#include <functional>
#include <optional>

namespace flex::twilio {

class TwilioClient;

// One page of a list answer: its items and where the next page is fetched
// (nextPageThroughBase of meta.next_page_url, or API 2010's next_page_uri
// resolved against firstPage). error: no array under key (empty key:
// meta.key), or a next page on a foreign origin; items are then empty.
struct ListPage
{
    QJsonArray items;
    std::optional<QUrl> next;
    std::optional<QString> error;
};
ListPage readListPage(const QJsonObject &body, const QString &key, const QUrl &firstPage);

// Where to fetch a list's next page: `next` itself when it is on base's
// origin; on another https *.twilio.com host (regional answers), the same
// path and query through base's origin; anywhere else nowhere (nullopt).
std::optional<QUrl> nextPageThroughBase(const QUrl &next, const QUrl &base);

// What a page walk hands over: every page's items (empty on any error), and
// how many HTTP requests the walk took (pages and their retries).
struct PagesResult
{
    QJsonArray items;
    std::optional<TwilioError> error;
    int requests = 0;
    bool ok() const { return !error.has_value(); }
};
using PagesHandler = std::function<void(const PagesResult &)>;

// Walks a Twilio list: GETs firstPage, follows meta.next_page_url (or API
// 2010's relative next_page_uri) until there is none, and hands over the
// concatenation of every page's `key` array (e.g. "task_queues"; empty key:
// meta.key). A next page on another twilio.com host goes through firstPage's
// origin (nextPageThroughBase). Stops with BadAnswer on a URL seen before, a
// next page anywhere else, or more than 1000 pages.
//
// The walk is a child of its context and the context of its own page
// requests: destroying the context destroys the walk, which aborts the page
// in flight; the handler then never runs. It deletes itself (later) once it
// has called the handler.
class PageWalk : public QObject
{
    Q_OBJECT
public:
    struct List
    {
        QUrl firstPage;
        QString key;
        QString endpoint; // metric label of every page request
    };

    // Starts with the first page at once.
    PageWalk(TwilioClient &client, List list, PagesHandler handler, QObject *context);

private:
    void fetch(const QUrl &url);
    void onPage(const TwilioResult &result);
    void fail(const QString &message);
    void finish(PagesResult result);

    QPointer<TwilioClient> m_client;
    List m_list;
    PagesHandler m_handler;
    QJsonArray m_items;
    QSet<QUrl> m_seen;
    int m_pages = 0;
    int m_requests = 0;
};

} // namespace flex::twilio
