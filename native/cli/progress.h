// A one-line progress bar on stderr for long work: "label [#####     ] 500/2000 12 s".
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace vestis::cli {

class progress_bar {
public:
    explicit progress_bar(std::string label) : label_(std::move(label)), start_(std::chrono::steady_clock::now()) {}

    void operator()(int done, int total) {
        done = done < 0 ? 0 : done > total ? total : done;
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - last_ < std::chrono::milliseconds(100)) return;  // redraw at most 10 times a second
        last_ = now;
        constexpr int width = 30;
        const int filled = total > 0 ? done * width / total : width;
        const double seconds = std::chrono::duration<double>(now - start_).count();
        std::fprintf(stderr, "\r%s [%s%s] %d/%d %.0f s", label_.c_str(), std::string(filled, '#').c_str(),
                     std::string(width - filled, ' ').c_str(), done, total, seconds);
        if (done >= total) std::fprintf(stderr, "\n");
        std::fflush(stderr);
    }

private:
    std::string label_;
    std::chrono::steady_clock::time_point start_, last_{};
};

}  // namespace vestis::cli
