#include "twilio/pagewalk.h"

#include "twilio/twilioclient.h"

namespace flex::twilio {

using namespace Qt::StringLiterals;

namespace {

constexpr int kMaxPages = 1000;

bool sameOrigin(const QUrl &a, const QUrl &b)
{
    return a.scheme() == b.scheme() && a.host().compare(b.host(), Qt::CaseInsensitive) == 0 &&
           a.port(a.scheme() == u"https"_s ? 443 : 80) ==
               b.port(b.scheme() == u"https"_s ? 443 : 80);
}

bool isTwilioHost(const QUrl &url)
{
    const QString host = url.host().toLower();
    return url.scheme() == u"https"_s &&
           (host == u"twilio.com"_s || host.endsWith(u".twilio.com"_s));
}

} // namespace

ListPage readListPage(const QJsonObject &body, const QString &key, const QUrl &firstPage)
{
    ListPage page;
    const QJsonObject meta = body.value(u"meta"_s).toObject();
    const QString itemsKey = key.isEmpty() ? meta.value(u"key"_s).toString() : key;
    const QJsonValue array = body.value(itemsKey);
    if (itemsKey.isEmpty() || !array.isArray()) {
        page.error = u"list answer has no array \"%1\""_s.arg(itemsKey);
        return page;
    }
    page.items = array.toArray();
    // TaskRouter: meta.next_page_url (absolute); API 2010: next_page_uri (relative).
    QUrl next;
    const QJsonValue nextUrl = meta.value(u"next_page_url"_s);
    const QJsonValue nextUri = body.value(u"next_page_uri"_s);
    if (nextUrl.isString() && !nextUrl.toString().isEmpty())
        next = QUrl(nextUrl.toString());
    else if (nextUri.isString() && !nextUri.toString().isEmpty())
        next = firstPage.resolved(QUrl(nextUri.toString()));
    if (next.isEmpty())
        return page;
    page.next = nextPageThroughBase(next, firstPage);
    if (!page.next) {
        // Never send our credentials to a host we were not asked to talk to.
        page.error = u"next page URL points to another origin"_s;
        page.items = {};
    }
    return page;
}

std::optional<QUrl> nextPageThroughBase(const QUrl &next, const QUrl &base)
{
    if (!next.isValid() || next.isRelative())
        return std::nullopt;
    if (sameOrigin(next, base))
        return next;
    // Regional answers name their own host (taskrouter.dublin.ie1.twilio.com);
    // the path and query are what matter, and our credentials only ever go
    // to the configured base.
    if (!isTwilioHost(next))
        return std::nullopt;
    QUrl through = next;
    through.setScheme(base.scheme());
    through.setHost(base.host());
    through.setPort(base.port());
    return through;
}

PageWalk::PageWalk(TwilioClient &client, List list, PagesHandler handler, QObject *context)
    : QObject(context)
    , m_client(&client)
    , m_list(std::move(list))
    , m_handler(std::move(handler))
{
    fetch(m_list.firstPage);
}

void PageWalk::fetch(const QUrl &url)
{
    m_seen.insert(url);
    ++m_pages;
    TwilioRequest request;
    request.method = TwilioRequest::Method::Get;
    request.url = url;
    request.endpoint = m_list.endpoint;
    m_client->send(request, this, [this](const TwilioResult &result) { onPage(result); });
}

void PageWalk::onPage(const TwilioResult &result)
{
    m_requests += result.attempts;
    if (!result.ok()) {
        finish({{}, result.error});
        return;
    }
    const ListPage page = readListPage(result.body, m_list.key, m_list.firstPage);
    if (page.error) {
        fail(*page.error);
        return;
    }
    for (const QJsonValue &item : page.items)
        m_items.append(item);
    if (!page.next) {
        finish({m_items, std::nullopt});
        return;
    }
    if (m_seen.contains(*page.next)) {
        fail(u"pagination loop"_s);
        return;
    }
    if (m_pages >= kMaxPages) {
        fail(u"more than %1 pages"_s.arg(kMaxPages));
        return;
    }
    if (m_client)
        fetch(*page.next);
}

void PageWalk::fail(const QString &message)
{
    finish({{}, localError(TwilioError::Kind::BadAnswer, message)});
}

void PageWalk::finish(PagesResult result)
{
    result.requests = m_requests;
    const PagesHandler handler = std::move(m_handler);
    m_handler = nullptr;
    deleteLater();
    // Last: the handler may destroy the context, and with it this walk.
    if (handler)
        handler(result);
}

} // namespace flex::twilio
