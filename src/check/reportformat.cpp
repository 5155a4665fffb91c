#include "check/reportformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace flex::check {

using namespace Qt::StringLiterals;

namespace {

QString mark(CheckResult::Status status)
{
    switch (status) {
    case CheckResult::Status::Ok:
        return u"\u2713"_s; // ✓
    case CheckResult::Status::Warn:
        return u"!"_s;
    case CheckResult::Status::Fail:
        break;
    }
    return u"\u2717"_s; // ✗
}

QString sentence(const QString &text)
{
    return text.endsWith(u'.') ? text : text + u'.';
}

} // namespace

QString statusName(CheckResult::Status status)
{
    switch (status) {
    case CheckResult::Status::Ok:
        return u"ok"_s;
    case CheckResult::Status::Warn:
        return u"warn"_s;
    case CheckResult::Status::Fail:
        break;
    }
    return u"fail"_s;
}

QString formatLine(const CheckResult &r)
{
    QString line = mark(r.status) + u' ' + r.id + u": "_s + r.message;
    if (r.status != CheckResult::Status::Ok && !r.fix.isEmpty())
        line = sentence(line) + u" Fix: "_s + sentence(r.fix);
    return line;
}

QString formatText(const CheckReport &report, const QString &heading)
{
    QStringList lines{heading};
    for (const CheckResult &r : report.results)
        lines << formatLine(r);
    for (const QString &note : report.notes)
        lines << u"- "_s + note;
    lines << u"%1 ok, %2 warnings, %3 failed (%4 s)"_s.arg(report.count(CheckResult::Status::Ok))
                 .arg(report.count(CheckResult::Status::Warn))
                 .arg(report.count(CheckResult::Status::Fail))
                 .arg(double(report.elapsedMs) / 1000.0, 0, 'f', 1);
    return lines.join(u'\n') + u'\n';
}

QByteArray formatJson(const CheckReport &report)
{
    QJsonArray checks;
    for (const CheckResult &r : report.results) {
        checks.append(QJsonObject{{u"id"_s, r.id},
                                  {u"status"_s, statusName(r.status)},
                                  {u"message"_s, r.message},
                                  {u"fix"_s, r.fix}});
    }
    const QJsonObject summary{{u"ok"_s, report.count(CheckResult::Status::Ok)},
                              {u"warn"_s, report.count(CheckResult::Status::Warn)},
                              {u"fail"_s, report.count(CheckResult::Status::Fail)}};
    const QJsonObject doc{{u"checks"_s, checks},
                          {u"notes"_s, QJsonArray::fromStringList(report.notes)},
                          {u"summary"_s, summary},
                          {u"exitCode"_s, report.exitCode()},
                          {u"elapsedMs"_s, report.elapsedMs}};
    return QJsonDocument(doc).toJson(QJsonDocument::Indented);
}

} // namespace flex::check
