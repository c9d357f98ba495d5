#include "records.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <peoplesync/error.hpp>

namespace peoplesync::directory_model {

const std::map<std::string, std::vector<std::string>, std::less<>>& field_columns() {
    static const std::map<std::string, std::vector<std::string>, std::less<>> columns = [] {
        std::map<std::string, std::vector<std::string>, std::less<>> out;
        for (const TextColumn& column : text_columns())
            out[std::string(spec_of(column.field).name)].push_back(column.name);
        return out;
    }();
    return columns;
}

std::array<std::string_view, field_texts> texts_of(const UserView& user) {
    std::array<std::string_view, field_texts> texts;
    std::size_t k = 0;
    for_each_text(user, [&](Text text) { texts[k++] = text; });
    return texts;
}

std::string_view column_value(const UserView& user, std::string_view column) {
    for (const TextColumn& c : text_columns())
        if (c.name == column) return texts_of(user)[c.text];
    throw Error("no column " + std::string(column));
}

std::string now_text() {
    return Poco::DateTimeFormatter::format(Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FORMAT);
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> out;
    if (text.empty()) return out;
    std::size_t start = 0;
    while (true) {
        auto at = text.find(separator, start);
        out.emplace_back(text.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) break;
        start = at + 1;
    }
    return out;
}

std::string join(const std::vector<std::string>& items, char separator) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += separator;
        out += item;
    }
    return out;
}

std::string id_list(std::span<const std::int64_t> ids) {
    std::string out;
    for (auto id : ids) {
        if (!out.empty()) out += ',';
        out += std::to_string(id);
    }
    return out;
}

}  // namespace peoplesync::directory_model
