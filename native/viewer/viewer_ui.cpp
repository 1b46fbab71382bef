// The window's panels: toolbar, photo list, one pane per model, status bar; and the keys.
#include "viewer_app.h"

#include <GLFW/glfw3.h>
#include <imgui_stdlib.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;

namespace vestis::viewer {

namespace {

// "folder/photo.jpg": enough to tell photos of different categories apart in the list.
std::string short_name(const std::string & path) {
    const fs::path p(path);
    const std::string folder = p.parent_path().filename().string();
    return folder.empty() ? p.filename().string() : folder + "/" + p.filename().string();
}

#if IMGUI_VERSION_NUM >= 18700  // keys are ImGuiKey values (1.87; 1.90 removed the old way)
using key = ImGuiKey;
key named(ImGuiKey k) { return k; }
key letter(char c) { return static_cast<ImGuiKey>(ImGuiKey_A + (c - 'A')); }
const key key_f11 = ImGuiKey_F11;
#else  // 1.86 (Debian 12): the backend's key codes, GLFW's here
using key = int;
key named(ImGuiKey k) { return ImGui::GetKeyIndex(k); }
key letter(char c) { return c; }  // GLFW_KEY_A..Z are 'A'..'Z'
const key key_f11 = GLFW_KEY_F11;
#endif

bool key_pressed(key k, bool repeat = true) { return ImGui::IsKeyPressed(k, repeat); }

}  // namespace

void viewer_app::handle_keys() {
    const ImGuiIO & io = ImGui::GetIO();
    if (io.WantTextInput) return;  // typing a path: arrows move the text cursor
    if (key_pressed(named(ImGuiKey_RightArrow)) || key_pressed(named(ImGuiKey_DownArrow))) select_photo(photos_.current() + 1);
    if (key_pressed(named(ImGuiKey_LeftArrow)) || key_pressed(named(ImGuiKey_UpArrow))) select_photo(photos_.current() - 1);
    if (key_pressed(named(ImGuiKey_Home), false)) select_photo(0);
    if (key_pressed(named(ImGuiKey_End), false)) select_photo(photos_.size() - 1);
    if (key_pressed(key_f11, false)) presentation_wanted_ = !presentation_wanted_;
    if (key_pressed(named(ImGuiKey_Escape), false)) presentation_wanted_ = false;
    if (io.KeyCtrl && key_pressed(letter('S'), false)) save_requested_ = true;
    if (io.KeyCtrl || io.KeyAlt) return;
    if (key_pressed(letter('L'), false)) settings_.landmarks = !settings_.landmarks;
    if (key_pressed(letter('N'), false)) settings_.landmark_names = !settings_.landmark_names;
    if (key_pressed(letter('H'), false)) settings_.heatmap = !settings_.heatmap;
    if (key_pressed(letter('A'), false)) settings_.attention = !settings_.attention;
    if (key_pressed(letter('G'), false)) settings_.truth = !settings_.truth;
}

void viewer_app::draw_window() {
    // What the panes show, from the newest analysis and the current settings.
    for (std::size_t slot = 0; slot < slot_count; ++slot) {
        shown_[slot] = {};
        if (!analysis_ || !analysis_->models[slot]) continue;
        const ground_truth * truth = settings_.truth && analysis_->truth ? &*analysis_->truth : nullptr;
        shown_[slot] = make_shown_prediction(static_cast<int>(slot), *analysis_->models[slot], settings_, truth);
    }

    const ImGuiViewport * viewport = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(viewport->WorkPos);
    ImGui::SetNextWindowSize(viewport->WorkSize);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus |
                                   ImGuiWindowFlags_NoBackground;  // glClear paints it: one full-window blend less for software GL
    ImGui::Begin("Vestis viewer", nullptr, flags);
    draw_toolbar();
    const float status_height = ImGui::GetFrameHeightWithSpacing();
    ImGui::BeginChild("body", {0, -status_height}, false);
    if (show_list_) {
        draw_photo_list(260 * ui_scale());
        ImGui::SameLine();
    }
    draw_panes(ImGui::GetContentRegionAvail());
    ImGui::EndChild();
    draw_status_bar();
    ImGui::End();
}

void viewer_app::draw_toolbar() {
    // Only the overlays a shown model has: no landmark switch for a model without landmarks.
    const bool landmarks = models_[0].has_landmarks || models_[1].has_landmarks;
    const bool attention = models_[0].has_attention || models_[1].has_attention;
    // Outside presentation mode each switch shows its key.
    const bool keys = !settings_.presentation;
    const auto toggle = [keys](const char * name, const char * key, bool * value) {
        ImGui::Checkbox(keys ? (std::string(name) + " (" + key + ")").c_str() : name, value);
        ImGui::SameLine();
    };
    if (landmarks) {
        toggle("Landmarks", "L", &settings_.landmarks);
        if (keys) toggle("Names", "N", &settings_.landmark_names);
        toggle("Heatmap", "H", &settings_.heatmap);
    }
    if (attention) toggle("Attention", "A", &settings_.attention);
    if (settings_.presentation) {  // one line of large controls; the rest stays on the keys
        toggle("Ground truth", "G", &settings_.truth);
        if (ImGui::Button("Leave (Esc)")) presentation_wanted_ = false;
        ImGui::Separator();
        return;
    }
    if (landmarks || attention) {
        ImGui::SetNextItemWidth(120 * ui_scale());
        ImGui::SliderFloat("Opacity", &settings_.opacity, 0.0f, 1.0f, "%.2f");
        ImGui::SameLine();
    }
    toggle("Ground truth", "G", &settings_.truth);
    if (ImGui::Checkbox("Crop to the data set's box", &settings_.use_dataset_box)) request_analysis();

    ImGui::SetNextItemWidth(160 * ui_scale());
    ImGui::SliderFloat("Attribute threshold", &settings_.threshold, 0.0f, 1.0f, "%.2f");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(110 * ui_scale());
    ImGui::SliderInt("Tags per type (0: all)", &settings_.tags_per_type, 0, 20);
    ImGui::SameLine();
    if (ImGui::Button("Save view (Ctrl+S)")) save_requested_ = true;
    ImGui::SameLine();
    if (ImGui::Button(settings_.presentation ? "Leave presentation (Esc)" : "Presentation (F11)"))
        presentation_wanted_ = !presentation_wanted_;
    ImGui::SameLine();
    ImGui::Checkbox("Photo list", &show_list_);
    ImGui::Separator();
}

void viewer_app::draw_photo_list(float width) {
    ImGui::BeginChild("photo_list", {width, 0}, true);
    ImGui::Text("Photos (%d)", photos_.size());
    ImGui::SetNextItemWidth(-FLT_MIN);
    const bool entered =
        ImGui::InputTextWithHint("##path", "photo, folder or model folder", &open_path_text_, ImGuiInputTextFlags_EnterReturnsTrue);
    if ((ImGui::Button("Open") || entered) && !open_path_text_.empty()) open_path(open_path_text_, true);
    ImGui::SameLine();
    if (ImGui::Button("As model") && !open_path_text_.empty()) load_model(0, open_path_text_);
    ImGui::SameLine();
    if (ImGui::Button("Compare") && !open_path_text_.empty()) load_model(1, open_path_text_);
    if (models_[1].state != model_state::none && ImGui::Button("Close the comparison")) load_model(1, "");
    ImGui::Separator();

    ImGui::BeginChild("photo_names");
    ImGuiListClipper clipper;  // only the visible rows of a 100,000-photo folder are built
    clipper.Begin(photos_.size());
    while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            const std::string & path = photos_.paths()[static_cast<std::size_t>(i)];
            ImGui::PushID(i);
            if (ImGui::Selectable(short_name(path).c_str(), i == photos_.current())) select_photo(i);
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", path.c_str());
            ImGui::PopID();
        }
    }
    // Keep the selection in view when the arrow keys move it.
    if (list_scrolled_to_ != photos_.current() && photos_.current() >= 0) {
        const float row = ImGui::GetTextLineHeightWithSpacing();
        const float top = static_cast<float>(photos_.current()) * row;
        if (top < ImGui::GetScrollY() || top + row > ImGui::GetScrollY() + ImGui::GetWindowHeight())
            ImGui::SetScrollY(top - ImGui::GetWindowHeight() / 2);
        list_scrolled_to_ = photos_.current();
    }
    ImGui::EndChild();
    ImGui::EndChild();
}

pane_content viewer_app::pane_for(int slot) {
    const auto s = static_cast<std::size_t>(slot);
    const model_status & model = models_[s];
    pane_content c;
    c.analysis = analysis_.get();
    c.photo = &photo_texture_;
    c.heatmap = &heatmaps_[s];
    c.attention = &attention_[s];
    c.title = model.state == model_state::ready     ? model.name
              : model.state == model_state::loading ? "loading " + model.directory + " ..."
              : slot == 0                           ? "no model"
                                                    : "";
    if (analysis_ && analysis_->truth && settings_.truth) c.truth = &*analysis_->truth;
    if (analysis_ && analysis_->models[s]) {
        c.made = &*analysis_->models[s];
        c.shown = &shown_[s];
        c.title = c.made->model_name;
    }

    if (photos_.empty()) {
        c.notice = "Drop photos, folders of photos or a model folder on this window, or name them on the command line.";
    } else if (analysis_ && !analysis_->error.empty()) {
        c.notice = "Cannot show this photo: " + analysis_->error, c.notice_is_error = true;
    } else if (model.state == model_state::error) {
        c.notice = "Cannot use the model " + model.directory + ": " + model.error, c.notice_is_error = true;
    } else if (c.made && !c.made->error.empty()) {
        c.notice = c.made->model_name + " failed on this photo: " + c.made->error, c.notice_is_error = true;
    } else if (!analysis_ || analysis_->request != pending_request_) {
        c.notice = "working on " + short_name(photos_.current_path()) + " ...";
    } else if (model.state == model_state::none && slot == 0) {
        c.notice = "No model: pass --model DIR, or drop a model folder (model.onnx + card.json) here.";
    }
    return c;
}

void viewer_app::draw_panes(ImVec2 size) {
    const int panes = models_[1].state == model_state::none ? 1 : 2;
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    const ImVec2 pane_size{(size.x - spacing * static_cast<float>(panes - 1)) / static_cast<float>(panes), size.y};
    for (int slot = 0; slot < panes; ++slot) {
        if (slot > 0) ImGui::SameLine();
        pane_content content = pane_for(slot);
        const screen_rect rect = draw_pane(slot == 0 ? "pane_model" : "pane_compare", pane_size, content, settings_, ui_scale());
        if (slot == 0) photo_rect_ = rect;
    }
}

void viewer_app::draw_status_bar() {
    if (!photos_.empty()) {
        ImGui::Text("%d / %d  %s", photos_.current() + 1, photos_.size(), short_name(photos_.current_path()).c_str());
        if (analysis_ && analysis_->error.empty()) {
            ImGui::SameLine();
            ImGui::TextDisabled("%dx%d", analysis_->width, analysis_->height);
        }
        ImGui::SameLine();
    }
    ImGui::TextDisabled("%.0f frames/s", static_cast<double>(ImGui::GetIO().Framerate));
    if (!messages_.empty()) {
        ImGui::SameLine();
        const message & last = messages_.back();
        if (last.error) ImGui::TextColored({0.95f, 0.35f, 0.3f, 1.0f}, "%s", last.text.c_str());
        else ImGui::TextUnformatted(last.text.c_str());
    }
}

}  // namespace vestis::viewer
