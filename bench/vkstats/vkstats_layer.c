// A Vulkan layer for measuring what the driver made of webattn's kernels: for every compute
// pipeline an application (Dawn) creates, it asks the driver for the pipeline's executable
// statistics (VK_KHR_pipeline_executable_properties: on NVIDIA e.g. the register count) and
// writes them, with the SPIR-V that Tint emitted, under $VKSTATS_DIR. Measurement only: not
// part of the library, not built by its build (bench/vkstats/build.sh).
//
// Enable: VK_LAYER_PATH=<dir with vkstats.json> VK_INSTANCE_LAYERS=VK_LAYER_WEBATTN_vkstats
// Output: $VKSTATS_DIR/shader-<n>.spv (each vkCreateShaderModule) and $VKSTATS_DIR/stats.txt, one
// line per pipeline executable: pipeline index, shader index, entry point, every statistic.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <vulkan/vulkan.h>
#include <vulkan/vk_layer.h>

#define EXPORT __attribute__((visibility("default")))

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static PFN_vkGetInstanceProcAddr next_gipa;
static PFN_vkGetDeviceProcAddr next_gdpa;
static VkInstance the_instance;
static PFN_vkCreateShaderModule next_create_shader_module;
static PFN_vkCreateComputePipelines next_create_compute_pipelines;
static PFN_vkGetPipelineExecutablePropertiesKHR next_exec_props;
static PFN_vkGetPipelineExecutableStatisticsKHR next_exec_stats;
static int stats_enabled;
static int n_shaders, n_pipelines;
#define MAX_MODULES 4096
static struct { VkShaderModule module; int index; } modules[MAX_MODULES];

static const char* out_dir(void) {
  const char* d = getenv("VKSTATS_DIR");
  return d && *d ? d : ".";
}

static void log_line(const char* text) {
  char path[4096];
  snprintf(path, sizeof path, "%s/stats.txt", out_dir());
  FILE* f = fopen(path, "a");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
  fputs(text, stderr);
}

static VKAPI_ATTR VkResult VKAPI_CALL layer_CreateInstance(const VkInstanceCreateInfo* info,
                                                          const VkAllocationCallbacks* alloc, VkInstance* inst) {
  VkLayerInstanceCreateInfo* chain = (VkLayerInstanceCreateInfo*)info->pNext;
  while (chain && !(chain->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO && chain->function == VK_LAYER_LINK_INFO))
    chain = (VkLayerInstanceCreateInfo*)chain->pNext;
  if (!chain) return VK_ERROR_INITIALIZATION_FAILED;
  next_gipa = chain->u.pLayerInfo->pfnNextGetInstanceProcAddr;
  chain->u.pLayerInfo = chain->u.pLayerInfo->pNext;
  PFN_vkCreateInstance create = (PFN_vkCreateInstance)next_gipa(NULL, "vkCreateInstance");
  VkResult r = create(info, alloc, inst);
  if (r == VK_SUCCESS) the_instance = *inst;
  return r;
}

static int device_has_extension(VkPhysicalDevice phys, const char* name) {
  PFN_vkEnumerateDeviceExtensionProperties enumerate =
      (PFN_vkEnumerateDeviceExtensionProperties)next_gipa(the_instance, "vkEnumerateDeviceExtensionProperties");
  uint32_t n = 0;
  if (!enumerate || enumerate(phys, NULL, &n, NULL) != VK_SUCCESS) return 0;
  VkExtensionProperties* props = calloc(n, sizeof *props);
  int found = 0;
  if (props && enumerate(phys, NULL, &n, props) == VK_SUCCESS)
    for (uint32_t i = 0; i < n; ++i) found |= strcmp(props[i].extensionName, name) == 0;
  free(props);
  return found;
}

static VKAPI_ATTR VkResult VKAPI_CALL layer_CreateDevice(VkPhysicalDevice phys, const VkDeviceCreateInfo* info,
                                                        const VkAllocationCallbacks* alloc, VkDevice* dev) {
  VkLayerDeviceCreateInfo* chain = (VkLayerDeviceCreateInfo*)info->pNext;
  while (chain && !(chain->sType == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO && chain->function == VK_LAYER_LINK_INFO))
    chain = (VkLayerDeviceCreateInfo*)chain->pNext;
  if (!chain) return VK_ERROR_INITIALIZATION_FAILED;
  PFN_vkGetInstanceProcAddr gipa = chain->u.pLayerInfo->pfnNextGetInstanceProcAddr;
  next_gdpa = chain->u.pLayerInfo->pfnNextGetDeviceProcAddr;
  chain->u.pLayerInfo = chain->u.pLayerInfo->pNext;
  PFN_vkCreateDevice create = (PFN_vkCreateDevice)gipa(the_instance, "vkCreateDevice");

  // Add the extension and its feature (Dawn enables neither).
  const char* ext = VK_KHR_PIPELINE_EXECUTABLE_PROPERTIES_EXTENSION_NAME;
  VkDeviceCreateInfo copy = *info;
  VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR feat = {
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR, NULL, VK_TRUE};
  const char** names = calloc(info->enabledExtensionCount + 1, sizeof *names);
  int has = device_has_extension(phys, ext);
  if (has && names) {
    int already = 0;
    for (uint32_t i = 0; i < info->enabledExtensionCount; ++i) {
      names[i] = info->ppEnabledExtensionNames[i];
      already |= strcmp(names[i], ext) == 0;
    }
    copy.enabledExtensionCount = info->enabledExtensionCount;
    if (!already) names[copy.enabledExtensionCount++] = ext;
    copy.ppEnabledExtensionNames = names;
    feat.pNext = (void*)info->pNext;
    copy.pNext = &feat;
  }
  VkResult r = create(phys, &copy, alloc, dev);
  free(names);
  char line[256];
  snprintf(line, sizeof line, "vkstats: device created (%d), %s %s\n", r, ext, has ? "enabled" : "NOT offered by the driver");
  log_line(line);
  if (r != VK_SUCCESS) return r;
  next_create_shader_module = (PFN_vkCreateShaderModule)next_gdpa(*dev, "vkCreateShaderModule");
  next_create_compute_pipelines = (PFN_vkCreateComputePipelines)next_gdpa(*dev, "vkCreateComputePipelines");
  next_exec_props = (PFN_vkGetPipelineExecutablePropertiesKHR)next_gdpa(*dev, "vkGetPipelineExecutablePropertiesKHR");
  next_exec_stats = (PFN_vkGetPipelineExecutableStatisticsKHR)next_gdpa(*dev, "vkGetPipelineExecutableStatisticsKHR");
  stats_enabled = has && next_exec_props && next_exec_stats;
  return r;
}

static VKAPI_ATTR VkResult VKAPI_CALL layer_CreateShaderModule(VkDevice dev, const VkShaderModuleCreateInfo* info,
                                                              const VkAllocationCallbacks* alloc, VkShaderModule* mod) {
  VkResult r = next_create_shader_module(dev, info, alloc, mod);
  pthread_mutex_lock(&lock);
  int index = n_shaders++;
  if (r == VK_SUCCESS && index < MAX_MODULES) {
    modules[index].module = *mod;
    modules[index].index = index;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/shader-%d.spv", out_dir(), index);
  FILE* f = fopen(path, "wb");
  if (f) {
    fwrite(info->pCode, 1, info->codeSize, f);
    fclose(f);
  }
  pthread_mutex_unlock(&lock);
  return r;
}

static int shader_index(VkShaderModule m) {
  for (int i = 0; i < n_shaders && i < MAX_MODULES; ++i)
    if (modules[i].module == m) return modules[i].index;
  return -1;
}

static void report(VkDevice dev, VkPipeline pipe, const VkComputePipelineCreateInfo* ci) {
  int pi = n_pipelines++;
  VkPipelineInfoKHR pinfo = {VK_STRUCTURE_TYPE_PIPELINE_INFO_KHR, NULL, pipe};
  uint32_t n = 0;
  if (next_exec_props(dev, &pinfo, &n, NULL) != VK_SUCCESS) return;
  VkPipelineExecutablePropertiesKHR* props = calloc(n, sizeof *props);
  for (uint32_t i = 0; i < n; ++i) props[i].sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_PROPERTIES_KHR;
  next_exec_props(dev, &pinfo, &n, props);
  for (uint32_t e = 0; e < n; ++e) {
    VkPipelineExecutableInfoKHR einfo = {VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_INFO_KHR, NULL, pipe, e};
    uint32_t ns = 0;
    next_exec_stats(dev, &einfo, &ns, NULL);
    VkPipelineExecutableStatisticKHR* st = calloc(ns, sizeof *st);
    for (uint32_t i = 0; i < ns; ++i) st[i].sType = VK_STRUCTURE_TYPE_PIPELINE_EXECUTABLE_STATISTIC_KHR;
    next_exec_stats(dev, &einfo, &ns, st);
    char line[8192];
    int len = snprintf(line, sizeof line, "pipeline %d shader-%d entry %s exec \"%s\" subgroup %u", pi,
                       shader_index(ci->stage.module), ci->stage.pName, props[e].name, props[e].subgroupSize);
    for (uint32_t i = 0; i < ns && len < (int)sizeof line - 200; ++i) {
      switch (st[i].format) {
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_BOOL32_KHR:
          len += snprintf(line + len, sizeof line - len, " | %s=%u", st[i].name, st[i].value.b32); break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_INT64_KHR:
          len += snprintf(line + len, sizeof line - len, " | %s=%lld", st[i].name, (long long)st[i].value.i64); break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_UINT64_KHR:
          len += snprintf(line + len, sizeof line - len, " | %s=%llu", st[i].name, (unsigned long long)st[i].value.u64); break;
        case VK_PIPELINE_EXECUTABLE_STATISTIC_FORMAT_FLOAT64_KHR:
          len += snprintf(line + len, sizeof line - len, " | %s=%g", st[i].name, st[i].value.f64); break;
        default: break;
      }
    }
    snprintf(line + len, sizeof line - len, "\n");
    log_line(line);
    free(st);
  }
  free(props);
}

static VKAPI_ATTR VkResult VKAPI_CALL layer_CreateComputePipelines(VkDevice dev, VkPipelineCache cache, uint32_t count,
                                                                  const VkComputePipelineCreateInfo* infos,
                                                                  const VkAllocationCallbacks* alloc, VkPipeline* out) {
  if (!stats_enabled) return next_create_compute_pipelines(dev, cache, count, infos, alloc, out);
  VkComputePipelineCreateInfo* copy = calloc(count, sizeof *copy);
  for (uint32_t i = 0; i < count; ++i) {
    copy[i] = infos[i];
    copy[i].flags |= VK_PIPELINE_CREATE_CAPTURE_STATISTICS_BIT_KHR;
  }
  VkResult r = next_create_compute_pipelines(dev, cache, count, copy, alloc, out);
  if (r == VK_SUCCESS) {
    pthread_mutex_lock(&lock);
    for (uint32_t i = 0; i < count; ++i) report(dev, out[i], &copy[i]);
    pthread_mutex_unlock(&lock);
  }
  free(copy);
  return r;
}

static PFN_vkVoidFunction device_hook(const char* name) {
  if (!strcmp(name, "vkCreateShaderModule")) return (PFN_vkVoidFunction)layer_CreateShaderModule;
  if (!strcmp(name, "vkCreateComputePipelines")) return (PFN_vkVoidFunction)layer_CreateComputePipelines;
  return NULL;
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkstats_GetDeviceProcAddr(VkDevice dev, const char* name);

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkstats_GetInstanceProcAddr(VkInstance inst, const char* name) {
  if (!strcmp(name, "vkGetInstanceProcAddr")) return (PFN_vkVoidFunction)vkstats_GetInstanceProcAddr;
  if (!strcmp(name, "vkGetDeviceProcAddr")) return (PFN_vkVoidFunction)vkstats_GetDeviceProcAddr;
  if (!strcmp(name, "vkCreateInstance")) return (PFN_vkVoidFunction)layer_CreateInstance;
  if (!strcmp(name, "vkCreateDevice")) return (PFN_vkVoidFunction)layer_CreateDevice;
  PFN_vkVoidFunction hook = device_hook(name);
  if (hook) return hook;
  return next_gipa ? next_gipa(inst, name) : NULL;
}

EXPORT VKAPI_ATTR PFN_vkVoidFunction VKAPI_CALL vkstats_GetDeviceProcAddr(VkDevice dev, const char* name) {
  if (!strcmp(name, "vkGetDeviceProcAddr")) return (PFN_vkVoidFunction)vkstats_GetDeviceProcAddr;
  PFN_vkVoidFunction hook = device_hook(name);
  if (hook) return hook;
  return next_gdpa ? next_gdpa(dev, name) : NULL;
}

EXPORT VKAPI_ATTR VkResult VKAPI_CALL vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface* v) {
  if (v->loaderLayerInterfaceVersion > 2) v->loaderLayerInterfaceVersion = 2;
  v->pfnGetInstanceProcAddr = vkstats_GetInstanceProcAddr;
  v->pfnGetDeviceProcAddr = vkstats_GetDeviceProcAddr;
  v->pfnGetPhysicalDeviceProcAddr = NULL;
  return VK_SUCCESS;
}
