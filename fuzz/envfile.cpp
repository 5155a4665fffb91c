// Env files (--env-file, ./.env): parsed, then built into a configuration
// as start-up and reload do. Values are anything the file may hold.
#include "config/configloader.h"

#include <cstdint>
#include <cstdlib>

using namespace flex::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray contents(reinterpret_cast<const char *>(data), qsizetype(size));
    Values values;
    const std::optional<ConfigError> error = ConfigLoader::parseEnvFile(contents, values);
    if (error) {
        if (error->toString().isEmpty())
            std::abort();
        return 0;
    }
    const LoadResult result = ConfigLoader::build(values, false);
    if (result.ok() == result.error.has_value())
        std::abort(); // exactly one of the two
    if (result.ok())
        (void)ConfigLoader::describe(*result.config);
    return 0;
}
