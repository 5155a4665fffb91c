#include "ops/logging.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QRegularExpression>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>

namespace flex::ops {

using namespace Qt::StringLiterals;

namespace {

constexpr qsizetype kMinSecretLength = 6;
constexpr size_t kMaxTransientSecrets = 512;
const QString kMask = u"[REDACTED]"_s;

struct LogState
{
    QMutex mutex; // the handler may run on Qt's helper threads
    bool installed = false;
    LogOutput output = LogOutput::Text;
    QStringList permanentSecrets;
    std::deque<QString> transientSecrets;
    std::function<void(const QByteArray &)> sink;
};

LogState &state()
{
    static LogState s;
    return s;
}

// Fields handed from logWithFields() to the handler on the same thread.
thread_local const QJsonObject *t_fields = nullptr;

// systemd sets JOURNAL_STREAM to "<dev>:<inode>" of the stream it connected
// to stderr; if stderr was redirected since, the journal is not listening.
bool stderrIsJournal()
{
    const QByteArray value = qgetenv("JOURNAL_STREAM");
    if (value.isEmpty())
        return false;
    const QList<QByteArray> parts = value.split(':');
    if (parts.size() != 2)
        return false;
    struct stat st = {};
    if (fstat(STDERR_FILENO, &st) != 0)
        return false;
    bool okDev = false, okIno = false;
    const qulonglong dev = parts[0].toULongLong(&okDev);
    const qulonglong ino = parts[1].toULongLong(&okIno);
    return okDev && okIno && dev == qulonglong(st.st_dev) && ino == qulonglong(st.st_ino);
}

int syslogPriority(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return 7;
    case QtInfoMsg:
        return 6;
    case QtWarningMsg:
        return 4;
    case QtCriticalMsg:
        return 3;
    case QtFatalMsg:
        return 2;
    }
    return 6;
}

QLatin1StringView levelName(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return "debug"_L1;
    case QtInfoMsg:
        return "info"_L1;
    case QtWarningMsg:
        return "warning"_L1;
    case QtCriticalMsg:
        return "critical"_L1;
    case QtFatalMsg:
        return "fatal"_L1;
    }
    return "info"_L1;
}

QString fieldText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Bool:
        return value.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Double:
        return QString::number(value.toDouble(), 'g', 15);
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return u"null"_s;
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    }
    return {};
}

QJsonValue redactValue(const QJsonValue &value)
{
    if (value.isString())
        return redact(value.toString());
    if (value.isArray()) {
        QJsonArray out;
        const QJsonArray in = value.toArray();
        for (const QJsonValue &v : in)
            out.append(redactValue(v));
        return out;
    }
    if (value.isObject()) {
        QJsonObject out;
        const QJsonObject in = value.toObject();
        for (auto it = in.begin(); it != in.end(); ++it)
            out.insert(it.key(), redactValue(it.value()));
        return out;
    }
    return value;
}

void writeLine(const QByteArray &line)
{
    LogState &s = state();
    std::function<void(const QByteArray &)> sink;
    {
        QMutexLocker lock(&s.mutex);
        sink = s.sink;
    }
    if (sink) {
        sink(line);
        return;
    }
    const char *data = line.constData();
    qsizetype left = line.size();
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, data, size_t(left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // nowhere to report a failing stderr
        data += n;
        left -= n;
    }
}

void messageHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    LogOutput output;
    {
        QMutexLocker lock(&state().mutex);
        output = state().output;
    }
    const char *category = context.category ? context.category : "default";
    static const QJsonObject noFields;
    writeLine(formatLogLine(output, type, category, message, t_fields ? *t_fields : noFields));
}

} // namespace

QString filterRulesForLevel(const QString &level)
{
    const QString lower = level.trimmed().toLower();
    // Traffic categories stay off unless QT_LOGGING_RULES names them.
    if (lower == u"debug")
        return u"default.debug=true\nflex.*.debug=true\n*.traffic.debug=false"_s;
    if (lower == u"info" || lower.isEmpty())
        return u"*.debug=false"_s;
    if (lower == u"warning")
        return u"*.debug=false\n*.info=false"_s;
    if (lower == u"critical")
        return u"*.debug=false\n*.info=false\n*.warning=false"_s;
    return {};
}

bool configureLogging(const QString &level, const QString &format, QString *error)
{
    const QString rules = filterRulesForLevel(level);
    if (rules.isEmpty()) {
        if (error)
            *error = u"LOG_LEVEL: must be debug, info, warning or critical"_s;
        return false;
    }
    const QString fmt = format.trimmed().toLower();
    if (fmt != u"text" && fmt != u"json" && !fmt.isEmpty()) {
        if (error)
            *error = u"LOG_FORMAT: must be text or json"_s;
        return false;
    }
    const LogOutput output = fmt == u"json"      ? LogOutput::Json
                             : stderrIsJournal() ? LogOutput::Journal
                                                 : LogOutput::Text;
    bool install = false;
    {
        QMutexLocker lock(&state().mutex);
        state().output = output;
        install = !state().installed;
        state().installed = true;
    }
    if (install)
        qInstallMessageHandler(messageHandler);
    QLoggingCategory::setFilterRules(rules);
    return true;
}

LogOutput logOutput()
{
    QMutexLocker lock(&state().mutex);
    return state().output;
}

void registerSecret(const QString &secret, SecretLifetime lifetime)
{
    if (secret.size() < kMinSecretLength)
        return;
    LogState &s = state();
    QMutexLocker lock(&s.mutex);
    if (s.permanentSecrets.contains(secret))
        return;
    if (lifetime == SecretLifetime::Permanent) {
        s.permanentSecrets.append(secret);
        // Longest first, so a secret containing another is masked whole.
        std::sort(s.permanentSecrets.begin(), s.permanentSecrets.end(),
                  [](const QString &a, const QString &b) { return a.size() > b.size(); });
        return;
    }
    if (std::find(s.transientSecrets.begin(), s.transientSecrets.end(), secret) !=
        s.transientSecrets.end())
        return;
    s.transientSecrets.push_back(secret);
    if (s.transientSecrets.size() > kMaxTransientSecrets)
        s.transientSecrets.pop_front();
}

void forgetSecrets()
{
    QMutexLocker lock(&state().mutex);
    state().permanentSecrets.clear();
    state().transientSecrets.clear();
}

QString redact(QString text)
{
    {
        LogState &s = state();
        QMutexLocker lock(&s.mutex);
        for (const QString &secret : std::as_const(s.permanentSecrets))
            text.replace(secret, kMask);
        for (const QString &secret : s.transientSecrets)
            text.replace(secret, kMask);
    }
    // Patterns for secrets the process was never told about. Each runs only
    // when a cheap marker is present.
    if (text.contains(u"eyJ"_s)) {
        static const QRegularExpression jwt(
            u"eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*"_s);
        text.replace(jwt, kMask);
    }
    if (text.contains(u"uthorization"_s, Qt::CaseInsensitive)) {
        static const QRegularExpression auth(
            u"(authorization[\"']?\\s*[:=]\\s*[\"']?(?:(?:bearer|basic|token)\\s+)?)[^\\s\"',;]+"_s,
            QRegularExpression::CaseInsensitiveOption);
        text.replace(auth, u"\\1"_s + kMask);
    }
    if (text.contains(u"ignature"_s, Qt::CaseInsensitive)) {
        static const QRegularExpression signature(
            u"(x-twilio-signature[\"']?\\s*[:=]\\s*[\"']?)[^\\s\"',;]+"_s,
            QRegularExpression::CaseInsensitiveOption);
        text.replace(signature, u"\\1"_s + kMask);
    }
    if (text.contains(u"://"_s)) {
        static const QRegularExpression userinfo(u"(://[^/\\s:@]+:)[^@\\s/]+@"_s);
        text.replace(userinfo, u"\\1"_s + kMask + u'@');
    }
    return text;
}

QByteArray formatLogLine(LogOutput output, QtMsgType type, const char *category,
                         const QString &message, const QJsonObject &fields)
{
    const QString clean = redact(message);
    if (output == LogOutput::Json) {
        QJsonObject object;
        for (auto it = fields.begin(); it != fields.end(); ++it)
            object.insert(it.key(), redactValue(it.value()));
        // The fixed members win over fields of the same name.
        object.insert(u"time"_s, QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
        object.insert(u"level"_s, levelName(type));
        object.insert(u"category"_s, QString::fromUtf8(category));
        object.insert(u"message"_s, clean);
        return QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n';
    }

    QString text = clean;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        QString value = redact(fieldText(it.value()));
        if (value.isEmpty() || value.contains(u' ') || value.contains(u'"'))
            value = u'"' + value.replace(u'"', u"\\\""_s) + u'"';
        text += u' ' + it.key() + u'=' + value;
    }
    const QString head = QString::fromUtf8(category) + u": "_s;

    if (output == LogOutput::Journal) {
        // Every physical line needs the prefix, or journald files the
        // continuation lines at the default priority.
        const QString prefix = u'<' + QString::number(syslogPriority(type)) + u'>';
        QString out = prefix + head;
        out += QString(text).replace(u'\n', u'\n' + prefix);
        return out.toUtf8() + '\n';
    }

    const QString time = QDateTime::currentDateTime().toString(u"yyyy-MM-dd HH:mm:ss.zzz"_s);
    return (time + u' ' + levelName(type) + u' ' + head + text).toUtf8() + '\n';
}

void logWithFields(const QLoggingCategory &category, QtMsgType type, const QString &message,
                   const QJsonObject &fields)
{
    if (type == QtFatalMsg || !category.isEnabled(type))
        return;
    const QJsonObject *previous = t_fields;
    t_fields = &fields;
    QMessageLogger logger(nullptr, 0, nullptr, category.categoryName());
    switch (type) {
    case QtDebugMsg:
        logger.debug().noquote() << message;
        break;
    case QtInfoMsg:
        logger.info().noquote() << message;
        break;
    case QtWarningMsg:
        logger.warning().noquote() << message;
        break;
    default:
        logger.critical().noquote() << message;
        break;
    }
    t_fields = previous;
}

void setLogSink(std::function<void(const QByteArray &line)> sink)
{
    QMutexLocker lock(&state().mutex);
    state().sink = std::move(sink);
}

} // namespace flex::ops
