//! Checking an answer: a quiz's choice, a prediction against a measurement, or a command's
//! result against a target. The commands themselves are run by whoever calls (the CLI runs the
//! real binary), so that what is checked is exactly what the learner would see.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::catalogue::{Exercise, Kind, MetricCheck};
use crate::error::{Error, Result};

/// What a check found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub passed: bool,
    /// The learner's answer, as given.
    pub answer: String,
    /// The measured number, for predict and modify exercises.
    pub measured: Option<f64>,
    /// What passing needs, in words ("below 1.2", "within 0.1 of the measurement", "choice 2").
    pub target: String,
}

/// Check a quiz answer: the choice's number (from 1), or its text in any language.
pub fn quiz(e: &Exercise, answer: &str) -> Result<Outcome> {
    let given = answer.trim();
    let picked = given.parse::<usize>().ok().filter(|n| (1..=e.choices.len()).contains(n)).or_else(|| {
        e.choices
            .iter()
            .position(|c| [&c.en, &c.zh].iter().any(|t| t.trim().eq_ignore_ascii_case(given)))
            .map(|i| i + 1)
    });
    let Some(picked) = picked else {
        return Err(Error::config("answer", answer, format!("give the number of a choice, 1 to {}", e.choices.len())));
    };
    let right = e.answer.expect("a checked quiz has an answer");
    Ok(Outcome {
        passed: picked == right,
        answer: picked.to_string(),
        measured: None,
        target: "the right choice".into(),
    })
}

/// The number at `path` (dots between keys; a number selects an array element) in `result`.
pub fn metric(result: &Value, path: &str) -> Result<f64> {
    let mut at = result;
    for key in path.split('.') {
        let next = match key.parse::<usize>() {
            Ok(i) => at.get(i),
            Err(_) => at.get(key),
        };
        at = next.ok_or_else(|| Error::config("metric", path, format!("the result has no `{key}` there")))?;
    }
    at.as_f64().ok_or_else(|| Error::config("metric", path, "the result holds no number there"))
}

/// Check a command's `result` (its `--json` result object) against the exercise's target; a
/// predict exercise compares it with the learner's `prediction`.
pub fn measured(e: &Exercise, result: &Value, prediction: Option<f64>) -> Result<Outcome> {
    let c: &MetricCheck = e.check.as_ref().expect("a checked exercise of this kind has a check");
    let value = metric(result, &c.metric)?;
    let (passed, target, answer) = match e.kind {
        Kind::Predict => {
            let guess = prediction.ok_or_else(|| {
                Error::config("prediction", "none", "commit to a number first: --answer N, before the experiment runs")
            })?;
            let (passed, target) = match (c.within, c.within_factor) {
                (Some(within), _) => ((guess - value).abs() <= within, format!("within {within} of the measurement")),
                (None, Some(f)) => {
                    // Same sign, and the ratio between 1/f and f.
                    let ratio = guess / value;
                    (ratio >= 1.0 / f && ratio <= f, format!("within a factor of {f} of the measurement"))
                }
                (None, None) => unreachable!("a checked predict exercise has `within` or `within_factor`"),
            };
            (passed, target, guess.to_string())
        }
        _ => {
            let below = c.below.is_none_or(|b| value < b);
            let above = c.above.is_none_or(|a| value > a);
            let words: Vec<String> = [c.below.map(|b| format!("below {b}")), c.above.map(|a| format!("above {a}"))]
                .into_iter()
                .flatten()
                .collect();
            (below && above, format!("{} {}", c.metric, words.join(" and ")), String::new())
        }
    };
    Ok(Outcome { passed, answer, measured: Some(value), target })
}

/// The command line a modify exercise runs: its command with the learner's `extra` options,
/// which may not change what the exercise fixes; `--json` is added to read the result.
pub fn command_line(e: &Exercise, extra: &[String]) -> Result<Vec<String>> {
    let mut args = e.command_args();
    if !extra.is_empty() && e.kind != Kind::Modify {
        let hint = "only a modify exercise takes options: answer with --answer";
        return Err(Error::config("options", extra.join(" "), hint));
    }
    let fixed: Vec<&String> = args.iter().filter(|a| a.starts_with("--")).collect();
    if let Some(clash) = extra.iter().find(|x| fixed.iter().any(|f| option_name(f) == option_name(x))) {
        let hint =
            format!("the exercise fixes it (`{}`): change the other options", e.command.as_deref().unwrap_or(""));
        return Err(Error::config("option", clash, hint));
    }
    args.extend(extra.iter().cloned());
    if !args.iter().any(|a| a == "--json") {
        args.push("--json".into());
    }
    Ok(args)
}

/// `--lr` of `--lr=0.01`.
fn option_name(arg: &str) -> &str {
    arg.split_once('=').map_or(arg, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::catalogue::Text;

    fn exercise(kind: Kind, check: Option<MetricCheck>) -> Exercise {
        let t = |s: &str| Text { en: s.into(), zh: s.into() };
        Exercise {
            id: "9.1".into(),
            lesson: 9,
            kind,
            prompt: t("?"),
            choices: vec![t("bigram"), t("rnn")],
            answer: Some(2),
            command: Some("sideways train --model rnn --steps 20".into()),
            check,
            hints: vec![],
            solution: t("because"),
            reference: None,
            code: None,
        }
    }

    #[test]
    fn answers_are_checked_by_number_or_text_and_metrics_by_path() {
        let q = exercise(Kind::Quiz, None);
        assert!(quiz(&q, "2").unwrap().passed && quiz(&q, " RNN ").unwrap().passed && !quiz(&q, "1").unwrap().passed);
        assert!(quiz(&q, "3").is_err());
        let result: Value = serde_json::json!({"eval": {"val_loss": 1.5}, "models": [{"x": 1}, {"x": 2.5}]});
        assert_eq!(metric(&result, "models.1.x").unwrap(), 2.5);
        assert!(metric(&result, "eval.nope").unwrap_err().to_string().contains("`nope`"));
        let check = |below, above| MetricCheck {
            metric: "eval.val_loss".into(),
            below,
            above,
            within: None,
            within_factor: None,
        };
        assert!(measured(&exercise(Kind::Modify, Some(check(Some(2.0), None))), &result, None).unwrap().passed);
        assert!(!measured(&exercise(Kind::Modify, Some(check(Some(1.2), None))), &result, None).unwrap().passed);
        assert!(!measured(&exercise(Kind::Modify, Some(check(Some(2.0), Some(1.6)))), &result, None).unwrap().passed);
        let predict = exercise(Kind::Predict, Some(MetricCheck { within: Some(0.2), ..check(None, None) }));
        assert!(measured(&predict, &result, Some(1.6)).unwrap().passed);
        assert!(!measured(&predict, &result, Some(1.8)).unwrap().passed);
        assert!(measured(&predict, &result, None).is_err(), "a prediction comes first");
        let factor = exercise(Kind::Predict, Some(MetricCheck { within_factor: Some(2.0), ..check(None, None) }));
        for (guess, passes) in [(0.75, true), (3.0, true), (0.7, false), (3.1, false), (-1.5, false)] {
            assert_eq!(measured(&factor, &result, Some(guess)).unwrap().passed, passes, "{guess} against 1.5");
        }
    }

    #[test]
    fn a_modify_command_keeps_what_the_exercise_fixes() {
        let m = exercise(Kind::Modify, None);
        let args = command_line(&m, &["--lr".into(), "0.003".into()]).unwrap();
        assert_eq!(args.join(" "), "train --model rnn --steps 20 --lr 0.003 --json");
        assert!(command_line(&m, &["--steps=400".into()]).unwrap_err().to_string().contains("fixes"));
        assert!(command_line(&exercise(Kind::Predict, None), &["--lr".into()]).is_err());
    }
}
