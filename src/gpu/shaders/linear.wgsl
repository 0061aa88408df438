// The linear layer's two helpers beside the products (which are matmul.wgsl):
//   bias_rows:  out (n, d) = b (d) on every row, before out += inp · w
//   column_sum: db (d) += Σ_rows x (n, d), one invocation per column, rows in order

struct Args { n: u32, d: u32, out_off: u32, b_off: u32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> inp: array<f32>;

@compute @workgroup_size(256)
fn bias_rows(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i < args.n * args.d) {
        out[args.out_off + i] = inp[args.b_off + i % args.d];
    }
}

@compute @workgroup_size(256)
fn column_sum(@builtin(global_invocation_id) id: vec3<u32>) {
    let j = id.x;
    if (j < args.d) {
        var acc = 0.0;
        for (var r = 0u; r < args.n; r++) {
            acc += inp[args.b_off + r * args.d + j];
        }
        out[args.out_off + j] += acc;
    }
}
