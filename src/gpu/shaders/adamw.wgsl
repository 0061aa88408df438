// AdamW with global-norm clipping, as model/adamw.rs, on the device:
//   sum_squares: one partial sum of g² per workgroup
//   norm:        ‖g‖ = √(Σ partials) and the clip factor clip / (‖g‖ + 1e-6) if ‖g‖ > clip
//   update:      p ← p − lr·wd·p;  m ← β1·m + (1 − β1)·g';  v ← β2·v + (1 − β2)·g'²;
//                p ← p − lr · (m / c1) / (√(v / c2) + ε),  g' = g · factor, over one range

struct Args {
    n: u32, off: u32, partials: u32, clip: f32,
    lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, c1: f32, c2: f32,
}
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read> grads: array<f32>;
@group(0) @binding(1) var<storage, read_write> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;
@group(0) @binding(3) var<storage, read_write> params: array<f32>;
@group(0) @binding(4) var<storage, read_write> m: array<f32>;
@group(0) @binding(5) var<storage, read_write> v: array<f32>;
@group(0) @binding(6) var<storage, read> factor: array<f32>;

const W: u32 = 256u;
var<workgroup> red: array<f32, 256>;

@compute @workgroup_size(256)
fn sum_squares(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) l: vec3<u32>) {
    let g = wg.x + wg.y * nwg.x;
    let per = (args.n + args.partials - 1u) / args.partials;
    let start = g * per;
    let end = min(start + per, args.n);
    var s = 0.0;
    for (var i = start + l.x; i < end; i += W) { let x = grads[i]; s += x * x; }
    red[l.x] = s;
    for (var k = W / 2u; k > 0u; k /= 2u) {
        workgroupBarrier();
        if (l.x < k) { red[l.x] += red[l.x + k]; }
    }
    workgroupBarrier();
    if (l.x == 0u && g < args.partials) { part[g] = red[0]; }
}

@compute @workgroup_size(256)
fn finish_norm(@builtin(local_invocation_id) l: vec3<u32>) {
    var s = 0.0;
    for (var i = l.x; i < args.partials; i += W) { s += part[i]; }
    red[l.x] = s;
    for (var k = W / 2u; k > 0u; k /= 2u) {
        workgroupBarrier();
        if (l.x < k) { red[l.x] += red[l.x + k]; }
    }
    workgroupBarrier();
    if (l.x == 0u) {
        let total = sqrt(red[0]);
        norm[0] = total;
        if (args.clip > 0.0 && total > args.clip) { norm[1] = args.clip / (total + 1e-6); } else { norm[1] = 1.0; }
    }
}

@compute @workgroup_size(256)
fn update(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = id.x + id.y * nwg.x * 256u;
    if (k >= args.n) { return; }
    let i = args.off + k;
    let g = grads[i] * factor[1];
    var p = params[i];
    p -= args.lr * args.wd * p;
    let mi = args.beta1 * m[i] + (1.0 - args.beta1) * g;
    let vi = args.beta2 * v[i] + (1.0 - args.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = p - args.lr * (mi / args.c1) / (sqrt(vi / args.c2) + args.eps);
}
