// Line charts as standalone SVG text, for reports that open without a server or scripts.
#pragma once

#include <string>
#include <vector>

namespace vestis::study {

struct chart_series {
    std::string name;
    std::vector<double> x, y;  // points with a non-finite y are left out
    bool dashed = false;
};

struct chart_options {
    std::string title, x_label, y_label;
    int width = 640, height = 360;
};

std::string line_chart_svg(const std::vector<chart_series> & series, const chart_options & options);

// Escapes &, <, >, " for HTML and SVG text.
std::string escape_html(const std::string & text);

}  // namespace vestis::study
