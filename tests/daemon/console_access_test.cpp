// The console's serving and sign-in through the real peoplesyncd: its files
// with the security headers, sessions made with the admin token or the
// console password, the admin API with a session cookie, CSRF on every
// change made with one, sign-out and expiry.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetworkInterface.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>

#include "daemon_fixture.hpp"

namespace peoplesync::daemon_test {
namespace {

const std::string content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct Session {
    std::string cookie;  // "peoplesync_session=..."
    std::string csrf;
};

class ConsoleAccessTest : public DaemonTest {
protected:
    void use_admin_settings(const std::string& lines) {
        std::string text = read_text(config());
        const std::string token_line = "  token: " + admin_token + "\n";
        text.replace(text.find(token_line), token_line.size(), token_line + lines);
        std::ofstream(config()) << text;
    }

    Answer sign_in(const json& credentials) {
        return http("POST", "/console/session", credentials.dump(), {{"Content-Type", "application/json"}});
    }

    Session signed_in() {
        Answer answer = sign_in({{"token", admin_token}});
        EXPECT_EQ(answer.status, 200) << answer.body;
        const std::string set_cookie = answer.headers["Set-Cookie"];
        return {set_cookie.substr(0, set_cookie.find(';')), answer.parsed().value("csrf_token", "")};
    }

    Answer with_session(const std::string& method, const std::string& path, const Session& session,
                        const std::string& csrf, const json& body = nullptr) {
        std::vector<std::pair<std::string, std::string>> headers = {{"Cookie", "theme=dark; " + session.cookie},
                                                                    {"Content-Type", "application/json"}};
        if (!csrf.empty()) headers.emplace_back("X-CSRF-Token", csrf);
        return http(method, path, body.is_null() ? "" : body.dump(), headers);
    }

    std::string mode() { return admin("GET", "/pipelines/hris").parsed().value("mode", ""); }

    // `peoplesync console-password` with `input` on its stdin.
    Output console_password(const std::string& input) {
        Poco::Pipe in, out, err;
        auto handle = Poco::Process::launch(PEOPLESYNC_CLI, {"console-password"}, dir_.string(), &in, &out, &err);
        Poco::PipeOutputStream to(in);
        to << input;
        to.close();
        Poco::PipeInputStream out_stream(out), err_stream(err);
        Output result;
        std::thread drain_err([&] { Poco::StreamCopier::copyToString(err_stream, result.err); });
        Poco::StreamCopier::copyToString(out_stream, result.out);
        drain_err.join();
        result.status = handle.wait();
        return result;
    }
};

TEST_F(ConsoleAccessTest, ServesItsFilesWithTheSecurityHeaders) {
    start();
    Answer moved = get("/console");
    EXPECT_EQ(moved.status, 301);
    EXPECT_EQ(moved.headers["Location"], "/console/");

    Answer page = get("/console/");
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_EQ(page.headers["Content-Type"], "text/html; charset=utf-8");
    EXPECT_EQ(page.headers["Content-Security-Policy"], content_security_policy);
    EXPECT_EQ(page.headers["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ(page.headers["Referrer-Policy"], "no-referrer");
    EXPECT_NE(page.body.find("<script type=\"module\" src=\"main.js\">"), std::string::npos) << page.body;
    EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "the policy allows no inline script";

    Answer script = get("/console/main.js");
    ASSERT_EQ(script.status, 200);
    EXPECT_EQ(script.headers["Content-Type"], "text/javascript; charset=utf-8");
    EXPECT_FALSE(script.body.empty());
    const std::string etag = script.headers["ETag"];
    ASSERT_FALSE(etag.empty());
    Answer again = http("GET", "/console/main.js", "", {{"If-None-Match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(get("/console/chain.svg").headers["Content-Type"], "image/svg+xml");
    // A module in a folder is served at its path, as the import in main.js names it.
    Answer page_module = get("/console/pages/runs.js");
    ASSERT_EQ(page_module.status, 200) << page_module.body;
    EXPECT_EQ(page_module.headers["Content-Type"], "text/javascript; charset=utf-8");
    EXPECT_NE(page_module.body.find("export async function runsPage"), std::string::npos);

    Answer missing = get("/console/nothing.js");
    EXPECT_EQ(missing.status, 404);
    EXPECT_NE(missing.body.find("/console/nothing.js"), std::string::npos) << missing.body;
    EXPECT_EQ(http("POST", "/console/", "{}").status, 405);

    // The admin API's answers carry them too, and are never cached.
    Answer data = admin("GET", "/pipelines");
    EXPECT_EQ(data.headers["Content-Security-Policy"], content_security_policy);
    EXPECT_EQ(data.headers["Cache-Control"], "no-store");
    stop();
}

TEST_F(ConsoleAccessTest, SignsInWithTheAdminTokenAndChecksCsrfOnEveryChange) {
    start();
    Answer answer = sign_in({{"token", admin_token}});
    ASSERT_EQ(answer.status, 200) << answer.body;
    const std::string set_cookie = answer.headers["Set-Cookie"];
    EXPECT_TRUE(std::regex_search(set_cookie, std::regex("^peoplesync_session=[0-9a-f]{64}; ")));
    for (const char* attribute : {"; Path=/", "; HttpOnly", "; SameSite=Strict", "; Max-Age=28800"})
        EXPECT_NE(set_cookie.find(attribute), std::string::npos) << attribute << " in " << set_cookie;
    EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << "plain HTTP: " << set_cookie;
    EXPECT_EQ(answer.headers["Cache-Control"], "no-store");
    const Session session{set_cookie.substr(0, set_cookie.find(';')), answer.parsed().value("csrf_token", "")};
    EXPECT_TRUE(std::regex_match(session.csrf, std::regex("[0-9a-f]{64}"))) << answer.body;

    // Reading needs the cookie only.
    Answer pipelines = with_session("GET", "/admin/v1/pipelines", session, "");
    EXPECT_EQ(pipelines.status, 200) << pipelines.body;
    Answer state = with_session("GET", "/console/session", session, "");
    EXPECT_EQ(state.status, 200);
    EXPECT_EQ(state.parsed().value("csrf_token", ""), session.csrf);
    EXPECT_TRUE(state.parsed().value("signed_in", false));

    // A change without the CSRF token, or with another, is refused and changes nothing.
    for (const std::string& csrf : {std::string(), std::string(64, '0')}) {
        Answer forged = with_session("POST", "/admin/v1/pipelines/hris/enable", session, csrf);
        EXPECT_EQ(forged.status, 403) << forged.body;
        EXPECT_EQ(forged.parsed().value("error", ""), "missing or wrong CSRF token (X-CSRF-Token)");
        EXPECT_EQ(mode(), "test");
    }
    Answer enabled = with_session("POST", "/admin/v1/pipelines/hris/enable", session, session.csrf);
    EXPECT_EQ(enabled.status, 200) << enabled.body;
    EXPECT_EQ(mode(), "live");

    // Signing out needs the token too; then the cookie opens nothing.
    EXPECT_EQ(with_session("DELETE", "/console/session", session, "").status, 403);
    Answer out = with_session("DELETE", "/console/session", session, session.csrf);
    EXPECT_EQ(out.status, 200) << out.body;
    EXPECT_NE(out.headers["Set-Cookie"].find("peoplesync_session=; "), std::string::npos);
    EXPECT_NE(out.headers["Set-Cookie"].find("Max-Age=0"), std::string::npos);
    EXPECT_EQ(with_session("GET", "/admin/v1/pipelines", session, "").status, 401);
    Answer gone = with_session("GET", "/console/session", session, "");
    EXPECT_EQ(gone.status, 401);
    EXPECT_FALSE(gone.parsed().value("password_sign_in", true));
    stop();
}

TEST_F(ConsoleAccessTest, AWrongTokenIsRefusedAfterADelayAndCounted) {
    start();
    const auto started = std::chrono::steady_clock::now();
    Answer refused = sign_in({{"token", admin_token + "x"}});
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.parsed().value("error", ""), "wrong admin token");
    EXPECT_EQ(refused.headers.count("Set-Cookie"), 0u);
    EXPECT_GE(took, 300ms);
    Answer bad = sign_in({{"user", "admin"}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("{\\\"token\\\""), std::string::npos) << bad.body;
    // A cookie nobody made opens nothing, and a wrong bearer token is not saved by a cookie.
    EXPECT_EQ(http("GET", "/admin/v1/pipelines", "", {{"Cookie", "peoplesync_session=" + std::string(64, 'a')}}).status,
              401);
    const Session session = signed_in();
    EXPECT_EQ(
        http("GET", "/admin/v1/pipelines", "", {{"Cookie", session.cookie}, {"Authorization", "Bearer nope"}}).status,
        401);
    const std::string metrics = get("/metrics").body;
    EXPECT_NE(metrics.find("peoplesync_console_sign_ins_total{outcome=\"refused\"} 1\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("peoplesync_console_sign_ins_total{outcome=\"signed_in\"} 1\n"), std::string::npos);
    stop();
}

TEST_F(ConsoleAccessTest, SignsInWithTheConsolePasswordItsCommandHashed) {
    Output hashed = console_password("correct horse battery staple\n");
    ASSERT_EQ(hashed.status, 0) << hashed.err;
    std::smatch match;
    const std::string hash_pattern = "pbkdf2-sha256\\$600000\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]{44}";
    ASSERT_TRUE(std::regex_match(hashed.out, match, std::regex("(" + hash_pattern + ")\n"))) << hashed.out;
    EXPECT_NE(console_password("correct horse battery staple\n").out, hashed.out) << "each hash has its own salt";
    Output short_one = console_password("short\n");
    EXPECT_EQ(short_one.status, 2);
    EXPECT_NE(short_one.err.find("at least 12 characters"), std::string::npos) << short_one.err;

    use_admin_settings("  console_password_hash: '" + match[1].str() + "'\n");
    start();
    Answer state = get("/console/session");
    EXPECT_EQ(state.status, 401);
    EXPECT_TRUE(state.parsed().value("password_sign_in", false)) << state.body;
    Answer wrong = sign_in({{"password", "correct horse battery stapler"}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.parsed().value("error", ""), "wrong console password");
    Answer right = sign_in({{"password", "correct horse battery staple"}});
    ASSERT_EQ(right.status, 200) << right.body;
    const std::string set_cookie = right.headers["Set-Cookie"];
    const Session session{set_cookie.substr(0, set_cookie.find(';')), right.parsed().value("csrf_token", "")};
    EXPECT_EQ(with_session("GET", "/admin/v1/pipelines", session, "").status, 200);
    EXPECT_EQ(sign_in({{"token", admin_token}}).status, 200) << "the admin token still signs in";
    stop();
}

TEST_F(ConsoleAccessTest, AHashThatIsNotOneIsAConfigurationErrorAtItsKey) {
    use_admin_settings("  console_password_hash: 'hunter2'\n");
    Output checked = cli({"validate"});
    EXPECT_EQ(checked.status, 2);
    EXPECT_NE(checked.err.find(":7:26: admin.console_password_hash: not a console password hash: write the hash "
                               "\"peoplesync console-password\" prints"),
              std::string::npos)
        << checked.err;
}

TEST_F(ConsoleAccessTest, ASessionEndsAtItsLifetimeEvenWhileUsed) {
    use_admin_settings("  console_session_secs: 1\n");
    start();
    const Session session = signed_in();
    EXPECT_EQ(with_session("GET", "/admin/v1/pipelines", session, "").status, 200);
    const auto until = std::chrono::steady_clock::now() + 5s;
    int status = 200;
    while (status == 200 && std::chrono::steady_clock::now() < until) {
        status = with_session("GET", "/admin/v1/pipelines", session, "").status;
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(status, 401) << "the session outlived console_session_secs";
    stop();
}

TEST_F(ConsoleAccessTest, AnIdleSessionEnds) {
    use_admin_settings("  console_idle_secs: 1\n");
    start();
    const Session session = signed_in();
    EXPECT_EQ(with_session("GET", "/console/session", session, "").status, 200);
    // Idleness is the absence of requests, so there is nothing to poll: wait it out.
    std::this_thread::sleep_for(1200ms);
    EXPECT_EQ(with_session("GET", "/console/session", session, "").status, 401);
    stop();
}

TEST_F(ConsoleAccessTest, ANewAdminTokenSignsEveryoneOut) {
    start();
    const Session session = signed_in();
    std::string text = read_text(config());
    text.replace(text.find(admin_token), admin_token.size(), admin_token + "2");
    std::ofstream(config()) << text;
    Answer reloaded = admin("POST", "/reload");
    ASSERT_EQ(reloaded.status, 200) << reloaded.body;
    EXPECT_EQ(with_session("GET", "/console/session", session, "").status, 401);
    stop();
}

// Under TLS the session cookie is Secure: a browser never sends it over plain HTTP.
TEST_F(ConsoleAccessTest, UnderTlsTheCookieIsSecure) {
    const std::string tls_dir = PEOPLESYNC_SOURCE_DIR "/plugins/sink-webhook/tests/tls/";
    write_config("", "  tls: {certificate_file: " + tls_dir + "localhost.pem, private_key_file: " + tls_dir +
                         "localhost.key}\n");
    auto handle = Poco::Process::launch(PEOPLESYNCD, {"--config", config().string()}, dir_.string(), nullptr, nullptr,
                                        nullptr, Poco::Process::Env{});
    pid_ = handle.id();
    std::string url;
    for (int i = 0; i < 500 && alive(pid_) && url.empty(); ++i) {
        json info = json::parse(read_text(runtime_file()), nullptr, false);
        if (info.is_object() && info.value("pid", 0) == pid_)
            url = info["url"];
        else
            std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(url.rfind("https://127.0.0.1:", 0), 0u) << url;
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "",
                                                             tls_dir + "ca.pem", Poco::Net::Context::VERIFY_RELAXED);
    Poco::Net::HTTPSClientSession session("127.0.0.1", static_cast<Poco::UInt16>(Poco::URI(url).getPort()), context);
    Poco::Net::HTTPRequest request("POST", "/console/session", Poco::Net::HTTPMessage::HTTP_1_1);
    const std::string body = json{{"token", admin_token}}.dump();
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::string answer;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
    ASSERT_EQ(response.getStatus(), 200) << answer;
    EXPECT_NE(response.get("Set-Cookie", "").find("; Secure"), std::string::npos) << response.get("Set-Cookie", "");
    stop();
}

// What the Pipelines page shows besides the mode: the sync policy and the last run.
TEST_F(ConsoleAccessTest, APipelineSaysItsSyncPolicyAndLastRun) {
    std::string text = read_text(config());
    std::ofstream(config()) << text << "    sync: {mode: one_to_one, fields: [job_title]}\n";
    start();
    json pipeline = admin("GET", "/pipelines/hris").parsed();
    EXPECT_EQ(pipeline["sync"]["mode"], "one_to_one") << pipeline.dump();
    EXPECT_EQ(pipeline["sync"]["fields"], json({"hris_id", "email", "first_name", "last_name", "active", "job_title"}));
    EXPECT_TRUE(pipeline["last_run"].is_null());
    make_credentials();
    Answer posted = post_snapshot(read_text(dir_ / "webhook-data-example.json"));
    ASSERT_EQ(posted.status, 202) << posted.body;
    wait_for_request(posted.parsed().value("request_id", ""), {"simulated"});
    pipeline = admin("GET", "/pipelines/hris").parsed();
    EXPECT_EQ(pipeline["last_run"].value("status", ""), "simulated") << pipeline.dump();
    EXPECT_EQ(pipeline["last_run"].value("trigger", ""), "request 1");
    stop();
}

// Listening on every interface, the console and its sign-in still answer only on loopback.
TEST_F(ConsoleAccessTest, TheConsoleAnswersOnlyOnThisMachine) {
    std::string address;
    for (const auto& nic : Poco::Net::NetworkInterface::list())
        for (const auto& ip : nic.addressList())
            if (ip.get<0>().family() == Poco::Net::IPAddress::IPv4 && !ip.get<0>().isLoopback() && address.empty())
                address = ip.get<0>().toString();
    if (address.empty()) GTEST_SKIP() << "this machine has no address but loopback";
    std::string text = read_text(config());
    text.replace(text.find("127.0.0.1:0"), 11, "0.0.0.0:0");
    std::ofstream(config()) << text;
    start();
    for (const auto& [method, path] : {std::pair{"GET", "/console/"}, std::pair{"POST", "/console/session"}}) {
        Poco::Net::HTTPClientSession session(address, port_);
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        const std::string body = json{{"token", admin_token}}.dump();
        request.setContentLength(method == std::string("POST") ? static_cast<std::streamsize>(body.size()) : 0);
        session.sendRequest(request) << (method == std::string("POST") ? body : "");
        Poco::Net::HTTPResponse response;
        std::string answer;
        Poco::StreamCopier::copyToString(session.receiveResponse(response), answer);
        EXPECT_EQ(response.getStatus(), 403) << path << ": " << answer;
        EXPECT_NE(answer.find("allow_remote"), std::string::npos) << answer;
    }
    EXPECT_EQ(get("/console/").status, 200) << "loopback is refused";
    stop();
}

}  // namespace
}  // namespace peoplesync::daemon_test
