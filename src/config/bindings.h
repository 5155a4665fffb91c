#pragma once

// Building blocks for the rows of the setting table: each returns a Binding
// that parses text into one Config member and shows it back.

#include "config/settingtable.h"

#include <QRegularExpression>

#include <chrono>

namespace flex::config::bind {

template <typename T> using Member = T Config::*;

Binding text(Member<QString> member);
Binding lowerChoice(Member<QString> member, const QStringList &choices);
Binding sid(Member<QString> member, QLatin1StringView prefix);
Binding boolean(Member<bool> member);
Binding url(Member<QUrl> member);
// Comma-separated, items trimmed, empty items dropped; each item must match
// pattern (when valid), else "what" names what it should be.
Binding list(Member<QStringList> member, const QRegularExpression &pattern, const QString &what);

// "must be a whole number from min to max"; the error quotes at most 40 characters.
QString parseInteger(const QString &text, qint64 min, qint64 max, qint64 *out);

template <typename T> Binding integer(Member<T> member, qint64 min, qint64 max)
{
    return {[member, min, max](const QString &text, Config &c) {
                qint64 value = 0;
                const QString error = parseInteger(text, min, max, &value);
                if (error.isEmpty())
                    c.*member = static_cast<T>(value);
                return error;
            },
            [member](const Config &c) { return QString::number(c.*member); }};
}

// A duration given in Unit (seconds or milliseconds), stored as Stored.
template <typename Unit, typename Stored>
Binding duration(Member<Stored> member, qint64 min, qint64 max)
{
    return {[member, min, max](const QString &text, Config &c) {
                qint64 value = 0;
                const QString error = parseInteger(text, min, max, &value);
                if (error.isEmpty())
                    c.*member = std::chrono::duration_cast<Stored>(Unit(value));
                return error;
            },
            [member](const Config &c) {
                return QString::number(std::chrono::duration_cast<Unit>(c.*member).count());
            }};
}

template <typename Stored> Binding seconds(Member<Stored> member, qint64 min, qint64 max)
{
    return duration<std::chrono::seconds>(member, min, max);
}

template <typename Stored> Binding milliseconds(Member<Stored> member, qint64 min, qint64 max)
{
    return duration<std::chrono::milliseconds>(member, min, max);
}

} // namespace flex::config::bind
