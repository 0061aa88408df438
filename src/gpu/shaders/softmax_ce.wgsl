// Softmax and cross-entropy, fused, as model/softmax_ce.rs (one workgroup of 256 per row):
//   forward:  p = softmax(logits) row by row, in place; loss_i = −ln p_i[target_i]
//   backward: dlogits = dloss · (p − onehot(target)), in place over the probabilities
//   argmax:   the index of each row's largest probability (the first one on ties)

struct Args { n: u32, v: u32, has_targets: u32, dloss: f32, t_off: u32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> probs: array<f32>;
@group(0) @binding(1) var<storage, read_write> losses: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> best: array<u32>;
@group(0) @binding(4) var<storage, read> probs_in: array<f32>;

const W: u32 = 256u;
const MIN_POSITIVE: f32 = 1.17549435e-38;
var<workgroup> red: array<f32, 256>;
var<workgroup> at: array<u32, 256>;

fn row_of(wg: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wg.x + wg.y * nwg.x;
}

@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) l: vec3<u32>) {
    let r = row_of(wg, nwg);
    if (r >= args.n) { return; }
    let base = r * args.v;
    var m = -3.4028235e38;
    for (var j = l.x; j < args.v; j += W) { m = max(m, probs[base + j]); }
    red[l.x] = m;
    for (var s = W / 2u; s > 0u; s /= 2u) {
        workgroupBarrier();
        if (l.x < s) { red[l.x] = max(red[l.x], red[l.x + s]); }
    }
    workgroupBarrier();
    let mx = red[0];
    workgroupBarrier();
    var sum = 0.0;
    for (var j = l.x; j < args.v; j += W) {
        let e = exp(probs[base + j] - mx);
        probs[base + j] = e;
        sum += e;
    }
    red[l.x] = sum;
    for (var s = W / 2u; s > 0u; s /= 2u) {
        workgroupBarrier();
        if (l.x < s) { red[l.x] += red[l.x + s]; }
    }
    workgroupBarrier();
    let inv = 1.0 / red[0];
    for (var j = l.x; j < args.v; j += W) { probs[base + j] *= inv; }
    storageBarrier();
    workgroupBarrier();
    if (l.x == 0u && args.has_targets == 1u) {
        losses[r] = -log(max(probs[base + targets[args.t_off + r]], MIN_POSITIVE));
    }
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i >= args.n * args.v) { return; }
    let r = i / args.v;
    var g = probs[i] * args.dloss;
    if (i % args.v == targets[args.t_off + r]) { g -= args.dloss; }
    probs[i] = g;
}

@compute @workgroup_size(256)
fn argmax(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_id) l: vec3<u32>) {
    let r = row_of(wg, nwg);
    if (r >= args.n) { return; }
    let base = r * args.v;
    var bv = -3.4028235e38;
    var bi = 0u;
    for (var j = l.x; j < args.v; j += W) {
        let x = probs_in[base + j];
        if (x > bv) { bv = x; bi = j; }
    }
    red[l.x] = bv;
    at[l.x] = bi;
    for (var s = W / 2u; s > 0u; s /= 2u) {
        workgroupBarrier();
        if (l.x < s) {
            let ov = red[l.x + s];
            let oi = at[l.x + s];
            if (ov > red[l.x] || (ov == red[l.x] && oi < at[l.x])) { red[l.x] = ov; at[l.x] = oi; }
        }
    }
    workgroupBarrier();
    if (l.x == 0u) { best[r] = at[0]; }
}
