//! Line charts of measurements, written as SVG and PNG with plotters.
//!
//! Text needs a TrueType font: the first of `$SIDEWAYS_FONT`, DejaVu Sans, or any `.ttf` under
//! /usr/share/fonts. Without one, [`font_available`] is false and callers skip the charts (the
//! CSV and JSON are still written).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

/// One line (or set of markers) on a chart.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// Draw dots instead of a line (measured points beside a model).
    pub markers: bool,
}

/// A chart: title, axes (linear or log10) and series.
#[derive(Clone, Debug)]
pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub series: Vec<Series>,
}

const SIZE: (u32, u32) = (900, 560);

/// Find and register a font once; false when the machine has none.
pub fn font_available() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| {
        let candidates = std::env::var_os("SIDEWAYS_FONT")
            .map(PathBuf::from)
            .into_iter()
            .chain([PathBuf::from("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")])
            .chain(find_ttf(Path::new("/usr/share/fonts"), 3));
        for path in candidates {
            if let Ok(bytes) = std::fs::read(&path) {
                // plotters keeps fonts for the life of the process.
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

fn find_ttf(dir: &Path, depth: usize) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).ok()?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    entries.iter().find(|p| p.extension().is_some_and(|e| e == "ttf")).cloned().or_else(|| {
        if depth == 0 {
            return None;
        }
        entries.iter().filter(|p| p.is_dir()).find_map(|d| find_ttf(d, depth - 1))
    })
}

/// Write `stem.svg` and `stem.png`; returns their paths.
pub fn write(chart: &Chart, stem: &Path) -> Result<Vec<PathBuf>> {
    let fail =
        |path: &Path, e: String| Error::io(path, std::io::Error::other(e), "check that the output folder is writable");
    let svg = stem.with_extension("svg");
    draw(SVGBackend::new(&svg, SIZE).into_drawing_area(), chart).map_err(|e| fail(&svg, e.to_string()))?;
    let png = stem.with_extension("png");
    let mut pixels = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
    draw(BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area(), chart)
        .map_err(|e| fail(&png, e.to_string()))?;
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, SIZE.0, SIZE.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    encoder.write_header().and_then(|mut w| w.write_image_data(&pixels)).map_err(|e| fail(&png, e.to_string()))?;
    crate::fsio::write_atomically(&png, &bytes)?;
    Ok(vec![svg, png])
}

/// Axis labels show the value (not its logarithm on log axes), with k and M for thousands and
/// millions so neighbouring ticks stay distinct.
fn label(v: f64, log: bool) -> String {
    let x = if log { 10f64.powf(v) } else { v };
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.3}M", x / 1e6).trim_end_matches('0').trim_end_matches('.').to_string()
    } else if a >= 1e4 {
        format!("{:.1}k", x / 1e3).trim_end_matches(".0").to_string()
    } else if a >= 10.0 || x == x.round() {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    c: &Chart,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let tf = |v: f64, log: bool| if log { v.max(1e-12).log10() } else { v };
    let series: Vec<Vec<(f64, f64)>> = c
        .series
        .iter()
        .map(|s| {
            let mut pts: Vec<(f64, f64)> = s.points.iter().map(|&(x, y)| (tf(x, c.log_x), tf(y, c.log_y))).collect();
            pts.sort_by(|a, b| a.0.total_cmp(&b.0));
            pts
        })
        .collect();
    let all = series.iter().flatten();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let (px, py) = (((x1 - x0) * 0.05).max(1e-9), ((y1 - y0) * 0.08).max(1e-9));
    let mut chart = ChartBuilder::on(&root)
        .caption(&c.title, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d((x0 - px)..(x1 + px), (y0 - py)..(y1 + py))?;
    let (log_x, log_y) = (c.log_x, c.log_y);
    chart
        .configure_mesh()
        .x_desc(&c.x_label)
        .y_desc(&c.y_label)
        .x_label_formatter(&|v| label(*v, log_x))
        .y_label_formatter(&|v| label(*v, log_y))
        .label_style(("sans-serif", 14))
        .draw()?;
    for (i, (s, pts)) in c.series.iter().zip(series).enumerate() {
        let color = Palette99::pick(i).to_rgba();
        if s.markers {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 6, color.filled())))?
                .label(&s.name)
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
        } else {
            chart
                .draw_series(LineSeries::new(pts, color.stroke_width(3)))?
                .label(&s.name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3)));
        }
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()
}
