#pragma once

// What the cluster tests check about the call updates a dial socket got.

#include "testenvironment.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>

namespace flex::testing {

using namespace Qt::StringLiterals;

inline bool isUpdate(const QJsonDocument &d, const QString &sid = {}, const QString &status = {})
{
    const QJsonObject o = d.object();
    return o.value("messageType"_L1) == "callUpdate"_L1 &&
           (sid.isEmpty() || o.value("callSid"_L1).toString() == sid) &&
           (status.isEmpty() || o.value("callStatus"_L1).toString() == status);
}

inline bool isTerminal(const QString &s)
{
    return s == "completed"_L1 || s == "busy"_L1 || s == "failed"_L1 || s == "no-answer"_L1 ||
           s == "canceled"_L1;
}

inline int rank(const QString &s)
{
    static const QStringList order{u"queued"_s, u"initiated"_s, u"ringing"_s, u"in-progress"_s};
    return isTerminal(s) ? 4 : int(order.indexOf(s));
}

inline QStringList statuses(const WsClient &c, const QString &sid)
{
    QStringList out;
    for (int i = 0; i < c.messages().size(); ++i) {
        if (isUpdate(c.json(i), sid))
            out << c.json(i).object().value("callStatus"_L1).toString();
    }
    return out;
}

// Each update once, never backwards, ending in a final status.
inline QString orderProblem(const QStringList &seen)
{
    for (qsizetype i = 1; i < seen.size(); ++i) {
        if (rank(seen.at(i)) <= rank(seen.at(i - 1)))
            return u"out of order or repeated: "_s + seen.join(u',');
    }
    if (seen.isEmpty() || !isTerminal(seen.last()))
        return u"no final status: "_s + seen.join(u',');
    return {};
}

inline bool hasTerminal(const WsClient &c, const QString &sid)
{
    const QStringList s = statuses(c, sid);
    return !s.isEmpty() && isTerminal(s.last());
}

inline QJsonObject callMessage(const QString &to, const QString &who)
{
    return {{"method"_L1, u"call"_s},
            {"to"_L1, to},
            {"from"_L1, u"+15557654321"_s},
            {"workerContactUri"_L1, QString(u"client:"_s + who)}};
}

} // namespace flex::testing
