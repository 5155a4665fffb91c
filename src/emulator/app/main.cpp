// twilio-emulator: runs flex::emulator::TwilioEmulator standalone on loopback.
#include "emulator/twilioemulator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

using flex::emulator::EmulatorConfig;
using flex::emulator::TwilioEmulator;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("twilio-emulator"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FLEX_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Emulates Twilio IAM, Calls and TaskRouter for flex-backend on loopback."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("Port (0 = any free)."),
                                  QStringLiteral("port"), QStringLiteral("0"));
    const QCommandLineOption accountSid(QStringLiteral("account-sid"),
                                        QStringLiteral("Account SID."), QStringLiteral("sid"));
    const QCommandLineOption authToken(QStringLiteral("auth-token"), QStringLiteral("Auth token."),
                                       QStringLiteral("token"));
    const QCommandLineOption workspaceSid(QStringLiteral("workspace-sid"),
                                          QStringLiteral("TaskRouter workspace SID."),
                                          QStringLiteral("sid"));
    const QCommandLineOption queues(QStringLiteral("queues"), QStringLiteral("Number of queues."),
                                    QStringLiteral("n"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Simulation seed."),
                                  QStringLiteral("n"));
    const QCommandLineOption token(
        QStringLiteral("token"),
        QStringLiteral("Known Flex token TOKEN:IDENTITY[:ROLE] (repeatable)."),
        QStringLiteral("spec"));
    const QCommandLineOption callStep(QStringLiteral("call-step-ms"),
                                      QStringLiteral("Call progression step in ms."),
                                      QStringLiteral("ms"));
    const QCommandLineOption talkTime(QStringLiteral("talk-time-ms"),
                                      QStringLiteral("Talk time of answered calls in ms."),
                                      QStringLiteral("ms"));
    const QCommandLineOption tick(QStringLiteral("tick-ms"),
                                  QStringLiteral("Contact-centre tick interval in ms."),
                                  QStringLiteral("ms"));
    const QCommandLineOption warmup(
        QStringLiteral("warmup-s"),
        QStringLiteral("Simulated history generated at start, seconds."), QStringLiteral("s"));
    const QCommandLineOption frozen(
        QStringLiteral("frozen"),
        QStringLiteral("Start frozen: the simulation moves only on POST /__emulator/tick."));
    parser.addOptions({port, accountSid, authToken, workspaceSid, queues, seed, token, callStep,
                       talkTime, tick, warmup, frozen});
    parser.process(app);

    EmulatorConfig config;
    bool ok = true;
    auto number = [&](const QCommandLineOption &option, auto *target) {
        if (!parser.isSet(option))
            return;
        bool valid = false;
        const qlonglong v = parser.value(option).toLongLong(&valid);
        if (!valid || v < 0) {
            std::fprintf(stderr, "twilio-emulator: --%s needs a non-negative number\n",
                         qPrintable(option.names().first()));
            ok = false;
            return;
        }
        *target = decltype(+*target)(v);
    };
    if (parser.isSet(accountSid))
        config.accountSid = parser.value(accountSid);
    if (parser.isSet(authToken))
        config.authToken = parser.value(authToken);
    if (parser.isSet(workspaceSid))
        config.workspaceSid = parser.value(workspaceSid);
    number(queues, &config.queueCount);
    number(seed, &config.seed);
    qlonglong ms = -1;
    number(callStep, &ms);
    if (ms >= 0)
        config.callStepInterval = std::chrono::milliseconds(ms);
    ms = -1;
    number(talkTime, &ms);
    if (ms >= 0)
        config.talkTime = std::chrono::milliseconds(ms);
    ms = -1;
    number(tick, &ms);
    if (ms > 0)
        config.tickInterval = std::chrono::milliseconds(ms);
    ms = -1;
    number(warmup, &ms);
    if (ms >= 0)
        config.warmup = std::chrono::seconds(ms);
    config.frozen = parser.isSet(frozen);
    int listenPort = 0;
    number(port, &listenPort);
    if (!ok || listenPort > 65535)
        return 64; // EX_USAGE

    TwilioEmulator emulator(config);
    const QStringList tokens = parser.values(token);
    for (const QString &spec : tokens) {
        const QStringList parts = spec.split(QLatin1Char(':'));
        if (parts.size() < 2 || parts.at(0).isEmpty() || parts.at(1).isEmpty()) {
            std::fprintf(stderr, "twilio-emulator: --token needs TOKEN:IDENTITY[:ROLE]\n");
            return 64;
        }
        emulator.addToken(parts.at(0), parts.at(1),
                          {parts.size() > 2 ? parts.at(2) : QStringLiteral("agent")});
    }
    if (!emulator.listen(QHostAddress::LocalHost, quint16(listenPort))) {
        std::fprintf(stderr, "twilio-emulator: cannot listen on 127.0.0.1:%d\n", listenPort);
        return 69; // EX_UNAVAILABLE
    }
    QTextStream out(stdout);
    out << "twilio-emulator listening on " << emulator.baseUrl().toString() << Qt::endl;
    return app.exec();
}
