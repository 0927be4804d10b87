// webattn: exact scaled-dot-product attention with a KV cache on WebGPU.
#include <fmt/core.h>

#include <map>

#include "commands.hpp"
#include "webattn/errors.hpp"

int main(int argc, char** argv) {
  CLI::App app{"webattn: exact SDPA with a KV cache on WebGPU (Dawn)"};
  app.require_subcommand(1);
  std::map<CLI::App*, webattn::cli::Runner> runners;
  auto add = [&](const char* name, const char* help, auto adder) {
    CLI::App* sub = app.add_subcommand(name, help);
    runners[sub] = adder(*sub);
  };
  add("devices", "list WebGPU adapters, their backend, features and key limits", webattn::cli::add_devices);
  add("probe", "measure device-memory bandwidth and fp32 FMA rate with GPU timestamps", webattn::cli::add_probe);
  add("check", "run every algorithm against the float64 reference on random shapes and presets",
      webattn::cli::add_check);
  add("bench", "time prefill and decode per stage with GPU timestamps, with %-of-floor",
      webattn::cli::add_bench);
  add("tune", "measure the fused kernels' tunables on this device and save the winners for it",
      webattn::cli::add_tune);
  CLI11_PARSE(app, argc, argv);
  try {
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const webattn::Error& e) {
    fmt::print(stderr, "webattn: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "webattn: unexpected error: {}\n", e.what());
    return 3;
  }
  return 1;
}
