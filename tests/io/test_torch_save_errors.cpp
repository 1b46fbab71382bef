// read_torch_save on hand-made files: a zip of stored entries around a pickle written opcode by
// opcode, as torch.save lays them out, so each malformed case is exactly the one named.
#include "io/torch_save.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace {

void put_le(std::string & out, std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

// A zip archive of stored (uncompressed) entries; the reader checks no CRC, so it is left 0.
std::string zip_of(const std::vector<std::pair<std::string, std::string>> & entries) {
    std::string out, directory;
    for (const auto & [name, data] : entries) {
        const std::size_t local = out.size();
        put_le(out, 0x04034b50, 4), put_le(out, 20, 2), put_le(out, 0, 2), put_le(out, 0, 2);  // version, flags, stored
        put_le(out, 0, 4), put_le(out, 0, 4);                                                  // time/date, CRC
        put_le(out, data.size(), 4), put_le(out, data.size(), 4), put_le(out, name.size(), 2), put_le(out, 0, 2);
        out += name + data;
        put_le(directory, 0x02014b50, 4), put_le(directory, 20, 2), put_le(directory, 20, 2), put_le(directory, 0, 2);
        put_le(directory, 0, 2), put_le(directory, 0, 4), put_le(directory, 0, 4);  // stored, time/date, CRC
        put_le(directory, data.size(), 4), put_le(directory, data.size(), 4), put_le(directory, name.size(), 2);
        put_le(directory, 0, 2), put_le(directory, 0, 2), put_le(directory, 0, 2), put_le(directory, 0, 2);
        put_le(directory, 0, 4), put_le(directory, local, 4);
        directory += name;
    }
    const std::size_t directory_at = out.size();
    out += directory;
    put_le(out, 0x06054b50, 4), put_le(out, 0, 2), put_le(out, 0, 2), put_le(out, entries.size(), 2), put_le(out, entries.size(), 2);
    put_le(out, directory.size(), 4), put_le(out, directory_at, 4), put_le(out, 0, 2);
    return out;
}

// Pickle protocol 2, the opcodes torch.save writes for a state_dict.
std::string text(const std::string & s) {  // BINUNICODE
    std::string out = "X";
    put_le(out, s.size(), 4);
    return out + s;
}
std::string small_int(int v) { return "K" + std::string(1, static_cast<char>(v)); }  // BININT1
std::string tuple_of(const std::vector<int> & values) {
    std::string out = "(";
    for (int v : values) out += small_int(v);
    return out + "t";
}

std::string long1(std::int64_t v) {  // LONG1, 8 bytes of two's complement
    std::string out = "\x8a\x08";
    put_le(out, static_cast<std::uint64_t>(v), 8);
    return out;
}

// {"w": _rebuild_tensor_v2(storage "0" of 4 floats, offset 0, sizes, strides, False, OrderedDict())},
// sizes and strides as pickled tuples.
std::string state_dict_pickle_of(const std::string & sizes, const std::string & strides) {
    return std::string("\x80\x02}") + text("w") + "ctorch._utils\n_rebuild_tensor_v2\n(" + "(" + text("storage") +
           "ctorch\nFloatStorage\n" + text("0") + text("cpu") + small_int(4) + "tQ" + small_int(0) + sizes + strides + "\x89" +
           "ccollections\nOrderedDict\n)R" + "tRs.";
}
std::string state_dict_pickle(const std::vector<int> & sizes, const std::vector<int> & strides) {
    return state_dict_pickle_of(tuple_of(sizes), tuple_of(strides));
}

std::string four_floats() {
    std::string out;
    for (float f : {1.0f, 2.0f, 3.0f, 4.0f}) out.append(reinterpret_cast<const char *>(&f), sizeof f);
    return out;
}

std::string written(const std::string & name, const std::string & bytes) {
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

std::string error_of(const std::string & path) {
    try {
        vestis::read_torch_save(path);
    } catch (const std::runtime_error & e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST(torch_save_errors, the_hand_made_file_reads_as_torch_would) {
    const std::string path =
        written("good.pth", zip_of({{"archive/data.pkl", state_dict_pickle({2, 2}, {1, 2})}, {"archive/data/0", four_floats()}}));
    const auto tensors = vestis::read_torch_save(path);
    ASSERT_EQ(tensors.size(), 1u);
    const vestis::saved_tensor & w = tensors.at("w");
    ASSERT_EQ(w.shape, (std::vector<std::int64_t>{2, 2}));
    // Strides (1, 2): column-major, so row 0 is storage[0], storage[2].
    EXPECT_EQ(w.values, (std::vector<float>{1, 3, 2, 4}));
}

TEST(torch_save_errors, fewer_strides_than_sizes_is_named) {
    // Found by the torch_save fuzzer: the reader indexed past its stride vector.
    const std::string path =
        written("strides.pth", zip_of({{"archive/data.pkl", state_dict_pickle({2, 2}, {1})}, {"archive/data/0", four_floats()}}));
    EXPECT_EQ(error_of(path), path + ": w: 2 sizes but 1 strides");
}

TEST(torch_save_errors, a_mark_left_above_the_stack_is_named) {
    // Found by the torch_save fuzzer: MARK, then BUILD popping past it, then TUPLE gave a negative range.
    const std::string pickle = std::string("\x80\x02") + small_int(1) + small_int(2) + "(" + "b" + "t.";
    const std::string path = written("mark.pth", zip_of({{"archive/data.pkl", pickle}}));
    EXPECT_EQ(error_of(path), path + ": data.pkl: a mark above the stack (values popped past it)");
}

TEST(torch_save_errors, an_append_without_a_list_is_named) {
    // Found by the torch_save fuzzer: APPEND with nothing left under its value read past the stack.
    const std::string pickle = std::string("\x80\x02") + small_int(1) + "a.";
    const std::string path = written("append.pth", zip_of({{"archive/data.pkl", pickle}}));
    EXPECT_EQ(error_of(path), path + ": data.pkl: APPEND outside a list");
    const std::string appends = std::string("\x80\x02") + small_int(1) + "(" + small_int(2) + "e.";
    const std::string path2 = written("appends.pth", zip_of({{"archive/data.pkl", appends}}));
    EXPECT_EQ(error_of(path2), path2 + ": data.pkl: APPENDS outside a list");
}

TEST(torch_save_errors, a_storage_too_small_for_the_shape_is_named) {
    const std::string path =
        written("small.pth", zip_of({{"archive/data.pkl", state_dict_pickle({3, 2}, {2, 1})}, {"archive/data/0", four_floats()}}));
    EXPECT_EQ(error_of(path), path + ": w: reads outside its storage");
}

TEST(torch_save_errors, a_strided_view_past_its_storage_is_named) {
    // Sizes [2, 2] with strides [1, 3] reach element 1 + 3 = 4 of a storage of 4: one too far.
    const std::string path =
        written("view.pth", zip_of({{"archive/data.pkl", state_dict_pickle({2, 2}, {1, 3})}, {"archive/data/0", four_floats()}}));
    EXPECT_EQ(error_of(path), path + ": w: reads outside its storage");
}

TEST(torch_save_errors, a_negative_or_overflowing_stride_is_outside_the_storage) {
    const std::string negative =
        written("negative.pth", zip_of({{"archive/data.pkl", state_dict_pickle_of(tuple_of({2, 2}), "(" + small_int(1) + long1(-1) + "t")},
                                        {"archive/data/0", four_floats()}}));
    EXPECT_EQ(error_of(negative), negative + ": w: reads outside its storage");
    // 2 * 2^62 is past int64: the reach must not wrap round to a small number.
    const std::string huge =
        written("huge.pth", zip_of({{"archive/data.pkl", state_dict_pickle_of(tuple_of({3}), "(" + long1(std::int64_t{1} << 62) + "t")},
                                    {"archive/data/0", four_floats()}}));
    EXPECT_EQ(error_of(huge), huge + ": w: reads outside its storage");
}

TEST(torch_save_errors, a_missing_file_and_a_folder_are_named) {
    EXPECT_EQ(error_of("/nonexistent/weights.pth"), "/nonexistent/weights.pth: no such file");
    EXPECT_EQ(error_of(::testing::TempDir()), ::testing::TempDir() + ": is a folder, not a file");
}
