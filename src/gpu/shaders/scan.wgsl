// The linear recurrence h_t = a_t ⊙ h_{t−1} + x_t, as model/scan.rs: the b·t rows (batch-major;
// a window's first row starts afresh) are cut into chunks, and the scan takes three dispatches:
//   reduce: every chunk's last state from zero, e_j, and its coefficients' product P_j, writing
//           nothing else (one invocation per chunk and channel);
//   carry:  the true state entering each chunk, c_{j+1} = e_j + P_j ⊙ c_j (one invocation per
//           channel, over the chunks in order; backward, from the last: c_{j−1} = e_j + P_j ⊙ c_j);
//   scan:   every chunk's recurrence from its carry (one invocation per chunk and channel).
// The backward is the same scan from the end of each window: g_t = dh_t + a_{t+1} ⊙ g_{t+1},
// dx_t += g_t, da_t += g_t ⊙ h_{t−1}. `scratch` holds per chunk: state (c), product (c), carry (c).

struct Args { n: u32, t: u32, c: u32, chunk: u32, chunks: u32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;   // h; dx backward
@group(0) @binding(1) var<storage, read_write> out_a: array<f32>; // da backward
@group(0) @binding(2) var<storage, read> inp: array<f32>;         // x; dh backward
@group(0) @binding(3) var<storage, read> coef: array<f32>;        // a
@group(0) @binding(4) var<storage, read> states: array<f32>;      // h, for da
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;

fn flat(id: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return id.x + id.y * nwg.x * 256u;
}

// Row r's gradient g (channel k) into dx and da.
fn emit_backward(r: u32, k: u32, g: f32) {
    out[r * args.c + k] += g;
    if (r % args.t != 0u) {
        out_a[r * args.c + k] += g * states[(r - 1u) * args.c + k];
    }
}

// One chunk's reduction, (e_j, P_j), in the direction `backward` (0 or 1) gives.
fn reduce(j: u32, k: u32, backward: bool) {
    let start = j * args.chunk;
    let end = min(start + args.chunk, args.n);
    var s = 0.0;
    var p = 1.0;
    for (var q = 0u; q < end - start; q++) {
        var r = start + q;
        var fresh = r % args.t == 0u;
        var l_at = r;
        if (backward) {
            r = end - 1u - q;
            fresh = (r + 1u) % args.t == 0u;
            l_at = r + 1u;
        }
        let x = inp[r * args.c + k];
        if (fresh) {
            s = x;
            p = 0.0;
        } else {
            let l = coef[l_at * args.c + k];
            s = l * s + x;
            p *= l;
        }
    }
    scratch[j * 3u * args.c + k] = s;
    scratch[j * 3u * args.c + args.c + k] = p;
}

@compute @workgroup_size(256)
fn reduce_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(id, nwg);
    if (i >= args.chunks * args.c) { return; }
    reduce(i / args.c, i % args.c, false);
}

@compute @workgroup_size(256)
fn reduce_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(id, nwg);
    if (i >= args.chunks * args.c) { return; }
    reduce(i / args.c, i % args.c, true);
}

@compute @workgroup_size(256)
fn carry_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = flat(id, nwg);
    if (k >= args.c) { return; }
    let w = 3u * args.c;
    scratch[2u * args.c + k] = 0.0;
    for (var j = 1u; j < args.chunks; j++) {
        let prev_at = (j - 1u) * w;
        scratch[j * w + 2u * args.c + k] = scratch[prev_at + k] + scratch[prev_at + args.c + k] * scratch[prev_at + 2u * args.c + k];
    }
}

@compute @workgroup_size(256)
fn carry_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = flat(id, nwg);
    if (k >= args.c) { return; }
    let w = 3u * args.c;
    scratch[(args.chunks - 1u) * w + 2u * args.c + k] = 0.0;
    for (var j = args.chunks - 1u; j > 0u; j--) {
        let prev_at = j * w;
        scratch[(j - 1u) * w + 2u * args.c + k] = scratch[prev_at + k] + scratch[prev_at + args.c + k] * scratch[prev_at + 2u * args.c + k];
    }
}

@compute @workgroup_size(256)
fn scan_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(id, nwg);
    if (i >= args.chunks * args.c) { return; }
    let j = i / args.c;
    let k = i % args.c;
    let start = j * args.chunk;
    let end = min(start + args.chunk, args.n);
    var s = scratch[j * 3u * args.c + 2u * args.c + k];
    for (var r = start; r < end; r++) {
        let x = inp[r * args.c + k];
        if (r % args.t == 0u) {
            s = x;
        } else {
            s = coef[r * args.c + k] * s + x;
        }
        out[r * args.c + k] = s;
    }
}

@compute @workgroup_size(256)
fn scan_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat(id, nwg);
    if (i >= args.chunks * args.c) { return; }
    let j = i / args.c;
    let k = i % args.c;
    let start = j * args.chunk;
    let end = min(start + args.chunk, args.n);
    var s = scratch[j * 3u * args.c + 2u * args.c + k];
    for (var q = end; q > start; q--) {
        let r = q - 1u;
        let x = inp[r * args.c + k];
        if ((r + 1u) % args.t == 0u) {
            s = x;
        } else {
            s = coef[(r + 1u) * args.c + k] * s + x;
        }
        emit_backward(r, k, s);
    }
}
