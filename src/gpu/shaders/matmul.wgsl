// C (m, n) = alpha · A (m, k) · B (k, n)  [+ C]   for a batch of matrices at once.
//
// Every matrix lives inside a larger buffer: element (i, j) of matrix z sits at
//     offset + (z / nb2)·s1 + (z % nb2)·s2 + i·rs + j·cs
// so one kernel covers plain products, transposed operands (swap rs and cs), attention heads
// inside the fused q, k, v rows (a column offset and a row stride of 3c), and a batch of windows
// × heads. Each workgroup computes a 16 × 16 tile of C, staging 16 × 16 tiles of A and B in
// workgroup memory.

struct Args {
    m: u32, n: u32, k: u32, nb2: u32,
    a_off: u32, a_rs: u32, a_cs: u32, a_s1: u32, a_s2: u32,
    b_off: u32, b_rs: u32, b_cs: u32, b_s1: u32, b_s2: u32,
    c_off: u32, c_rs: u32, c_cs: u32, c_s1: u32, c_s2: u32,
    accumulate: u32,
    alpha: f32,
}

var<immediate> args: Args;

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

const T: u32 = 16u;
var<workgroup> ta: array<array<f32, 16>, 16>;
var<workgroup> tb: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn matmul(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let z1 = wg.z / args.nb2;
    let z2 = wg.z % args.nb2;
    let a0 = args.a_off + z1 * args.a_s1 + z2 * args.a_s2;
    let b0 = args.b_off + z1 * args.b_s1 + z2 * args.b_s2;
    let c0 = args.c_off + z1 * args.c_s1 + z2 * args.c_s2;
    let row = wg.y * T + lid.y;
    let col = wg.x * T + lid.x;
    var acc = 0.0;
    for (var t = 0u; t < args.k; t += T) {
        let ak = t + lid.x;
        var av = 0.0;
        if (row < args.m && ak < args.k) {
            av = a[a0 + row * args.a_rs + ak * args.a_cs];
        }
        ta[lid.y][lid.x] = av;
        let bk = t + lid.y;
        var bv = 0.0;
        if (bk < args.k && col < args.n) {
            bv = b[b0 + bk * args.b_rs + col * args.b_cs];
        }
        tb[lid.y][lid.x] = bv;
        workgroupBarrier();
        for (var i = 0u; i < T; i++) {
            acc = fma(ta[lid.y][i], tb[i][lid.x], acc);
        }
        workgroupBarrier();
    }
    if (row < args.m && col < args.n) {
        let ci = c0 + row * args.c_rs + col * args.c_cs;
        var v = args.alpha * acc;
        if (args.accumulate == 1u) {
            v += c[ci];
        }
        c[ci] = v;
    }
}
