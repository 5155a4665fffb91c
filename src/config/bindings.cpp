#include "config/bindings.h"

#include "config/valueparsers.h"

namespace flex::config::bind {

using namespace Qt::StringLiterals;

QString parseInteger(const QString &text, qint64 min, qint64 max, qint64 *out)
{
    bool ok = false;
    const qint64 number = text.toLongLong(&ok);
    if (!ok || number < min || number > max)
        return u"must be a whole number from %1 to %2 (got \"%3\")"_s.arg(min).arg(max).arg(
            text.left(40));
    *out = number;
    return {};
}

Binding text(Member<QString> member)
{
    return {[member](const QString &value, Config &c) {
                c.*member = value;
                return QString();
            },
            [member](const Config &c) { return c.*member; }};
}

Binding lowerChoice(Member<QString> member, const QStringList &choices)
{
    return {[member, choices](const QString &value, Config &c) {
                c.*member = value.toLower();
                if (choices.contains(c.*member))
                    return QString();
                QStringList head = choices;
                const QString last = head.takeLast();
                return u"must be %1 or %2"_s.arg(head.join(u", "_s), last);
            },
            [member](const Config &c) { return c.*member; }};
}

Binding sid(Member<QString> member, QLatin1StringView prefix)
{
    return {[member, prefix](const QString &value, Config &c) {
                static const QRegularExpression hex32(u"^[0-9a-fA-F]{32}$"_s);
                c.*member = value;
                if (value.isEmpty() ||
                    (value.startsWith(prefix) && hex32.match(value.mid(2)).hasMatch()))
                    return QString();
                return u"must be %1 followed by 32 hex digits"_s.arg(prefix);
            },
            [member](const Config &c) { return c.*member; }};
}

Binding boolean(Member<bool> member)
{
    return {[member](const QString &text, Config &c) {
                const QString value = text.toLower();
                const bool yes =
                    value == u"true" || value == u"1" || value == u"yes" || value == u"on";
                const bool no =
                    value == u"false" || value == u"0" || value == u"no" || value == u"off";
                c.*member = yes;
                return yes || no ? QString() : u"must be true or false"_s;
            },
            [member](const Config &c) { return c.*member ? u"true"_s : u"false"_s; }};
}

Binding url(Member<QUrl> member)
{
    return {[member](const QString &value, Config &c) {
                c.*member = QUrl();
                if (value.isEmpty())
                    return QString();
                const QUrl url(value, QUrl::StrictMode);
                if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") ||
                    url.host().isEmpty())
                    return u"must be an http:// or https:// URL"_s;
                QUrl base = url.adjusted(QUrl::StripTrailingSlash);
                if (base.path() == u"/")
                    base.setPath(QString());
                c.*member = base;
                return QString();
            },
            [member](const Config &c) { return (c.*member).toString(); }};
}

Binding list(Member<QStringList> member, const QRegularExpression &pattern, const QString &what)
{
    return {[member, pattern, what](const QString &value, Config &c) {
                c.*member = splitList(value);
                for (const QString &item : std::as_const(c.*member)) {
                    if (pattern.isValid() && !pattern.match(item).hasMatch())
                        return u"\"%1\" is not %2"_s.arg(item.left(20), what);
                }
                return QString();
            },
            [member](const Config &c) { return (c.*member).join(u','); }};
}

} // namespace flex::config::bind
