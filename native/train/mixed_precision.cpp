#include "train/mixed_precision.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <stdexcept>

namespace vestis::train {

namespace {

// LibTorch 2.4 folded autocast's per-device functions (is_cpu_enabled, get_autocast_gpu_dtype,
// ...: all that 1.13 has) into one set taking the device type, and deprecated the old ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
bool autocast_enabled(at::DeviceType device) { return at::autocast::is_autocast_enabled(device); }
void set_autocast_enabled(at::DeviceType device, bool on) { at::autocast::set_autocast_enabled(device, on); }
at::ScalarType autocast_dtype(at::DeviceType device) { return at::autocast::get_autocast_dtype(device); }
void set_autocast_dtype(at::DeviceType device, at::ScalarType type) { at::autocast::set_autocast_dtype(device, type); }
#else
bool autocast_enabled(at::DeviceType device) { return device == at::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled(); }
void set_autocast_enabled(at::DeviceType device, bool on) {
    device == at::kCUDA ? at::autocast::set_enabled(on) : at::autocast::set_cpu_enabled(on);
}
at::ScalarType autocast_dtype(at::DeviceType device) {
    return device == at::kCUDA ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
}
void set_autocast_dtype(at::DeviceType device, at::ScalarType type) {
    device == at::kCUDA ? at::autocast::set_autocast_gpu_dtype(type) : at::autocast::set_autocast_cpu_dtype(type);
}
#endif

}  // namespace

autocast_region::autocast_region(torch::Device device, bool enabled) : enabled_(enabled), device_(device.is_cuda() ? at::kCUDA : at::kCPU) {
    if (!enabled_) return;
    was_enabled_ = autocast_enabled(device_);
    previous_dtype_ = autocast_dtype(device_);
    set_autocast_dtype(device_, device_ == at::kCUDA ? at::kHalf : at::kBFloat16);
    set_autocast_enabled(device_, true);
    at::autocast::increment_nesting();
}

autocast_region::~autocast_region() {
    if (!enabled_) return;
    // Cached casts of the weights belong to this forward pass: drop them with the last region.
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    set_autocast_enabled(device_, was_enabled_);
    set_autocast_dtype(device_, previous_dtype_);
}

loss_scaler::loss_scaler(bool enabled, loss_scale_options options)
    : enabled_(enabled), options_(options), scale_(enabled ? options.initial : 1.0) {
    if (!(options.initial > 0) || !(options.growth > 1) || !(options.backoff > 0 && options.backoff < 1) || options.growth_interval < 1) {
        throw std::invalid_argument("loss scale: expected initial > 0, growth > 1, 0 < backoff < 1 and growth_interval >= 1");
    }
}

torch::Tensor loss_scaler::scale(const torch::Tensor & loss) const { return enabled_ ? loss * scale_ : loss; }

bool loss_scaler::unscale_and_check(const std::vector<torch::Tensor> & parameters) const {
    if (!enabled_) return true;
    torch::NoGradGuard no_grad;
    const double inverse = 1.0 / scale_;
    torch::Tensor non_finite;  // one flag on the device: a single synchronisation per step
    for (const auto & p : parameters) {
        torch::Tensor grad = p.grad();
        if (!grad.defined()) continue;
        grad.mul_(inverse);
        const torch::Tensor bad = grad.isfinite().logical_not().any();
        non_finite = non_finite.defined() ? non_finite.logical_or(bad) : bad;
    }
    return !non_finite.defined() || !non_finite.item<bool>();
}

void loss_scaler::update(bool gradients_finite) {
    if (!enabled_) return;
    if (!gradients_finite) {
        scale_ *= options_.backoff;
        growth_tracker_ = 0;
    } else if (++growth_tracker_ == options_.growth_interval) {
        scale_ *= options_.growth;
        growth_tracker_ = 0;
    }
}

void loss_scaler::restore(double scale, long long finite_steps_in_a_row) {
    if (!enabled_) return;
    if (scale > 0) scale_ = scale;
    growth_tracker_ = finite_steps_in_a_row;
}

}  // namespace vestis::train
