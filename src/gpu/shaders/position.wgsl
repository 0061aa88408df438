// The learned position embedding, as model/position.rs:
//   forward:  x[b, t] += P[t]            (in place; one invocation per element)
//   backward: dP[t] += Σ_b dx[b, t]      (one invocation per (position, column), windows in order)

struct Args { n: u32, t: u32, c: u32, p_off: u32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<f32>;
@group(0) @binding(3) var<storage, read> dx: array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i >= args.n * args.c) { return; }
    let row = i / args.c;
    let col = i % args.c;
    x[i] += params[args.p_off + (row % args.t) * args.c + col];
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if (i >= args.t * args.c) { return; }
    let pos = i / args.c;
    let col = i % args.c;
    var acc = 0.0;
    for (var row = pos; row < args.n; row += args.t) {
        acc += dx[row * args.c + col];
    }
    grads[args.p_off + i] += acc;
}
