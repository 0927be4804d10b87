// Embedding: a host creates its own WebGPU device and buffers (plain WebGPU defaults, no
// webattn involved), hands them to webattn, and submits webattn's passes itself.
#include <gtest/gtest.h>

#include <random>

#include "internal.hpp"
#include "gpu/device.hpp"
#include "test_context.hpp"
#include "webattn/webattn.hpp"

using namespace webattn;

namespace {

// What a host runtime does to get a device: default adapter, default limits, no toggles.
class HostDevice {
 public:
  HostDevice() {
    instance = wgpuCreateInstance(nullptr);
    WGPURequestAdapterOptions options{};
    options.featureLevel = WGPUFeatureLevel_Core;
    WGPURequestAdapterCallbackInfo acb{};
    acb.mode = WGPUCallbackMode_AllowProcessEvents;
    acb.callback = [](WGPURequestAdapterStatus, WGPUAdapter a, WGPUStringView, void* u1, void*) {
      *static_cast<WGPUAdapter*>(u1) = a;
    };
    acb.userdata1 = &adapter;
    wgpuInstanceRequestAdapter(instance, &options, acb);
    for (int i = 0; i < 100000 && !adapter; ++i) wgpuInstanceProcessEvents(instance);
    if (!adapter) return;
    WGPUDeviceDescriptor desc{};
    WGPURequestDeviceCallbackInfo dcb{};
    dcb.mode = WGPUCallbackMode_AllowProcessEvents;
    dcb.callback = [](WGPURequestDeviceStatus, WGPUDevice d, WGPUStringView, void* u1, void*) {
      *static_cast<WGPUDevice*>(u1) = d;
    };
    dcb.userdata1 = &device;
    wgpuAdapterRequestDevice(adapter, &desc, dcb);
    for (int i = 0; i < 100000 && !device; ++i) wgpuInstanceProcessEvents(instance);
    if (device) queue = wgpuDeviceGetQueue(device);
  }
  ~HostDevice() {
    if (queue) wgpuQueueRelease(queue);
    if (device) {
      wgpuDeviceDestroy(device);
      wgpuDeviceRelease(device);
    }
    if (adapter) wgpuAdapterRelease(adapter);
    wgpuInstanceProcessEvents(instance);
    wgpuInstanceRelease(instance);
  }
  WGPUBuffer buffer(uint64_t bytes, WGPUBufferUsage usage) {
    WGPUBufferDescriptor d{};
    d.usage = usage;
    d.size = bytes;
    WGPUBuffer b = wgpuDeviceCreateBuffer(device, &d);
    owned.push_back(b);
    return b;
  }
  void submit(WGPUCommandEncoder enc) {
    WGPUCommandBuffer cmd = wgpuCommandEncoderFinish(enc, nullptr);
    wgpuQueueSubmit(queue, 1, &cmd);
    wgpuCommandBufferRelease(cmd);
    wgpuCommandEncoderRelease(enc);
  }
  void release_buffers() {
    for (auto b : owned) {
      wgpuBufferDestroy(b);
      wgpuBufferRelease(b);
    }
    owned.clear();
  }

  WGPUInstance instance = nullptr;
  WGPUAdapter adapter = nullptr;
  WGPUDevice device = nullptr;
  WGPUQueue queue = nullptr;
  std::vector<WGPUBuffer> owned;
};

constexpr WGPUBufferUsage kHostUsage = WGPUBufferUsage_Storage | WGPUBufferUsage_CopySrc | WGPUBufferUsage_CopyDst;

using webattn::testing::randn;

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

// One host buffer holds q, k_new and v_new at 256-aligned offsets, another out, a third
// both caches (WebGPU forbids reading and writing one buffer in the same pass). Steps are encoded into the host's encoder and submitted by the host.
TEST(Embed, HostDeviceBuffersAndEncoder) {
  HostDevice host;
  ASSERT_NE(host.device, nullptr) << "no adapter/device for the host";
  {
    Context ctx = Context::adopt(host.instance, host.device);
    EXPECT_FALSE(ctx.adapter().device.empty());
    EXPECT_EQ(ctx.device_handle(), host.device);
    const uint32_t Hq = 4, Hkv = 2, D = 8, S = 3, cap = 20;
    const uint64_t act_bytes = 4096, cache_bytes = uint64_t{cap} * Hkv * D * 4;
    WGPUBuffer act = host.buffer(3 * act_bytes, kHostUsage);
    WGPUBuffer outputs = host.buffer(2 * act_bytes, kHostUsage);
    WGPUBuffer caches = host.buffer(256 + 2 * 1536, kHostUsage);  // K at 256, V at 256 + 1536
    ASSERT_LE(cache_bytes, 1536u);

    Tensor q = Tensor::wrap(ctx, act, 0, {S, Hq, D}, "host q");
    Tensor k = Tensor::wrap(ctx, act, act_bytes, {S, Hkv, D}, "host k");
    Tensor v = Tensor::wrap(ctx, act, 2 * act_bytes, {S, Hkv, D}, "host v");
    Tensor out = Tensor::wrap(ctx, outputs, act_bytes, {S, Hq, D}, "host out");
    KVCache cache = KVCache::wrap(ctx, {cap, Hkv, D}, caches, 256, caches, 256 + 1536);
    EXPECT_EQ(out.wgpu_offset(), act_bytes);
    // out beside q in one buffer cannot work (a pass would read and write it): said up front.
    Tensor out_in_act = Tensor::wrap(ctx, act, 0, {S, Hq, D}, "out beside q");
    EXPECT_THROW(Sdpa(ctx).plan(q, k, v, cache, out_in_act), ShapeError);

    Sdpa sdpa(ctx);
    std::mt19937 rng(3);
    std::vector<float> hk(size_t{cap} * Hkv * D, 0.f), hv = hk;
    for (Algorithm algo : {Algorithm::FlashPrefill, Algorithm::SplitKvDecode, Algorithm::ThreePassCoalesced}) {
      SCOPED_TRACE(to_string(algo));
      SdpaOptions opt;
      opt.algorithm = algo;
      auto plan = sdpa.plan(q, k, v, cache, out, opt);
      for (uint32_t pos = 0; pos + S <= cap; pos += 2 * S) {
        auto hq = randn(rng, size_t{S} * Hq * D), kn = randn(rng, size_t{S} * Hkv * D),
             vn = randn(rng, size_t{S} * Hkv * D);
        q.upload(hq);
        k.upload(kn);
        v.upload(vn);
        out.poison();
        WGPUCommandEncoder enc = wgpuDeviceCreateCommandEncoder(host.device, nullptr);
        plan.encode(enc, pos);
        gpu_device(ctx).scoped("the host's submission", [&] { host.submit(enc); });
        reference::CallSpec p{S, Hq, Hkv, D, pos, true, 0};
        reference::update_cache(hk, hv, kn, vn, p);
        auto cmp = reference::compare(out.download(), reference::attention(hq, hk, hv, p));
        EXPECT_LE(cmp.max_abs, 2e-6) << "pos " << pos;
        EXPECT_EQ(cmp.nonfinite, 0u) << "pos " << pos;
      }
    }
    // The caches sit exactly where the host put them; the bytes around them are untouched.
    EXPECT_EQ(cache.download_keys(), hk);
    EXPECT_EQ(cache.download_values(), hv);
  }
  // The adopted Context is gone; the host's device still works.
  Context again = Context::adopt(host.instance, host.device);
  Tensor t = Tensor::wrap(again, host.buffer(256, kHostUsage), 0, {4}, "after");
  t.upload({1, 2, 3, 4});
  EXPECT_EQ(t.download(), (std::vector<float>{1, 2, 3, 4}));
  host.release_buffers();
}

TEST(Embed, IncompatibleHostBuffersAreRejectedWithTheReason) {
  HostDevice host;
  ASSERT_NE(host.device, nullptr);
  Context ctx = Context::adopt(host.instance, host.device);
  WGPUBuffer no_storage = host.buffer(1024, WGPUBufferUsage_CopyDst | WGPUBufferUsage_CopySrc);
  WGPUBuffer storage_only = host.buffer(1024, WGPUBufferUsage_Storage);
  WGPUBuffer good = host.buffer(1024, kHostUsage);
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos ? ::testing::AssertionSuccess()
                                               : ::testing::AssertionFailure() << "'" << msg << "' lacks '" << part << "'";
  };
  EXPECT_TRUE(has(error_of([&] { Tensor::wrap(ctx, no_storage, 0, {4}, "q"); }),
                  "'q': the host buffer's usage is CopySrc|CopyDst; webattn binds it as a storage buffer, so it needs Storage"));
  EXPECT_TRUE(has(error_of([&] { Tensor::wrap(ctx, good, 100, {4}, "q"); }),
                  "'q': offset 100 is not a multiple of this device's minStorageBufferOffsetAlignment"));
  EXPECT_TRUE(has(error_of([&] { Tensor::wrap(ctx, good, 768, {2, 64}, "q"); }),
                  "'q': 512 bytes at offset 768 overflow the host buffer of 1024 bytes"));
  EXPECT_TRUE(has(error_of([&] { Tensor::wrap(ctx, good, 0, {0, 4}, "q"); }), "cannot view an empty shape [0, 4]"));
  EXPECT_TRUE(has(error_of([&] { Tensor::wrap(ctx, nullptr, 0, {4}, "q"); }), "'q': the host buffer is null"));
  EXPECT_TRUE(has(error_of([&] { KVCache::wrap(ctx, {8, 2, 8}, good, 0, good, 256); }),
                  "keys at offset 0 and values at offset 256 overlap in the same buffer (each cache takes 512 bytes)"));
  EXPECT_TRUE(has(error_of([&] { KVCache::wrap(ctx, {8, 2, 8}, good, 512, storage_only, 768); }),
                  "'host v_cache': 512 bytes at offset 768 overflow the host buffer of 1024 bytes"));
  // Storage alone binds fine, but reading it back needs CopySrc: said when it is tried.
  Tensor bound_only = Tensor::wrap(ctx, storage_only, 0, {4}, "bound only");
  EXPECT_TRUE(has(error_of([&] { bound_only.download(); }),
                  "reading back host buffer 'bound only' needs CopySrc usage; it has Storage"));
  EXPECT_TRUE(has(error_of([&] { bound_only.upload({1, 2, 3, 4}); }),
                  "writing to host buffer 'bound only' needs CopyDst usage; it has Storage"));
  host.release_buffers();
}

// The host destroys its device: webattn's next call on it raises DeviceLostError (seen
// through the device's lost future: webattn installs no callbacks on a host's device).
TEST(Embed, HostDeviceLossRaises) {
  HostDevice host;
  ASSERT_NE(host.device, nullptr);
  Context ctx = Context::adopt(host.instance, host.device);
  KVCache cache(ctx, {8, 1, 4});
  Tensor k = Tensor::from(ctx, {1, 1, 4}, {1, 2, 3, 4});
  cache.update(k, k, 0);
  wgpuDeviceDestroy(host.device);
  wgpuInstanceProcessEvents(host.instance);
  EXPECT_THROW(cache.update(k, k, 1), DeviceLostError);
}

TEST(Embed, NullHandlesAreRejected) {
  EXPECT_THROW(Context::adopt(nullptr, nullptr), ShapeError);
}
