#include "viewer_app.h"

#include "vestis/overlay.h"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;

namespace vestis::viewer {

namespace {

using clock_type = std::chrono::steady_clock;
// Taken before main() runs: "launch" in the launch-to-first-result figure.
const clock_type::time_point process_start = clock_type::now();

double milliseconds_between(clock_type::time_point from, clock_type::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}
double milliseconds_since_launch() { return milliseconds_between(process_start, clock_type::now()); }

std::string last_glfw_error;
void remember_glfw_error(int, const char * description) { last_glfw_error = description ? description : "unknown GLFW error"; }

void on_drop(GLFWwindow * window, int count, const char ** paths) {
    static_cast<viewer_app *>(glfwGetWindowUserPointer(window))->drop(count, paths);
}

double percentile(std::vector<double> values, double fraction) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1))];
}

const char * const dejavu_sans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

}  // namespace

viewer_app::viewer_app(const viewer_options & options) : options_(options) {
    settings_.threshold = options.threshold.value_or(0.0f);
    settings_.tags_per_type = options.tags_per_type;
    settings_.use_dataset_box = options.use_dataset_box;
    settings_.landmarks = options.landmarks, settings_.landmark_names = options.landmark_names;
    settings_.heatmap = options.heatmap, settings_.attention = options.attention, settings_.truth = options.truth;
    settings_.opacity = options.opacity;
}

viewer_app::~viewer_app() { close_window(); }

bool viewer_app::open_window(std::string & error) {
    glfwSetErrorCallback(remember_glfw_error);
    if (!glfwInit()) {
        error = "cannot open a window: " + last_glfw_error + " (no display? run it under xvfb-run)";
        return false;
    }
    // OpenGL 3.3 core first (Mesa's llvmpipe gives 4.5); any context the driver offers otherwise.
    const char * glsl = "#version 150";
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    window_ = glfwCreateWindow(options_.window_width, options_.window_height, "Vestis viewer", nullptr, nullptr);
    if (!window_) {
        glfwDefaultWindowHints();
        glsl = "#version 130";
        window_ = glfwCreateWindow(options_.window_width, options_.window_height, "Vestis viewer", nullptr, nullptr);
    }
    if (!window_) {
        error = "cannot create an OpenGL 3 window: " + last_glfw_error;
        return false;
    }
    glfwMakeContextCurrent(window_);
    glfwSwapInterval(options_.exits_by_itself() ? 0 : 1);
    glfwSetWindowUserPointer(window_, this);
    glfwSetDropCallback(window_, on_drop);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO & io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no imgui.ini left in the classroom's working folder
    ImGui::StyleColorsDark();
    ImGui::GetStyle().FrameRounding = 3;
    base_style_ = ImGui::GetStyle();
    // Two sizes of one font: sharp text both at the desk and on a projector.
    if (fs::exists(dejavu_sans)) {
        normal_font_ = io.Fonts->AddFontFromFileTTF(dejavu_sans, 16.0f);
        large_font_ = io.Fonts->AddFontFromFileTTF(dejavu_sans, 30.0f);
    }
    if (!normal_font_ || !large_font_) {
        ImFontConfig config;
        config.SizePixels = 13.0f;
        normal_font_ = io.Fonts->AddFontDefault(&config);
        config.SizePixels = 26.0f;
        large_font_ = io.Fonts->AddFontDefault(&config);
    }
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
    ImGui_ImplOpenGL3_Init(glsl);
    imgui_ready_ = true;
    return true;
}

void viewer_app::close_window() {
    worker_.reset();  // joins the worker: at most one inference to wait for
    if (imgui_ready_) {
        photo_texture_.reset();
        for (gl_texture & t : heatmaps_) t.reset();
        for (gl_texture & t : attention_) t.reset();
        ImGui_ImplOpenGL3_Shutdown();
        ImGui_ImplGlfw_Shutdown();
        ImGui::DestroyContext();
        imgui_ready_ = false;
    }
    if (window_) glfwDestroyWindow(window_);
    window_ = nullptr;
    glfwTerminate();  // does nothing when GLFW is not running
}

void viewer_app::add_message(bool error, const std::string & text) {
    std::fprintf(stderr, "vestis-viewer: %s\n", text.c_str());
    messages_.push_back({text, error});
    if (messages_.size() > 200) messages_.erase(messages_.begin());
}

void viewer_app::load_model(int slot, const std::string & directory) {
    model_status & m = models_[static_cast<std::size_t>(slot)];
    m = {};
    m.directory = directory;
    m.state = directory.empty() ? model_state::none : model_state::loading;
    worker_->load_model(slot, directory);
    request_analysis();  // queued after the load: the photo is shown with the new model
}

void viewer_app::request_analysis() {
    if (photos_.empty()) return;
    analysis_settings settings;
    settings.use_dataset_box = settings_.use_dataset_box;
    pending_request_ = worker_->analyse(photos_.current_path(), settings);
}

void viewer_app::select_photo(int index) {
    if (photos_.select(index)) request_analysis();
}

void viewer_app::open_path(const std::string & path, bool select_it) {
    if (is_model_folder(path)) {
        // The first model dropped is the main one; a later one is compared with it.
        load_model(models_[0].state == model_state::none ? 0 : 1, path);
        return;
    }
    std::string note;
    const int index = photos_.add(path, &note);
    if (index < 0) add_message(true, note);
    else if (select_it) select_photo(index);
}

void viewer_app::drop(int count, const char ** paths) {
    for (int i = 0; i < count; ++i) open_path(paths[i], i == 0);
}

void viewer_app::take_worker_events() {
    for (worker_event & event : worker_->take_events()) {
        if (auto * loaded = std::get_if<model_loaded>(&event)) {
            model_status & m = models_[static_cast<std::size_t>(loaded->slot)];
            if (loaded->directory != m.directory) continue;  // a newer load replaced it
            if (loaded->card) {
                m.state = model_state::ready, m.name = loaded->card->name;
                m.has_landmarks = !loaded->card->outputs.landmark_heatmaps.empty();
                m.has_attention = !loaded->card->outputs.attention.empty();
                // The page's default too: tags from the card's threshold, unless one was asked for.
                if (loaded->slot == 0 && !options_.threshold) settings_.threshold = loaded->card->threshold;
                char text[64];
                std::snprintf(text, sizeof text, " in %.0f ms", loaded->load_ms);
                add_message(false, "model " + m.name + " loaded from " + m.directory + text);
                if (loaded->slot == 0 && model_ready_ms_ == 0) model_ready_ms_ = milliseconds_since_launch();
            } else if (!m.directory.empty()) {
                m.state = model_state::error, m.error = loaded->error;
                add_message(true, "cannot use the model " + m.directory + ": " + m.error);
            }
        } else if (auto * done = std::get_if<photo_analysis>(&event)) {
            if (done->request != pending_request_) continue;  // the user has moved on
            analysis_ = std::make_unique<photo_analysis>(std::move(*done));
            upload_textures();
            if (!analysis_->error.empty()) add_message(true, analysis_->error);
            if (!analysis_->warning.empty()) add_message(true, analysis_->warning);
            if (!analysis_->truth_note.empty()) add_message(false, analysis_->truth_note);
            for (const auto & made : analysis_->models) {
                if (made && !made->error.empty()) add_message(true, made->model_name + ": " + made->error);
                if (made && made->prediction) ++analyses_done_, inference_ms_sum_ += made->prediction->time.inference_ms;
            }
        }
    }
}

void viewer_app::upload_textures() {
    const photo_analysis & a = *analysis_;
    if (a.error.empty()) photo_texture_.upload(a.display_rgb.data(), a.display_width, a.display_height, 3);
    else photo_texture_.reset();
    overlay_options colours;
    colours.opacity = 1.0f;  // the opacity slider tints the texture instead
    const auto upload_maps = [&](const runtime::output_maps & maps, gl_texture & texture) {
        texture.reset();
        if (maps.values.empty()) return;
        const std::vector<float> strongest = max_over_maps(maps.values.data(), maps.count, maps.width * maps.height);
        const image rgba = heatmap_to_rgba(strongest.data(), maps.width, maps.height, colours);
        texture.upload(rgba.data(), rgba.width(), rgba.height(), 4);
    };
    for (std::size_t slot = 0; slot < slot_count; ++slot) {
        heatmaps_[slot].reset(), attention_[slot].reset();
        const auto & made = a.models[slot];
        if (!made || !made->prediction) continue;
        upload_maps(made->prediction->outputs.heatmaps, heatmaps_[slot]);
        upload_maps(made->prediction->outputs.attention, attention_[slot]);
    }
}

bool viewer_app::settled() const {
    if (!worker_->idle()) return false;
    return photos_.empty() || (analysis_ && analysis_->request == pending_request_);
}

void viewer_app::wait_for_events() {
    // Test modes and --measure draw continuously; otherwise an idle window sleeps until
    // something happens (input, or the worker's wake-up), after a few frames to settle.
    if (options_.exits_by_itself() || quiet_frames_ < 3 || !worker_->idle()) {
        glfwPollEvents();
        ++quiet_frames_;
        return;
    }
    const double timeout = 0.5;
    const auto start = clock_type::now();
    glfwWaitEventsTimeout(timeout);
    if (milliseconds_between(start, clock_type::now()) < timeout * 1000 - 5) quiet_frames_ = 0;
}

void viewer_app::limit_frame_rate(clock_type::time_point frame_start) {
    if (options_.max_fps <= 0) return;
    std::this_thread::sleep_until(frame_start + std::chrono::microseconds(1'000'000 / options_.max_fps));
}

void viewer_app::apply_presentation(bool on) {
    settings_.presentation = on;
    ImGui::GetStyle() = base_style_;
    if (on) ImGui::GetStyle().ScaleAllSizes(ui_scale());
    GLFWmonitor * monitor = glfwGetPrimaryMonitor();
    if (on && monitor && !glfwGetWindowMonitor(window_)) {
        glfwGetWindowPos(window_, &saved_x_, &saved_y_);
        glfwGetWindowSize(window_, &saved_width_, &saved_height_);
        const GLFWvidmode * mode = glfwGetVideoMode(monitor);
        glfwSetWindowMonitor(window_, monitor, 0, 0, mode->width, mode->height, mode->refreshRate);
    } else if (!on && glfwGetWindowMonitor(window_)) {
        glfwSetWindowMonitor(window_, nullptr, saved_x_, saved_y_, saved_width_, saved_height_, 0);
    }
    show_list_ = !on;
}

void viewer_app::render_frame() {
    if (presentation_wanted_ != settings_.presentation) apply_presentation(presentation_wanted_);  // between frames
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
    ImGui::PushFont(settings_.presentation ? large_font_ : normal_font_);
    handle_keys();
    draw_window();
    ImGui::PopFont();
    ImGui::Render();
    int width = 0, height = 0;
    glfwGetFramebufferSize(window_, &width, &height);
    glViewport(0, 0, width, height);
    const ImVec4 background = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
    glClearColor(background.x, background.y, background.z, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

int viewer_app::run() {
    if (options_.measure && (options_.model.empty() || options_.inputs.empty())) {
        std::fprintf(stderr, "vestis-viewer: --measure needs --model DIR and at least one photo\n");
        return 2;
    }
    std::string error;
    if (!open_window(error)) {
        std::fprintf(stderr, "vestis-viewer: %s\n", error.c_str());
        return 1;
    }
    window_ready_ms_ = milliseconds_since_launch();
    // Software OpenGL (Mesa's llvmpipe under Xvfb, a machine without a GPU driver) draws on the
    // CPU: OpenCV DNN then leaves it one core, so the window stays smooth while a model runs.
    const auto * renderer = reinterpret_cast<const char *>(glGetString(GL_RENDERER));
    renderer_ = renderer ? renderer : "unknown";
    const bool software = renderer_.find("llvmpipe") != std::string::npos || renderer_.find("softpipe") != std::string::npos ||
                          renderer_.find("SwiftShader") != std::string::npos;
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    worker_ = std::make_unique<inference_worker>([] { glfwPostEmptyEvent(); }, software ? std::max(1, cores - 1) : 0);
    if (!options_.model.empty()) load_model(0, options_.model);
    if (!options_.compare.empty()) load_model(1, options_.compare);
    for (const std::string & input : options_.inputs) open_path(input, false);
    request_analysis();
    presentation_wanted_ = options_.presentation;

    while (!glfwWindowShouldClose(window_)) {
        const auto frame_start = clock_type::now();
        wait_for_events();
        const auto work_start = clock_type::now();
        take_worker_events();
        render_frame();
        int width = 0, height = 0;
        glfwGetFramebufferSize(window_, &width, &height);
        if (save_requested_) save_view(width, height), save_requested_ = false;
        const bool done = test_modes_done(width, height);
        glfwSwapBuffers(window_);
        if (measuring_) {
            frame_work_ms_.push_back(milliseconds_between(work_start, clock_type::now()));
            frame_intervals_ms_.push_back(milliseconds_between(last_frame_start_, frame_start));
        }
        last_frame_start_ = frame_start;
        if (done) break;
        limit_frame_rate(frame_start);
    }
    close_window();
    return exit_code_;
}

bool viewer_app::test_modes_done(int width, int height) {
    if (!options_.exits_by_itself()) return false;
    const bool ready = settled();
    if (options_.measure) return measure_done(ready);
    const bool timed_out = milliseconds_since_launch() > options_.settle_timeout_seconds * 1000;
    if (ready) ++settled_frames_;
    else settled_frames_ = 0;
    if (!timed_out && settled_frames_ < options_.frames) return false;
    if (timed_out) {
        add_message(true, "gave up waiting for the results after " + std::to_string(options_.settle_timeout_seconds) + " s");
        exit_code_ = 1;
    }
    if (!options_.screenshot.empty()) {
        const std::string problem = save_framebuffer_png(options_.screenshot, width, height);
        if (!problem.empty()) std::fprintf(stderr, "vestis-viewer: %s\n", problem.c_str()), exit_code_ = 1;
    }
    if (!options_.dump_state.empty()) {
        std::ofstream out(options_.dump_state);
        out << snapshot_json(snapshot(width, height));
        if (!out) std::fprintf(stderr, "vestis-viewer: %s: cannot write the state\n", options_.dump_state.c_str()), exit_code_ = 1;
    }
    return true;
}

bool viewer_app::measure_done(bool ready) {
    if (!measuring_) {
        if (!ready) return false;
        const bool has_result = analysis_ && analysis_->models[0] && analysis_->models[0]->prediction;
        if (!has_result) {
            std::fprintf(stderr, "vestis-viewer: --measure: no result to measure (see the messages above)\n");
            exit_code_ = 1;
            return true;
        }
        first_result_ms_ = milliseconds_since_launch();
        const runtime::timings & t = analysis_->models[0]->prediction->time;
        std::printf("measure: OpenGL renderer %s\n", renderer_.c_str());
        std::printf(
            "measure: window open %.0f ms after launch, model loaded at %.0f ms, first result on screen at %.0f ms "
            "(decode %.1f ms, inference %.1f ms)\n",
            window_ready_ms_, model_ready_ms_, first_result_ms_, t.decode_ms, t.inference_ms);
        std::fflush(stdout);
        measuring_ = true;
        measure_start_ = clock_type::now();
        analyses_done_ = 0, inference_ms_sum_ = 0;
        return false;
    }
    // Keep the model busy: the next photo as soon as the previous one is done.
    if (worker_->idle()) {
        if (photos_.size() > 1) photos_.select((photos_.current() + 1) % photos_.size());
        request_analysis();
    }
    const double elapsed = milliseconds_between(measure_start_, clock_type::now());
    if (elapsed < options_.measure_seconds * 1000) return false;
    const double frames = static_cast<double>(frame_intervals_ms_.size());
    std::printf(
        "measure: %.1f s with the model running: %d inferences (mean %.1f ms), %.1f frames/s "
        "(frame interval median %.1f ms, p95 %.1f ms, max %.1f ms; frame work median %.1f ms, p95 %.1f ms; cap %d fps)\n",
        elapsed / 1000, analyses_done_, analyses_done_ ? inference_ms_sum_ / analyses_done_ : 0.0, frames * 1000 / elapsed,
        percentile(frame_intervals_ms_, 0.5), percentile(frame_intervals_ms_, 0.95), percentile(frame_intervals_ms_, 1.0),
        percentile(frame_work_ms_, 0.5), percentile(frame_work_ms_, 0.95), options_.max_fps);
    std::fflush(stdout);
    return true;
}

screen_snapshot viewer_app::snapshot(int width, int height) const {
    screen_snapshot s;
    // Window pixels -> framebuffer pixels (1:1 except on high-DPI screens).
    const ImVec2 scale = ImGui::GetIO().DisplayFramebufferScale;
    const auto scaled = [&](screen_rect r) { return screen_rect{r.x * scale.x, r.y * scale.y, r.width * scale.x, r.height * scale.y}; };
    s.photo = photos_.current_path();
    s.photo_index = photos_.current(), s.photo_count = photos_.size();
    s.models = models_;
    s.settings = settings_;
    s.photo_rect = scaled(photo_rect_);
    s.messages.reserve(messages_.size());
    for (const message & m : messages_) s.messages.push_back(m.text);
    s.framebuffer_width = width, s.framebuffer_height = height;
    if (analysis_) {
        s.width = analysis_->width, s.height = analysis_->height;
        s.photo_error = analysis_->error;
        s.truth = analysis_->truth ? &*analysis_->truth : nullptr;
        s.truth_note = analysis_->truth_note;
        for (std::size_t slot = 0; slot < slot_count; ++slot) {
            if (!analysis_->models[slot]) continue;
            shown_prediction p = shown_[slot];
            p.image_rect = scaled(p.image_rect);
            for (shown_landmark & l : p.landmarks) l.screen = {l.screen.x * scale.x, l.screen.y * scale.y};
            s.predictions.push_back(std::move(p));
        }
    }
    return s;
}

void viewer_app::save_view(int width, int height) {
    const std::string stem = photos_.empty() ? "view" : fs::path(photos_.current_path()).stem().string();
    char stamp[32];
    const std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
    fs::path path = fs::path(options_.save_dir) / ("vestis-" + stem + "-" + stamp + ".png");
    for (int n = 2; fs::exists(path); ++n)
        path = fs::path(options_.save_dir) / ("vestis-" + stem + "-" + stamp + "-" + std::to_string(n) + ".png");
    const std::string problem = save_framebuffer_png(path.string(), width, height);
    add_message(!problem.empty(), problem.empty() ? "saved the view as " + path.string() : problem);
}

int run_viewer(const viewer_options & options) {
    viewer_app app(options);
    return app.run();
}

}  // namespace vestis::viewer
