// Scalars in TensorBoard's event-file format, as torch.utils.tensorboard's SummaryWriter
// writes them: TFRecord framing (length, masked CRC-32C, bytes, masked CRC-32C) around
// hand-encoded `Event` protocol buffers. No TensorFlow or protobuf library needed.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

namespace vestis::train {

std::uint32_t crc32c(std::string_view bytes);

class event_writer {
public:
    // Creates FOLDER/events.out.tfevents.<seconds>.<host>; an empty FOLDER writes nothing.
    explicit event_writer(const std::string & folder);
    void scalar(const std::string & tag, double value, long long step);
    void flush() { out_.flush(); }
    const std::string & path() const { return path_; }

private:
    void record(const std::string & event);
    std::string path_;
    std::ofstream out_;
};

}  // namespace vestis::train
