// Numbers as the shortest decimal text that reads back as the same value: 0.1 is written "0.1",
// not "0.10000000000000001", and nothing is lost. One formatter for configs, cards and messages.
#pragma once

#include <string>

namespace vestis {

std::string shortest_text(double value);
std::string shortest_text(float value);  // reads back as the same float: 0.485f is "0.485"

}  // namespace vestis
