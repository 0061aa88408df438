// GELU, tanh form, as model/gelu.rs:
//   forward:  y = ½·x·(1 + tanh(u)),  u = √(2/π)·(x + 0.044715·x³)
//   backward: dinp += dout · (½·(1 + tanh u) + ½·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²))

struct Args { n: u32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> inp: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;

const S: f32 = 0.7978846;
const K: f32 = 0.044715;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i < args.n) {
        let x = inp[i];
        out[i] = 0.5 * x * (1.0 + tanh(S * (x + K * x * x * x)));
    }
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i < args.n) {
        let x = inp[i];
        let t = tanh(S * (x + K * x * x * x));
        let du = S * (1.0 + 3.0 * K * x * x);
        out[i] += dout[i] * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du);
    }
}
