#include "pg_directory_fill.hpp"

#include <map>

#include "schema.hpp"

namespace peoplesync::postgres_test {

void fill_directory(postgres::Connection& connection, const std::string& schema, const nlohmann::json& snapshot,
                    const std::string& pipeline, const std::string& synced_fields) {
    postgres::migrate(connection, schema);
    const std::string s = connection.quote_identifier(schema);
    postgres::Transaction fill(connection);
    postgres::begin_apply(connection, schema, pipeline + " run 1");
    const std::string field_set = std::string(
        connection.execute("INSERT INTO " + s + ".field_sets(fields) VALUES ($1) RETURNING id", {synced_fields})
            .text(0, 0));
    std::map<std::string, std::string> department_ids;  // by path
    auto department = [&](const std::string& path) {
        std::string parent = "0", so_far;
        for (std::size_t start = 0; start <= path.size();) {
            const std::size_t end = std::min(path.find(" > ", start), path.size());
            const std::string name = path.substr(start, end - start);
            so_far += (so_far.empty() ? "" : " > ") + name;
            auto [at, made] = department_ids.emplace(so_far, "");
            if (made)
                at->second =
                    connection
                        .execute("INSERT INTO " + s +
                                     ".departments(parent_id, name, synced) VALUES ($1, $2, true) RETURNING id",
                                 {parent, name})
                        .text(0, 0);
            parent = at->second;
            start = end + 3;
        }
        return parent;
    };
    std::map<std::string, std::string> user_ids;  // by hris_id
    for (const auto& user : snapshot["users"]) {
        const std::string id(
            connection
                .execute("INSERT INTO " + s +
                             ".users(hris_id, email, first_name, last_name, job_title, active, synced, "
                             "synced_field_set, synced_pipeline) VALUES ($1, $2, $3, $4, $5, $6, true, $7, $8) "
                             "RETURNING id",
                         {user["hris_id"].get<std::string>(), user["email"].get<std::string>(),
                          user.value("first_name", ""), user.value("last_name", ""), user.value("job_title", ""),
                          user.value("active", true) ? "true" : "false", field_set, pipeline})
                .text(0, 0));
        user_ids[user["hris_id"].get<std::string>()] = id;
        for (const auto& path : user.value("departments", nlohmann::json::array()))
            connection.execute("INSERT INTO " + s + ".memberships(user_id, department_id) VALUES ($1, $2)",
                               {id, department(path.get<std::string>())});
    }
    for (const auto& user : snapshot["users"])
        if (user.contains("manager"))
            connection.execute("UPDATE " + s + ".users SET manager_id = $1 WHERE id = $2",
                               {user_ids.at(user["manager"]["hris_id"].get<std::string>()),
                                user_ids.at(user["hris_id"].get<std::string>())});
    connection.execute("UPDATE " + s +
                       ".directory_meta SET value = (value::bigint + 1)::text WHERE key = 'generation'");
    fill.commit();
}

}  // namespace peoplesync::postgres_test
