// The token embedding layer, as embed/embedding.rs:
//   forward:  out[i] = table[token[i]]                       (one invocation per element)
//   backward: dtable[v] += Σ_{i: token[i] = v} dout[i]       (one invocation per (word, column))
// The backward needs no atomics: the host groups the positions by word (`starts`, `positions`,
// a counting sort of the step's tokens, which go up to the device anyway), and each word's row
// sums its positions in order, as the CPU loop does.

struct Args { n: u32, width: u32, table_off: u32, words: u32, index_off: u32 }
var<immediate> args: Args;

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> tokens: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> dtable: array<f32>;
@group(0) @binding(4) var<storage, read> dout: array<f32>;
// index = starts (words + 1) then positions (n)
@group(0) @binding(5) var<storage, read> index: array<u32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i >= args.n * args.width) { return; }
    let row = i / args.width;
    let col = i % args.width;
    out[i] = table[args.table_off + tokens[row] * args.width + col];
}

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = id.x + id.y * nwg.x * 256u;
    if (i >= args.words * args.width) { return; }
    let v = i / args.width;
    let col = i % args.width;
    let first = index[args.index_off + v];
    let last = index[args.index_off + v + 1u];
    if (first == last) { return; }
    var acc = 0.0;
    for (var p = first; p < last; p++) {
        acc += dout[index[args.index_off + args.words + 1u + p] * args.width + col];
    }
    dtable[args.table_off + i] += acc;
}
