//! The word-level tokenizer of the standard benchmark (shared/bench-config.md):
//! lowercase the text, then tokens are maximal runs of `[a-z']` or any single other
//! non-whitespace character (regex `[a-z']+|[^a-z'\s]`). Whitespace is never a token.

/// Lowercase `text` (Unicode-aware; identical to ASCII lowercasing on ASCII text).
pub fn normalize(text: &str) -> String {
    text.to_lowercase()
}

/// Split already-normalised text into tokens that borrow from it.
pub fn tokens(text: &str) -> impl Iterator<Item = &str> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < text.len() {
            let c = text[i..].chars().next().expect("i is on a char boundary");
            let start = i;
            if is_word_char(c) {
                while i < bytes.len() && is_word_char(bytes[i] as char) {
                    i += 1;
                }
                return Some(&text[start..i]);
            }
            i += c.len_utf8();
            if !c.is_whitespace() {
                return Some(&text[start..i]);
            }
        }
        None
    })
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_lowercase() || c == '\''
}

/// Join tokens back into readable text: no space before closing punctuation.
pub fn detokenize<S: AsRef<str>>(tokens: &[S]) -> String {
    let mut out = String::new();
    for t in tokens {
        let t = t.as_ref();
        let glue = matches!(t, "," | "." | ";" | ":" | "!" | "?" | ")");
        if !out.is_empty() && !glue && !out.ends_with('(') {
            out.push(' ');
        }
        out.push_str(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_apostrophes_and_single_symbols() {
        let text = normalize("First Citizen:\nBefore we proceed, hear me--don't!  Ünïcode…");
        let got: Vec<&str> = tokens(&text).collect();
        assert_eq!(
            got,
            [
                "first", "citizen", ":", "before", "we", "proceed", ",", "hear", "me", "-", "-", "don't", "!", "ü",
                "n", "ï", "code", "…"
            ]
        );
        assert_eq!(tokens("  \n\t ").count(), 0);
    }

    #[test]
    fn detokenize_glues_punctuation() {
        assert_eq!(detokenize(&["good", "morning", ",", "sir", "."]), "good morning, sir.");
    }
}
