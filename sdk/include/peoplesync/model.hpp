// The people schema every source produces and every sink consumes: the
// guide's user record, a complete snapshot of them, and findings with the
// place they were found.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <peoplesync/fields.hpp>

namespace peoplesync {

struct ProfileImage {
    std::string url;            // required when a profile image is given
    std::string last_modified;  // the guide allows a number or a date-time; kept as text
    std::string cache_info;

    bool empty() const { return url.empty() && last_modified.empty() && cache_info.empty(); }
    bool operator==(const ProfileImage&) const = default;
};

// The text of one field of a UserView: a std::string_view that joins
// strings with +, as the User's std::string fields do, and becomes a
// std::string when asked (std::string(text), text.str()): never behind the
// reader's back, since a million users' copies add up.
class Text : public std::string_view {
public:
    constexpr Text() noexcept = default;
    constexpr Text(std::string_view text) noexcept : std::string_view(text) {}  // NOLINT: the same text
    Text(const std::string& text) noexcept : std::string_view(text) {}          // NOLINT: a view of it
    constexpr Text(const char* text, std::size_t size) noexcept : std::string_view(text, size) {}
    explicit operator std::string() const { return std::string(data(), size()); }  // NOLINT: what it says
    std::string str() const { return std::string(data(), size()); }
};

inline std::string operator+(std::string left, Text right) {
    return std::move(left.append(right));
}
inline std::string operator+(Text left, const std::string& right) {
    return std::string(left).append(right);
}
inline std::string operator+(const char* left, Text right) {
    return std::string(left).append(right);
}
inline std::string operator+(Text left, const char* right) {
    return std::string(left).append(right);
}
inline std::string operator+(Text left, Text right) {
    return std::string(left).append(right);
}
inline std::string operator+(char left, Text right) {
    return std::string(1, left).append(right);
}
inline std::string operator+(Text left, char right) {
    return std::string(left) += right;
}

// Read-only views of users: what a snapshot's users are read as, and what a
// function that only reads a user takes (a User converts to one).
struct ProfileImageView {
    Text url;
    Text last_modified;
    Text cache_info;

    ProfileImageView() = default;
    ProfileImageView(const ProfileImage& image)  // NOLINT: a view of it
        : url(image.url), last_modified(image.last_modified), cache_info(image.cache_info) {}
    bool empty() const { return url.empty() && last_modified.empty() && cache_info.empty(); }
    ProfileImage to_image() const { return {std::string(url), std::string(last_modified), std::string(cache_info)}; }
    bool operator==(const ProfileImageView&) const = default;
};

namespace detail {
// A random-access iterator over a container read by index, whose elements
// are values made on the way (views), not objects in memory.
template <typename Container, typename Value>
class IndexIterator {
public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Value;
    IndexIterator() = default;
    IndexIterator(const Container* container, std::size_t i) : container_(container), i_(i) {}
    Value operator*() const { return (*container_)[i_]; }
    Value operator[](difference_type n) const { return (*container_)[i_ + static_cast<std::size_t>(n)]; }
    IndexIterator& operator++() { return ++i_, *this; }
    IndexIterator operator++(int) {
        auto old = *this;
        return ++i_, old;
    }
    IndexIterator& operator--() { return --i_, *this; }
    IndexIterator operator--(int) {
        auto old = *this;
        return --i_, old;
    }
    IndexIterator& operator+=(difference_type n) { return i_ += static_cast<std::size_t>(n), *this; }
    IndexIterator& operator-=(difference_type n) { return i_ -= static_cast<std::size_t>(n), *this; }
    friend IndexIterator operator+(IndexIterator it, difference_type n) { return it += n; }
    friend IndexIterator operator+(difference_type n, IndexIterator it) { return it += n; }
    friend IndexIterator operator-(IndexIterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const IndexIterator& a, const IndexIterator& b) {
        return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    bool operator==(const IndexIterator& other) const { return i_ == other.i_; }
    auto operator<=>(const IndexIterator& other) const { return i_ <=> other.i_; }

private:
    const Container* container_ = nullptr;
    std::size_t i_ = 0;
};
}  // namespace detail

// A user's department paths, as Texts.
class DepartmentsView {
public:
    using const_iterator = detail::IndexIterator<DepartmentsView, Text>;
    using iterator = const_iterator;
    using value_type = Text;
    using size_type = std::size_t;
    using reference = Text;
    using const_reference = Text;

    DepartmentsView() = default;
    DepartmentsView(const std::vector<std::string>& paths)  // NOLINT: a view of them
        : strings_(paths.data()), size_(paths.size()) {}
    // Paths stored one after the other in `text`: path i ends at ends[i],
    // the first begins at `first`.
    DepartmentsView(const char* text, std::uint32_t first, const std::uint32_t* ends, std::size_t size)
        : text_(text), ends_(ends), first_(first), size_(size) {}

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Text operator[](std::size_t i) const {
        if (strings_ != nullptr) return strings_[i];
        const std::uint32_t begin = i == 0 ? first_ : ends_[i - 1];
        return {text_ + begin, ends_[i] - begin};
    }
    Text front() const { return (*this)[0]; }
    Text back() const { return (*this)[size_ - 1]; }
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size_}; }
    std::vector<std::string> to_vector() const;

    friend bool operator==(const DepartmentsView& a, const DepartmentsView& b);

private:
    const std::string* strings_ = nullptr;
    const char* text_ = nullptr;
    const std::uint32_t* ends_ = nullptr;
    std::uint32_t first_ = 0;
    std::size_t size_ = 0;
};

namespace detail {
// The member types of each kind of field, in a User and in a UserView.
template <FieldKind>
struct FieldTypes;
template <>
struct FieldTypes<FieldKind::text> {
    using owned = std::string;
    using view = Text;
};
template <>
struct FieldTypes<FieldKind::manager> : FieldTypes<FieldKind::text> {};
template <>
struct FieldTypes<FieldKind::image> {
    using owned = ProfileImage;
    using view = ProfileImageView;
};
template <>
struct FieldTypes<FieldKind::departments> {
    using owned = std::vector<std::string>;  // paths, levels separated by " > "
    using view = DepartmentsView;
};
template <>
struct FieldTypes<FieldKind::flag> {
    using owned = bool;
    using view = bool;
};
// What a new user holds: nothing, and true for a flag (active).
template <typename T>
T fresh() {
    if constexpr (std::is_same_v<T, bool>)
        return true;
    else
        return T{};
}
}  // namespace detail

// One person as the HRIS describes them: a member per field of
// PEOPLESYNC_FIELDS (fields.hpp), named as there (the manager's is
// manager_hris_id, the guide's manager.hris_id), of the type its kind says:
// std::string for text, ProfileImage, std::vector<std::string> for
// departments, bool for active. Optional text fields are empty when absent:
// a complete snapshot that does not name a value clears it.
struct User {
#define PEOPLESYNC_USER_MEMBER(name, member, kind, ...) \
    detail::FieldTypes<FieldKind::kind>::owned member = detail::fresh<detail::FieldTypes<FieldKind::kind>::owned>();
    PEOPLESYNC_FIELDS(PEOPLESYNC_USER_MEMBER)
#undef PEOPLESYNC_USER_MEMBER

    // Where the record came from, e.g. "employees.csv:12", "users[3]" or an
    // LDAP DN. See Snapshot::locate().
    std::string origin;

    // Empties every field, as a new User has them, keeping the strings'
    // memory: a source that fills one User per record reuses it.
    void clear();
};

// A user as read from a Snapshot's users (or from a User): the same
// members, as views (Text, ProfileImageView, DepartmentsView, bool) that
// live as long as what they view.
struct UserView {
#define PEOPLESYNC_VIEW_MEMBER(name, member, kind, ...) \
    detail::FieldTypes<FieldKind::kind>::view member = detail::fresh<detail::FieldTypes<FieldKind::kind>::view>();
    PEOPLESYNC_FIELDS(PEOPLESYNC_VIEW_MEMBER)
#undef PEOPLESYNC_VIEW_MEMBER
    Text origin;

    UserView() = default;
    UserView(const User& user);  // NOLINT: a view of it
    // A copy that owns its text.
    User to_user() const;
};

template <FieldId Id>
using FieldConstant = std::integral_constant<FieldId, Id>;

namespace detail {
// A user's field members in table order (origin closes the list).
template <typename U>
constexpr auto field_members(U& user) {
#define PEOPLESYNC_MEMBER_OF(name, member, ...) user.member,
    return std::tie(PEOPLESYNC_FIELDS(PEOPLESYNC_MEMBER_OF) user.origin);
#undef PEOPLESYNC_MEMBER_OF
}
}  // namespace detail

// The member of field Id in `user` (a User or a UserView).
template <FieldId Id, typename U>
constexpr auto& field_member(U& user) {
    return std::get<static_cast<std::size_t>(Id)>(detail::field_members(user));
}

// Calls visit(FieldConstant<id>{}, member) for every field of `user` (a
// User or a UserView), in table order; spec_of(decltype(id)::value) is a
// constant there, so a visitor chooses by kind with `if constexpr`.
template <typename U, typename Visit>
constexpr void for_each_field(U& user, Visit&& visit) {
    auto members = detail::field_members(user);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (visit(FieldConstant<static_cast<FieldId>(I)>{}, std::get<I>(members)), ...);
    }
    (std::make_index_sequence<field_count>{});
}
// The same over two users at once: visit(id, member of a, member of b).
template <typename A, typename B, typename Visit>
constexpr void for_each_field(A& a, B& b, Visit&& visit) {
    auto of_a = detail::field_members(a);
    auto of_b = detail::field_members(b);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (visit(FieldConstant<static_cast<FieldId>(I)>{}, std::get<I>(of_a), std::get<I>(of_b)), ...);
    }
    (std::make_index_sequence<field_count>{});
}

// Calls visit(text) for each of the user's texts, in table order: a text
// field's, a profile image's three (image_parts), the manager's hris_id
// (field_texts in all; origin is not among them).
template <typename U, typename Visit>
constexpr void for_each_text(U& user, Visit&& visit) {
    for_each_field(user, [&](auto id, auto& value) {
        constexpr FieldKind kind = spec_of(decltype(id)::value).kind;
        if constexpr (kind == FieldKind::text || kind == FieldKind::manager) {
            visit(value);
        } else if constexpr (kind == FieldKind::image) {
            visit(value.url);
            visit(value.last_modified);
            visit(value.cache_info);
        }
    });
}

// The text one value of field `id` fills in: the field's own, the profile
// image's url, the manager's hris_id; null for the fields that are not one
// text (active, departments). What a source that maps a value to a field
// assigns.
inline std::string* single_text(User& user, FieldId id) {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        std::string* text = nullptr;
        // One comparison per field, which the compiler makes a jump table.
        (void)((id == static_cast<FieldId>(I) && (
                                                     text = [&]() -> std::string* {
                                                         constexpr FieldKind kind = field_specs[I].kind;
                                                         auto& member = std::get<I>(detail::field_members(user));
                                                         if constexpr (kind == FieldKind::text ||
                                                                       kind == FieldKind::manager)
                                                             return &member;
                                                         else if constexpr (kind == FieldKind::image)
                                                             return &member.url;
                                                         else
                                                             return nullptr;
                                                     }(),
                                                     true)) ||
               ...);
        return text;
    }
    (std::make_index_sequence<field_count>{});
}

// A snapshot's users, stored compactly: each user's text one after the other
// in large blocks, so a million users take about the size of their text
// instead of a few hundred bytes each plus an allocation per field. Users
// are added whole (from a User, or another view) and read as UserViews,
// which stay valid while the user is neither replaced nor the container
// cleared, assigned or destroyed; adding users never moves those already in.
// Reading from several threads at once is safe; writing is not, except
// replace_in_place() on distinct users.
class Users {
public:
    using const_iterator = detail::IndexIterator<Users, UserView>;
    using iterator = const_iterator;
    using value_type = UserView;
    using size_type = std::size_t;
    using reference = UserView;
    using const_reference = UserView;

    Users();
    Users(std::initializer_list<UserView> users);
    Users(const std::vector<User>& users);  // NOLINT: the same users, stored compactly
    Users(const Users& other);
    Users(Users&& other) noexcept;
    Users& operator=(const Users& other);
    Users& operator=(Users&& other) noexcept;
    Users& operator=(std::initializer_list<UserView> users);
    ~Users();

    std::size_t size() const { return records_.size(); }
    bool empty() const { return records_.empty(); }
    // What a user takes beside their text, department paths aside.
    static constexpr std::size_t bytes_per_user = (field_texts + 2) * sizeof(std::uint32_t);
    // Room for `count` users' places (not their text).
    void reserve(std::size_t count) { records_.reserve(count); }
    // And room for `bytes` more of users' records (bytes_per_user and their
    // text each) in one block, when the users to come are known in advance.
    void reserve(std::size_t count, std::size_t bytes);
    void clear();

    void push_back(const UserView& user);
    // Moves the other's users behind these: their blocks when mostly full
    // (no text is copied), else a copy of each. Out of memory, the other's
    // users may be partly added.
    void append(Users&& other);
    // Keeps the first `count` users.
    void truncate(std::size_t count);
    // Removes user i (the users after it move up one place) or the last.
    void erase(std::size_t i);
    void erase(const_iterator at) { erase(static_cast<std::size_t>(at - begin())); }
    void pop_back() { truncate(size() - 1); }
    // Changes user i: edit(user) changes a copy that replaces them.
    template <typename Edit>
    void edit(std::size_t i, Edit&& edit) {
        User user = at(i).to_user();
        edit(user);
        replace(i, user);
    }
    // Replaces user i: its views end here.
    void replace(std::size_t i, const UserView& user);
    // Replaces user i where it is stored, when it fits there (its text is no
    // longer than before); false, and nothing changed, when it does not.
    // Safe on distinct users from several threads at once.
    bool replace_in_place(std::size_t i, const UserView& user);

    UserView operator[](std::size_t i) const;
    UserView at(std::size_t i) const;
    // One field of user i, without the others: for keys looked up in loops
    // over many users.
    Text hris_id(std::size_t i) const { return text(i, first_text_of(FieldId::hris_id)); }
    Text email(std::size_t i) const { return text(i, first_text_of(FieldId::email)); }
    Text manager_hris_id(std::size_t i) const { return text(i, first_text_of(FieldId::manager)); }
    Text origin(std::size_t i) const { return text(i, text_fields - 1); }
    UserView front() const { return (*this)[0]; }
    UserView back() const { return (*this)[size() - 1]; }
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size()}; }

    std::vector<User> to_vector() const;
    // Bytes held for the users' text and places.
    std::size_t allocated_bytes() const;

private:
    // A user's record: the ends of its texts (for_each_text's order, then
    // origin), a word with the flags (active) in its low 8 bits and the
    // number of departments above them, the ends of its department paths,
    // then the text, all fields one after the other. Ends count bytes from
    // the start of the text.
    static constexpr std::size_t text_fields = field_texts + 1;
    static constexpr std::size_t head_words = text_fields + 1;
    // A flag's bit in the word after the texts' ends: flags in table order.
    static constexpr std::uint32_t flag_bit(FieldId id) {
        std::uint32_t bit = 0;
        for (std::size_t i = 0; i < static_cast<std::size_t>(id); ++i)
            bit += field_specs[i].kind == FieldKind::flag ? 1 : 0;
        return std::uint32_t{1} << bit;
    }
    static std::size_t record_words(const std::uint32_t* record);
    Text text(std::size_t i, std::size_t k) const {
        const std::uint32_t* head = records_[i];
        const char* text = reinterpret_cast<const char*>(head + head_words + (head[text_fields] >> 8));
        const std::uint32_t begin = k == 0 ? 0 : head[k - 1];
        return Text(text + begin, head[k] - begin);
    }
    static void encode(const UserView& user, std::vector<std::uint32_t>& out);
    std::uint32_t* room(std::size_t words);

    std::vector<std::unique_ptr<std::uint32_t[]>> blocks_;
    std::size_t block_words_ = 0;  // of the last block
    std::size_t used_ = 0;         // words used in the last block
    std::size_t allocated_words_ = 0;
    std::size_t stored_words_ = 0;
    std::vector<const std::uint32_t*> records_;
};

inline UserView Users::operator[](std::size_t i) const {
    const std::uint32_t* head = records_[i];
    const std::uint32_t departments = head[text_fields] >> 8;
    const char* text = reinterpret_cast<const char*>(head + head_words + departments);
    const auto field = [head, text](std::size_t k) {
        const std::uint32_t begin = k == 0 ? 0 : head[k - 1];
        return Text(text + begin, head[k] - begin);
    };
    UserView user;
    std::size_t k = 0;
    for_each_field(user, [&](auto id, auto& value) {
        constexpr FieldKind kind = spec_of(decltype(id)::value).kind;
        if constexpr (kind == FieldKind::text || kind == FieldKind::manager) {
            value = field(k++);
        } else if constexpr (kind == FieldKind::image) {
            value.url = field(k++);
            value.last_modified = field(k++);
            value.cache_info = field(k++);
        } else if constexpr (kind == FieldKind::flag) {
            value = (head[text_fields] & flag_bit(decltype(id)::value)) != 0;
        } else {
            static_assert(kind == FieldKind::departments);
            value = DepartmentsView(text, head[text_fields - 1], head + head_words, departments);
        }
    });
    user.origin = field(text_fields - 1);
    return user;
}

// Every field of the schema, in the guide's (the table's) order.
const std::vector<std::string_view>& all_fields();
// The fields that are synced whatever a pipeline selects, keys first.
const std::vector<std::string_view>& always_synced_fields();
bool is_known_field(std::string_view name);

enum class Severity { warning, error };
std::string_view to_string(Severity severity);

struct Finding {
    Severity severity = Severity::error;
    std::string location;  // "users[17].email", "employees.csv:4312 column \"Work Email\""
    std::string message;
    // Index of the user the finding is about, or -1 for the snapshot as a
    // whole. An error about a user makes that record invalid.
    std::int64_t record = -1;
};

struct Snapshot {
    Users users;
    std::vector<Finding> findings;  // what the source found while reading

    // Metadata.
    std::string pipeline;
    std::string origin;       // "file employees.csv", "ldap://host/ou=people", "request 42"
    std::string received_at;  // ISO 8601 UTC
    std::string request_id;   // set for pushed snapshots

    // How to name a field's place: a label per field ("column \"Work
    // Email\"", "attribute mail"). Without a label the place is written
    // "<origin>.<field>", the guide's JSON path style.
    std::map<std::string, std::string, std::less<>> field_labels;

    std::string locate(const UserView& user, std::string_view field_name) const;

    void error(std::int64_t record, std::string location, std::string message);
    void warning(std::int64_t record, std::string location, std::string message);

    // A record the source could not read as a user at all (a line that is
    // not JSON, a row whose quoting is broken), at `record_origin` ("people.jsonl:12"):
    // it counts as one invalid record, with `message` located there.
    // Its person is unknown, so a run that quarantines it unsyncs and
    // deactivates nobody. Returns the record's index.
    std::int64_t unreadable(std::string record_origin, std::string message);
};

}  // namespace peoplesync
