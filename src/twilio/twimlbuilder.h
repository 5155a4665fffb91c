#pragma once

#include <QByteArray>
#include <QString>

namespace flex::twilio::twiml {

// TwiML answers. Output is UTF-8 XML with an XML declaration. Every value is
// JSON-encoded (QJsonDocument) and then XML-escaped (QXmlStreamWriter); characters
// XML 1.0 cannot carry are \u-escaped inside JSON strings and dropped from
// attributes, so no input can break out of the <Task> JSON or the XML.

// {"targetWorker":..,"autoAnswer":"true","type":"outbound","direction":"outbound","name":..}
// in that key order, compact.
QByteArray outboundTaskAttributes(const QString &targetWorker, const QString &to);

// <Response><Enqueue workflowSid="WW.."><Task>{taskAttributesJson}</Task></Enqueue></Response>
QByteArray enqueueTask(const QString &workflowSid, const QByteArray &taskAttributesJson);

// enqueueTask(workflowSid, outboundTaskAttributes(targetWorker, to)): the answer
// to /twilio-webhook/callHandlerTwiml.
QByteArray outboundEnqueue(const QString &workflowSid, const QString &targetWorker,
                           const QString &to);

// <Response/>: "nothing to do".
QByteArray emptyResponse();

// Content-Type for the answers above.
inline QByteArray contentType()
{
    return QByteArrayLiteral("text/xml; charset=utf-8");
}

} // namespace flex::twilio::twiml
