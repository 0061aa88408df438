// The minGRU's gates, as model/mingru.rs's `gate`, one invocation per (row, channel):
//   forward:  z = σ(zh_z), a = 1 − z = σ(−zh_z), x = z ⊙ h̃          from zh (n, 2h) = [z pre-activations | h̃]
//   backward: dzh_z += (dx ⊙ h̃ − da) ⊙ z(1 − z),  dzh_h += dx ⊙ z

struct Args { n: u32, h: u32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;   // a; dzh backward
@group(0) @binding(1) var<storage, read_write> out_x: array<f32>; // x
@group(0) @binding(2) var<storage, read> zh: array<f32>;
@group(0) @binding(3) var<storage, read> da: array<f32>;
@group(0) @binding(4) var<storage, read> dx: array<f32>;

fn sigmoid(v: f32) -> f32 {
    return 1.0 / (1.0 + exp(-v));
}

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i >= args.n * args.h) { return; }
    let row = i / args.h;
    let k = i % args.h;
    let v = zh[row * 2u * args.h + k];
    // One exponential for both, as on the CPU: 1 − z = e^−v · z stays exact where z is near 1.
    let e = exp(-v);
    let z = 1.0 / (1.0 + e);
    out[i] = e * z;
    out_x[i] = z * zh[row * 2u * args.h + args.h + k];
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i >= args.n * args.h) { return; }
    let row = i / args.h;
    let k = i % args.h;
    let at = row * 2u * args.h + k;
    let z = sigmoid(zh[at]);
    out[at] += (dx[i] * zh[at + args.h] - da[i]) * z * (1.0 - z);
    out[at + args.h] += dx[i] * z;
}
