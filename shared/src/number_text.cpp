#include "vestis/number_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vestis {

namespace {

// %g at rising precision until the text reads back equal: 6 digits covers most values, 9 every
// float, 17 every double. Infinities and NaN have no shorter text than printf's own.
template <typename T, typename Read>
std::string shortest(T value, int most_digits, Read read_back) {
    char text[40];
    for (int precision = 6; precision <= most_digits; ++precision) {
        std::snprintf(text, sizeof text, "%.*g", precision, static_cast<double>(value));
        if (!std::isfinite(value) || read_back(text) == value) break;
    }
    return text;
}

}  // namespace

std::string shortest_text(double value) {
    return shortest(value, 17, [](const char * text) { return std::strtod(text, nullptr); });
}

std::string shortest_text(float value) {
    return shortest(value, 9, [](const char * text) { return std::strtof(text, nullptr); });
}

}  // namespace vestis
