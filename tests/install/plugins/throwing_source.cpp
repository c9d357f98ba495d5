// Install test fixture, built against the installed SDK: a source whose
// read() throws, an exception type of its own deriving from
// std::runtime_error or, with `exception: other`, something that is not a
// std::exception at all.
#include <stdexcept>

#include <peoplesync/plugin.hpp>

namespace {

class HrisUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ThrowingSource final : public peoplesync::Source {
public:
    static constexpr const char* type = "throwing";
    static constexpr const char* description = "Install test: a source whose read() throws";
    static std::vector<peoplesync::OptionSpec> options() {
        return {peoplesync::option::string("message", "What read() throws.").required(),
                peoplesync::option::string("exception", "std or other.").one_of({"std", "other"}).fallback("std")};
    }
    ThrowingSource(const peoplesync::ConfigValue& config, peoplesync::Host&)
        : message_(config.at("message").as_string()), other_(config.get_string("exception", "std") == "other") {}

    peoplesync::Snapshot read(peoplesync::ReadContext&) override {
        if (other_) throw message_.size();
        throw HrisUnavailable(message_);
    }

private:
    std::string message_;
    bool other_;
};

}  // namespace

PEOPLESYNC_PLUGIN(ThrowingSource)
