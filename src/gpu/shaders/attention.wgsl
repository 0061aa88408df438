// The causal softmax of attention, as model/attention.rs; the products around it (S = q·kᵀ/√hd,
// y = A·v, and their gradients) are matmul.wgsl over every (window, head) at once.
//   forward:  A_i = softmax(S_i,j≤i) row by row, in place, zero above the diagonal
//   backward: dS_ij = A_ij·(dA_ij − Σ_k A_ik·dA_ik)·scale for j ≤ i, in place over dA
// One workgroup of 64 invocations per row of the (windows · heads · t) rows.

struct Args { rows: u32, t: u32, scale: f32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> att: array<f32>;
@group(0) @binding(1) var<storage, read_write> ds: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;

const W: u32 = 64u;
var<workgroup> red: array<f32, 64>;

fn row_of(wg: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wg.x + wg.y * nwg.x;
}

fn reduce_max(lid: u32) {
    for (var s = W / 2u; s > 0u; s /= 2u) {
        workgroupBarrier();
        if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    }
    workgroupBarrier();
}

fn reduce_sum(lid: u32) {
    for (var s = W / 2u; s > 0u; s /= 2u) {
        workgroupBarrier();
        if (lid < s) { red[lid] += red[lid + s]; }
    }
    workgroupBarrier();
}

@compute @workgroup_size(64)
fn softmax_forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_id) l: vec3<u32>) {
    let r = row_of(wg, nwg);
    if (r >= args.rows) { return; }
    let i = r % args.t;
    let base = r * args.t;
    var m = -3.4028235e38;
    for (var j = l.x; j <= i; j += W) { m = max(m, att[base + j]); }
    red[l.x] = m;
    reduce_max(l.x);
    let mx = red[0];
    workgroupBarrier();
    var sum = 0.0;
    for (var j = l.x; j <= i; j += W) {
        let e = exp(att[base + j] - mx);
        att[base + j] = e;
        sum += e;
    }
    red[l.x] = sum;
    reduce_sum(l.x);
    let inv = 1.0 / red[0];
    for (var j = l.x; j < args.t; j += W) {
        if (j <= i) { att[base + j] *= inv; } else { att[base + j] = 0.0; }
    }
}

@compute @workgroup_size(64)
fn softmax_backward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                    @builtin(local_invocation_id) l: vec3<u32>) {
    let r = row_of(wg, nwg);
    if (r >= args.rows) { return; }
    let i = r % args.t;
    let base = r * args.t;
    var dot = 0.0;
    for (var j = l.x; j <= i; j += W) { dot += ds[base + j] * a[base + j]; }
    red[l.x] = dot;
    reduce_sum(l.x);
    let d = red[0];
    for (var j = l.x; j < args.t; j += W) {
        if (j <= i) { ds[base + j] = a[base + j] * (ds[base + j] - d) * args.scale; } else { ds[base + j] = 0.0; }
    }
}
