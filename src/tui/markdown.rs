//! The lessons' Markdown, laid out for a terminal: headings, paragraphs and bullets wrapped to
//! the width (a Chinese character takes two columns and a line may break between any two of
//! them), *emphasis*, **strong** and `code`, and code blocks (lines indented by four spaces)
//! kept as they are, cut at the edge rather than wrapped, because they are program output.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// The styles of the parts of a lesson (plain ones under `NO_COLOR`).
#[derive(Clone, Copy, Debug)]
pub struct Styles {
    pub heading: Style,
    pub code: Style,
    pub emphasis: Style,
    pub strong: Style,
}

impl Styles {
    pub fn new(color: bool) -> Self {
        let fg = |c: Color| if color { Style::default().fg(c) } else { Style::default() };
        Styles {
            heading: fg(Color::Yellow).add_modifier(Modifier::BOLD),
            code: fg(Color::Cyan),
            emphasis: Style::default().add_modifier(Modifier::ITALIC),
            strong: Style::default().add_modifier(Modifier::BOLD),
        }
    }
}

/// `text` as terminal lines of at most `width` columns.
pub fn lines(text: &str, width: usize, styles: Styles) -> Vec<Line<'static>> {
    let width = width.max(8);
    let mut out = Vec::new();
    let mut paragraph = String::new();
    // A paragraph's lines are joined, then wrapped; `indent` continues a bullet's lines.
    let flush = |paragraph: &mut String, out: &mut Vec<Line<'static>>| {
        if paragraph.is_empty() {
            return;
        }
        let (first, rest) = match paragraph.strip_prefix("- ") {
            Some(item) => (("• ", "  "), item.to_string()),
            None => (("", ""), paragraph.clone()),
        };
        out.extend(wrap(&inline(&rest, styles), width, first));
        paragraph.clear();
    };
    for raw in text.lines() {
        if let Some(code) = raw.strip_prefix("    ") {
            flush(&mut paragraph, &mut out);
            out.push(Line::from(Span::styled(cut(&format!("  {code}"), width), styles.code)));
        } else if let Some(title) = raw.strip_prefix('#') {
            flush(&mut paragraph, &mut out);
            let title = title.trim_start_matches('#').trim();
            out.extend(wrap(&[(title.to_string(), styles.heading)], width, ("", "")));
        } else if raw.trim().is_empty() {
            flush(&mut paragraph, &mut out);
            if out.last().is_some_and(|l: &Line| l.width() > 0) {
                out.push(Line::default());
            }
        } else {
            // A bullet starts a paragraph of its own.
            if raw.starts_with("- ") {
                flush(&mut paragraph, &mut out);
            }
            join(&mut paragraph, raw.trim());
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

/// Append a source line to a paragraph: with a space between Latin words, without one after
/// or before a Chinese character (Chinese has no spaces between words).
fn join(paragraph: &mut String, line: &str) {
    let wide = |c: Option<char>| c.is_some_and(|c| c.width().unwrap_or(0) > 1);
    if !paragraph.is_empty() && !wide(paragraph.chars().last()) && !wide(line.chars().next()) {
        paragraph.push(' ');
    }
    paragraph.push_str(line);
}

/// `text` cut to `width` columns.
fn cut(text: &str, width: usize) -> String {
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += c.width().unwrap_or(0);
            used <= width
        })
        .collect()
}

/// Split `**strong**`, `*emphasis*` and `` `code` `` out of a paragraph.
fn inline(text: &str, styles: Styles) -> Vec<(String, Style)> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let next = [("**", styles.strong), ("`", styles.code), ("*", styles.emphasis)]
            .into_iter()
            .filter_map(|(mark, style)| {
                let start = rest.find(mark)?;
                let end = rest[start + mark.len()..].find(mark)? + start + mark.len();
                Some((start, end, mark.len(), style))
            })
            .min_by_key(|&(start, _, len, _)| (start, std::cmp::Reverse(len)));
        match next {
            Some((start, end, len, style)) if end > start + len => {
                parts.push((rest[..start].to_string(), Style::default()));
                parts.push((rest[start + len..end].to_string(), style));
                rest = &rest[end + len..];
            }
            _ => {
                parts.push((rest.to_string(), Style::default()));
                rest = "";
            }
        }
    }
    parts.retain(|(t, _)| !t.is_empty());
    parts
}

/// A piece of text that is never split (a word, one wide character, or a space).
struct Piece {
    text: String,
    style: Style,
    width: usize,
    space: bool,
}

/// Greedy wrapping of styled text to `width`; `indent` is (first line, the others).
fn wrap(parts: &[(String, Style)], width: usize, indent: (&str, &str)) -> Vec<Line<'static>> {
    let mut pieces: Vec<Piece> = Vec::new();
    for (text, style) in parts {
        let mut word = String::new();
        let push_word = |word: &mut String, pieces: &mut Vec<Piece>| {
            if !word.is_empty() {
                let w = word.chars().map(|c| c.width().unwrap_or(0)).sum();
                pieces.push(Piece { text: std::mem::take(word), style: *style, width: w, space: false });
            }
        };
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if c == ' ' {
                push_word(&mut word, &mut pieces);
                pieces.push(Piece { text: " ".into(), style: *style, width: 1, space: true });
            } else if w > 1 {
                push_word(&mut word, &mut pieces);
                pieces.push(Piece { text: c.to_string(), style: *style, width: w, space: false });
            } else {
                word.push(c);
            }
        }
        push_word(&mut word, &mut pieces);
    }
    let mut lines = Vec::new();
    let mut line: Vec<Span<'static>> = vec![Span::raw(indent.0.to_string())];
    let mut used = indent.0.chars().count();
    let start = indent.1.chars().count();
    // A space is written only when a word follows it on the same line.
    let mut space: Option<Style> = None;
    for p in pieces {
        if p.space {
            space = (used > start).then_some(p.style);
            continue;
        }
        let gap = usize::from(space.is_some());
        if used + gap + p.width > width && used > start {
            lines.push(Line::from(std::mem::take(&mut line)));
            line.push(Span::raw(indent.1.to_string()));
            (used, space) = (start, None);
        }
        if let Some(style) = space.take() {
            line.push(Span::styled(" ", style));
            used += 1;
        }
        // A word longer than the line is cut where the line ends.
        let text = if p.width > width - start { cut(&p.text, width - start) } else { p.text };
        used += text.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>();
        line.push(Span::styled(text, p.style));
    }
    lines.push(Line::from(line));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect()).collect()
    }

    #[test]
    fn paragraphs_wrap_to_the_width_and_code_is_kept() {
        let text = "# A title\n\nOne two three four five six seven\neight nine.\n\n    sideways learn 1 --run\n\n- a bullet that wraps onto a second line\n";
        let l = lines(text, 16, Styles::new(false));
        let p = plain(&l);
        assert_eq!(p[0], "A title");
        assert!(p.iter().all(|s| unicode_width::UnicodeWidthStr::width(s.as_str()) <= 16), "{p:?}");
        assert!(p.contains(&"One two three".to_string()), "{p:?}");
        assert!(p.contains(&"  sideways learn".to_string()), "code is cut, not wrapped: {p:?}");
        assert!(p.iter().any(|s| s.starts_with("• a bullet")) && p.iter().any(|s| s.starts_with("  ")), "{p:?}");
    }

    #[test]
    fn chinese_breaks_between_characters_and_counts_two_columns_each() {
        let text = "这是一个很长的中文句子，它没有空格，但必须在任何两个字之间换行。";
        let l = lines(text, 20, Styles::new(false));
        let p = plain(&l);
        assert!(p.len() > 2);
        for s in &p {
            assert!(unicode_width::UnicodeWidthStr::width(s.as_str()) <= 20, "{s}");
        }
        assert_eq!(p.concat(), text, "nothing lost, nothing added");
        // Lines of a Chinese paragraph join without a space.
        assert_eq!(plain(&lines("第一行\n第二行", 40, Styles::new(false)))[0], "第一行第二行");
    }

    #[test]
    fn inline_marks_become_styles() {
        let s = Styles::new(true);
        let parts = inline("a *word* and **strong** and `code`", s);
        let texts: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(texts, ["a ", "word", " and ", "strong", " and ", "code"]);
        assert_eq!(parts[1].1, s.emphasis);
        assert_eq!(parts[3].1, s.strong);
        assert_eq!(parts[5].1, s.code);
    }
}
