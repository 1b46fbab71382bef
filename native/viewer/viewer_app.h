// The viewer's window and its state: GLFW + Dear ImGui's GLFW/OpenGL3 backends, the photo list,
// the models, the latest analysis and the textures made from it. viewer_app.cpp holds the
// frame loop, worker events and test modes; viewer_ui.cpp draws the window's panels.
#pragma once

#include "displayed_state.h"
#include "gl_image.h"
#include "inference_worker.h"
#include "photo_list.h"
#include "photo_pane.h"
#include "viewer_options.h"

#include <imgui.h>

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

struct GLFWwindow;

namespace vestis::viewer {

class viewer_app {
public:
    explicit viewer_app(const viewer_options & options);
    ~viewer_app();
    viewer_app(const viewer_app &) = delete;
    viewer_app & operator=(const viewer_app &) = delete;

    int run();
    // Files and folders dropped on the window (GLFW callback).
    void drop(int count, const char ** paths);

private:
    using clock_type = std::chrono::steady_clock;
    struct message {
        std::string text;
        bool error = false;
    };

    // viewer_app.cpp: window, loop, worker, test modes.
    bool open_window(std::string & error);
    void close_window();
    void wait_for_events();
    void take_worker_events();
    void upload_textures();
    void render_frame();
    bool test_modes_done(int framebuffer_width, int framebuffer_height);
    bool measure_done(bool settled);
    bool settled() const;
    void limit_frame_rate(clock_type::time_point frame_start);
    screen_snapshot snapshot(int framebuffer_width, int framebuffer_height) const;
    void save_view(int framebuffer_width, int framebuffer_height);

    // Actions (viewer_ui.cpp and drops).
    void open_path(const std::string & path, bool select_it);
    void load_model(int slot, const std::string & directory);
    void select_photo(int index);
    void request_analysis();
    void apply_presentation(bool on);
    void add_message(bool error, const std::string & text);

    // viewer_ui.cpp: the panels.
    void handle_keys();
    void draw_window();
    void draw_toolbar();
    void draw_photo_list(float width);
    void draw_panes(ImVec2 size);
    void draw_status_bar();
    pane_content pane_for(int slot);
    float ui_scale() const { return settings_.presentation ? 1.9f : 1.0f; }

    viewer_options options_;
    display_settings settings_;
    GLFWwindow * window_ = nullptr;
    bool imgui_ready_ = false;
    ImFont * normal_font_ = nullptr;
    ImFont * large_font_ = nullptr;
    ImGuiStyle base_style_;
    int saved_x_ = 0, saved_y_ = 0, saved_width_ = 0, saved_height_ = 0;  // window before full screen
    bool presentation_wanted_ = false, show_list_ = true, save_requested_ = false;
    std::string open_path_text_;
    std::string renderer_;       // GL_RENDERER
    int list_scrolled_to_ = -1;  // the photo the list last scrolled to

    std::unique_ptr<inference_worker> worker_;
    std::array<model_status, slot_count> models_;
    photo_list photos_;
    long long pending_request_ = 0;
    std::unique_ptr<photo_analysis> analysis_;  // the newest result for the current request
    gl_texture photo_texture_;
    std::array<gl_texture, slot_count> heatmaps_, attention_;
    std::array<shown_prediction, slot_count> shown_;  // rebuilt every frame from analysis_ + settings_
    screen_rect photo_rect_;
    std::vector<message> messages_;

    // Test modes and --measure.
    int exit_code_ = 0;
    int settled_frames_ = 0;
    int quiet_frames_ = 0;
    bool measuring_ = false;
    double window_ready_ms_ = 0, model_ready_ms_ = 0, first_result_ms_ = 0;
    clock_type::time_point measure_start_, last_frame_start_;
    std::vector<double> frame_intervals_ms_, frame_work_ms_;
    int analyses_done_ = 0;
    double inference_ms_sum_ = 0;
};

}  // namespace vestis::viewer
