#!/bin/sh
# One pass over a machine with a real GPU, in one go (a lent GPU's time is short): the adapters,
# every kernel and a training step of each model against the CPU, then `bench` at the standard
# configuration (GPU beside the CPU) and at --preset gpu with a window-length sweep.
#
#   scripts/gpu-check.sh [OUT]     (OUT: a folder for the JSON results; default gpu-check/)
#
# Needs a release build (target/release/sideways) and the corpora of ../shared (SIDEWAYS_CORPORA).
set -eu
out=${1:-gpu-check}
bin=${SIDEWAYS:-target/release/sideways}
corpora=${SIDEWAYS_CORPORA:-../shared/corpora}
mkdir -p "$out"
cores=$(nproc)
"$bin" devices | tee "$out/devices.txt"
"$bin" selftest --gpu | tee "$out/selftest.txt"
# The standard configuration: the CPU on 1 and on every core, beside the GPU.
"$bin" bench --corpus "$corpora/tinyshakespeare.txt" --threads "1,$cores" --out "$out/standard" | tee "$out/standard.txt"
# GPT-2-small-sized, 8,192 tokens a step, on the GPU only (minutes a step on a CPU).
"$bin" bench --preset gpu --corpus "$corpora" --seq-len 128,256,512,1024 --out "$out/preset-gpu" | tee "$out/preset-gpu.txt"
