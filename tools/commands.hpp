// Subcommands of the `webattn` CLI. Each registers its options on a CLI11 app and
// returns the process exit code from run().
#pragma once
#include <CLI/CLI.hpp>
#include <functional>

#include "webattn/context.hpp"

namespace webattn::cli {

// Options shared by every command that opens a device.
struct DeviceArgs {
  std::string adapter;
  void add(CLI::App& app);
  ContextOptions options() const;
};

using Runner = std::function<int()>;
Runner add_devices(CLI::App& app);
Runner add_probe(CLI::App& app);
Runner add_check(CLI::App& app);
Runner add_bench(CLI::App& app);
Runner add_tune(CLI::App& app);

}  // namespace webattn::cli
