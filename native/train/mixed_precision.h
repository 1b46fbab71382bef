// Mixed precision (train.amp): autocast around the forward pass and a dynamic loss scale,
// what PyTorch's torch.autocast and GradScaler do. On CUDA the forward runs in float16, whose
// small range needs the scale; on the CPU it runs in bfloat16, which has float32's range and
// trains unscaled.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace vestis::train {

// Autocast on for `device` while alive (nests; the cast cache is dropped at the outermost exit).
class autocast_region {
public:
    autocast_region(torch::Device device, bool enabled);
    ~autocast_region();
    autocast_region(const autocast_region &) = delete;
    autocast_region & operator=(const autocast_region &) = delete;

private:
    bool enabled_ = false;
    at::DeviceType device_ = at::kCPU;
    bool was_enabled_ = false;
    at::ScalarType previous_dtype_ = at::kFloat;
};

struct loss_scale_options {
    double initial = 65536.0;  // 2^16, GradScaler's default
    double growth = 2.0;       // after `growth_interval` finite steps in a row
    double backoff = 0.5;      // after a step with an infinite or NaN gradient
    long long growth_interval = 2000;
};

// The dynamic loss scale. scale() the loss before backward; after the gradients are summed over
// ranks, unscale_and_check() divides them by the scale and says whether they are all finite
// (when not, skip the optimizer step); then update(). Disabled, it is the identity and always finite.
class loss_scaler {
public:
    explicit loss_scaler(bool enabled, loss_scale_options options = {});

    bool enabled() const { return enabled_; }
    torch::Tensor scale(const torch::Tensor & loss) const;
    bool unscale_and_check(const std::vector<torch::Tensor> & parameters) const;
    void update(bool gradients_finite);

    double current_scale() const { return scale_; }
    long long finite_steps_in_a_row() const { return growth_tracker_; }
    // For checkpoints: a resumed run continues with the same scale.
    void restore(double scale, long long finite_steps_in_a_row);

private:
    bool enabled_;
    loss_scale_options options_;
    double scale_;
    long long growth_tracker_ = 0;
};

}  // namespace vestis::train
