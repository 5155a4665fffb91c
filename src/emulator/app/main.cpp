// twilio-emulator: runs flex::emulator::TwilioEmulator standalone on loopback.
#include "emulator/twilioemulator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>
#include <optional>

using namespace Qt::StringLiterals;
using flex::emulator::EmulatorConfig;
using flex::emulator::TwilioEmulator;

namespace {

constexpr int ExitUsage = 64;       // EX_USAGE
constexpr int ExitUnavailable = 69; // EX_UNAVAILABLE

void addOptions(QCommandLineParser &parser)
{
    parser.setApplicationDescription(
        u"Emulates Twilio IAM, Calls and TaskRouter for flex-backend on loopback."_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const auto valued = [&parser](const char *name, const char *help, const char *value) {
        parser.addOption(QCommandLineOption(QString::fromLatin1(name), QString::fromLatin1(help),
                                            QString::fromLatin1(value)));
    };
    parser.addOption(QCommandLineOption(u"port"_s, u"Port (0 = any free)."_s, u"port"_s, u"0"_s));
    valued("account-sid", "Account SID.", "sid");
    valued("auth-token", "Auth token.", "token");
    valued("workspace-sid", "TaskRouter workspace SID.", "sid");
    valued("queues", "Number of queues.", "n");
    valued("seed", "Simulation seed.", "n");
    valued("token", "Known Flex token TOKEN:IDENTITY[:ROLE] (repeatable).", "spec");
    valued("call-step-ms", "Call progression step in ms.", "ms");
    valued("talk-time-ms", "Talk time of answered calls in ms.", "ms");
    valued("tick-ms", "Contact-centre tick interval in ms.", "ms");
    valued("warmup-s", "Simulated history generated at start, seconds.", "s");
    parser.addOption(QCommandLineOption(
        u"frozen"_s, u"Start frozen: the simulation moves only on POST /__emulator/tick."_s));
}

// Reads the numeric options, each non-negative; false (after a message) if
// one is not.
class NumberReader
{
public:
    explicit NumberReader(const QCommandLineParser &parser)
        : m_parser(parser)
    {}

    // The option's value, or nullopt when it is not given (or invalid).
    std::optional<qlonglong> read(const char *name)
    {
        const QString option = QString::fromLatin1(name);
        if (!m_parser.isSet(option))
            return std::nullopt;
        bool valid = false;
        const qlonglong v = m_parser.value(option).toLongLong(&valid);
        if (valid && v >= 0)
            return v;
        std::fprintf(stderr, "twilio-emulator: --%s needs a non-negative number\n", name);
        m_ok = false;
        return std::nullopt;
    }
    bool ok() const { return m_ok; }

private:
    const QCommandLineParser &m_parser;
    bool m_ok = true;
};

// The emulator's configuration from the options; nullopt after a message.
std::optional<EmulatorConfig> readConfig(const QCommandLineParser &parser, int *listenPort)
{
    EmulatorConfig config;
    if (parser.isSet(u"account-sid"_s))
        config.accountSid = parser.value(u"account-sid"_s);
    if (parser.isSet(u"auth-token"_s))
        config.authToken = parser.value(u"auth-token"_s);
    if (parser.isSet(u"workspace-sid"_s))
        config.workspaceSid = parser.value(u"workspace-sid"_s);
    NumberReader numbers(parser);
    if (const auto v = numbers.read("queues"))
        config.queueCount = decltype(config.queueCount)(*v);
    if (const auto v = numbers.read("seed"))
        config.seed = decltype(config.seed)(*v);
    if (const auto v = numbers.read("call-step-ms"))
        config.callStepInterval = std::chrono::milliseconds(*v);
    if (const auto v = numbers.read("talk-time-ms"))
        config.talkTime = std::chrono::milliseconds(*v);
    if (const auto v = numbers.read("tick-ms"); v && *v > 0)
        config.tickInterval = std::chrono::milliseconds(*v);
    if (const auto v = numbers.read("warmup-s"))
        config.warmup = std::chrono::seconds(*v);
    config.frozen = parser.isSet(u"frozen"_s);
    const auto port = numbers.read("port");
    *listenPort = port ? int(std::min<qlonglong>(*port, 65536)) : 0;
    if (!numbers.ok() || *listenPort > 65535)
        return std::nullopt;
    return config;
}

// --token TOKEN:IDENTITY[:ROLE]; false (after a message) on a malformed one.
bool addTokens(TwilioEmulator &emulator, const QStringList &specs)
{
    for (const QString &spec : specs) {
        const QStringList parts = spec.split(u':');
        if (parts.size() < 2 || parts.at(0).isEmpty() || parts.at(1).isEmpty()) {
            std::fprintf(stderr, "twilio-emulator: --token needs TOKEN:IDENTITY[:ROLE]\n");
            return false;
        }
        emulator.addToken(parts.at(0), parts.at(1), {parts.size() > 2 ? parts.at(2) : u"agent"_s});
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"twilio-emulator"_s);
    QCoreApplication::setApplicationVersion(u"" FLEX_VERSION ""_s);

    QCommandLineParser parser;
    addOptions(parser);
    parser.process(app);
    int listenPort = 0;
    const std::optional<EmulatorConfig> config = readConfig(parser, &listenPort);
    if (!config)
        return ExitUsage;

    TwilioEmulator emulator(*config);
    if (!addTokens(emulator, parser.values(u"token"_s)))
        return ExitUsage;
    if (!emulator.listen(QHostAddress::LocalHost, quint16(listenPort))) {
        std::fprintf(stderr, "twilio-emulator: cannot listen on 127.0.0.1:%d\n", listenPort);
        return ExitUnavailable;
    }
    QTextStream out(stdout);
    out << "twilio-emulator listening on " << emulator.baseUrl().toString() << Qt::endl;
    return app.exec();
}
