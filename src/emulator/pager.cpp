#include "pager.h"

#include <QJsonValue>
#include <QUrl>

#include <algorithm>

namespace flex::emulator {

namespace {

QString pageUrl(const QString &listUrl, const QList<QPair<QString, QString>> &filters, int pageSize,
                int page, const QString &token)
{
    QUrlQuery q;
    for (const auto &f : filters)
        q.addQueryItem(f.first, f.second);
    q.addQueryItem(QStringLiteral("PageSize"), QString::number(pageSize));
    q.addQueryItem(QStringLiteral("Page"), QString::number(page));
    if (!token.isEmpty())
        q.addQueryItem(QStringLiteral("PageToken"), token);
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
    const QString sizeText = query.queryItemValue(QStringLiteral("PageSize"), QUrl::FullyDecoded);
    if (!sizeText.isEmpty()) {
        bool ok = false;
        pageSize = sizeText.toInt(&ok);
        if (!ok || pageSize < 1 || pageSize > 1000) {
            *error = QStringLiteral("PageSize must be between 1 and 1000");
            return std::nullopt;
        }
    }
    const QString pageText = query.queryItemValue(QStringLiteral("Page"), QUrl::FullyDecoded);
    if (!pageText.isEmpty()) {
        bool ok = false;
        page = pageText.toInt(&ok);
        if (!ok || page < 0) {
            *error = QStringLiteral("Page must be a non-negative integer");
            return std::nullopt;
        }
    }
    const QString token = query.queryItemValue(QStringLiteral("PageToken"), QUrl::FullyDecoded);

    qsizetype begin = 0;
    qsizetype end = 0;
    if (token.isEmpty()) {
        begin = std::min<qsizetype>(qsizetype(page) * pageSize, seqs.size());
        end = std::min<qsizetype>(begin + pageSize, seqs.size());
    } else {
        bool ok = false;
        const qint64 seq = token.mid(2).toLongLong(&ok);
        if (!ok ||
            (!token.startsWith(QLatin1String("PT")) && !token.startsWith(QLatin1String("PB")))) {
            *error = QStringLiteral("Invalid PageToken");
            return std::nullopt;
        }
        if (token.startsWith(QLatin1String("PT"))) {
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
        if (item.first != QLatin1String("PageSize") && item.first != QLatin1String("Page") &&
            item.first != QLatin1String("PageToken"))
            filters.append(item);
    }
    Page result;
    result.begin = begin;
    result.end = end;
    const QJsonValue null(QJsonValue::Null);
    result.meta = QJsonObject{
        {QStringLiteral("first_page_url"), pageUrl(listUrl, filters, pageSize, 0, QString())},
        {QStringLiteral("key"), key},
        {QStringLiteral("next_page_url"),
         end < seqs.size() && end > 0
             ? QJsonValue(pageUrl(listUrl, filters, pageSize, page + 1,
                                  QStringLiteral("PT%1").arg(seqs.at(end - 1))))
             : null},
        {QStringLiteral("page"), page},
        {QStringLiteral("page_size"), pageSize},
        {QStringLiteral("previous_page_url"),
         begin > 0 && page > 0 && begin < seqs.size()
             ? QJsonValue(pageUrl(listUrl, filters, pageSize, page - 1,
                                  QStringLiteral("PB%1").arg(seqs.at(begin))))
             : null},
        {QStringLiteral("url"), pageUrl(listUrl, filters, pageSize, page, token)},
    };
    return result;
}

} // namespace flex::emulator
