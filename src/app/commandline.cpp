#include "app/commandline.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

namespace flex::app {

using namespace Qt::StringLiterals;

CommandLine parseCommandLine(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"Backend for the Twilio Flex outbound dialpad and realtime queue stats plugins.\n"
        "Every setting can come from the environment, an env file (./.env or --env-file)\n"
        "or the command line (which wins).\n"
        "Exit codes: 0 done, 1 failure, 64 bad command line, 78 configuration error.\n"
        "\n"
        "flex-backend check [--json] [options]: check the Twilio set-up (credentials,\n"
        "workspace, outbound workflow and its filter and queue, activities, TaskChannels,\n"
        "settings, webhook signature, EXTERNAL_HOST) with the same settings, without\n"
        "starting the service; one line per check with the fix. Exit 0 nothing failed,\n"
        "1 a check failed, 78 configuration error."_s);
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption help({u"h"_s, u"help"_s}, u"Show this help and exit."_s);
    const QCommandLineOption version({u"v"_s, u"version"_s}, u"Show the version and exit."_s);
    const QCommandLineOption dev(
        u"dev"_s, u"Dev mode: start an embedded Twilio emulator on loopback and use it; no "
                  u"account needed."_s);
    const QCommandLineOption envFile(
        u"env-file"_s,
        u"Read settings from PATH (default: ./.env when present); a missing PATH is an error."_s,
        u"PATH"_s);
    const QCommandLineOption printConfig(
        u"print-config"_s, u"Print every setting, its value (secrets masked) and where it came "
                           u"from, and the Twilio base URLs, then exit."_s);
    const QCommandLineOption json(u"json"_s,
                                  u"With check: print the report as one JSON document."_s);
    parser.addPositionalArgument(u"check"_s, u"Check the Twilio set-up and exit (see above)."_s,
                                 u"[check]"_s);
    parser.addOption(help);
    parser.addOption(version);
    parser.addOption(dev);
    parser.addOption(envFile);
    parser.addOption(printConfig);
    parser.addOption(json);

    QList<QCommandLineOption> settingOptions;
    for (const config::Setting &setting : config::settingTable()) {
        QString description = setting.help + u" [env "_s + setting.env;
        if (!setting.defaultValue.isEmpty() && !setting.secret())
            description += u", default "_s + setting.defaultValue;
        description += u']';
        settingOptions.append(QCommandLineOption(setting.option(), description, u"value"_s));
        parser.addOption(settingOptions.last());
    }

    CommandLine result;
    if (!parser.parse(arguments)) {
        result.action = CommandLine::Action::Error;
        result.text = parser.errorText() + u"\nTry --help."_s;
        return result;
    }
    const QStringList positional = parser.positionalArguments();
    const bool check = positional.value(0) == u"check"_s;
    if (positional.size() > (check ? 1 : 0)) {
        result.action = CommandLine::Action::Error;
        result.text =
            u"unexpected argument: "_s + positional.value(check ? 1 : 0) + u"\nTry --help."_s;
        return result;
    }
    if (check && parser.isSet(dev)) {
        result.action = CommandLine::Action::Error;
        result.text = u"check does not start dev mode: run the check command the dev banner "
                      u"prints\nTry --help."_s;
        return result;
    }
    if (parser.isSet(json) && !check) {
        result.action = CommandLine::Action::Error;
        result.text = u"--json goes with check\nTry --help."_s;
        return result;
    }
    if (parser.isSet(help)) {
        result.action = CommandLine::Action::Help;
        result.text = parser.helpText();
        return result;
    }
    if (parser.isSet(version)) {
        result.action = CommandLine::Action::Version;
        result.text = u"flex-backend " FLEX_VERSION ""_s;
        return result;
    }
    if (parser.isSet(printConfig))
        result.action = CommandLine::Action::PrintConfig;
    if (check)
        result.action = CommandLine::Action::Check;
    result.json = parser.isSet(json);
    result.devMode = parser.isSet(dev);
    result.envFile = parser.value(envFile);
    const QList<config::Setting> &settings = config::settingTable();
    for (qsizetype i = 0; i < settings.size(); ++i) {
        if (parser.isSet(settingOptions[i]))
            result.values.insert(settings[i].env, parser.value(settingOptions[i]));
    }
    return result;
}

} // namespace flex::app
