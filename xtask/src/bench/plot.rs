//! The benchmark's one figure: sync throughput against concurrency and
//! against latency, as a self-contained SVG (two panels side by side).
//! Written by hand rather than with a plotting crate: two line charts are
//! a hundred lines, and xtask stays quick to build.

use std::fmt::Write as _;

/// One line of a panel.
#[derive(Clone, Debug)]
pub(crate) struct Series {
    pub(crate) label: String,
    pub(crate) color: &'static str,
    pub(crate) dashed: bool,
    pub(crate) points: Vec<(f64, f64)>,
}

/// One chart.
#[derive(Clone, Debug)]
pub(crate) struct Panel {
    pub(crate) title: String,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    /// x positions are spaced evenly by index (concurrency 1, 2, 4, 8, ...).
    pub(crate) categorical_x: bool,
    pub(crate) series: Vec<Series>,
}

const PANEL_W: f64 = 480.0;
const PANEL_H: f64 = 360.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 90.0;

/// The SVG document with `panels` side by side.
pub(crate) fn svg(panels: &[Panel]) -> String {
    let width = PANEL_W * panels.len().max(1) as f64;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{PANEL_H}" viewBox="0 0 {width} {PANEL_H}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{width}" height="{PANEL_H}" fill="white"/>"#
    );
    for (i, panel) in panels.iter().enumerate() {
        draw_panel(&mut out, panel, i as f64 * PANEL_W);
    }
    out.push_str("</svg>\n");
    out
}

fn draw_panel(out: &mut String, panel: &Panel, x0: f64) {
    let plot_w = PANEL_W - LEFT - RIGHT;
    let plot_h = PANEL_H - TOP - BOTTOM;
    let xs: Vec<f64> = {
        let mut xs: Vec<f64> = panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs
    };
    let y_max = nice_ceiling(
        panel
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0, f64::max),
    );
    let (x_min, x_max) = (
        xs.first().copied().unwrap_or(0.0),
        xs.last().copied().unwrap_or(1.0),
    );
    let x_pos = |x: f64| -> f64 {
        let frac = if panel.categorical_x {
            let i = xs.iter().position(|&v| v == x).unwrap_or(0) as f64;
            if xs.len() > 1 {
                i / (xs.len() - 1) as f64
            } else {
                0.5
            }
        } else if x_max > x_min {
            (x - x_min) / (x_max - x_min)
        } else {
            0.5
        };
        x0 + LEFT + frac * plot_w
    };
    let y_pos = |y: f64| TOP + plot_h - (y / y_max) * plot_h;

    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="14" font-weight="bold">{}</text>"#,
        x0 + PANEL_W / 2.0,
        escape(&panel.title)
    );
    // Grid and y ticks.
    for i in 0..=5 {
        let y = y_max * f64::from(i) / 5.0;
        let py = y_pos(y);
        let _ = writeln!(
            out,
            r##"<line x1="{}" y1="{py:.1}" x2="{}" y2="{py:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            x0 + LEFT,
            x0 + LEFT + plot_w,
            x0 + LEFT - 6.0,
            py + 4.0,
            y.round()
        );
    }
    // Axes and x ticks.
    let _ = writeln!(
        out,
        r#"<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="black"/><line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="black"/>"#,
        l = x0 + LEFT,
        r = x0 + LEFT + plot_w,
        t = TOP,
        b = TOP + plot_h
    );
    for &x in &xs {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
            x_pos(x),
            TOP + plot_h + 16.0,
            x
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
        x0 + LEFT + plot_w / 2.0,
        TOP + plot_h + 34.0,
        escape(&panel.x_label)
    );
    let _ = writeln!(
        out,
        r#"<text transform="translate({},{}) rotate(-90)" text-anchor="middle">{}</text>"#,
        x0 + 16.0,
        TOP + plot_h / 2.0,
        escape(&panel.y_label)
    );
    // Lines, points and the legend below the axis.
    for (i, s) in panel.series.iter().enumerate() {
        let dash = if s.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let points: Vec<String> = s
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", x_pos(x), y_pos(y)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="2"{dash} points="{}"/>"#,
            s.color,
            points.join(" ")
        );
        for &(x, y) in &s.points {
            let _ = writeln!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{}"/>"#,
                x_pos(x),
                y_pos(y),
                s.color
            );
        }
        let ly = TOP + plot_h + 52.0 + 16.0 * i as f64;
        let _ = writeln!(
            out,
            r#"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{}" stroke-width="2"{dash}/><text x="{}" y="{}">{}</text>"#,
            x0 + LEFT,
            x0 + LEFT + 24.0,
            s.color,
            x0 + LEFT + 30.0,
            ly + 4.0,
            escape(&s.label)
        );
    }
}

/// 1, 2 or 5 times a power of ten, at least `v`.
fn nice_ceiling(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|&c| c >= v)
        .unwrap_or(10.0 * magnitude)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(730.0), 1000.0);
        assert_eq!(nice_ceiling(1500.0), 2000.0);
        assert_eq!(nice_ceiling(4100.0), 5000.0);
        assert_eq!(nice_ceiling(5000.0), 5000.0);
    }

    #[test]
    fn the_svg_has_both_panels_every_point_and_escaped_labels() {
        let panel = |title: &str| Panel {
            title: title.to_owned(),
            x_label: "concurrency".to_owned(),
            y_label: "issues/s".to_owned(),
            categorical_x: true,
            series: vec![Series {
                label: "measured <sync>".to_owned(),
                color: "#1f77b4",
                dashed: false,
                points: vec![(1.0, 100.0), (2.0, 190.0), (4.0, 350.0)],
            }],
        };
        let svg = svg(&[panel("a"), panel("b")]);
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<circle").count(), 6);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("measured &lt;sync&gt;"));
        assert!(!svg.contains("NaN"));
    }
}
