// The training config reader (YAML through yaml-cpp): a config or a config_error naming the key.
#include "fuzz_support.h"
#include "train/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size) {
    try {
        const vestis::train::train_config config =
            vestis::train::load_config(std::string(vestis::fuzz::text_of(data, size)), "config.yaml", {});
        // The resolved config, written out, reads back (export and --resume rely on it).
        vestis::train::load_config(vestis::train::to_yaml(config), "written.yaml", {});
    } catch (const vestis::train::config_error &) {}
    return 0;
}
