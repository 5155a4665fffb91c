// Pages of Twilio list answers (TaskQueues, statistics lists, activities
// ...): the items and where the next page is fetched; our credentials must
// never go anywhere but the configured base.
#include "twilio/twilioclient.h"

#include <QJsonDocument>

#include <cstdint>
#include <cstdlib>

using namespace flex::twilio;
using namespace Qt::StringLiterals;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const QByteArray body(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    const TwilioResult answer = answerFromHttp(200, body);
    if (!answer.ok())
        return 0;
    static const QUrl base(
        u"https://taskrouter.twilio.com/v1/Workspaces/WS1/TaskQueues?PageSize=50"_s);
    const QString key = (data[0] & 1) ? u"task_queues"_s : QString();
    const ListPage page = readListPage(answer.body, key, base);
    if (page.error && (!page.items.isEmpty() || page.next))
        std::abort();
    if (page.next) {
        const QUrl &next = *page.next;
        if (next.scheme() != base.scheme() || next.host() != base.host() ||
            next.port() != base.port())
            std::abort(); // credentials would travel elsewhere
    }
    return 0;
}
