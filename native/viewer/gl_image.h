// Pixels to and from OpenGL: textures for the photo and its overlays, and the framebuffer
// read back for "Save view" and --screenshot.
#pragma once

#include <imgui.h>

#include <cstdint>
#include <string>

namespace vestis::viewer {

// One RGB or RGBA texture, deleted with the object. Needs the window's GL context.
class gl_texture {
public:
    gl_texture() = default;
    ~gl_texture() { reset(); }
    gl_texture(gl_texture && other) noexcept { *this = std::move(other); }
    gl_texture & operator=(gl_texture && other) noexcept;
    gl_texture(const gl_texture &) = delete;
    gl_texture & operator=(const gl_texture &) = delete;

    // `channels` is 3 (RGB) or 4 (RGBA); rows are tightly packed, top row first.
    void upload(const std::uint8_t * pixels, int width, int height, int channels);
    void reset();

    bool empty() const { return name_ == 0; }
    ImTextureID id() const { return reinterpret_cast<ImTextureID>(static_cast<std::uintptr_t>(name_)); }
    int width() const { return width_; }
    int height() const { return height_; }

private:
    unsigned name_ = 0;
    int width_ = 0, height_ = 0;
};

// Reads the back buffer just rendered (width x height) and writes it as a PNG. Returns what
// went wrong, empty on success.
std::string save_framebuffer_png(const std::string & path, int width, int height);

}  // namespace vestis::viewer
