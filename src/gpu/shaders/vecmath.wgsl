// Elementwise helpers: fill a stretch of a buffer with one value (zeroing gradients), and add
// one stretch into another (a residual connection; a gradient passing through an addition).
// One invocation per element; past 65,535 workgroups the index continues in the y dimension.

struct Args { n: u32, out_off: u32, inp_off: u32, value: f32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> inp: array<f32>;

@compute @workgroup_size(256)
fn fill(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i < args.n) {
        out[args.out_off + i] = args.value;
    }
}

@compute @workgroup_size(256)
fn add(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i < args.n) {
        out[args.out_off + i] += inp[args.inp_off + i];
    }
}
