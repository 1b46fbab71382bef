#include "train/tensorboard.h"

#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace vestis::train {

std::uint32_t crc32c(std::string_view bytes) {
    static const auto table = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t n = 0; n < 256; ++n) {
            std::uint32_t c = n;
            for (int k = 0; k < 8; ++k) c = c & 1 ? 0x82f63b78u ^ (c >> 1) : c >> 1;  // Castagnoli polynomial
            t[n] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xffffffffu;
    for (unsigned char b : bytes) c = table[(c ^ b) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

namespace {

std::uint32_t masked(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

void varint(std::string & out, std::uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

template <typename T>
void fixed(std::string & out, T v) {
    char bytes[sizeof v];
    std::memcpy(bytes, &v, sizeof v);  // little-endian hosts, as the format wants
    out.append(bytes, sizeof v);
}

void length_delimited(std::string & out, int field, const std::string & bytes) {
    varint(out, static_cast<std::uint64_t>(field) << 3 | 2);
    varint(out, bytes.size());
    out += bytes;
}

std::string event_header(double wall_time, long long step) {
    std::string e;
    varint(e, 1 << 3 | 1);  // wall_time: double
    fixed(e, wall_time);
    varint(e, 2 << 3 | 0);  // step: int64
    varint(e, static_cast<std::uint64_t>(step));
    return e;
}

double now_seconds() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

}  // namespace

event_writer::event_writer(const std::string & folder) {
    if (folder.empty()) return;  // a writer that writes nothing (the ranks other than 0)
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    path_ = (std::filesystem::path(folder) / ("events.out.tfevents." + std::to_string(static_cast<long long>(now_seconds())) + "." + host))
                .string();
    out_.open(path_, std::ios::binary | std::ios::app);
    if (!out_) throw std::runtime_error(path_ + ": cannot write");
    std::string e = event_header(now_seconds(), 0);
    length_delimited(e, 3, "brain.Event:2");  // file_version
    record(e);
}

void event_writer::scalar(const std::string & tag, double value, long long step) {
    if (!out_.is_open()) return;
    std::string v;
    length_delimited(v, 1, tag);  // Summary.Value.tag
    varint(v, 2 << 3 | 5);        // Summary.Value.simple_value: float
    fixed(v, static_cast<float>(value));
    std::string summary;
    length_delimited(summary, 1, v);  // Summary.value
    std::string e = event_header(now_seconds(), step);
    length_delimited(e, 5, summary);  // Event.summary
    record(e);
}

void event_writer::record(const std::string & event) {
    std::string frame;
    fixed(frame, static_cast<std::uint64_t>(event.size()));
    const std::string length = frame;
    fixed(frame, masked(crc32c(length)));
    frame += event;
    fixed(frame, masked(crc32c(event)));
    out_.write(frame.data(), static_cast<std::streamsize>(frame.size()));
}

}  // namespace vestis::train
