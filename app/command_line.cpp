// See command_line.h. CLI11 parses and writes the help; this file turns each
// kind of failure into its message and exit status.
#include "app/command_line.h"

#include "engine/core/error.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <ostream>

namespace lwb::cli {

namespace {

// The innermost subcommand CLI11 entered, and the words that led to it
// ("lorawb runs show").
const CLI::App &enteredCommand(const CLI::App &app, std::string &path)
{
    const CLI::App *at = &app;
    path = app.get_name();
    while (!at->get_subcommands().empty()) {
        at = at->get_subcommands().front();
        path += " " + at->get_name();
    }
    return *at;
}

// A word where a command of `at` was expected, and none of them: a mistyped
// command ("runs frobnicate"), which CLI11 reports as a stray argument.
std::string unknownCommand(const CLI::App &at)
{
    const std::vector<std::string> words = at.remaining();
    if (at.get_subcommands({}).empty() || words.empty() || words.front().rfind('-', 0) == 0)
        return {};
    return words.front();
}

} // namespace

CLI::Validator wholeNumber(std::int64_t min, std::int64_t max)
{
    const std::string range = std::to_string(min) + " to " + std::to_string(max);
    return CLI::Validator(
        [min, max, range](std::string &text) -> std::string {
            std::int64_t value = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc() || end != text.data() + text.size() || value < min || value > max)
                return "\"" + text + "\" is not a whole number from " + range;
            return {};
        },
        "INT " + range);
}

CLI::App *addCommand(CLI::App &parent, const std::string &name, const std::string &description)
{
    CLI::App *command = parent.add_subcommand(name, description);
    command->formatter(parent.get_formatter());
    return command;
}

int runCommandLine(CLI::App &app, const std::vector<std::string> &args, CommandIo &io)
{
    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 takes the words last first
    std::string path;
    try {
        app.parse(reversed);
        return io.status;
    } catch (const CLI::CallForHelp &) {
        io.out << app.help();
        return 0;
    } catch (const CLI::CallForAllHelp &) {
        io.out << app.help("", CLI::AppFormatMode::All);
        return 0;
    } catch (const CLI::ParseError &error) {
        const CLI::App &at = enteredCommand(app, path);
        if (const std::string word = unknownCommand(at); !word.empty())
            io.err << path << ": unknown command '" << word << "'\n";
        else
            io.err << path << ": " << error.what() << '\n';
        io.err << "(" << path << " --help shows the usage)\n";
        return 2;
    } catch (const UsageError &error) {
        enteredCommand(app, path);
        io.err << path << ": " << error.message << "\n(" << path << " --help shows the usage)\n";
        return 2;
    } catch (const Error &error) {
        enteredCommand(app, path);
        io.err << path << ": " << error.what() << '\n';
        return 1;
    } catch (const std::exception &error) {
        enteredCommand(app, path);
        io.err << path << ": internal error: " << error.what() << '\n';
        return 3;
    }
}

} // namespace lwb::cli
