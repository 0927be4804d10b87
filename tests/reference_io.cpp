// webattn_reference: runs the float64 reference on a problem read from a file, so
// tests/torch_oracle.py can compare it with PyTorch.
//   input  (little-endian): 7 x u32 {S, Hq, Hkv, D, capacity, input_pos, causal}, f64 scale,
//          then f32 arrays q[S*Hq*D], k_new, v_new [S*Hkv*D], k_cache, v_cache [capacity*Hkv*D]
//   output: f64 out[S*Hq*D], then f64 k_cache and v_cache after the update
#include <cstdio>
#include <fstream>
#include <iostream>
#include <vector>

#include "webattn/reference.hpp"

template <class T>
static std::vector<T> read_array(std::ifstream& in, size_t n) {
  std::vector<T> v(n);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * sizeof(T)));
  return v;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: webattn_reference IN OUT\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  uint32_t h[7];
  in.read(reinterpret_cast<char*>(h), sizeof h);
  double scale = 0;
  in.read(reinterpret_cast<char*>(&scale), sizeof scale);
  webattn::reference::CallSpec p{h[0], h[1], h[2], h[3], h[5], h[6] != 0, scale};
  const size_t cap = h[4];
  auto q = read_array<float>(in, size_t{p.seq_len} * p.q_heads * p.head_dim);
  auto kn = read_array<float>(in, size_t{p.seq_len} * p.kv_heads * p.head_dim);
  auto vn = read_array<float>(in, kn.size());
  auto kc = read_array<float>(in, cap * p.kv_heads * p.head_dim);
  auto vc = read_array<float>(in, kc.size());
  if (!in) {
    std::cerr << "webattn_reference: input file too short\n";
    return 2;
  }
  webattn::reference::update_cache(kc, vc, kn, vn, p);
  auto out = webattn::reference::attention(q, kc, vc, p);
  std::ofstream o(argv[2], std::ios::binary);
  o.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size() * 8));
  for (auto* cache : {&kc, &vc}) {
    std::vector<double> d(cache->begin(), cache->end());
    o.write(reinterpret_cast<const char*>(d.data()), static_cast<std::streamsize>(d.size() * 8));
  }
  return 0;
}
