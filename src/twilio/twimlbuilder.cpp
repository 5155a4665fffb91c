#include "twilio/twimlbuilder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QXmlStreamWriter>

namespace flex::twilio::twiml {

namespace {

// XML 1.0 Char production.
bool isXmlChar(char32_t c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

// A JSON string literal, escaped by QJsonDocument (which only encodes arrays
// and objects in Qt 6.4, hence the one-element array).
QByteArray jsonString(const QString &value)
{
    const QByteArray array = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2);
}

// Outside string literals our JSON is ASCII, so any character XML cannot carry
// sits inside a string, where \uXXXX means the same thing.
QString xmlSafeJson(const QByteArray &json)
{
    const QString text = QString::fromUtf8(json);
    QString out;
    out.reserve(text.size());
    for (const char32_t c : text.toUcs4()) {
        if (isXmlChar(c) && c != 0xD) {
            out += QString::fromUcs4(&c, 1);
        } else if (c <= 0xFFFF) {
            out += QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0'));
        }
        // Unpaired surrogates cannot be represented at all: dropped.
    }
    return out;
}

QString xmlSafeAttribute(const QString &value)
{
    QString out;
    for (const char32_t c : value.toUcs4()) {
        if (isXmlChar(c) && c >= 0x20)
            out += QString::fromUcs4(&c, 1);
    }
    return out;
}

} // namespace

QByteArray outboundTaskAttributes(const QString &targetWorker, const QString &to)
{
    return QByteArrayLiteral("{\"targetWorker\":") + jsonString(targetWorker) +
           QByteArrayLiteral(",\"autoAnswer\":\"true\",\"type\":\"outbound\","
                             "\"direction\":\"outbound\",\"name\":") +
           jsonString(to) + QByteArrayLiteral("}");
}

QByteArray enqueueTask(const QString &workflowSid, const QByteArray &taskAttributesJson)
{
    QByteArray out;
    QXmlStreamWriter xml(&out);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("Response"));
    xml.writeStartElement(QStringLiteral("Enqueue"));
    xml.writeAttribute(QStringLiteral("workflowSid"), xmlSafeAttribute(workflowSid));
    xml.writeTextElement(QStringLiteral("Task"), xmlSafeJson(taskAttributesJson));
    xml.writeEndElement();
    xml.writeEndElement();
    xml.writeEndDocument();
    return out;
}

QByteArray outboundEnqueue(const QString &workflowSid, const QString &targetWorker,
                           const QString &to)
{
    return enqueueTask(workflowSid, outboundTaskAttributes(targetWorker, to));
}

QByteArray emptyResponse()
{
    // Answered to every status callback: built once.
    static const QByteArray answer = [] {
        QByteArray out;
        QXmlStreamWriter xml(&out);
        xml.writeStartDocument();
        xml.writeEmptyElement(QStringLiteral("Response"));
        xml.writeEndDocument();
        return out;
    }();
    return answer;
}

} // namespace flex::twilio::twiml
