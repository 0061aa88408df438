//! The charts of a sweep: speed against threads and against window length, loss against the
//! clock, and the work and span bound with the measured speed-ups.

use super::plot::{Chart, Series};
use super::speed::SpeedPoint;
use super::sweep::SweepResult;
use crate::model::ModelKind;

/// Which points of a sweep one curve draws.
type Selects = Box<dyn Fn(&SpeedPoint) -> bool>;

/// Every chart the sweep has data for, as (file stem, chart).
pub fn charts(r: &SweepResult, span: bool) -> Vec<(&'static str, Chart)> {
    let mut charts = Vec::new();
    let models: &[ModelKind] = &r.config.models;
    let line = |name: String, points: Vec<(f64, f64)>| Series { name, points, markers: false };
    let by = |m: ModelKind, seq: usize| r.points.iter().filter(move |p| p.model == m && p.seq_len == seq);
    let seq0 = r.config.seq_lens[0];
    let max_threads = *r.config.threads.iter().max().unwrap_or(&1);
    // Where the curves over windows and time are drawn: the most CPU threads, and each GPU.
    let mut places: Vec<(String, Selects)> = Vec::new();
    if !r.config.threads.is_empty() {
        places.push((format!("{max_threads} threads"), Box::new(move |p| p.gpu.is_none() && p.threads == max_threads)));
    }
    for &g in &r.config.gpus {
        places.push((format!("gpu:{g}"), Box::new(move |p| p.gpu == Some(g))));
    }
    let chart = |title: String, x: &str, y: &str, log: bool, series: Vec<Series>| Chart {
        title,
        x_label: x.into(),
        y_label: y.into(),
        log_x: log,
        log_y: log,
        series,
    };
    if r.config.threads.len() > 1 {
        let series = models
            .iter()
            .map(|&m| {
                let cpu = by(m, seq0).filter(|p| p.gpu.is_none());
                line(format!("{m} (T = {seq0})"), cpu.map(|p| (p.threads as f64, p.tokens_per_s)).collect())
            })
            .collect();
        charts.push(("threads", chart("Training speed vs threads".into(), "threads", "tokens / s", false, series)));
    }
    if r.config.seq_lens.len() > 1 {
        let series = models
            .iter()
            .flat_map(|&m| places.iter().map(move |place| (m, place)))
            .map(|(m, (on, here))| {
                let points = r.points.iter().filter(|p| p.model == m && here(p));
                line(format!("{m} ({on})"), points.map(|p| (p.seq_len as f64, p.tokens_per_s)).collect())
            })
            .collect();
        let title = format!("Training speed vs sequence length ({} tokens per step)", r.config.tokens_per_step);
        charts.push(("seq_len", chart(title, "sequence length T", "tokens / s", true, series)));
    }
    let series = models
        .iter()
        .flat_map(|&m| places.iter().map(move |place| (m, place)))
        .filter_map(|(m, (on, here))| {
            by(m, seq0)
                .find(|p| here(p))
                .map(|p| line(format!("{m} ({on})"), p.losses.iter().map(|&(s, l)| (s, l as f64)).collect()))
        })
        .collect();
    charts.push((
        "loss",
        chart(format!("Training loss vs wall-clock time (T = {seq0})"), "seconds", "loss", false, series),
    ));
    if span {
        let mut series: Vec<Series> =
            r.span.iter().map(|c| line(format!("{} bound (T = {})", c.model, c.seq_len), c.bound.clone())).collect();
        series.extend(r.span.iter().filter(|c| c.seq_len == seq0 && c.measured.len() > 1).map(|c| Series {
            name: format!("{} measured here (T = {})", c.model, c.seq_len),
            points: c.measured.clone(),
            markers: true,
        }));
        let title = "work and span bound: best possible speed-up with P processors".into();
        charts.push(("span", chart(title, "processors P", "speed-up", true, series)));
    }
    charts
}
