// webattn: exact scaled-dot-product attention with a KV cache on WebGPU.
#include <fmt/core.h>

#include <map>

#include "attention/launch.hpp"
#include "commands.hpp"
#include "webattn/errors.hpp"

int main(int argc, char** argv) {
  using namespace webattn::cli;
  CLI::App app{"webattn: exact SDPA with a KV cache on WebGPU (Dawn)"};
  app.require_subcommand(1);
  app.footer(kExitCodesHelp);
  std::map<CLI::App*, Runner> runners;
  auto add = [&](const char* name, const char* help, auto adder) {
    CLI::App* sub = app.add_subcommand(name, help);
    sub->footer(kExitCodesHelp);
    runners[sub] = adder(*sub);
  };
  add("devices", "list WebGPU adapters, their backend, features and key limits", add_devices);
  add("probe", "measure copy and read-only bandwidth and the fp32 FMA rate (best of several kernel forms), "
               "save them for bench/tune", add_probe);
  add("check", "run every algorithm against the float64 reference on random shapes and presets", add_check);
  add("bench", "time prefill and decode per stage with GPU timestamps, with %-of-floor", add_bench);
  add("tune", "measure the fused kernels' tunables on this device and save the winners for it", add_tune);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "webattn: error: {}\nRun with --help for the options.\n", e.what());
    return kExitBadArguments;
  }
  try {
    // The measurement switches in the environment, before any GPU work (the kernels read them
    // only when a plan is prepared, after bench's device probe).
    webattn::attention::check_split_kv_switches();
    webattn::attention::check_flash_prefill_switches();
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const BadArgument& e) {
    fmt::print(stderr, "webattn: error: {}\n", e.what());
    return kExitBadArguments;
  } catch (const webattn::ShapeError& e) {  // a value the library refuses
    fmt::print(stderr, "webattn: error: {}\n", e.what());
    return kExitBadArguments;
  } catch (const webattn::UnsupportedError& e) {  // the device cannot do it
    fmt::print(stderr, "webattn: error: {}\n", e.what());
    return kExitNothingRan;
  } catch (const webattn::Error& e) {
    fmt::print(stderr, "webattn: error: {}\n", e.what());
    return kExitRuntime;
  } catch (const std::exception& e) {
    fmt::print(stderr, "webattn: unexpected error: {}\n", e.what());
    return kExitRuntime;
  }
  return kExitBadArguments;
}
