// Layer normalisation over the last dimension (width c), as model/layernorm.rs:
//   forward:  μ = mean(x), rstd = 1/√(var(x) + ε), out = (x − μ)·rstd·g + b
//   backward: dx += rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂·x̂)),  dx̂ = dout·g   (a row kernel)
//             dg += Σ_rows dout·x̂,  db += Σ_rows dout                          (a column kernel)
// Row kernels run one workgroup of 64 invocations per row and reduce in workgroup memory.

struct Args { n: u32, c: u32, g_off: u32, b_off: u32 }
var<immediate> args: Args;

// forward
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read_write> mean: array<f32>;
@group(0) @binding(2) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(3) var<storage, read> inp: array<f32>;
@group(0) @binding(4) var<storage, read> params: array<f32>;
// backward (inp and params as above; gradients either of the input or of g and b)
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;
@group(0) @binding(6) var<storage, read> dout: array<f32>;
@group(0) @binding(7) var<storage, read> saved_mean: array<f32>;
@group(0) @binding(8) var<storage, read> saved_rstd: array<f32>;

const EPS: f32 = 1e-5;
const W: u32 = 64u;
var<workgroup> red: array<f32, 64>;
var<workgroup> red2: array<f32, 64>;

fn row_of(wg: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wg.x + wg.y * nwg.x;
}

// Sums red[0..64] into red[0] and red2[0..64] into red2[0] (every invocation calls it).
fn reduce(lid: u32) {
    for (var s = W / 2u; s > 0u; s /= 2u) {
        workgroupBarrier();
        if (lid < s) {
            red[lid] += red[lid + s];
            red2[lid] += red2[lid + s];
        }
    }
    workgroupBarrier();
}

@compute @workgroup_size(64)
fn forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) l: vec3<u32>) {
    let r = row_of(wg, nwg);
    if (r >= args.n) { return; }
    let base = r * args.c;
    var s = 0.0;
    for (var j = l.x; j < args.c; j += W) { s += inp[base + j]; }
    red[l.x] = s;
    red2[l.x] = 0.0;
    reduce(l.x);
    let m = red[0] / f32(args.c);
    workgroupBarrier();
    var v = 0.0;
    for (var j = l.x; j < args.c; j += W) { let d = inp[base + j] - m; v += d * d; }
    red[l.x] = v;
    reduce(l.x);
    let rs = 1.0 / sqrt(red[0] / f32(args.c) + EPS);
    for (var j = l.x; j < args.c; j += W) {
        out[base + j] = (inp[base + j] - m) * rs * params[args.g_off + j] + params[args.b_off + j];
    }
    if (l.x == 0u) { mean[r] = m; rstd[r] = rs; }
}

@compute @workgroup_size(64)
fn backward_rows(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                 @builtin(local_invocation_id) l: vec3<u32>) {
    let r = row_of(wg, nwg);
    if (r >= args.n) { return; }
    let base = r * args.c;
    let m = saved_mean[r];
    let s = saved_rstd[r];
    var md = 0.0;
    var mdx = 0.0;
    for (var j = l.x; j < args.c; j += W) {
        let dn = dout[base + j] * params[args.g_off + j];
        md += dn;
        mdx += dn * (inp[base + j] - m) * s;
    }
    red[l.x] = md;
    red2[l.x] = mdx;
    reduce(l.x);
    let mean_d = red[0] / f32(args.c);
    let mean_dx = red2[0] / f32(args.c);
    for (var j = l.x; j < args.c; j += W) {
        let xhat = (inp[base + j] - m) * s;
        grad[base + j] += s * (dout[base + j] * params[args.g_off + j] - mean_d - xhat * mean_dx);
    }
}

// dg at g_off and db at b_off of the parameter gradients `grad`, one invocation per column.
@compute @workgroup_size(64)
fn backward_params(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    if (j >= args.c) { return; }
    var dg = 0.0;
    var db = 0.0;
    for (var r = 0u; r < args.n; r++) {
        let d = dout[r * args.c + j];
        dg += d * (inp[r * args.c + j] - saved_mean[r]) * saved_rstd[r];
        db += d;
    }
    grad[args.g_off + j] += dg;
    grad[args.b_off + j] += db;
}
