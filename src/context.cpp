#include "webattn/context.hpp"

#include "gpu/device.hpp"

namespace webattn {

Context::Context(const ContextOptions& options) : device_(std::make_shared<gpu::Device>(options)) {}
Context::Context(std::shared_ptr<gpu::Device> device) : device_(std::move(device)) {}
Context Context::adopt(WGPUInstance instance, WGPUDevice device) {
  return Context(std::make_shared<gpu::Device>(instance, device));
}
Context::~Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

std::vector<AdapterSummary> Context::list_adapters() { return gpu::Device::enumerate_adapters(); }
const AdapterSummary& Context::adapter() const { return device_->adapter(); }
bool Context::has_timestamps() const { return device_->has_timestamps(); }
bool Context::has_subgroups() const { return device_->has_subgroups(); }
bool Context::has_shader_f16() const { return device_->has_shader_f16(); }
ObjectCounts Context::object_counts() const { return device_->counts(); }
WGPUInstance Context::instance_handle() const { return device_->instance(); }
WGPUDevice Context::device_handle() const { return device_->handle(); }

}  // namespace webattn
