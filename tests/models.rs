//! What each model's configuration says about itself, checked against independent arithmetic:
//! parameter counts (bench-config.md's, and closed forms written here, at several sizes), FLOPs,
//! and work and span by hand.

use sideways::model::{ModelConfig, ModelKind, RnnConfig, SizeOverrides, TransformerConfig};

fn kind(name: &str) -> ModelKind {
    name.parse().unwrap()
}

#[test]
fn parameter_counts_match_bench_config_and_closed_forms() {
    assert_eq!(kind("rnn").standard(4096).param_count(), 1_085_568);
    assert_eq!(kind("transformer").standard(4096).param_count(), 1_457_664);
    for (v, d, h) in [(11, 5, 6), (4096, 128, 128), (100, 32, 48)] {
        let c = ModelConfig::Rnn(RnnConfig { vocab_size: v, d_model: d, hidden_size: h });
        assert_eq!(c.param_count(), v * d + d * h + h + h * h + h * v + v, "rnn {v} {d} {h}");
    }
    for (v, d, m, layers, ctx) in [(11, 8, 12, 2, 6), (4096, 128, 512, 2, 64), (50, 16, 64, 3, 10)] {
        let c = ModelConfig::Transformer(TransformerConfig {
            vocab_size: v,
            d_model: d,
            n_heads: 2,
            n_layers: layers,
            context_len: ctx,
            mlp_size: m,
        });
        let block = 2 * d + d * 3 * d + 3 * d + d * d + d + 2 * d + d * m + m + m * d + d;
        assert_eq!(c.param_count(), v * d + ctx * d + layers * block + 2 * d + d * v + v, "transformer {d} {layers}");
    }
}

#[test]
fn flops_of_the_standard_step() {
    // RNN: 6 · (128·128 + 128·128 + 128·4096) per token.
    assert_eq!(kind("rnn").standard(4096).spec().train_flops_per_token(64), 3_342_336.0);
    // Transformer: 3 · (2 · 425,984 + 2 · 128 · 4096) per token.
    assert_eq!(kind("transformer").standard(4096).spec().train_flops_per_token(64), 5_701_632.0);
}

#[test]
fn critical_path_and_span_at_two_sequence_lengths() {
    let rnn = kind("rnn").standard(4096);
    let tf = |t| ModelConfig::new(kind("transformer"), 4096, &SizeOverrides::default(), t);
    // 2048 tokens per step at both lengths: 32 windows of 64, 8 of 256.
    let (r64, r256) = (rnn.spec().work_span(32, 64), rnn.spec().work_span(8, 256));
    let (t64, t256) = (tf(64).spec().work_span(32, 64), tf(256).spec().work_span(8, 256));
    assert_eq!((r64.critical_path, r256.critical_path), (64, 256));
    assert_eq!((t64.critical_path, t256.critical_path), (2, 2));
    // RNN by hand, d = h = 128, v = 4096: per word 2·(dh + h² + hv) = 1,114,112 forward FLOPs.
    assert_eq!(r64.work, 3.0 * 2048.0 * 1_114_112.0);
    // The chain: 2dh + T·2h² + 2hv forward, ×3 with the backward pass.
    assert_eq!(r64.span, 3.0 * (32_768.0 + 64.0 * 32_768.0 + 1_048_576.0));
    assert_eq!(r256.span - r64.span, 3.0 * 192.0 * 32_768.0);
    // So the RNN's best speed-up shrinks as its windows grow: 718 at T = 64, 241 at T = 256.
    assert_eq!(r64.max_speedup(1e12).round(), 718.0);
    assert_eq!(r256.max_speedup(1e12).round(), 241.0);
    // The Transformer's chain is one word per block: W / S = 2048 at both lengths.
    assert_eq!(t64.span, 3.0 * (2.0 * (98_304.0 + 32_768.0 + 32_768.0 + 262_144.0) + 1_048_576.0));
    assert_eq!(t256.span - t64.span, 3.0 * 2.0 * 4.0 * 192.0 * 128.0);
    assert_eq!((t64.work / t64.span, t256.work / t256.span), (2048.0, 2048.0));
    assert!((r64.max_speedup(2.0) - 2.0).abs() < 1e-9);
    // Attention overtakes the rest of a standard block at T = 2d + m = 768; the RNN has nothing
    // that grows with the window.
    assert_eq!(tf(64).spec().window_crossover(), Some(768));
    assert_eq!(rnn.spec().window_crossover(), None);
}

#[test]
fn a_context_follows_the_sequence_length_unless_given() {
    let t = kind("transformer");
    assert_eq!(ModelConfig::new(t, 100, &SizeOverrides::default(), 32).context_len(), Some(32));
    let sizes = SizeOverrides { context_len: Some(128), ..Default::default() };
    assert_eq!(ModelConfig::new(t, 100, &sizes, 32).context_len(), Some(128));
    assert_eq!(ModelConfig::new(kind("rnn"), 100, &sizes, 32).context_len(), None);
}

#[test]
fn bad_sizes_are_refused_with_a_hint() {
    let sized = |k: &str, o: SizeOverrides| ModelConfig::new(kind(k), 100, &o, 64);
    let e = sized("transformer", SizeOverrides { n_heads: Some(3), ..Default::default() }).validate().unwrap_err();
    assert!(e.to_string().contains("divisible"), "{e}");
    assert!(sized("rnn", SizeOverrides { d_model: Some(0), ..Default::default() }).validate().is_err());
    let o = SizeOverrides { d_model: Some(16_000), n_layers: Some(200), ..Default::default() };
    let e = sized("transformer", o).validate().unwrap_err();
    assert!(e.to_string().contains("parameters"), "{e}");
    assert!("lstm".parse::<ModelKind>().is_err());
}
