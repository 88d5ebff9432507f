//! Charts of a result, drawn on the server as SVG (no script): a bar chart of a measure by a
//! category, a line when the category is a time or an ordered number and the measure is not a
//! count, and a histogram (touching bars) when the category is a number band and the measure a
//! count. A cell the gate would refuse is never drawn: its place on the axis is marked ✕ and
//! the caption says how many were left out.
//!
//! The SVG uses presentation attributes only (no `style`), so the pages' CSP holds, and every
//! text from the data is escaped.

use std::fmt::Write;

/// What kind of chart suits a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Bars with gaps, one per category.
    Bar,
    /// A line through ordered categories.
    Line,
    /// Touching bars over number bands.
    Histogram,
}

/// A chart ready for the page.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The kind drawn.
    pub kind: Kind,
    /// The category column.
    pub group: String,
    /// The measure column.
    pub measure: String,
    /// The SVG element.
    pub svg: String,
    /// Its title.
    pub title: String,
    /// How many categories were left out because the gate would refuse their cell.
    pub left_out: usize,
}

/// The most categories a chart draws; longer results get no chart.
const MOST: usize = 60;
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 48.0;
const TOP: f64 = 12.0;

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

fn label(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "NULL".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn is_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 7 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[5..7].iter().all(u8::is_ascii_digit)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round step for about five ticks up to `max`.
fn step(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let raw = max / 5.0;
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * p).find(|s| *s >= raw).unwrap_or(10.0 * p)
}

fn tick_label(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{v:.0}") } else { format!("{v:.2}") }
}

/// Draws a piece of line (its points as `x,y`) and empties it.
fn flush_line(svg: &mut String, line: &mut Vec<String>) {
    if line.len() > 1 {
        let _ =
            write!(svg, r##"<polyline points="{}" fill="none" stroke="#1f6feb" stroke-width="2"/>"##, line.join(" "));
    }
    for p in line.iter() {
        let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
        let _ = write!(svg, r##"<circle cx="{x}" cy="{y}" r="3" fill="#1f6feb"/>"##);
    }
    line.clear();
}

/// The chart of a result, if one suits it: the first column that is not a number is the
/// category (or the first column, when all are numbers), the first numeric column after it
/// the measure. `refused(row, column)` tells whether the gate would refuse that cell;
/// `title(kind, measure, group)` names the chart.
pub fn chart(
    columns: &[String],
    rows: &[Vec<serde_json::Value>],
    title: impl Fn(Kind, &str, &str) -> String,
    refused: impl Fn(usize, usize) -> bool,
) -> Option<Chart> {
    if rows.len() < 2 || rows.len() > MOST || columns.len() < 2 {
        return None;
    }
    let numeric = |c: usize| rows.iter().all(|r| r.get(c).is_some_and(|v| v.is_null() || number(v).is_some()));
    let group = (0..columns.len()).find(|&c| !numeric(c)).unwrap_or(0);
    let measure = (0..columns.len()).find(|&c| c != group && numeric(c))?;
    let counts = {
        let m = columns[measure].to_ascii_lowercase();
        m.contains("count") || m.starts_with('n') && m.len() <= 3 || m.contains("persons") || m.contains("patients")
    };
    let group_numeric = numeric(group);
    let group_days = rows.iter().all(|r| is_day(&label(&r[group])));
    let kind = if group_numeric && counts {
        Kind::Histogram
    } else if group_days || group_numeric {
        Kind::Line
    } else {
        Kind::Bar
    };
    // Order: numbers by value, days as written; categories as the query gave them.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    if group_numeric {
        order.sort_by(|a, b| {
            number(&rows[*a][group]).unwrap_or(f64::MIN).total_cmp(&number(&rows[*b][group]).unwrap_or(f64::MIN))
        });
    } else if group_days {
        order.sort_by_key(|i| label(&rows[*i][group]));
    }
    let points: Vec<(String, Option<f64>)> = order
        .iter()
        .map(|&i| {
            let shown = if refused(i, measure) { None } else { Some(number(&rows[i][measure]).unwrap_or(0.0)) };
            (label(&rows[i][group]), shown)
        })
        .collect();
    let left_out = points.iter().filter(|p| p.1.is_none()).count();
    let max = points.iter().filter_map(|p| p.1).fold(0.0f64, f64::max);
    let min = points.iter().filter_map(|p| p.1).fold(0.0f64, f64::min);
    let step = step(max.max(-min));
    let top = (max / step).ceil() * step;
    let bottom = (min / step).floor() * step;
    let span = if top - bottom > 0.0 { top - bottom } else { 1.0 };
    let plot_h = HEIGHT - TOP - BOTTOM;
    let plot_w = WIDTH - LEFT - 8.0;
    let y = |v: f64| TOP + plot_h * (top - v) / span;
    let slot = plot_w / points.len() as f64;

    let title = title(kind, &columns[measure], &columns[group]);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{t}" class="chart-{k}"><title>{t}</title>"#,
        t = escape(&title),
        k = match kind {
            Kind::Bar => "bar",
            Kind::Line => "line",
            Kind::Histogram => "histogram",
        }
    );
    // Axis and ticks.
    let mut v = bottom;
    while v <= top + step / 2.0 {
        let yy = y(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#d0d7de"/><text x="{tx}" y="{ty:.1}" text-anchor="end" font-size="11" fill="#3b4148">{l}</text>"##,
            x2 = WIDTH - 8.0,
            tx = LEFT - 4.0,
            ty = yy + 4.0,
            l = escape(&tick_label(v))
        );
        v += step;
    }
    let zero = y(0.0);
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" x2="{x2}" y1="{zero:.1}" y2="{zero:.1}" stroke="#3b4148"/>"##,
        x2 = WIDTH - 8.0
    );
    // Which category labels fit: about one per 40 px.
    let every = ((40.0 / slot).ceil() as usize).max(1);
    let mut line = Vec::new();
    for (i, (name, value)) in points.iter().enumerate() {
        let x0 = LEFT + slot * i as f64;
        let cx = x0 + slot / 2.0;
        match value {
            Some(v) => match kind {
                Kind::Line => line.push(format!("{cx:.1},{:.1}", y(*v))),
                Kind::Bar | Kind::Histogram => {
                    let gap = if kind == Kind::Bar { slot * 0.2 } else { 0.5 };
                    let (y0, y1) = (y(v.max(0.0)), y(v.min(0.0)));
                    let _ = write!(
                        svg,
                        r##"<rect x="{x:.1}" y="{y0:.1}" width="{w:.1}" height="{h:.1}" fill="#1f6feb"><title>{n}: {val}</title></rect>"##,
                        x = x0 + gap / 2.0,
                        w = (slot - gap).max(0.5),
                        h = (y1 - y0).max(0.5),
                        n = escape(name),
                        val = escape(&tick_label(*v))
                    );
                }
            },
            None => {
                // Left out: a cross below the axis, never the value.
                let _ = write!(
                    svg,
                    r##"<text x="{cx:.1}" y="{yy:.1}" text-anchor="middle" font-size="12" fill="#b42318" class="left-out">✕<title>{n}</title></text>"##,
                    yy = HEIGHT - BOTTOM + 14.0,
                    n = escape(name)
                );
                // A line breaks at a refused point rather than passing through it.
                flush_line(&mut svg, &mut line);
            }
        }
        if i % every == 0 {
            let short: String = name.chars().take(10).collect();
            let _ = write!(
                svg,
                r##"<text x="{cx:.1}" y="{yy:.1}" text-anchor="middle" font-size="11" fill="#3b4148">{l}</text>"##,
                yy = HEIGHT - BOTTOM + 30.0,
                l = escape(&short)
            );
        }
    }
    flush_line(&mut svg, &mut line);
    svg.push_str("</svg>");
    Some(Chart { kind, group: columns[group].clone(), measure: columns[measure].clone(), svg, title, left_out })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_refused_cell_is_left_out_and_its_value_never_drawn() {
        let rows = vec![vec![json!("F"), json!(123_457)], vec![json!("M"), json!(98_765)], vec![json!("X"), json!(3)]];
        let c = chart(&cols(&["sex", "persons"]), &rows, |_, _, _| "persons by sex".into(), |r, _| r == 2).unwrap();
        assert_eq!(c.kind, Kind::Bar);
        assert_eq!(c.left_out, 1);
        assert_eq!(c.svg.matches("<rect").count(), 2);
        assert!(c.svg.contains("left-out"));
        assert!(c.svg.contains("F: 123457") && c.svg.contains("M: 98765"));
        assert!(!c.svg.contains(": 3<"), "the refused value is not drawn: {}", c.svg);
        assert!(!c.svg.contains("style="), "no style attributes (CSP)");
    }

    #[test]
    fn the_kind_follows_the_shape_of_the_result() {
        let bands = vec![vec![json!(1950), json!(40)], vec![json!(1940), json!(30)], vec![json!(1960), json!(20)]];
        let h = chart(&cols(&["birth_decade", "count"]), &bands, |_, _, _| "t".into(), |_, _| false).unwrap();
        assert_eq!(h.kind, Kind::Histogram);
        // Ordered by the band, not as given.
        let at = |s: &str| h.svg.find(s).unwrap();
        assert!(at(">1940<") < at(">1950<") && at(">1950<") < at(">1960<"));
        let months = vec![vec![json!("2024-02"), json!(2.5)], vec![json!("2024-01"), json!(1.5)]];
        let l = chart(&cols(&["month", "mean_dose"]), &months, |_, _, _| "t".into(), |_, _| false).unwrap();
        assert_eq!(l.kind, Kind::Line);
        assert!(l.svg.contains("<polyline"));
        assert!(
            chart(&cols(&["sex", "persons"]), &[vec![json!("F"), json!(1)]], |_, _, _| "t".into(), |_, _| false)
                .is_none()
        );
        assert!(
            chart(
                &cols(&["a", "b"]),
                &[vec![json!("x"), json!("y")], vec![json!("z"), json!("w")]],
                |_, _, _| "t".into(),
                |_, _| false
            )
            .is_none()
        );
    }

    #[test]
    fn text_from_the_data_is_escaped() {
        let rows = vec![vec![json!("<script>"), json!(5)], vec![json!("a&b\""), json!(6)]];
        let c = chart(&cols(&["g", "n"]), &rows, |_, _, _| "<t>".into(), |_, _| false).unwrap();
        assert!(!c.svg.contains("<script>") && c.svg.contains("&lt;script&gt;") && c.svg.contains("&lt;t&gt;"));
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(step(100.0), 20.0);
        assert_eq!(step(7.0), 2.0);
        assert_eq!(step(0.0), 1.0);
        assert_eq!(step(1234.0), 250.0);
    }
}
