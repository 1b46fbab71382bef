#include "photo_pane.h"

#include <algorithm>
#include <cfloat>
#include <cstdio>

namespace vestis::viewer {

namespace {

const ImU32 hit_colour = IM_COL32(40, 190, 70, 255);
const ImU32 miss_colour = IM_COL32(230, 55, 45, 255);
const ImU32 neutral_colour = IM_COL32(66, 120, 200, 255);
const ImU32 unjudged_colour = IM_COL32(170, 170, 170, 255);

ImU32 truth_colour(const std::optional<bool> & truth) { return !truth ? neutral_colour : *truth ? hit_colour : miss_colour; }

ImU32 rgb(const std::array<std::uint8_t, 3> & c) { return IM_COL32(c[0], c[1], c[2], 255); }

ImVec2 as_vec(point p) { return {p.x, p.y}; }

// The largest rectangle of the photo's aspect inside `area`, centred horizontally.
screen_rect fit(ImVec2 origin, ImVec2 area, int width, int height) {
    if (width <= 0 || height <= 0 || area.x <= 1 || area.y <= 1) return {};
    const float scale = std::min(area.x / static_cast<float>(width), area.y / static_cast<float>(height));
    const float w = static_cast<float>(width) * scale, h = static_cast<float>(height) * scale;
    return {origin.x + (area.x - w) / 2, origin.y, w, h};
}

// Heatmaps cover the whole network input, letterbox padding included: its edges on the photo
// are the crop's edges pushed out by the content's offset in the input.
void network_input_on_screen(const input_geometry & g, const screen_rect & r, int width, int height, ImVec2 & min, ImVec2 & max) {
    const float sx = g.scale_x(), sy = g.scale_y();
    const float x0 = static_cast<float>(g.crop.x) - static_cast<float>(g.content.x) * sx;
    const float y0 = static_cast<float>(g.crop.y) - static_cast<float>(g.content.y) * sy;
    const float to_x = r.width / static_cast<float>(width), to_y = r.height / static_cast<float>(height);
    min = {r.x + x0 * to_x, r.y + y0 * to_y};
    max = {r.x + (x0 + static_cast<float>(g.input_width) * sx) * to_x, r.y + (y0 + static_cast<float>(g.input_height) * sy) * to_y};
}

void draw_label(ImDrawList * draw, ImVec2 at, const char * text) {
    const ImVec2 size = ImGui::CalcTextSize(text);
    draw->AddRectFilled({at.x - 2, at.y - 1}, {at.x + size.x + 2, at.y + size.y + 1}, IM_COL32(0, 0, 0, 170), 3);
    draw->AddText(at, IM_COL32(255, 255, 255, 255), text);
}

void draw_overlays(ImDrawList * draw, const screen_rect & r, pane_content & c, const display_settings & s, float ui_scale) {
    const photo_analysis & a = *c.analysis;
    draw->PushClipRect({r.x, r.y}, {r.x + r.width, r.y + r.height}, true);
    const auto alpha = static_cast<unsigned>(std::clamp(s.opacity, 0.0f, 1.0f) * 255.0f);
    if (c.made && c.made->prediction) {
        ImVec2 min, max;
        network_input_on_screen(c.made->geometry, r, a.width, a.height, min, max);
        if (s.heatmap && c.heatmap && !c.heatmap->empty())
            draw->AddImage(c.heatmap->id(), min, max, {0, 0}, {1, 1}, IM_COL32(255, 255, 255, alpha));
        if (s.attention && c.attention && !c.attention->empty())
            draw->AddImage(c.attention->id(), min, max, {0, 0}, {1, 1}, IM_COL32(255, 255, 255, alpha));
    }
    draw->PopClipRect();  // markers and names may reach past the photo's edge
    const bool truth = s.truth && c.truth;
    if (truth && c.truth->bbox) {
        const box & b = *c.truth->bbox;  // edge coordinates
        const float to_x = r.width / static_cast<float>(a.width), to_y = r.height / static_cast<float>(a.height);
        draw->AddRect({r.x + b.x1 * to_x, r.y + b.y1 * to_y}, {r.x + b.x2 * to_x, r.y + b.y2 * to_y}, IM_COL32(255, 255, 255, 160), 0, 0,
                      1.5f * ui_scale);
    }
    if (c.shown) {
        const float radius = 6.0f * ui_scale;
        for (shown_landmark & l : c.shown->landmarks) l.screen = to_screen(l.position, r, a.width, a.height);
        if (truth) {  // error lines first: markers stay on top
            for (const shown_landmark & l : c.shown->landmarks) {
                if (!l.truth) continue;
                const ImU32 colour = !l.error ? unjudged_colour : *l.error < landmark_hit_error ? hit_colour : miss_colour;
                const ImVec2 t = as_vec(to_screen(*l.truth, r, a.width, a.height));
                draw->AddLine(as_vec(l.screen), t, colour, 2.0f * ui_scale);
                const float half = 4.0f * ui_scale;
                draw->AddRectFilled({t.x - half, t.y - half}, {t.x + half, t.y + half}, IM_COL32(255, 255, 255, 255));
                draw->AddRect({t.x - half, t.y - half}, {t.x + half, t.y + half}, colour, 0, 0, 2.0f * ui_scale);
            }
        }
        if (s.landmarks) {
            if (s.landmark_names) {  // labels before markers, so no label hides a marker
                char text[128];
                for (const shown_landmark & l : c.shown->landmarks) {
                    std::snprintf(text, sizeof text, "%s %.0f%%", l.name.c_str(), 100.0 * l.confidence);
                    draw_label(draw, {l.screen.x + radius + 4, l.screen.y - ImGui::GetFontSize() / 2}, text);
                }
            }
            for (const shown_landmark & l : c.shown->landmarks) {
                draw->AddCircleFilled(as_vec(l.screen), radius, rgb(l.colour), 24);
                draw->AddCircle(as_vec(l.screen), radius, IM_COL32(0, 0, 0, 255), 24, 1.5f);
            }
        }
    }
}

// A rounded tag with its probability, wrapped onto a new line when the row is full.
void draw_chip(const char * text, ImU32 background, float line_end, bool first) {
    const ImGuiStyle & style = ImGui::GetStyle();
    const ImVec2 text_size = ImGui::CalcTextSize(text);
    const ImVec2 size{text_size.x + 2 * style.FramePadding.x, text_size.y + 2 * style.FramePadding.y};
    if (!first && ImGui::GetItemRectMax().x + style.ItemSpacing.x + size.x <= line_end) ImGui::SameLine();
    const ImVec2 at = ImGui::GetCursorScreenPos();
    ImDrawList * draw = ImGui::GetWindowDrawList();
    draw->AddRectFilled(at, {at.x + size.x, at.y + size.y}, background, style.FrameRounding + 3);
    draw->AddText({at.x + style.FramePadding.x, at.y + style.FramePadding.y}, IM_COL32(255, 255, 255, 255), text);
    ImGui::Dummy(size);
}

void draw_categories(const shown_prediction & p, const ground_truth * truth) {
    if (p.categories.empty()) return;  // a tagger: tags only
    ImGui::TextDisabled("Category (top %d)", static_cast<int>(p.categories.size()));
    if (truth && !truth->category.empty() && !p.categories.empty()) {
        const bool hit = p.categories.front().truth.value_or(false);
        ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(hit ? hit_colour : miss_colour), "truth: %s (%s)", truth->category.c_str(),
                           hit ? "top-1 hit" : "top-1 missed");
    }
    char label[160];
    for (std::size_t i = 0; i < p.categories.size(); ++i) {
        const shown_tag & c = p.categories[i];
        // The true category is green; a wrong first guess red; the others neutral.
        const ImU32 colour = c.truth.value_or(false) ? hit_colour : (i == 0 && c.truth) ? miss_colour : neutral_colour;
        std::snprintf(label, sizeof label, "%s  %.1f%%", c.name.c_str(), 100.0 * c.probability);
        ImGui::PushStyleColor(ImGuiCol_PlotHistogram, colour);
        ImGui::ProgressBar(c.probability, {-FLT_MIN, 0}, label);
        ImGui::PopStyleColor();
    }
    int judged = 0, hits = 0;
    double error_sum = 0;
    for (const shown_landmark & l : p.landmarks) {
        if (!l.error) continue;
        ++judged, error_sum += *l.error;
        if (*l.error < landmark_hit_error) ++hits;
    }
    if (judged > 0) {
        ImGui::Spacing();
        ImGui::PushStyleColor(ImGuiCol_Text, hits == judged ? hit_colour : miss_colour);
        ImGui::TextWrapped("landmarks: mean error %.3f, %d of %d within %.2f", error_sum / judged, hits, judged,
                           static_cast<double>(landmark_hit_error));
        ImGui::PopStyleColor();
    }
}

void draw_attributes(const shown_prediction & p) {
    ImGui::TextDisabled("Attributes by type");
    if (p.attributes.empty()) ImGui::TextDisabled("(this model has no attribute head)");
    char label[160];
    for (const shown_attribute_group & g : p.attributes) {
        ImGui::TextUnformatted(g.type.c_str());
        const float line_end = ImGui::GetCursorScreenPos().x + ImGui::GetContentRegionAvail().x;
        if (g.tags.empty()) ImGui::TextDisabled("  nothing above the threshold");
        for (std::size_t i = 0; i < g.tags.size(); ++i) {
            std::snprintf(label, sizeof label, "%s %.0f%%", g.tags[i].name.c_str(), 100.0 * g.tags[i].probability);
            draw_chip(label, truth_colour(g.tags[i].truth), line_end, i == 0);
        }
        if (!g.missed.empty()) {
            std::string missed = "missed:";
            for (const std::string & name : g.missed) missed += " " + name;
            ImGui::PushStyleColor(ImGuiCol_Text, miss_colour);
            ImGui::TextWrapped("%s", missed.c_str());
            ImGui::PopStyleColor();
        }
    }
}

}  // namespace

screen_rect draw_pane(const char * id, ImVec2 size, pane_content & c, const display_settings & s, float ui_scale) {
    ImGui::BeginChild(id, size, true, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    ImGui::TextUnformatted(c.title.c_str());
    if (c.shown && c.made && c.made->prediction) {
        ImGui::SameLine();
        ImGui::TextDisabled("  inference %.1f ms", c.shown->time.inference_ms);
    }
    const ImVec2 available = ImGui::GetContentRegionAvail();
    const bool has_results = c.shown && c.made && c.made->prediction;
    // A wide pane puts the results beside the photo, a narrow one (two models) below it.
    const bool beside = available.x > available.y * 1.25f;
    ImVec2 photo_area = available;
    if (has_results && beside) photo_area.x = std::max(available.x * 0.6f, 80.0f);
    if (has_results && !beside) photo_area.y = std::max(available.y * 0.58f, 80.0f);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    ImDrawList * draw = ImGui::GetWindowDrawList();

    screen_rect rect;
    if (c.analysis && c.analysis->error.empty() && c.photo && !c.photo->empty()) {
        rect = fit(origin, photo_area, c.analysis->width, c.analysis->height);
        draw->AddImage(c.photo->id(), {rect.x, rect.y}, {rect.x + rect.width, rect.y + rect.height});
        draw_overlays(draw, rect, c, s, ui_scale);
    }
    if (!c.notice.empty()) {
        const float wrap = std::max(photo_area.x - 16, 50.0f);
        const ImVec2 text = ImGui::CalcTextSize(c.notice.c_str(), nullptr, false, wrap);
        const ImVec2 at{origin.x + 8, origin.y + 8};
        draw->AddRectFilled({at.x - 6, at.y - 4}, {at.x + text.x + 6, at.y + text.y + 4}, IM_COL32(20, 20, 24, 220), 4);
        draw->AddText(ImGui::GetFont(), ImGui::GetFontSize(), at, c.notice_is_error ? miss_colour : IM_COL32(230, 230, 230, 255),
                      c.notice.c_str(), nullptr, wrap);
    }
    ImGui::Dummy(photo_area);

    if (has_results) {
        c.shown->image_rect = rect;
        if (beside) ImGui::SameLine();
        ImGui::BeginChild("results", {0, 0}, false);
        if (beside) {
            draw_categories(*c.shown, s.truth ? c.truth : nullptr);
            ImGui::Spacing();
            draw_attributes(*c.shown);
        } else if (ImGui::BeginTable("results_table", 2, ImGuiTableFlags_SizingStretchSame)) {
            ImGui::TableNextColumn();
            draw_categories(*c.shown, s.truth ? c.truth : nullptr);
            ImGui::TableNextColumn();
            draw_attributes(*c.shown);
            ImGui::EndTable();
        }
        ImGui::EndChild();
    }
    ImGui::EndChild();
    return rect;
}

}  // namespace vestis::viewer
