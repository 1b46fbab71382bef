#include "train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cstdint>
#include <stdexcept>
#include <type_traits>

namespace vestis::train {

namespace fs = std::filesystem;

namespace {

constexpr char previous_last_checkpoint[] = "last.previous.pt";

// The run's progress, field by field; `visit(name, field)` sees each in the same order for
// writing and reading.
template <typename State, typename Visit>
void each_field(State & s, Visit && visit) {
    visit("epoch", s.epoch);
    visit("step_in_epoch", s.step_in_epoch);
    visit("global_step", s.global_step);
    visit("lr", s.lr);
    visit("best_val_loss", s.best_val_loss);
    visit("plateau_bad", s.plateau_bad);
    visit("plateau_cooldown", s.plateau_cooldown);
    visit("early_bad", s.early_bad);
    visit("images_in_epoch", s.images_in_epoch);
    visit("loss_scale", s.loss_scale);
    visit("loss_scale_finite_steps", s.loss_scale_finite_steps);
    visit("best_val_map", s.best_val_map);
}

// Checkpoints before the fields had names: one double tensor, read by position; those of the
// first versions stop after early_bad (8 values), or after images_in_epoch (9).
run_state from_positional_state(const torch::Tensor & state) {
    const auto v = state.accessor<double, 1>();
    const auto n = state.numel();
    run_state s;
    s.epoch = static_cast<int>(v[0]);
    s.step_in_epoch = static_cast<long long>(v[1]);
    s.global_step = static_cast<long long>(v[2]);
    s.lr = v[3];
    s.best_val_loss = v[4];
    s.plateau_bad = static_cast<int>(v[5]);
    s.plateau_cooldown = static_cast<int>(v[6]);
    s.early_bad = static_cast<int>(v[7]);
    if (n > 8) s.images_in_epoch = static_cast<long long>(v[8]);
    if (n > 10) {
        s.loss_scale = v[9];
        s.loss_scale_finite_steps = static_cast<long long>(v[10]);
    }
    return s;
}

run_state from_named_fields(torch::serialize::InputArchive & fields) {
    run_state s;
    each_field(s, [&fields](const char * name, auto & field) {
        c10::IValue value;
        if (!fields.try_read(name, value)) return;  // a field added since the checkpoint was written keeps its default
        if constexpr (std::is_same_v<std::decay_t<decltype(field)>, double>) {
            field = value.toDouble();
        } else {
            field = static_cast<std::decay_t<decltype(field)>>(value.toInt());
        }
    });
    return s;
}

// LibTorch's first line, without the C++ backtrace it appends.
std::string reason_of(const c10::Error & e) {
    const std::string text = e.what_without_backtrace();
    return text.substr(0, text.find('\n'));
}

}  // namespace

void save_checkpoint(const fs::path & path, nn::garment_network & net, torch::optim::Optimizer & optimizer, const run_state & state,
                     const std::string & config_hash) {
    torch::serialize::OutputArchive archive, model, optim, fields;
    net.save(model);
    optimizer.save(optim);
    archive.write("model", model);
    archive.write("optimizer", optim);
    each_field(state, [&fields](const char * name, const auto & field) {
        if constexpr (std::is_same_v<std::decay_t<decltype(field)>, double>) {
            fields.write(name, c10::IValue(field));
        } else {
            fields.write(name, c10::IValue(static_cast<std::int64_t>(field)));
        }
    });
    archive.write("run_state", fields);
    archive.write("rng", at::detail::getDefaultCPUGenerator().get_state());  // unused by training today; kept for exact resumes
    archive.write("config_hash", c10::IValue(config_hash));
    const std::string temporary = path.string() + ".tmp";
    archive.save_to(temporary);  // then renamed: a crash never leaves half a checkpoint
    // The checkpoint it replaces stays as the one to fall back on (resume_from_last).
    if (path.filename() == "last.pt" && fs::exists(path)) fs::rename(path, fs::path(path).replace_filename(previous_last_checkpoint));
    fs::rename(temporary, path);
}

run_state load_checkpoint(const fs::path & path, nn::garment_network & net, torch::optim::Optimizer * optimizer) {
    if (!fs::exists(path)) throw std::runtime_error(path.string() + ": no such checkpoint");
    torch::serialize::InputArchive archive;
    run_state state;
    torch::Tensor rng;
    try {
        archive.load_from(path.string());
        torch::serialize::InputArchive model;
        archive.read("model", model);
        net.load(model);
        if (optimizer) {
            torch::serialize::InputArchive optim;
            archive.read("optimizer", optim);
            optimizer->load(optim);
        }
        torch::serialize::InputArchive fields;
        if (archive.try_read("run_state", fields)) {
            state = from_named_fields(fields);
        } else {
            torch::Tensor positional;
            archive.read("state", positional);
            state = from_positional_state(positional);
        }
        archive.read("rng", rng);
    } catch (const c10::Error & e) {
        throw std::runtime_error(path.string() +
                                 ": not a readable checkpoint of this run (truncated, or not written by vestis train?): " + reason_of(e));
    }
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(rng);
    return state;
}

run_state resume_from_last(const fs::path & run, nn::garment_network & net, torch::optim::Optimizer & optimizer, std::ostream & progress) {
    const fs::path last = run / "last.pt", previous = run / previous_last_checkpoint;
    try {
        return load_checkpoint(last, net, &optimizer);
    } catch (const std::runtime_error & e) {
        if (!fs::exists(previous)) throw;
        progress << e.what() << "\nresuming from the checkpoint before it, " << previous.string() << "\n";
        try {
            return load_checkpoint(previous, net, &optimizer);
        } catch (const std::runtime_error & before) {
            throw std::runtime_error(std::string(e.what()) + "; and " + before.what());
        }
    }
}

}  // namespace vestis::train
