#include "study/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace vestis::study {

std::string escape_html(const std::string & text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

namespace {

// Colour-blind-safe palette (Okabe-Ito).
const char * const palette[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"};

std::string number(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", v);
    return text;
}

struct range {
    double low = INFINITY, high = -INFINITY;
    void add(double v) {
        if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
    }
    void settle() {  // an empty or flat range still maps to the axis
        if (!std::isfinite(low)) low = 0, high = 1;
        if (high - low < 1e-12) low -= 0.5, high += 0.5;
    }
};

}  // namespace

std::string line_chart_svg(const std::vector<chart_series> & series, const chart_options & o) {
    const double left = 64, right = 170, top = 36, bottom = 48;  // room for ticks, labels and the legend
    const double plot_w = o.width - left - right, plot_h = o.height - top - bottom;
    range xs, ys;
    for (const chart_series & s : series) {
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (std::isfinite(s.y[i])) xs.add(s.x[i]), ys.add(s.y[i]);
        }
    }
    xs.settle(), ys.settle();
    const auto px = [&](double x) { return left + (x - xs.low) / (xs.high - xs.low) * plot_w; };
    const auto py = [&](double y) { return top + (1.0 - (y - ys.low) / (ys.high - ys.low)) * plot_h; };

    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << o.width << "\" height=\"" << o.height << "\" viewBox=\"0 0 " << o.width
        << " " << o.height << "\" role=\"img\" aria-label=\"" << escape_html(o.title)
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
    svg << "<title>" << escape_html(o.title) << "</title>\n";
    svg << "<text x=\"" << left << "\" y=\"20\" font-size=\"14\" font-weight=\"bold\">" << escape_html(o.title) << "</text>\n";
    for (int t = 0; t <= 4; ++t) {  // horizontal grid with y ticks
        const double v = ys.low + (ys.high - ys.low) * t / 4.0;
        svg << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << py(v) << "\" y2=\"" << py(v) << "\" stroke=\"#ddd\"/>"
            << "<text x=\"" << left - 6 << "\" y=\"" << py(v) + 4 << "\" text-anchor=\"end\">" << number(v) << "</text>\n";
    }
    const int x_ticks = static_cast<int>(std::min(8.0, xs.high - xs.low));
    for (int t = 0; t <= x_ticks; ++t) {
        const double v = xs.low + (xs.high - xs.low) * t / std::max(1, x_ticks);
        svg << "<text x=\"" << px(v) << "\" y=\"" << top + plot_h + 16 << "\" text-anchor=\"middle\">" << number(v) << "</text>\n";
    }
    svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\"" << plot_h
        << "\" fill=\"none\" stroke=\"#444\"/>\n";
    svg << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << o.height - 10 << "\" text-anchor=\"middle\">" << escape_html(o.x_label)
        << "</text>\n";
    svg << "<text transform=\"translate(16 " << top + plot_h / 2 << ") rotate(-90)\" text-anchor=\"middle\">" << escape_html(o.y_label)
        << "</text>\n";
    for (std::size_t k = 0; k < series.size(); ++k) {
        const chart_series & s = series[k];
        const char * colour = palette[k % (sizeof palette / sizeof *palette)];
        std::ostringstream points;
        for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
            if (std::isfinite(s.y[i])) points << px(s.x[i]) << "," << py(s.y[i]) << " ";
        }
        svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"6 4\"" : "")
            << " points=\"" << points.str() << "\"><title>" << escape_html(s.name) << "</title></polyline>\n";
        const double ly = top + 14 + 18.0 * static_cast<double>(k);
        svg << "<line x1=\"" << left + plot_w + 12 << "\" x2=\"" << left + plot_w + 36 << "\" y1=\"" << ly - 4 << "\" y2=\"" << ly - 4
            << "\" stroke=\"" << colour << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>"
            << "<text x=\"" << left + plot_w + 42 << "\" y=\"" << ly << "\">" << escape_html(s.name) << "</text>\n";
    }
    svg << "</svg>\n";
    return svg.str();
}

}  // namespace vestis::study
