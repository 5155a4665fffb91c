#include "ops/filelimit.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/resource.h>

namespace flex::ops {

using namespace Qt::StringLiterals;

namespace {

QString number(rlim_t value)
{
    return value == RLIM_INFINITY ? u"unlimited"_s : QString::number(quint64(value));
}

} // namespace

QString OpenFileLimit::describe() const
{
    if (!error.isEmpty())
        return u"open files limit stays %1 (hard %2): %3"_s.arg(before).arg(hard).arg(error);
    if (raised())
        return u"open files limit raised from %1 to %2 (the hard limit)"_s.arg(before).arg(soft);
    return u"open files limit %1 (the hard limit)"_s.arg(soft);
}

OpenFileLimit raiseOpenFileLimit()
{
    OpenFileLimit result;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        result.error = QString::fromLocal8Bit(std::strerror(errno));
        return result;
    }
    result.before = result.soft = quint64(limit.rlim_cur);
    result.hard = quint64(limit.rlim_max);
    if (limit.rlim_cur >= limit.rlim_max)
        return result;
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        result.error = u"cannot raise it to %1: %2"_s.arg(
            number(limit.rlim_max), QString::fromLocal8Bit(std::strerror(errno)));
        return result;
    }
    result.soft = quint64(raised.rlim_cur);
    return result;
}

int connectionCapacity()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 1'000'000;
    const qint64 soft = qint64(std::min<rlim_t>(limit.rlim_cur, 1'000'000));
    return int(std::max<qint64>(16, soft - ReservedDescriptors));
}

} // namespace flex::ops
