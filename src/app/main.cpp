#include "app/application.h"
#include "app/commandline.h"
#include "check/checkcommand.h"

#include <QCoreApplication>

#include <cstdio>

using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"flex-backend"_s);
    QCoreApplication::setApplicationVersion(u"" FLEX_VERSION ""_s);

    const flex::app::CommandLine cli = flex::app::parseCommandLine(QCoreApplication::arguments());
    switch (cli.action) {
    case flex::app::CommandLine::Action::Help:
    case flex::app::CommandLine::Action::Version:
        std::fputs(cli.text.toLocal8Bit().append('\n').constData(), stdout);
        return 0;
    case flex::app::CommandLine::Action::Error: {
        const flex::app::StartupError error{flex::app::StartupError::Kind::Usage, cli.text};
        std::fputs((u"flex-backend: "_s + error.message + u'\n').toLocal8Bit().constData(), stderr);
        return error.exitCode();
    }
    case flex::app::CommandLine::Action::Check: {
        flex::config::LoadRequest request;
        request.commandLine = cli.values;
        request.envFile = cli.envFile;
        flex::check::CheckCommand command(request, cli.json);
        return command.run();
    }
    case flex::app::CommandLine::Action::Run:
    case flex::app::CommandLine::Action::PrintConfig:
        break;
    }
    flex::app::Application application(cli);
    return application.run();
}
