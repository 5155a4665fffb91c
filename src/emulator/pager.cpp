#include "pager.h"

#include <QJsonValue>
#include <QUrl>

#include <algorithm>

namespace flex::emulator {

using namespace Qt::StringLiterals;

namespace {

QString pageUrl(const QString &listUrl, const QList<QPair<QString, QString>> &filters, int pageSize,
                int page, const QString &token)
{
    QUrlQuery q;
    for (const auto &f : filters)
        q.addQueryItem(f.first, f.second);
    q.addQueryItem(u"PageSize"_s, QString::number(pageSize));
    q.addQueryItem(u"Page"_s, QString::number(page));
    if (!token.isEmpty())
        q.addQueryItem(u"PageToken"_s, token);
    QUrl url(listUrl);
    url.setQuery(q);
    return url.toString(QUrl::FullyEncoded);
}

} // namespace

std::optional<Page> paginate(const QList<qint64> &seqs, const QUrlQuery &query,
                             const QString &listUrl, const QString &key, QString *error)
{
    int pageSize = 50;
    int page = 0;
    const QString sizeText = query.queryItemValue(u"PageSize"_s, QUrl::FullyDecoded);
    if (!sizeText.isEmpty()) {
        bool ok = false;
        pageSize = sizeText.toInt(&ok);
        if (!ok || pageSize < 1 || pageSize > 1000) {
            *error = u"PageSize must be between 1 and 1000"_s;
            return std::nullopt;
        }
    }
    const QString pageText = query.queryItemValue(u"Page"_s, QUrl::FullyDecoded);
    if (!pageText.isEmpty()) {
        bool ok = false;
        page = pageText.toInt(&ok);
        if (!ok || page < 0) {
            *error = u"Page must be a non-negative integer"_s;
            return std::nullopt;
        }
    }
    const QString token = query.queryItemValue(u"PageToken"_s, QUrl::FullyDecoded);

    qsizetype begin = 0;
    qsizetype end = 0;
    if (token.isEmpty()) {
        begin = std::min<qsizetype>(qsizetype(page) * pageSize, seqs.size());
        end = std::min<qsizetype>(begin + pageSize, seqs.size());
    } else {
        bool ok = false;
        const qint64 seq = token.mid(2).toLongLong(&ok);
        if (!ok || (!token.startsWith(u"PT"_s) && !token.startsWith(u"PB"_s))) {
            *error = u"Invalid PageToken"_s;
            return std::nullopt;
        }
        if (token.startsWith(u"PT"_s)) {
            begin = std::upper_bound(seqs.cbegin(), seqs.cend(), seq) - seqs.cbegin();
            end = std::min<qsizetype>(begin + pageSize, seqs.size());
        } else {
            end = std::lower_bound(seqs.cbegin(), seqs.cend(), seq) - seqs.cbegin();
            begin = std::max<qsizetype>(0, end - pageSize);
        }
    }

    QList<QPair<QString, QString>> filters;
    const auto items = query.queryItems(QUrl::FullyDecoded);
    for (const auto &item : items) {
        if (item.first != u"PageSize"_s && item.first != u"Page"_s && item.first != u"PageToken"_s)
            filters.append(item);
    }
    Page result;
    result.begin = begin;
    result.end = end;
    const QJsonValue null(QJsonValue::Null);
    result.meta = QJsonObject{
        {u"first_page_url"_s, pageUrl(listUrl, filters, pageSize, 0, QString())},
        {u"key"_s, key},
        {u"next_page_url"_s, end < seqs.size() && end > 0
                                 ? QJsonValue(pageUrl(listUrl, filters, pageSize, page + 1,
                                                      u"PT%1"_s.arg(seqs.at(end - 1))))
                                 : null},
        {u"page"_s, page},
        {u"page_size"_s, pageSize},
        {u"previous_page_url"_s, begin > 0 && page > 0 && begin < seqs.size()
                                     ? QJsonValue(pageUrl(listUrl, filters, pageSize, page - 1,
                                                          u"PB%1"_s.arg(seqs.at(begin))))
                                     : null},
        {u"url"_s, pageUrl(listUrl, filters, pageSize, page, token)},
    };
    return result;
}

} // namespace flex::emulator
