// Files written so that once the call returns they survive a power cut: the
// bytes and the directory entry both synced to the disk.
#pragma once

#include <filesystem>
#include <string_view>

namespace peoplesync::core {

// Creates `file` (which must not exist) holding `bytes`, and syncs it and
// its folder. Throws Error naming the file; a file it could not finish is
// removed.
void write_durably(const std::filesystem::path& file, std::string_view bytes);

}  // namespace peoplesync::core
