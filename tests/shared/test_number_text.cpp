#include "vestis/number_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>

using vestis::shortest_text;

TEST(shortest_text, writes_the_shortest_decimal_that_reads_back) {
    EXPECT_EQ(shortest_text(0.1), "0.1");  // %.17g would say 0.10000000000000001
    EXPECT_EQ(shortest_text(3e-4), "0.0003");
    EXPECT_EQ(shortest_text(2.0), "2");
    EXPECT_EQ(shortest_text(-1.0), "-1");
    EXPECT_EQ(shortest_text(1e-5), "1e-05");
    EXPECT_EQ(shortest_text(1.0 / 3.0), "0.3333333333333333");   // 16 digits: the 17th is not needed
    EXPECT_EQ(shortest_text(0.1 + 0.2), "0.30000000000000004");  // 17: anything shorter reads back as 0.3
    EXPECT_EQ(shortest_text(0.485f), "0.485");                   // as a float, not the double 0.48500001430511475
    EXPECT_EQ(shortest_text(1.0f / 3.0f), "0.33333334");         // 8 digits: the float 0.3333333432... is the nearest
    EXPECT_EQ(shortest_text(std::numeric_limits<double>::infinity()), "inf");
}

TEST(shortest_text, every_text_reads_back_exactly) {
    for (double v : {1e-300, 123456789.123, 6.02214076e23, 0.229, 5e-324, std::nextafter(1.0, 2.0)}) {
        EXPECT_EQ(std::strtod(shortest_text(v).c_str(), nullptr), v) << shortest_text(v);
    }
    for (float v : {0.456f, 1e-30f, 16777217.0f, std::nextafter(1.0f, 2.0f)}) {
        EXPECT_EQ(std::strtof(shortest_text(v).c_str(), nullptr), v) << shortest_text(v);
    }
}
