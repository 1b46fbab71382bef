// Plain status values at the shared/ boundary: the same sources build for WASM without
// C++ exceptions, so every fallible call returns what went wrong as text.
#pragma once

#include <string>
#include <utility>

namespace vestis {

class status {
public:
    status() = default;
    static status error(std::string message) { return status(std::move(message)); }

    bool ok() const { return message_.empty(); }
    explicit operator bool() const { return ok(); }
    const std::string & message() const { return message_; }

private:
    explicit status(std::string message) : message_(std::move(message)) {
        if (message_.empty()) message_ = "unknown error";
    }
    std::string message_;
};

// A value or the reason there is none.
template <typename T>
class result {
public:
    result(T value) : value_(std::move(value)) {}
    result(status failure) : status_(std::move(failure)) {}

    bool ok() const { return status_.ok(); }
    explicit operator bool() const { return ok(); }
    const status & error() const { return status_; }
    const T & value() const & { return value_; }
    T & value() & { return value_; }
    T && value() && { return std::move(value_); }

private:
    T value_{};
    status status_;
};

}  // namespace vestis
