// One pane of the window: the photo with its overlays (heatmap, attention, landmarks, ground
// truth) and, below it, what the model says (category top-5, attribute tags by type). With
// --compare there are two panes side by side, one per model.
#pragma once

#include "displayed_state.h"
#include "gl_image.h"

#include <imgui.h>

#include <string>

namespace vestis::viewer {

struct pane_content {
    std::string title;   // the model's name, or what the pane is waiting for
    std::string notice;  // shown over the photo area: loading, an error
    bool notice_is_error = false;
    const photo_analysis * analysis = nullptr;  // null: no photo yet
    const gl_texture * photo = nullptr;
    const gl_texture * heatmap = nullptr;  // all landmark maps (max), viridis
    const gl_texture * attention = nullptr;
    const slot_prediction * made = nullptr;  // null: no model in this pane
    shown_prediction * shown = nullptr;      // filled with screen positions while drawing
    const ground_truth * truth = nullptr;
};

// `ui_scale` grows markers and spacing in presentation mode. Returns the photo's rectangle in
// window pixels (zero size when there is no photo).
screen_rect draw_pane(const char * id, ImVec2 size, pane_content & content, const display_settings & settings, float ui_scale);

}  // namespace vestis::viewer
