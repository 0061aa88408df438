//! The data pipeline reproduces shared/bench-config.md exactly on tinyshakespeare.

mod common;

use sideways::data::{tokenize, Batcher, Corpus, DataConfig, Dataset};

#[test]
fn tokens_split_vocabulary_and_unk_rates_match_the_standard_config() {
    let Some(path) = common::shared_corpus("tinyshakespeare.txt") else {
        return;
    };
    let corpus = Corpus::load(&path).unwrap();
    let text = tokenize::normalize(&corpus.text);
    let first: Vec<&str> = tokenize::tokens(&text).take(10).collect();
    assert_eq!(first.join(" "), "first citizen : before we proceed any further , hear");

    let data = Dataset::new(&corpus, DataConfig::default()).unwrap();
    let s = data.stats();
    assert_eq!((s.tokens, s.train_tokens, s.val_tokens), (252_299, 227_069, 25_230));
    let val_start: Vec<&str> = data.val[..5].iter().map(|&t| data.vocab.word(t)).collect();
    assert_eq!(val_start.join(" "), "that woo and free access");
    assert_eq!(data.vocab.len(), 4096);
    assert_eq!(data.vocab.word(4095), "harmony");
    let train_unk = s.train_unk as f64 / s.train_tokens as f64 * 100.0;
    let val_unk = s.val_unk as f64 / s.val_tokens as f64 * 100.0;
    assert_eq!(format!("{train_unk:.2} {val_unk:.2}"), "4.75 8.79");

    let batches = Batcher::new(data.train.len(), 32, 64, 0).unwrap();
    assert_eq!(batches.windows(), 3547);
    assert_eq!(batches.window(2, 1), (33 * 1237) % 3547);
    assert_eq!(sideways::data::eval_windows(data.val.len(), 64), 394);
}
