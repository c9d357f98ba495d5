// Users: a snapshot's users stored compactly, read as UserViews.
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <peoplesync/model.hpp>

namespace peoplesync {
namespace {

User person(int i) {
    User u;
    u.hris_id = "H" + std::to_string(i);
    u.first_name = "Zoë";
    u.last_name = "Last " + std::to_string(i);
    u.email = "p" + std::to_string(i) + "@example.com";
    u.active = i % 3 != 0;
    u.job_title = i % 2 == 0 ? "" : "Engineer";
    u.phone_number = "+1 555 0100";
    u.employee_id = "E" + std::to_string(i);
    u.hire_date = "2020-01-02";
    if (i % 4 == 0) u.profile_image = {"https://img/" + std::to_string(i), "1700000000", "max-age=60"};
    for (int d = 0; d < i % 4; ++d)
        u.departments.push_back("Dept " + std::to_string(d) + " > Team " + std::to_string(i));
    u.manager_hris_id = i == 0 ? "" : "H" + std::to_string(i / 8);
    u.origin = "people.csv:" + std::to_string(i + 2);
    return u;
}

void expect_same(const UserView& got, const User& want) {
    EXPECT_EQ(got.hris_id, want.hris_id);
    EXPECT_EQ(got.first_name, want.first_name);
    EXPECT_EQ(got.last_name, want.last_name);
    EXPECT_EQ(got.email, want.email);
    EXPECT_EQ(got.active, want.active);
    EXPECT_EQ(got.job_title, want.job_title);
    EXPECT_EQ(got.phone_number, want.phone_number);
    EXPECT_EQ(got.employee_id, want.employee_id);
    EXPECT_EQ(got.hire_date, want.hire_date);
    EXPECT_EQ(got.profile_image.to_image(), want.profile_image);
    EXPECT_EQ(got.departments.to_vector(), want.departments);
    EXPECT_EQ(got.manager_hris_id, want.manager_hris_id);
    EXPECT_EQ(got.origin, want.origin);
}

TEST(Users, KeepEveryFieldOfEveryUser) {
    Users users;
    for (int i = 0; i < 5000; ++i) users.push_back(person(i));
    ASSERT_EQ(users.size(), 5000u);
    for (int i = 0; i < 5000; ++i) {
        SCOPED_TRACE(i);
        expect_same(users[static_cast<std::size_t>(i)], person(i));
        const User copy = users[static_cast<std::size_t>(i)].to_user();
        expect_same(UserView(copy), person(i));
        // One field alone, as the whole view has it.
        EXPECT_EQ(users.hris_id(static_cast<std::size_t>(i)), person(i).hris_id);
        EXPECT_EQ(users.email(static_cast<std::size_t>(i)), person(i).email);
        EXPECT_EQ(users.manager_hris_id(static_cast<std::size_t>(i)), person(i).manager_hris_id);
        EXPECT_EQ(users.origin(static_cast<std::size_t>(i)), person(i).origin);
    }
    // Text in blocks, not an allocation per field: less than half of what
    // the Users alone would take in a std::vector, before their strings.
    EXPECT_LT(users.allocated_bytes(), 5000u * sizeof(User) / 2);
}

TEST(Users, AnEmptyUserAndAVeryLongOne) {
    Users users;
    users.push_back(User{});
    User long_one = person(3);
    long_one.job_title = std::string(9 << 20, 'x');  // larger than a block
    long_one.departments.assign(300, "A > B");
    users.push_back(long_one);
    users.push_back(person(5));
    expect_same(users[0], User{});
    EXPECT_TRUE(users[0].active);
    expect_same(users[1], long_one);
    expect_same(users[2], person(5));
}

TEST(Users, ViewsStayWhileMoreUsersAreAdded) {
    Users users;
    users.push_back(person(1));
    const UserView first = users[0];
    for (int i = 2; i < 20000; ++i) users.push_back(person(i));
    expect_same(first, person(1));
}

TEST(Users, ReplaceInPlaceOnlyWhenTheUserFits) {
    Users users;
    for (int i = 0; i < 4; ++i) users.push_back(person(i));
    User shorter = person(1);
    shorter.job_title.clear();
    EXPECT_TRUE(users.replace_in_place(1, shorter));
    User longer = person(2);
    longer.job_title = "A much longer job title than before";
    const std::size_t bytes = users.allocated_bytes();
    EXPECT_FALSE(users.replace_in_place(2, longer));
    expect_same(users[2], person(2));  // unchanged
    EXPECT_EQ(users.allocated_bytes(), bytes);
    users.replace(2, longer);
    expect_same(users[1], shorter);
    expect_same(users[2], longer);
    expect_same(users[3], person(3));
    // A user replaced by a view of themselves, changed.
    UserView view = users[3];
    view.active = !view.active;
    view.manager_hris_id = users[0].hris_id;
    users.replace(3, view);
    User want = person(3);
    want.active = !want.active;
    want.manager_hris_id = "H0";
    expect_same(users[3], want);
}

TEST(Users, ReplaceInPlaceFromTwoThreads) {
    Users users;
    for (int i = 0; i < 20000; ++i) users.push_back(person(i));
    auto clear_titles = [&users](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) {
            User u = users[i].to_user();
            u.job_title.clear();
            EXPECT_TRUE(users.replace_in_place(i, u));
        }
    };
    std::thread other(clear_titles, 10000, 20000);
    clear_titles(0, 10000);
    other.join();
    for (std::size_t i = 0; i < users.size(); ++i) {
        User want = person(static_cast<int>(i));
        want.job_title.clear();
        expect_same(users[i], want);
    }
}

TEST(Users, AppendMovesOrCopiesTheOthersUsers) {
    Users a, b, few;
    for (int i = 0; i < 3; ++i) a.push_back(person(i));
    b.reserve(30000, 30000 * 200);
    for (int i = 3; i < 30000; ++i) b.push_back(person(i));
    few.push_back(person(30000));
    a.append(std::move(b));
    a.append(std::move(few));
    EXPECT_TRUE(b.empty());
    EXPECT_TRUE(few.empty());
    ASSERT_EQ(a.size(), 30001u);
    for (int i = 0; i <= 30000; i += 997) expect_same(a[static_cast<std::size_t>(i)], person(i));
    expect_same(a.back(), person(30000));
    a.push_back(person(30001));
    expect_same(a.back(), person(30001));
}

TEST(Users, CopyMoveEraseTruncateAndEdit) {
    Users users{person(0), person(1), person(2), person(3)};
    Users copy = users;
    users.erase(1);
    ASSERT_EQ(users.size(), 3u);
    expect_same(users[1], person(2));
    users.erase(users.begin());
    expect_same(users.front(), person(2));
    users.pop_back();
    ASSERT_EQ(users.size(), 1u);
    users.edit(0, [](User& u) { u.email = "new@example.com"; });
    EXPECT_EQ(users[0].email, "new@example.com");
    EXPECT_THROW(users.at(1), std::out_of_range);
    EXPECT_THROW(users.erase(5), std::out_of_range);
    ASSERT_EQ(copy.size(), 4u);
    expect_same(copy[1], person(1));
    Users moved = std::move(copy);
    expect_same(moved[3], person(3));
    copy = moved;
    moved.truncate(2);
    EXPECT_EQ(moved.size(), 2u);
    EXPECT_EQ(copy.size(), 4u);
    std::vector<User> back = copy.to_vector();
    ASSERT_EQ(back.size(), 4u);
    expect_same(UserView(back[2]), person(2));
    copy = {person(9)};
    ASSERT_EQ(copy.size(), 1u);
    expect_same(copy[0], person(9));
}

TEST(Users, IterateAsViews) {
    const Users users{person(0), person(1), person(2)};
    int i = 0;
    for (const UserView user : users) expect_same(user, person(i++));
    EXPECT_EQ(i, 3);
    EXPECT_EQ(users.end() - users.begin(), 3);
    auto found = std::find_if(users.begin(), users.end(), [](const UserView& u) { return u.hris_id == "H2"; });
    EXPECT_EQ(found - users.begin(), 2);
}

TEST(User, ClearEmptiesEveryField) {
    User u = person(4);
    u.active = false;
    u.clear();
    expect_same(UserView(u), User{});
    EXPECT_TRUE(u.active);
}

TEST(Text, JoinsAsAStringFieldWouldAndBecomesAStringWhenAsked) {
    const User u = person(7);
    const UserView view(u);
    const std::string joined = "user \"" + view.hris_id + "\" of " + view.origin + '!';
    EXPECT_EQ(joined, "user \"H7\" of people.csv:9!");
    EXPECT_EQ(view.first_name + " " + view.last_name, "Zoë Last 7");
    const std::string copied(view.email);
    EXPECT_EQ(copied, u.email);
    std::string assigned;
    assigned = view.email;  // std::string takes any string_view
    EXPECT_EQ(assigned, u.email);
    EXPECT_EQ(view.email.str(), u.email);
    EXPECT_EQ(view.departments, DepartmentsView(u.departments));
    EXPECT_EQ(view.departments.size(), 3u);
    EXPECT_EQ(view.departments[2], "Dept 2 > Team 7");
}

}  // namespace
}  // namespace peoplesync
