#include "dial/callstore.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace flex::dial {

using namespace Qt::StringLiterals;

namespace {

constexpr int FormatVersion = 1;

QString systemError(const QString &what, const QString &path)
{
    return u"cannot %1 %2: %3"_s.arg(what, path, QString::fromLocal8Bit(std::strerror(errno)));
}

// A descriptor that is closed whatever happens.
class Fd
{
public:
    explicit Fd(int fd)
        : m_fd(fd)
    {}
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int get() const { return m_fd; }
    bool close()
    {
        const int fd = m_fd;
        m_fd = -1;
        return ::close(fd) == 0;
    }

private:
    int m_fd;
};

bool writeAll(int fd, const QByteArray &data)
{
    qsizetype done = 0;
    while (done < data.size()) {
        const ssize_t n = ::write(fd, data.constData() + done, size_t(data.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += n;
    }
    return true;
}

// Writes path's new content durably: temporary file, fsync, rename, fsync of
// the directory (without the last step the rename itself may be lost).
bool writeDurably(const QString &path, const QString &tempPath, const QString &dir,
                  const QByteArray &data, QString *error)
{
    const QByteArray temp = QFile::encodeName(tempPath);
    {
        // Owner identities and dialled numbers: readable by the service only.
        Fd file(::open(temp.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (file.get() < 0) {
            *error = systemError(u"create"_s, tempPath);
            return false;
        }
        if (!writeAll(file.get(), data) || ::fsync(file.get()) != 0 || !file.close()) {
            *error = systemError(u"write"_s, tempPath);
            ::unlink(temp.constData());
            return false;
        }
    }
    if (::rename(temp.constData(), QFile::encodeName(path).constData()) != 0) {
        *error = systemError(u"replace"_s, path);
        ::unlink(temp.constData());
        return false;
    }
    Fd directory(::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory.get() < 0 || ::fsync(directory.get()) != 0) {
        *error = systemError(u"sync the directory"_s, dir);
        return false;
    }
    return true;
}

} // namespace

CallStore::CallStore(const QString &stateDir)
{
    setStateDir(stateDir);
}

QString CallStore::tempPath() const
{
    return m_path + u".tmp"_s;
}

void CallStore::setStateDir(const QString &stateDir)
{
    m_stateDir = stateDir;
    m_path = stateDir.isEmpty() ? QString() : QDir(stateDir).filePath(u"dial-calls.json"_s);
}

QByteArray CallStore::serialize(const QList<CallRecord> &calls)
{
    QJsonArray list;
    for (const CallRecord &c : calls) {
        list.append(QJsonObject{
            {"sid"_L1, c.sid},
            {"owner"_L1, c.owner},
            {"to"_L1, c.to},
            {"status"_L1, statusText(c.status)},
            {"sequence"_L1, c.sequence},
            {"createdMs"_L1, double(c.createdMs)},
            {"updatedMs"_L1, double(c.updatedMs)},
        });
    }
    // Compact: every group commit rewrites the whole list.
    return QJsonDocument(QJsonObject{{"version"_L1, FormatVersion}, {"calls"_L1, list}})
               .toJson(QJsonDocument::Compact) +
           '\n';
}

std::optional<QList<CallRecord>> CallStore::deserialize(const QByteArray &data, QString *error,
                                                        int *skipped)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(data, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = data.isEmpty()
                     ? u"the file is empty"_s
                     : u"not a JSON object (%1 at byte %2)"_s.arg(parseError.errorString())
                           .arg(parseError.offset);
        return std::nullopt;
    }
    const QJsonObject root = doc.object();
    if (root.value("version"_L1).toInt() != FormatVersion) {
        *error = u"unknown format version %1"_s.arg(root.value("version"_L1).toInt());
        return std::nullopt;
    }
    if (!root.value("calls"_L1).isArray()) {
        *error = u"no list of calls"_s;
        return std::nullopt;
    }
    QList<CallRecord> calls;
    int bad = 0;
    const QJsonArray list = root.value("calls"_L1).toArray();
    for (const QJsonValue &v : list) {
        const QJsonObject o = v.toObject();
        const std::optional<CallStatus> status = parseCallStatus(o.value("status"_L1).toString());
        CallRecord c;
        c.sid = o.value("sid"_L1).toString();
        c.owner = o.value("owner"_L1).toString();
        c.to = o.value("to"_L1).toString();
        c.sequence = o.value("sequence"_L1).toInt(-1);
        c.createdMs = qint64(o.value("createdMs"_L1).toDouble());
        c.updatedMs = qint64(o.value("updatedMs"_L1).toDouble());
        if (!status || c.sid.isEmpty() || c.owner.isEmpty()) {
            ++bad; // a damaged entry must not cost the others
            continue;
        }
        c.status = *status;
        calls.append(c);
    }
    if (skipped)
        *skipped = bad;
    return calls;
}

bool CallStore::save(const QList<CallRecord> &calls, QString *error) const
{
    return write(serialize(calls), error);
}

bool CallStore::write(const QByteArray &serialized, QString *error) const
{
    if (m_path.isEmpty()) {
        *error = u"no state directory"_s;
        return false;
    }
    if (!QDir().mkpath(m_stateDir)) {
        *error = u"cannot create %1"_s.arg(m_stateDir);
        return false;
    }
    return writeDurably(m_path, tempPath(), m_stateDir, serialized, error);
}

QString CallStore::moveAside() const
{
    const QString stamp = QDateTime::currentDateTimeUtc().toString(u"yyyyMMdd'T'HHmmss.zzz'Z'"_s);
    const QString target = m_path + u".corrupt-"_s + stamp;
    return QFile::rename(m_path, target) ? target : QString();
}

CallStore::Loaded CallStore::load() const
{
    Loaded result;
    if (m_path.isEmpty())
        return result;
    // A crash between creating and renaming the temporary file leaves it
    // behind; the real file is still the last complete list.
    QFile::remove(tempPath());
    if (!QFile::exists(m_path))
        return result;
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly)) {
        result.problem = u"cannot read %1: %2"_s.arg(m_path, file.errorString());
    } else {
        QString why;
        std::optional<QList<CallRecord>> calls = deserialize(file.readAll(), &why, &result.skipped);
        file.close();
        if (calls) {
            result.calls = *calls;
            return result;
        }
        result.problem = u"%1 is damaged: %2"_s.arg(m_path, why);
    }
    result.movedTo = moveAside();
    return result;
}

} // namespace flex::dial
