#include "app/commandline.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <optional>

namespace flex::app {

using namespace Qt::StringLiterals;

namespace {

const QString Description =
    u"Backend for the Twilio Flex outbound dialpad and realtime queue stats plugins.\n"
    "Every setting can come from the environment, an env file (./.env or --env-file)\n"
    "or the command line (which wins).\n"
    "Exit codes: 0 done, 1 failure, 64 bad command line, 78 configuration error.\n"
    "\n"
    "flex-backend check [--json] [options]: check the Twilio set-up (credentials,\n"
    "workspace, outbound workflow and its filter and queue, activities, TaskChannels,\n"
    "settings, webhook signature, EXTERNAL_HOST) with the same settings, without\n"
    "starting the service; one line per check with the fix. Exit 0 nothing failed,\n"
    "1 a check failed, 78 configuration error."_s;

// The options of the command line; settings: one per row of the settings
// table, in its order.
struct Options
{
    QCommandLineOption help{{u"h"_s, u"help"_s}, u"Show this help and exit."_s};
    QCommandLineOption version{{u"v"_s, u"version"_s}, u"Show the version and exit."_s};
    QCommandLineOption dev{u"dev"_s, u"Dev mode: start an embedded Twilio emulator on loopback "
                                     u"and use it; no account needed."_s};
    QCommandLineOption envFile{
        u"env-file"_s,
        u"Read settings from PATH (default: ./.env when present); a missing PATH is an error."_s,
        u"PATH"_s};
    QCommandLineOption printConfig{
        u"print-config"_s, u"Print every setting, its value (secrets masked) and where it came "
                           u"from, and the Twilio base URLs, then exit."_s};
    QCommandLineOption json{u"json"_s, u"With check: print the report as one JSON document."_s};
    QList<QCommandLineOption> settings;

    void addTo(QCommandLineParser &parser)
    {
        parser.addPositionalArgument(u"check"_s, u"Check the Twilio set-up and exit (see above)."_s,
                                     u"[check]"_s);
        for (const QCommandLineOption &option : {help, version, dev, envFile, printConfig, json})
            parser.addOption(option);
        for (const config::Setting &setting : config::settingTable()) {
            QString description = setting.help + u" [env "_s + setting.env;
            if (!setting.defaultValue.isEmpty() && !setting.secret())
                description += u", default "_s + setting.defaultValue;
            description += u']';
            settings.append(QCommandLineOption(setting.option(), description, u"value"_s));
            parser.addOption(settings.last());
        }
    }
};

// What is wrong with a parsed command line, if anything.
std::optional<QString> usageError(const QCommandLineParser &parser, const Options &options)
{
    const QStringList positional = parser.positionalArguments();
    const bool check = positional.value(0) == u"check"_s;
    if (positional.size() > (check ? 1 : 0))
        return u"unexpected argument: "_s + positional.value(check ? 1 : 0);
    if (check && parser.isSet(options.dev))
        return u"check does not start dev mode: run the check command the dev banner prints"_s;
    if (parser.isSet(options.json) && !check)
        return u"--json goes with check"_s;
    return std::nullopt;
}

CommandLine withText(CommandLine::Action action, const QString &text)
{
    CommandLine result;
    result.action = action;
    result.text = text;
    return result;
}

} // namespace

CommandLine parseCommandLine(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(Description);
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    Options options;
    options.addTo(parser);

    if (!parser.parse(arguments))
        return withText(CommandLine::Action::Error, parser.errorText() + u"\nTry --help."_s);
    if (const std::optional<QString> error = usageError(parser, options))
        return withText(CommandLine::Action::Error, *error + u"\nTry --help."_s);
    if (parser.isSet(options.help))
        return withText(CommandLine::Action::Help, parser.helpText());
    if (parser.isSet(options.version))
        return withText(CommandLine::Action::Version, u"flex-backend " FLEX_VERSION ""_s);

    CommandLine result;
    if (parser.isSet(options.printConfig))
        result.action = CommandLine::Action::PrintConfig;
    if (parser.positionalArguments().value(0) == u"check"_s)
        result.action = CommandLine::Action::Check;
    result.json = parser.isSet(options.json);
    result.devMode = parser.isSet(options.dev);
    result.envFile = parser.value(options.envFile);
    const QList<config::Setting> &settings = config::settingTable();
    for (qsizetype i = 0; i < settings.size(); ++i) {
        if (parser.isSet(options.settings[i]))
            result.values.insert(settings[i].env, parser.value(options.settings[i]));
    }
    return result;
}

} // namespace flex::app
