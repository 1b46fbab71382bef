#include "io/torch_save.h"

#include "io/atomic_file.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <variant>

namespace vestis {

std::int64_t saved_tensor::numel() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

namespace {

[[noreturn]] void fail(const std::string & path, const std::string & what) { throw std::runtime_error(path + ": " + what); }

template <typename T>
T little_endian(const unsigned char * p) {
    T v{};
    for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (static_cast<T>(p[i]) << (8 * i)));
    return v;
}

bool host_is_little_endian() {
    const std::uint32_t one = 1;
    unsigned char first;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

float read_float_bits(std::uint32_t bits) {
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

// --- zip: torch.save stores entries uncompressed -------------------------------------
struct zip_archive {
    std::string bytes;
    std::map<std::string, std::pair<std::size_t, std::size_t>> entries;  // name -> (offset, size)

    const unsigned char * byte_at(std::size_t offset) const { return reinterpret_cast<const unsigned char *>(bytes.data()) + offset; }

    void read(const std::string & path) {
        file_contents file = read_file(path);
        if (!file.problem.empty()) fail(path, file.problem);
        bytes = std::move(file.bytes);
        const std::size_t n = bytes.size();
        // The end-of-central-directory record sits in the last 22 bytes plus any comment.
        std::size_t end = std::string::npos;
        for (std::size_t back = 22; back <= n && back <= 22 + 65535; ++back) {
            if (little_endian<std::uint32_t>(byte_at(n - back)) == 0x06054b50) {
                end = n - back;
                break;
            }
        }
        if (end == std::string::npos) {
            fail(path, "not a zip archive: is it a file from torch.save (PyTorch >= 1.6), or the legacy format?");
        }
        const auto count = little_endian<std::uint16_t>(byte_at(end + 10));
        std::size_t at = little_endian<std::uint32_t>(byte_at(end + 16));
        for (int e = 0; e < count; ++e) {
            if (at + 46 > n || little_endian<std::uint32_t>(byte_at(at)) != 0x02014b50) fail(path, "damaged zip directory");
            const auto method = little_endian<std::uint16_t>(byte_at(at + 10));
            const std::size_t size = little_endian<std::uint32_t>(byte_at(at + 20));
            const std::size_t name_length = little_endian<std::uint16_t>(byte_at(at + 28));
            const std::size_t extra_length = little_endian<std::uint16_t>(byte_at(at + 30));
            const std::size_t comment_length = little_endian<std::uint16_t>(byte_at(at + 32));
            const std::size_t local = little_endian<std::uint32_t>(byte_at(at + 42));
            if (at + 46 + name_length > n) fail(path, "damaged zip directory");
            std::string name(reinterpret_cast<const char *>(byte_at(at + 46)), name_length);
            if (method != 0) fail(path, "zip entry '" + name + "' is compressed; torch.save stores entries as they are");
            if (local + 30 > n) fail(path, "damaged zip entry '" + name + "'");
            const std::size_t data =
                local + 30 + little_endian<std::uint16_t>(byte_at(local + 26)) + little_endian<std::uint16_t>(byte_at(local + 28));
            if (data + size > n) fail(path, "zip entry '" + name + "' runs past the end of the file");
            entries[name] = {data, size};
            at += 46 + name_length + extra_length + comment_length;
        }
    }

    // torch.save puts everything under one top folder whose name varies: match the suffix.
    const std::pair<std::size_t, std::size_t> * find_suffix(const std::string & suffix) const {
        for (const auto & [name, where] : entries) {
            const auto slash = name.find('/');
            if (slash != std::string::npos && name.compare(slash, std::string::npos, suffix) == 0) return &where;
        }
        return nullptr;
    }
};

// --- pickle: the opcodes torch.save (protocol 2) emits --------------------------------
struct value;
using value_ptr = std::shared_ptr<value>;
struct tensor_ref {
    std::string storage_key, storage_type;
    std::int64_t offset = 0;
    std::vector<std::int64_t> shape, stride;
};
struct value {
    enum class kind { none, boolean, integer, real, text, tuple, list, dict, global, storage, tensor, mark } k = kind::none;
    std::int64_t i = 0;
    double f = 0;
    std::string s;                 // text, global name ("module.name"), storage type
    std::vector<value_ptr> items;  // tuple, list
    std::vector<std::pair<value_ptr, value_ptr>> dict;
    tensor_ref tensor;  // tensor; storage uses storage_key/type
};

value_ptr make(value::kind k) {
    auto v = std::make_shared<value>();
    v->k = k;
    return v;
}

struct pickle_machine {
    const std::string & path;
    const unsigned char * p;
    const unsigned char * end;
    std::vector<value_ptr> stack;
    std::vector<std::size_t> marks;
    std::map<std::uint32_t, value_ptr> memo;

    void need(std::size_t n) {
        if (static_cast<std::size_t>(end - p) < n) fail(path, "data.pkl ends in the middle of an instruction");
    }
    value_ptr pop() {
        if (stack.empty()) fail(path, "data.pkl: pickle stack underflow");
        auto v = stack.back();
        stack.pop_back();
        return v;
    }
    std::vector<value_ptr> pop_to_mark() {
        if (marks.empty()) fail(path, "data.pkl: pickle mark missing");
        const std::size_t at = marks.back();
        marks.pop_back();
        // Values popped since the mark was set leave it above the stack (a fuzzed pickle did).
        if (at > stack.size()) fail(path, "data.pkl: a mark above the stack (values popped past it)");
        std::vector<value_ptr> items(stack.begin() + static_cast<std::ptrdiff_t>(at), stack.end());
        stack.resize(at);
        return items;
    }
    // APPEND and APPENDS add to the list below their values (found by the fuzzer: an APPEND on
    // an empty stack read past it).
    value & list_on_top(const char * op) {
        if (stack.empty() || stack.back()->k != value::kind::list) fail(path, std::string("data.pkl: ") + op + " outside a list");
        return *stack.back();
    }
    std::string read_line() {
        const unsigned char * nl = static_cast<const unsigned char *>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        if (!nl) fail(path, "data.pkl: unterminated GLOBAL");
        std::string line(reinterpret_cast<const char *>(p), static_cast<std::size_t>(nl - p));
        p = nl + 1;
        return line;
    }
    value_ptr integer(std::int64_t i) {
        auto v = make(value::kind::integer);
        v->i = i;
        return v;
    }
    value_ptr text(std::string s) {
        auto v = make(value::kind::text);
        v->s = std::move(s);
        return v;
    }
    static std::vector<std::int64_t> ints(const value_ptr & tuple) {
        std::vector<std::int64_t> out;
        for (const auto & item : tuple->items) out.push_back(item->i);
        return out;
    }

    value_ptr reduce(const value_ptr & callable, const value_ptr & args) {
        const std::string & name = callable->s;
        if (name == "collections.OrderedDict") return make(value::kind::dict);
        if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
            if (args->items.size() < 4 || args->items[0]->k != value::kind::storage) {
                fail(path, "data.pkl: unexpected arguments to " + name);
            }
            auto t = make(value::kind::tensor);
            t->tensor.storage_key = args->items[0]->tensor.storage_key;
            t->tensor.storage_type = args->items[0]->tensor.storage_type;
            t->tensor.offset = args->items[1]->i;
            t->tensor.shape = ints(args->items[2]);
            t->tensor.stride = ints(args->items[3]);
            return t;
        }
        fail(path, "data.pkl calls '" + name + "', which a state_dict does not contain");
    }

    value_ptr run() {
        while (true) {
            need(1);
            const unsigned char op = *p++;
            switch (op) {
                case 0x80:
                    need(1);
                    ++p;
                    break;                                                   // PROTO
                case '.': return pop();                                      // STOP
                case '}': stack.push_back(make(value::kind::dict)); break;   // EMPTY_DICT
                case ']': stack.push_back(make(value::kind::list)); break;   // EMPTY_LIST
                case ')': stack.push_back(make(value::kind::tuple)); break;  // EMPTY_TUPLE
                case '(': marks.push_back(stack.size()); break;              // MARK
                case 'N': stack.push_back(make(value::kind::none)); break;   // NONE
                case 0x88:
                case 0x89: {  // NEWTRUE, NEWFALSE
                    auto v = make(value::kind::boolean);
                    v->i = op == 0x88;
                    stack.push_back(v);
                    break;
                }
                case 'K':
                    need(1);
                    stack.push_back(integer(p[0]));
                    p += 1;
                    break;  // BININT1
                case 'M':
                    need(2);
                    stack.push_back(integer(little_endian<std::uint16_t>(p)));
                    p += 2;
                    break;
                case 'J':
                    need(4);
                    stack.push_back(integer(little_endian<std::int32_t>(p)));
                    p += 4;
                    break;
                case 0x8a: {  // LONG1
                    need(1);
                    const int n = *p++;
                    need(static_cast<std::size_t>(n));
                    std::int64_t v = 0;
                    for (int b = 0; b < n && b < 8; ++b) v |= static_cast<std::int64_t>(p[b]) << (8 * b);
                    if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v -= std::int64_t{1} << (8 * n);
                    p += n;
                    stack.push_back(integer(v));
                    break;
                }
                case 'G': {  // BINFLOAT, big-endian
                    need(8);
                    std::uint64_t bits = 0;
                    for (int b = 0; b < 8; ++b) bits = (bits << 8) | p[b];
                    p += 8;
                    auto v = make(value::kind::real);
                    std::memcpy(&v->f, &bits, sizeof bits);
                    stack.push_back(v);
                    break;
                }
                case 'X':
                case 0x8c:
                case 'U': {  // (SHORT_)BINUNICODE, SHORT_BINSTRING
                    const std::size_t width = op == 'X' ? 4 : 1;
                    need(width);
                    const std::size_t n = width == 4 ? little_endian<std::uint32_t>(p) : p[0];
                    p += width;
                    need(n);
                    stack.push_back(text(std::string(reinterpret_cast<const char *>(p), n)));
                    p += n;
                    break;
                }
                case 'q':
                    need(1);
                    memo[p[0]] = stack.empty() ? nullptr : stack.back();
                    p += 1;
                    break;  // BINPUT
                case 'r':
                    need(4);
                    memo[little_endian<std::uint32_t>(p)] = stack.empty() ? nullptr : stack.back();
                    p += 4;
                    break;
                case 'h':
                case 'j': {  // BINGET, LONG_BINGET
                    const std::size_t width = op == 'h' ? 1 : 4;
                    need(width);
                    const std::uint32_t key = width == 1 ? p[0] : little_endian<std::uint32_t>(p);
                    p += width;
                    const auto it = memo.find(key);
                    if (it == memo.end() || !it->second) fail(path, "data.pkl: memo entry missing");
                    stack.push_back(it->second);
                    break;
                }
                case 'c': {  // GLOBAL
                    const std::string module = read_line();
                    const std::string name = read_line();
                    auto v = make(value::kind::global);
                    v->s = module + "." + name;
                    stack.push_back(v);
                    break;
                }
                case 't': {
                    auto t = make(value::kind::tuple);
                    t->items = pop_to_mark();
                    stack.push_back(t);
                    break;
                }
                case 0x85:
                case 0x86:
                case 0x87: {  // TUPLE1..3
                    auto t = make(value::kind::tuple);
                    t->items.resize(op - 0x84);
                    for (auto it = t->items.rbegin(); it != t->items.rend(); ++it) *it = pop();
                    stack.push_back(t);
                    break;
                }
                case 'Q': {  // BINPERSID: storage
                    auto id = pop();
                    if (id->items.size() < 3 || id->items[0]->s != "storage") fail(path, "data.pkl: unknown persistent id");
                    auto storage = make(value::kind::storage);
                    const std::string & type = id->items[1]->s;  // "torch.FloatStorage"
                    storage->tensor.storage_type = type.substr(type.rfind('.') + 1);
                    storage->tensor.storage_key = id->items[2]->s;
                    stack.push_back(storage);
                    break;
                }
                case 'R': {
                    auto args = pop();
                    auto callable = pop();
                    stack.push_back(reduce(callable, args));
                    break;
                }
                case 'b': pop(); break;  // BUILD: OrderedDict metadata
                case 's': {              // SETITEM
                    auto v = pop();
                    auto k = pop();
                    if (stack.empty() || stack.back()->k != value::kind::dict) fail(path, "data.pkl: SETITEM outside a dict");
                    stack.back()->dict.emplace_back(k, v);
                    break;
                }
                case 'u': {  // SETITEMS
                    auto items = pop_to_mark();
                    if (stack.empty() || stack.back()->k != value::kind::dict) fail(path, "data.pkl: SETITEMS outside a dict");
                    for (std::size_t i = 0; i + 1 < items.size(); i += 2) stack.back()->dict.emplace_back(items[i], items[i + 1]);
                    break;
                }
                case 'a': {  // APPEND
                    auto v = pop();
                    list_on_top("APPEND").items.push_back(v);
                    break;
                }
                case 'e': {  // APPENDS
                    auto items = pop_to_mark();
                    value & list = list_on_top("APPENDS");
                    for (auto & v : items) list.items.push_back(v);
                    break;
                }
                default: {
                    char hex[8];
                    std::snprintf(hex, sizeof hex, "0x%02x", op);
                    fail(path, std::string("data.pkl: pickle opcode ") + hex + " is not supported");
                }
            }
        }
    }
};

float read_float(const unsigned char * p) { return read_float_bits(little_endian<std::uint32_t>(p)); }
float read_double(const unsigned char * p) {
    const std::uint64_t bits = little_endian<std::uint64_t>(p);
    double d;
    std::memcpy(&d, &bits, 8);
    return static_cast<float>(d);
}
float read_long(const unsigned char * p) { return static_cast<float>(little_endian<std::int64_t>(p)); }
float read_int(const unsigned char * p) { return static_cast<float>(little_endian<std::int32_t>(p)); }
float read_bfloat16(const unsigned char * p) { return read_float_bits(static_cast<std::uint32_t>(little_endian<std::uint16_t>(p)) << 16); }
float read_half(const unsigned char * p) {
    const std::uint16_t h = little_endian<std::uint16_t>(p);
    const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    const float sign = (h & 0x8000) ? -1.0f : 1.0f;
    if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
    if (exponent == 31) return mantissa ? NAN : sign * INFINITY;
    return sign * std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
}
float read_byte(const unsigned char * p) { return static_cast<float>(p[0]); }  // Byte, Char, Bool

// How one element of a storage type is read, found once per tensor rather than per element.
struct element_format {
    std::size_t bytes;
    float (*read)(const unsigned char *);
};

element_format format_of(const std::string & path, const std::string & type) {
    if (type == "FloatStorage") return {4, read_float};
    if (type == "DoubleStorage") return {8, read_double};
    if (type == "LongStorage") return {8, read_long};
    if (type == "IntStorage") return {4, read_int};
    if (type == "BFloat16Storage") return {2, read_bfloat16};
    if (type == "HalfStorage") return {2, read_half};
    if (type == "ByteStorage" || type == "CharStorage" || type == "BoolStorage") return {1, read_byte};
    fail(path, "tensor storage type '" + type + "' is not supported");
}

// Row-major strides (sizes of 1 may have any stride): the tensor is one run of its storage.
bool is_contiguous(const std::vector<std::int64_t> & shape, const std::vector<std::int64_t> & stride) {
    std::int64_t expected = 1;
    for (std::size_t d = shape.size(); d-- > 0;) {
        if (shape[d] != 1 && stride[d] != expected) return false;
        expected *= shape[d];
    }
    return true;
}

// The furthest element a tensor reaches: its offset plus (size - 1) * stride in each dimension.
// False for a negative offset or stride, or a reach past int64 (the pickle says what it likes).
bool furthest_element(const tensor_ref & ref, std::int64_t & furthest) {
    furthest = ref.offset;
    if (furthest < 0) return false;
    for (std::size_t d = 0; d < ref.shape.size(); ++d) {
        std::int64_t reach = 0;
        if (ref.stride[d] < 0 || __builtin_mul_overflow(ref.shape[d] - 1, ref.stride[d], &reach) ||
            __builtin_add_overflow(furthest, reach, &furthest)) {
            return false;
        }
    }
    return true;
}

// The tensor's values from its storage, whose bounds are checked once: one pass over a
// contiguous run (the usual state_dict entry; a plain copy for float32 on a little-endian
// host), else a gather through the strides (views, transposes).
void gather_values(const std::string & where, const tensor_ref & ref, const element_format & format, const unsigned char * storage,
                   std::size_t storage_bytes, std::vector<float> & values) {
    if (values.empty()) return;
    std::int64_t furthest = 0;
    if (!furthest_element(ref, furthest) || furthest >= static_cast<std::int64_t>(storage_bytes / format.bytes)) {
        fail(where, "reads outside its storage");
    }
    const unsigned char * first = storage + static_cast<std::size_t>(ref.offset) * format.bytes;
    if (is_contiguous(ref.shape, ref.stride)) {
        if (format.read == read_float && host_is_little_endian()) {
            std::memcpy(values.data(), first, values.size() * sizeof(float));
        } else {
            for (std::size_t i = 0; i < values.size(); ++i) values[i] = format.read(first + i * format.bytes);
        }
        return;
    }
    std::vector<std::int64_t> index(ref.shape.size(), 0);
    for (std::size_t i = 0; i < values.size(); ++i) {
        std::int64_t at = 0;
        for (std::size_t d = 0; d < index.size(); ++d) at += index[d] * ref.stride[d];
        values[i] = format.read(first + static_cast<std::size_t>(at) * format.bytes);
        for (std::size_t d = index.size(); d-- > 0;) {
            if (++index[d] < ref.shape[d]) break;
            index[d] = 0;
        }
    }
}

}  // namespace

std::map<std::string, saved_tensor> read_torch_save(const std::string & path) {
    zip_archive zip;
    zip.read(path);
    const auto * pickle = zip.find_suffix("/data.pkl");
    if (!pickle) fail(path, "no data.pkl inside: not a file written by torch.save");
    pickle_machine machine{path, zip.byte_at(pickle->first), zip.byte_at(pickle->first + pickle->second), {}, {}, {}};
    const value_ptr root = machine.run();
    if (root->k != value::kind::dict) fail(path, "holds no dict of tensors (is it a state_dict?)");

    std::map<std::string, saved_tensor> tensors;
    for (const auto & [key, item] : root->dict) {
        if (key->k != value::kind::text) fail(path, "a key of the dict is not a string");
        if (item->k != value::kind::tensor) continue;  // e.g. nested metadata: not a tensor
        const tensor_ref & ref = item->tensor;
        const auto * storage = zip.find_suffix("/data/" + ref.storage_key);
        if (!storage) fail(path, key->s + ": its storage data/" + ref.storage_key + " is missing");
        const element_format format = format_of(path, ref.storage_type);
        // A rebuilt tensor's shape and strides come from the pickle: check them before use.
        if (ref.stride.size() != ref.shape.size()) {
            fail(path, key->s + ": " + std::to_string(ref.shape.size()) + " sizes but " + std::to_string(ref.stride.size()) + " strides");
        }
        constexpr std::int64_t most_elements = std::int64_t{1} << 28;  // 1 GB of float32: more than any network here holds in one tensor
        std::int64_t elements = 1;
        for (const std::int64_t d : ref.shape) {
            if (d < 0 || (d > 0 && elements > most_elements / d)) fail(path, key->s + ": a size that is negative or over 2^28 elements");
            elements *= d;
        }
        saved_tensor t;
        t.shape = ref.shape;
        t.storage_type = ref.storage_type;
        t.values.resize(static_cast<std::size_t>(t.numel()));
        gather_values(path + ": " + key->s, ref, format, zip.byte_at(storage->first), storage->second, t.values);
        tensors.emplace(key->s, std::move(t));
    }
    return tensors;
}

}  // namespace vestis
