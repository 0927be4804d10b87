// split_kv_reduce after a separate cache-update pass: the chunks held every key.
fn put_new_rows(t: u32, r: u32, kvh: u32) {}
fn new_keys_max(t: u32, r: u32, kvh: u32) -> f32 { return LOWEST; }
fn add_new_keys(d4: u32, kvh: u32, m_all: f32, o: ptr<function, vec4<f32>>, l: ptr<function, f32>) {}
