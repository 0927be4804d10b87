// Subcommands of the `webattn` CLI. Each registers its options on a CLI11 app and
// returns the process exit code from run(). Every argument is checked before any GPU
// work: what needs no device right after parsing, what needs the device's limits right
// after opening it (which runs no kernel), and only then is anything measured.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <stdexcept>
#include <string>

#include "webattn/context.hpp"
#include "webattn/probe.hpp"

namespace webattn::cli {

// Process exit codes, the same for every subcommand (kExitCodesHelp says them in --help).
enum ExitCode : int {
  kExitOk = 0,           // everything asked ran (and, for check, passed)
  kExitCheckFailed = 1,  // check: a result outside tolerance, or an invalid call accepted
  kExitBadArguments = 2, // an argument is invalid; nothing was run
  kExitSomeRefused = 3,  // some requested points exceed this device's limits ("not run"); the rest ran
  kExitNothingRan = 4,   // the device can run none of what was asked (or check had nothing to check)
  kExitRuntime = 5,      // a GPU / runtime error while running (Dawn error, device lost, a file not written)
};
extern const char* const kExitCodesHelp;

// An argument the CLI refuses (exit kExitBadArguments); the message names the option.
class BadArgument : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Integer options: "--repeats: must be at least 1, got 0" instead of CLI11's range text.
// Also applied to each element of list options. Checks the text before conversion, so
// negative values for unsigned options are caught here too.
CLI::Validator at_least(long long min, long long max = 4294967295LL);
// Floating-point options: a finite number from min to max ("--warmup-ms: must be a finite
// number, got 'nan'"; CLI::Range lets NaN through, as no comparison with it is true).
CLI::Validator finite_in(double min, double max);
// A positive multiple of 4 (head dims).
extern const CLI::Validator kMultipleOf4;
// An algorithm name, as algorithm_from_string() takes it.
extern const CLI::Validator kAlgorithmName;

// Throws BadArgument unless `path` can be written: its folder exists (with create_folders,
// as for the tuning file, the nearest existing ancestor) and is writable, and if the file
// exists it is a writable file. Empty path: nothing to check.
void check_writable(const std::string& path, const std::string& option, bool create_folders = false);
// Writes text to path; throws webattn::Error naming the option and path if it fails.
void write_file(const std::string& path, const std::string& text, const std::string& option);

// Options shared by every command that opens a device.
struct DeviceArgs {
  std::string adapter;
  void add(CLI::App& app);
  ContextOptions options() const;
  // Checks --adapter against the adapter list (BadArgument naming the ones there are),
  // then opens the device. No kernel runs.
  Context open() const;
};

// The device ceilings bench and tune compare with: the saved ones for this adapter
// (ceilings_path()), or measured now with probe_device's defaults and saved, when none are
// saved or `reprobe`. Prints which figures are used and when they were measured.
ProbeResult ceilings_for(Context& ctx, bool reprobe);
// One line per ceiling with the form that reached it.
void print_ceilings(const ProbeResult& r);

using Runner = std::function<int()>;
Runner add_devices(CLI::App& app);
Runner add_probe(CLI::App& app);
Runner add_check(CLI::App& app);
Runner add_bench(CLI::App& app);
Runner add_tune(CLI::App& app);

}  // namespace webattn::cli
