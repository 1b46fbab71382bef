#include "gl_image.h"

#include <GL/gl.h>
#include <stb_image_write.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace vestis::viewer {

gl_texture & gl_texture::operator=(gl_texture && other) noexcept {
    if (this != &other) {
        reset();
        name_ = other.name_, width_ = other.width_, height_ = other.height_;
        other.name_ = 0, other.width_ = other.height_ = 0;
    }
    return *this;
}

void gl_texture::upload(const std::uint8_t * pixels, int width, int height, int channels) {
    if (name_ == 0) glGenTextures(1, &name_);
    glBindTexture(GL_TEXTURE_2D, name_);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);  // RGB rows of odd widths are not 4-byte aligned
    const GLenum format = channels == 4 ? GL_RGBA : GL_RGB;
    glTexImage2D(GL_TEXTURE_2D, 0, channels == 4 ? GL_RGBA8 : GL_RGB8, width, height, 0, format, GL_UNSIGNED_BYTE, pixels);
    width_ = width, height_ = height;
}

void gl_texture::reset() {
    if (name_ != 0) glDeleteTextures(1, &name_);
    name_ = 0, width_ = height_ = 0;
}

std::string save_framebuffer_png(const std::string & path, int width, int height) {
    if (width <= 0 || height <= 0) return "the window has no pixels to save";
    std::vector<std::uint8_t> pixels(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, pixels.data());
    // OpenGL's rows run bottom to top, PNG's top to bottom.
    const int stride = width * 3;
    stbi_flip_vertically_on_write(1);
    errno = 0;
    if (!stbi_write_png(path.c_str(), width, height, 3, pixels.data(), stride)) {
        return path + ": cannot write the PNG" + (errno ? std::string(" (") + std::strerror(errno) + ")" : std::string());
    }
    return {};
}

}  // namespace vestis::viewer
