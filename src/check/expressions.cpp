#include "check/expressions.h"

#include <QStringList>

#include <optional>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

bool isQuote(QChar c)
{
    return c == u'\'' || c == u'"';
}

// Whitespace outside quoted constants removed; quotes normalised to '.
QString squeeze(const QString &text)
{
    QString out;
    out.reserve(text.size());
    QChar quote;
    for (const QChar c : text) {
        if (!quote.isNull()) {
            out += c == quote ? u'\'' : c;
            if (c == quote)
                quote = QChar();
        } else if (isQuote(c)) {
            quote = c;
            out += u'\'';
        } else if (!c.isSpace()) {
            out += c;
        }
    }
    return out;
}

// Visits each character outside quoted constants with the parenthesis depth
// after it (an opening one counts, a closing one no longer); stops when
// visit returns true.
template <typename Visit> void scanTopLevel(const QString &text, Visit visit)
{
    int depth = 0;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c == u'\'')
            quoted = !quoted;
        if (quoted)
            continue;
        if (c == u'(')
            ++depth;
        else if (c == u')')
            --depth;
        if (visit(i, c, depth))
            return;
    }
}

// True when text[0] is '(' and its partner is the last character.
bool wrappedInParentheses(const QString &text)
{
    if (text.size() < 2 || !text.startsWith(u'(') || !text.endsWith(u')'))
        return false;
    qsizetype partner = -1;
    scanTopLevel(text, [&](qsizetype i, QChar c, int depth) {
        if (c == u')' && depth == 0)
            partner = i;
        return partner >= 0;
    });
    return partner == text.size() - 1;
}

// A whole expression in quotes ("task.x==worker.y"), as pasted from a document.
bool wrappedInQuotes(const QString &text)
{
    return text.size() >= 2 && text.startsWith(u'\'') && text.endsWith(u'\'') &&
           text.count(u'\'') == 2 && text.contains(u"=="_s);
}

QString unwrap(QString text)
{
    for (;;) {
        if (wrappedInParentheses(text))
            text = text.mid(1, text.size() - 2);
        else if (wrappedInQuotes(text))
            text = squeeze(text.mid(1, text.size() - 2)); // its spaces were kept as quoted
        else
            return text;
    }
}

// task['targetWorker'] -> task.targetWorker (one level, what people write).
QString dotted(const QString &operand)
{
    const qsizetype open = operand.indexOf(u"['"_s);
    if (open > 0 && operand.endsWith(u"']"_s)) {
        const QString key = operand.mid(open + 2, operand.size() - open - 4);
        if (!key.contains(u'\''))
            return operand.left(open) + u'.' + key;
    }
    return operand;
}

// The two operands of a top-level a==b, or nothing.
std::optional<QStringList> equalityOperands(const QString &normalized)
{
    qsizetype at = -1;
    bool several = false;
    qsizetype skip = -1; // the second '=' of the last "=="
    scanTopLevel(normalized, [&](qsizetype i, QChar c, int depth) {
        if (i == skip || depth != 0 || c != u'=' || i + 1 >= normalized.size() ||
            normalized.at(i + 1) != u'=')
            return false;
        several = at >= 0; // a==b==c
        at = i;
        skip = i + 1;
        return several;
    });
    if (several)
        return std::nullopt;
    if (at <= 0 || at + 2 >= normalized.size())
        return std::nullopt;
    const QString before = normalized.at(at - 1);
    if (before == u"!"_s || before == u"<"_s || before == u">"_s)
        return std::nullopt;
    return QStringList{dotted(unwrap(normalized.left(at))), dotted(unwrap(normalized.mid(at + 2)))};
}

} // namespace

QString normalizeExpression(const QString &expression)
{
    return unwrap(squeeze(expression.trimmed()));
}

bool isTargetWorkerExpression(const QString &expression)
{
    const std::optional<QStringList> operands = equalityOperands(normalizeExpression(expression));
    if (!operands)
        return false;
    const QString wanted[] = {u"task.targetWorker"_s, u"worker.contact_uri"_s};
    return (operands->at(0) == wanted[0] && operands->at(1) == wanted[1]) ||
           (operands->at(0) == wanted[1] && operands->at(1) == wanted[0]);
}

bool selectsEveryWorker(const QString &targetWorkers)
{
    const std::optional<QStringList> operands =
        equalityOperands(normalizeExpression(targetWorkers));
    return operands && operands->at(0) == u"1"_s && operands->at(1) == u"1"_s;
}

} // namespace flex::check
