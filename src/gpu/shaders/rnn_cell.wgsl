// The Elman recurrence, as model/rnn_cell.rs, one dispatch per word: the chain of dependent
// steps is a chain of dispatches that no GPU can run side by side.
//   forward step s:  h_s = tanh(p_s + h_{s−1}·W_hh)   in place over p_s in hs (t, b, h)
//   backward step s: g = dh_s + dz_{s+1}·W_hhᵀ,  dz_s = g ⊙ (1 − h_s²)
// One invocation per (window, unit) of the step.

struct Args { b: u32, h: u32, s: u32, w_off: u32, has_future: u32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> hs: array<f32>;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> dz: array<f32>;
@group(0) @binding(3) var<storage, read> dhs: array<f32>;
@group(0) @binding(4) var<storage, read> states: array<f32>;

@compute @workgroup_size(256)
fn forward_step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if (i >= args.b * args.h) { return; }
    let bi = i / args.h;
    let j = i % args.h;
    let step = args.b * args.h;
    let now = args.s * step + i;
    var acc = hs[now];
    if (args.s > 0u) {
        let prev = (args.s - 1u) * step + bi * args.h;
        for (var k = 0u; k < args.h; k++) {
            acc = fma(hs[prev + k], params[args.w_off + k * args.h + j], acc);
        }
    }
    hs[now] = tanh(acc);
}

@compute @workgroup_size(256)
fn backward_step(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if (i >= args.b * args.h) { return; }
    let bi = i / args.h;
    let j = i % args.h;
    let step = args.b * args.h;
    let now = args.s * step + i;
    var g = dhs[now];
    if (args.has_future == 1u) {
        let next = (args.s + 1u) * step + bi * args.h;
        for (var k = 0u; k < args.h; k++) {
            g = fma(dz[next + k], params[args.w_off + j * args.h + k], g);
        }
    }
    let hv = states[now];
    dz[now] = g * (1.0 - hv * hv);
}
