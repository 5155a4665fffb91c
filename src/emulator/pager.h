#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QUrlQuery>

#include <optional>

namespace flex::emulator {

// TaskRouter v1 paging. Items are identified by their creation sequence
// number, so a page token ("PT<seq>": start after seq, "PB<seq>": end before
// seq) stays valid when items are added or removed between pages.
struct Page
{
    qsizetype begin = 0;
    qsizetype end = 0;
    QJsonObject meta;
};

// seqs: ascending sequence numbers of all items. listUrl: absolute URL of the
// list without query. Filter parameters of the query (all but the paging ones)
// are carried into the meta URLs. Returns nullopt with *error on bad input.
std::optional<Page> paginate(const QList<qint64> &seqs, const QUrlQuery &query,
                             const QString &listUrl, const QString &key, QString *error);

} // namespace flex::emulator
