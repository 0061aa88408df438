#!/usr/bin/env python3
"""sideways against its peers, side by side on this machine, in one run.

For every (model, window length, thread count) it times sideways (`sideways bench`) and PyTorch
(`torch_lm.py`, the same standard configuration by hand) one after the other, and does the
whole round twice, so each ratio is measured on the same machine minutes apart. Then word2vec
against gensim on the same pre-tokenised words (tinyshakespeare without punctuation), with the
same settings, both vector sets scored by gensim's own analogy and WordSim-353 evaluation.

    ../shared/peers/setup.sh                      # once: the peers' virtual environment
    cargo build --release
    ~/.cache/peers-venv/bin/python scripts/peers.py --corpora ../shared/corpora --peers ../shared/peers

Prints a Markdown table per part (with the CPU's name and the load average before each
measurement) and, with --out, writes every figure as JSON. Nothing here is a test: speed is
measured, never asserted.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIDEWAYS = os.path.join(ROOT, "target", "release", "sideways")
TOKENS_PER_STEP = 2048


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def run_json(cmd, pick):
    """Run `cmd`; return pick(the last JSON line of its stdout)."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    lines = [l for l in out.splitlines() if l.startswith("{")]
    return pick(json.loads(lines[-1]))


def ours_lm(corpus, model, seq, threads):
    cmd = [SIDEWAYS, "bench", "--models", model, "--threads", str(threads), "--seq-len", str(seq),
           "--gpus", "none", "--corpus", corpus, "--json"]
    return run_json(cmd, lambda d: d["sweep"]["points"][0]["tokens_per_s"])


def torch_lm(py, peers, corpus, model, seq, threads):
    cmd = [py, os.path.join(peers, "torch_lm.py"), "--model", model, "--threads", str(threads),
           "--seq-len", str(seq), "--batch", str(TOKENS_PER_STEP // seq), "--steps", "60", "--no-val",
           "--corpus", corpus]
    return run_json(cmd, lambda d: d["tokens_per_sec"])


def words_file(corpus, folder):
    """The corpus as gensim's script reads it: lowercase word tokens, 10,000 to a line."""
    with open(corpus, encoding="utf-8") as f:
        words = re.findall(r"[a-z']+", f.read().lower())
    path = os.path.join(folder, "words.txt")
    with open(path, "w", encoding="utf-8") as f:
        for i in range(0, len(words), 10_000):
            f.write(" ".join(words[i:i + 10_000]) + "\n")
    return path, len(words)


def ours_w2v(words, threads, seed, folder):
    out = os.path.join(folder, f"ours-{threads}.bin")
    cmd = [SIDEWAYS, "embed", "train", "--corpus", words, "-o", out, "--threads", str(threads), "--seed", str(seed),
           "--dim", "100", "--window", "5", "--negative", "5", "--min-count", "5", "--epochs", "5", "--json"]
    return run_json(cmd, lambda d: d["seconds"]), out


def gensim_w2v(py, peers, words, threads, seed):
    cmd = [py, os.path.join(peers, "gensim_w2v.py"), "--corpus", words, "--workers", str(threads), "--repeats", "1",
           "--seed", str(seed)]
    return run_json(cmd, lambda d: d["runs"][str(threads)])


def score(py, vectors):
    """gensim's own evaluation of a word2vec binary file (the same code that scores gensim's)."""
    code = (
        "import json,sys\n"
        "from gensim.models import KeyedVectors\n"
        "from gensim.test.utils import datapath\n"
        "kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=True)\n"
        "acc, sections = kv.evaluate_word_analogies(datapath('questions-words.txt'), case_insensitive=True)\n"
        "total = next(s for s in sections if s['section'] == 'Total accuracy')\n"
        "p, s, oov = kv.evaluate_word_pairs(datapath('wordsim353.tsv'), case_insensitive=True)\n"
        "print(json.dumps({'analogy_correct': len(total['correct']), 'analogy_covered': len(total['correct']) + "
        "len(total['incorrect']), 'wordsim353_spearman': round(float(s[0]), 4)}))\n"
    )
    return run_json([py, "-c", code, vectors], lambda d: d)


def ratio(a, b):
    return f"{a / b:.2f}x"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpora", default=os.environ.get("SIDEWAYS_CORPORA", os.path.join(ROOT, "..", "shared", "corpora")))
    p.add_argument("--peers", default=os.path.join(ROOT, "..", "shared", "peers"))
    p.add_argument("--models", default="rnn,transformer")
    p.add_argument("--seq-lens", default="16,64,256,1024")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--seeds", default="1", help="word2vec seeds, comma-separated: scores differ by seed more "
                   "than by tool on this small corpus, so compare them over several")
    p.add_argument("--skip-lm", action="store_true", help="word2vec only")
    p.add_argument("--skip-word2vec", action="store_true")
    p.add_argument("--out", help="write every figure here as JSON")
    a = p.parse_args()
    corpus = os.path.join(a.corpora, "tinyshakespeare.txt")
    py = sys.executable
    if not os.path.exists(SIDEWAYS):
        sys.exit(f"{SIDEWAYS} is missing: run `cargo build --release` first")
    threads = [int(t) for t in a.threads.split(",")]
    report = {"cpu": cpu_name(), "cores": os.cpu_count(), "lm": [], "word2vec": []}
    print(f"machine: {report['cpu']} ({report['cores']} cores); each figure's 1-minute load average before it in brackets\n")

    if not a.skip_lm:
        points = [(m, int(t), n) for m in a.models.split(",") for t in a.seq_lens.split(",") for n in threads]
        runs = {pt: [] for pt in points}
        for r in range(a.rounds):
            for pt in points:
                model, seq, n = pt
                l0 = load()
                ours = ours_lm(corpus, model, seq, n)
                l1 = load()
                peer = torch_lm(py, a.peers, corpus, model, seq, n)
                runs[pt].append({"ours": ours, "ours_load": l0, "torch": peer, "torch_load": l1})
                print(f"  round {r + 1}: {model} T={seq} {n} thread(s): sideways {ours:,.0f} [{l0:.2f}], "
                      f"PyTorch {peer:,.0f} [{l1:.2f}] tokens/s", file=sys.stderr)
        print("| model | T | threads | sideways tokens/s (runs) | PyTorch tokens/s (runs) | ratio (runs) |")
        print("|---|---:|---:|---|---|---|")
        for pt, rs in runs.items():
            model, seq, n = pt
            ours = ", ".join(f"{x['ours']:,.0f} [{x['ours_load']:.1f}]" for x in rs)
            peer = ", ".join(f"{x['torch']:,.0f} [{x['torch_load']:.1f}]" for x in rs)
            ratios = ", ".join(ratio(x["ours"], x["torch"]) for x in rs)
            print(f"| {model} | {seq} | {n} | {ours} | {peer} | {ratios} |")
            report["lm"].append({"model": model, "seq_len": seq, "threads": n, "runs": rs})
        print()

    if not a.skip_word2vec:
        with tempfile.TemporaryDirectory() as folder:
            words, count = words_file(corpus, folder)
            print(f"word2vec: skip-gram, d 100, window 5, 5 negatives, min-count 5, 5 epochs over {count:,} words")
            seeds = [int(x) for x in a.seeds.split(",")]
            print(f"seeds {a.seeds}, {a.rounds} run(s) each; scores per run and their mean")
            print("| threads | sideways s (runs) | gensim s (runs) | ratio (runs) | analogies right, sideways / gensim | WordSim-353 Spearman, sideways / gensim |")
            print("|---:|---|---|---|---|---|")
            for n in threads:
                rs = []
                for seed in seeds:
                    for _ in range(a.rounds):
                        l0 = load()
                        ours, vectors = ours_w2v(words, n, seed, folder)
                        l1 = load()
                        peer = gensim_w2v(py, a.peers, words, n, seed)
                        rs.append({"seed": seed, "ours_s": ours, "ours_load": l0, "gensim_s": peer["train_s_median"],
                                   "gensim_load": l1, "ours_scores": score(py, vectors), "gensim_scores": peer})
                ours = ", ".join(f"{x['ours_s']:.2f} [{x['ours_load']:.1f}]" for x in rs)
                peer = ", ".join(f"{x['gensim_s']:.2f} [{x['gensim_load']:.1f}]" for x in rs)
                ratios = ", ".join(ratio(x["gensim_s"], x["ours_s"]) for x in rs)

                def runs_of(tool, key, fmt):
                    values = [x[tool][key] for x in rs]
                    return ", ".join(fmt.format(v) for v in values) + " (mean " + fmt.format(sum(values) / len(values)) + ")"

                covered = rs[-1]["ours_scores"]["analogy_covered"], rs[-1]["gensim_scores"]["analogy_covered"]
                print(f"| {n} | {ours} | {peer} | {ratios} | {runs_of('ours_scores', 'analogy_correct', '{:.0f}')} of {covered[0]} / "
                      f"{runs_of('gensim_scores', 'analogy_correct', '{:.0f}')} of {covered[1]} | "
                      f"{runs_of('ours_scores', 'wordsim353_spearman', '{:.3f}')} / {runs_of('gensim_scores', 'wordsim353_spearman', '{:.3f}')} |")
                report["word2vec"].append({"threads": n, "runs": [{k: v for k, v in x.items() if k != "gensim_scores"} |
                                                                   {"gensim_scores": {k: x["gensim_scores"][k] for k in
                                                                    ("analogy_correct", "analogy_covered", "wordsim353_spearman")}}
                                                                   for x in rs]})
    if a.out:
        with open(a.out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
