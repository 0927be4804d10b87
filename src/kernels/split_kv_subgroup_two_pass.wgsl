// The subgroup form's bindings and hooks when a second dispatch merges its partial states
// (split_kv_reduce; the form's default where the one-pass merge cannot run: see
// split_kv_subgroup_one_pass.wgsl). The step's own keys are the merge's (FUSED) or the
// separate cache update's.
const ONE_PASS: bool = false;

@group(0) @binding(2) var<storage, read> k_cache: array<KvVec4>;
@group(0) @binding(3) var<storage, read> v_cache: array<KvVec4>;
@group(0) @binding(4) var<storage, read_write> part_o: array<vec4<f32>>;  // [Hkv, n_chunks, g, D4]
@group(0) @binding(5) var<storage, read_write> part_ml: array<vec2<f32>>; // [Hkv, n_chunks, g] (m, l)

fn put_o(i: u32, v: vec4<f32>) {
  part_o[i] = v;
}

fn put_ml(i: u32, v: vec2<f32>) {
  part_ml[i] = v;
}

fn one_pass_start(kvh: u32, t: u32, key_begin: u32, key_end: u32) {}

fn one_pass_finish(kvh: u32, t: u32) {}
