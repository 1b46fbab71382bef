// The model card reader (shared/): any bytes give a card or a status naming the field.
#include "fuzz_support.h"
#include "vestis/model_card.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t * data, std::size_t size) {
    const auto card = vestis::parse_model_card(vestis::fuzz::text_of(data, size), "card.json");
    if (card.ok()) {
        // What it reads, it writes back in a form it reads again.
        const auto again = vestis::parse_model_card(vestis::to_json(card.value()), "written.json");
        if (!again.ok()) __builtin_trap();
    }
    return 0;
}
