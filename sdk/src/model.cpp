#include <peoplesync/model.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace peoplesync {

const std::vector<std::string_view>& all_fields() {
    static const std::vector<std::string_view> fields = [] {
        std::vector<std::string_view> names;
        for (const FieldSpec& spec : field_specs) names.push_back(spec.name);
        return names;
    }();
    return fields;
}

const std::vector<std::string_view>& always_synced_fields() {
    static const std::vector<std::string_view> fields = [] {
        std::vector<std::string_view> names;
        for (const FieldId id : keys_first)
            if (spec_of(id).always_synced()) names.push_back(spec_of(id).name);
        return names;
    }();
    return fields;
}

bool is_known_field(std::string_view name) {
    const auto& fields = all_fields();
    return std::find(fields.begin(), fields.end(), name) != fields.end();
}

std::string_view to_string(Severity severity) {
    return severity == Severity::error ? "error" : "warning";
}

std::string Snapshot::locate(const UserView& user, std::string_view field_name) const {
    std::string place(user.origin);
    if (field_name.empty()) return place;
    auto label = field_labels.find(field_name);
    if (label != field_labels.end()) return place.append(" ").append(label->second);
    return place.append(".").append(field_name);
}

void Snapshot::error(std::int64_t record, std::string location, std::string message) {
    findings.push_back({Severity::error, std::move(location), std::move(message), record});
}

void Snapshot::warning(std::int64_t record, std::string location, std::string message) {
    findings.push_back({Severity::warning, std::move(location), std::move(message), record});
}

std::int64_t Snapshot::unreadable(std::string record_origin, std::string message) {
    const auto index = static_cast<std::int64_t>(users.size());
    User user;
    user.origin = std::move(record_origin);
    error(index, user.origin, std::move(message));
    users.push_back(user);
    return index;
}

void User::clear() {
    for_each_field(*this, [](auto, auto& value) {
        if constexpr (std::is_same_v<std::remove_reference_t<decltype(value)>, bool>)
            value = true;
        else if constexpr (std::is_same_v<std::remove_reference_t<decltype(value)>, ProfileImage>)
            value.url.clear(), value.last_modified.clear(), value.cache_info.clear();
        else
            value.clear();
    });
    origin.clear();
}

std::vector<std::string> DepartmentsView::to_vector() const {
    return {begin(), end()};
}

bool operator==(const DepartmentsView& a, const DepartmentsView& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

namespace {
template <typename T>
T owned_copy(T value) {
    return value;
}
std::string owned_copy(Text text) {
    return std::string(text);
}
ProfileImage owned_copy(const ProfileImageView& image) {
    return image.to_image();
}
std::vector<std::string> owned_copy(const DepartmentsView& paths) {
    return paths.to_vector();
}

constexpr std::size_t fields_of(FieldKind kind) {
    return static_cast<std::size_t>(std::count_if(field_specs.begin(), field_specs.end(),
                                                  [kind](const FieldSpec& spec) { return spec.kind == kind; }));
}
// A user's record in Users has one list of department paths and 8 bits of flags.
static_assert(fields_of(FieldKind::departments) == 1);
static_assert(fields_of(FieldKind::flag) <= 8);
}  // namespace

UserView::UserView(const User& user) : origin(user.origin) {
    for_each_field(*this, user, [](auto, auto& view, const auto& owned) { view = owned; });
}

User UserView::to_user() const {
    User user;
    for_each_field(user, *this, [](auto, auto& owned, const auto& view) { owned = owned_copy(view); });
    user.origin = origin;
    return user;
}

namespace {
// Blocks grow from 1 KiB to 4 MiB (in words of 4 bytes), so that a few
// users take little room and many take few blocks. A larger user gets a
// block of their own.
constexpr std::size_t first_block_words = std::size_t{1} << 8;
constexpr std::size_t block_words = std::size_t{1} << 20;
}  // namespace

Users::Users() = default;

Users::Users(std::initializer_list<UserView> users) {
    records_.reserve(users.size());
    for (const UserView& user : users) push_back(user);
}

Users::Users(const std::vector<User>& users) {
    records_.reserve(users.size());
    for (const User& user : users) push_back(user);
}

Users::Users(const Users& other) {
    records_.reserve(other.size());
    for (std::size_t i = 0; i < other.size(); ++i) push_back(other[i]);
}

Users::Users(Users&& other) noexcept
    : blocks_(std::move(other.blocks_)),
      block_words_(other.block_words_),
      used_(other.used_),
      allocated_words_(other.allocated_words_),
      stored_words_(other.stored_words_),
      records_(std::move(other.records_)) {
    other.clear();
}

Users& Users::operator=(const Users& other) {
    if (this != &other) {
        Users copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Users& Users::operator=(Users&& other) noexcept {
    if (this != &other) {
        blocks_ = std::move(other.blocks_);
        block_words_ = other.block_words_;
        used_ = other.used_;
        allocated_words_ = other.allocated_words_;
        stored_words_ = other.stored_words_;
        records_ = std::move(other.records_);
        other.clear();
    }
    return *this;
}

Users& Users::operator=(std::initializer_list<UserView> users) {
    Users fresh(users);
    return *this = std::move(fresh);
}

Users::~Users() = default;

void Users::clear() {
    blocks_.clear();
    block_words_ = used_ = allocated_words_ = stored_words_ = 0;
    records_.clear();
}

std::size_t Users::record_words(const std::uint32_t* record) {
    const std::uint32_t departments = record[text_fields] >> 8;
    const std::uint32_t text = departments == 0 ? record[text_fields - 1] : record[head_words + departments - 1];
    return head_words + departments + (text + 3) / 4;
}

void Users::encode(const UserView& user, std::vector<std::uint32_t>& out) {
    std::string_view fields[text_fields];
    std::size_t filled = 0;
    for_each_text(user, [&](Text text) { fields[filled++] = text; });
    fields[filled] = user.origin;
    std::uint32_t flags = 0;
    for_each_field(user, [&](auto id, const auto& value) {
        if constexpr (spec_of(decltype(id)::value).kind == FieldKind::flag)
            flags |= value ? flag_bit(decltype(id)::value) : 0U;
    });
    const std::size_t departments = user.departments.size();
    std::size_t text = 0;
    for (std::string_view f : fields) text += f.size();
    for (std::string_view path : user.departments) text += path.size();
    if (text > std::numeric_limits<std::uint32_t>::max() || departments > (std::size_t{1} << 24) - 1)
        throw std::length_error("a user's text is too long to store (" + std::to_string(text) + " bytes, " +
                                std::to_string(departments) + " departments)");
    out.assign(head_words + departments + (text + 3) / 4, 0);
    std::uint32_t* head = out.data();
    char* at = reinterpret_cast<char*>(head + head_words + departments);
    std::uint32_t end = 0;
    for (std::size_t k = 0; k < text_fields; ++k) {
        if (!fields[k].empty()) std::memcpy(at + end, fields[k].data(), fields[k].size());
        head[k] = end += static_cast<std::uint32_t>(fields[k].size());
    }
    head[text_fields] = static_cast<std::uint32_t>(departments << 8) | flags;
    for (std::size_t d = 0; d < departments; ++d) {
        const std::string_view path = user.departments[d];
        if (!path.empty()) std::memcpy(at + end, path.data(), path.size());
        head[head_words + d] = end += static_cast<std::uint32_t>(path.size());
    }
}

std::uint32_t* Users::room(std::size_t words) {
    if (blocks_.empty() || block_words_ - used_ < words) {
        const std::size_t next = blocks_.empty() ? first_block_words : std::min(block_words, block_words_ * 2);
        const std::size_t size = std::max(next, words);
        blocks_.push_back(std::make_unique_for_overwrite<std::uint32_t[]>(size));
        block_words_ = size;
        allocated_words_ += size;
        used_ = 0;
    }
    std::uint32_t* at = blocks_.back().get() + used_;
    used_ += words;
    stored_words_ += words;
    return at;
}

void Users::reserve(std::size_t count, std::size_t bytes) {
    records_.reserve(count);
    const std::size_t words = (bytes + sizeof(std::uint32_t) - 1) / sizeof(std::uint32_t);
    if (words == 0 || (!blocks_.empty() && block_words_ - used_ >= words)) return;
    blocks_.push_back(std::make_unique_for_overwrite<std::uint32_t[]>(words));
    block_words_ = words;
    allocated_words_ += words;
    used_ = 0;
}

namespace {
// Where a user's record is made before it is stored: the user may be
// viewed in the container's own text, even in the record it replaces.
std::vector<std::uint32_t>& record_aside() {
    thread_local std::vector<std::uint32_t> record;
    return record;
}
}  // namespace

void Users::push_back(const UserView& user) {
    std::vector<std::uint32_t>& record = record_aside();
    encode(user, record);
    if (records_.size() == records_.capacity())  // grown first: nothing changes if it throws
        records_.reserve(std::max<std::size_t>(16, records_.capacity() * 2));
    std::uint32_t* at = room(record.size());
    std::memcpy(at, record.data(), record.size() * sizeof(std::uint32_t));
    records_.push_back(at);
}

void Users::append(Users&& other) {
    if (other.empty()) return;
    // Room for the places first (doubling, as push_back would), so that
    // nothing below throws once anything changed.
    const std::size_t places = records_.size() + other.size();
    if (places > records_.capacity()) records_.reserve(std::max(places, records_.capacity() * 2));
    if ((other.allocated_words_ - other.stored_words_) * 8 > other.allocated_words_) {
        // Copied, so that much free room in their blocks is not kept.
        for (const std::uint32_t* record : other.records_) {
            const std::size_t words = record_words(record);
            std::uint32_t* at = room(words);
            std::memcpy(at, record, words * sizeof(std::uint32_t));
            records_.push_back(at);
        }
    } else {
        blocks_.reserve(blocks_.size() + other.blocks_.size());
        records_.insert(records_.end(), other.records_.begin(), other.records_.end());
        // The other's last block becomes the one users are added to.
        std::move(other.blocks_.begin(), other.blocks_.end(), std::back_inserter(blocks_));
        block_words_ = other.block_words_;
        used_ = other.used_;
        allocated_words_ += other.allocated_words_;
        stored_words_ += other.stored_words_;
    }
    other.clear();
}

void Users::truncate(std::size_t count) {
    if (count < records_.size()) records_.resize(count);
}

void Users::erase(std::size_t i) {
    if (i >= records_.size())
        throw std::out_of_range("no user " + std::to_string(i) + " among " + std::to_string(records_.size()));
    records_.erase(records_.begin() + static_cast<std::ptrdiff_t>(i));
}

void Users::replace(std::size_t i, const UserView& user) {
    std::vector<std::uint32_t>& record = record_aside();
    encode(user, record);
    const std::uint32_t* old = records_.at(i);
    // Where the user is when the new record fits there, else at the end.
    std::uint32_t* at = record.size() <= record_words(old) ? const_cast<std::uint32_t*>(old) : room(record.size());
    std::memcpy(at, record.data(), record.size() * sizeof(std::uint32_t));
    records_[i] = at;
}

bool Users::replace_in_place(std::size_t i, const UserView& user) {
    std::vector<std::uint32_t>& record = record_aside();
    encode(user, record);
    const std::uint32_t* old = records_.at(i);
    if (record.size() > record_words(old)) return false;
    std::memcpy(const_cast<std::uint32_t*>(old), record.data(), record.size() * sizeof(std::uint32_t));
    return true;
}

UserView Users::at(std::size_t i) const {
    if (i >= records_.size())
        throw std::out_of_range("no user " + std::to_string(i) + " among " + std::to_string(records_.size()));
    return (*this)[i];
}

std::vector<User> Users::to_vector() const {
    std::vector<User> users;
    users.reserve(size());
    for (std::size_t i = 0; i < size(); ++i) users.push_back((*this)[i].to_user());
    return users;
}

std::size_t Users::allocated_bytes() const {
    return allocated_words_ * sizeof(std::uint32_t) + records_.capacity() * sizeof(records_[0]);
}

}  // namespace peoplesync
