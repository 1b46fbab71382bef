// `vestis model info`: the layer table of a network with parameter counts and the output
// shape of each stage, for a person deciding what to train.
#pragma once

#include "nn/network_config.h"

#include <string>

namespace vestis::nn {

std::string describe_network(const network_config & config);

}  // namespace vestis::nn
