//! The SVG chart of a run: per program, each engine's time against Nix's,
//! and each engine's peak resident memory, as horizontal bars.
//!
//! Written out by hand: a chart of labelled bars is a few rectangles and
//! text elements, and a plotting library would need a font library to lay
//! out its text, where an SVG viewer already has fonts.

use std::fmt::Write;

/// One panel: a bar per series for every row, on a common scale.
pub struct Panel<'a> {
    pub title: &'a str,
    /// The series' names, in the order of each row's values.
    pub series: &'a [&'a str],
    /// A row's label and one value per series (`None`: not measured).
    pub rows: Vec<(String, Vec<Option<f64>>)>,
    /// How a value is written next to its bar.
    pub format: fn(f64) -> String,
    /// A vertical line drawn at this value (1.0 for ratios), if any.
    pub reference: Option<f64>,
}

const WIDTH: f64 = 900.0;
const LABEL_WIDTH: f64 = 150.0;
const VALUE_WIDTH: f64 = 70.0;
const BAR_HEIGHT: f64 = 9.0;
const ROW_GAP: f64 = 8.0;
const TITLE_HEIGHT: f64 = 44.0;
const COLOURS: [&str; 3] = ["#1f77b4", "#ff7f0e", "#7f7f7f"];

/// The panels, one under the other, as an SVG document.
pub fn render(panels: &[Panel<'_>]) -> String {
    let mut body = String::new();
    let mut y = 0.0;
    for panel in panels {
        y = draw_panel(&mut body, panel, y);
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{y}\" \
         viewBox=\"0 0 {WIDTH} {y}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n"
    )
}

/// Draws `panel` from height `top` down; returns where it ends.
fn draw_panel(out: &mut String, panel: &Panel<'_>, top: f64) -> f64 {
    let plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20.0;
    let largest = panel
        .rows
        .iter()
        .flat_map(|(_, values)| values.iter().flatten())
        .copied()
        .chain(panel.reference)
        .fold(0.0_f64, f64::max);
    let scale = if largest > 0.0 {
        plot_width / largest
    } else {
        0.0
    };
    let x0 = LABEL_WIDTH;

    let _ = writeln!(
        out,
        "<text x=\"10\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        top + 18.0,
        escape(panel.title)
    );
    let mut legend_x = x0;
    for (s, name) in panel.series.iter().enumerate() {
        let _ = writeln!(
            out,
            "<rect x=\"{legend_x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            top + 26.0,
            COLOURS[s % COLOURS.len()],
            legend_x + 14.0,
            top + 35.0,
            escape(name)
        );
        legend_x += 30.0 + 7.0 * name.len() as f64;
    }

    let row_height = BAR_HEIGHT * panel.series.len() as f64 + ROW_GAP;
    let mut y = top + TITLE_HEIGHT;
    for (label, values) in &panel.rows {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            x0 - 6.0,
            y + row_height / 2.0,
            escape(label)
        );
        for (s, value) in values.iter().enumerate() {
            let bar_y = y + BAR_HEIGHT * s as f64;
            let Some(value) = value else { continue };
            let width = value * scale;
            let _ = writeln!(
                out,
                "<rect x=\"{x0}\" y=\"{bar_y}\" width=\"{width:.1}\" height=\"{}\" fill=\"{}\"/>\
                 <text x=\"{:.1}\" y=\"{}\" font-size=\"9\">{}</text>",
                BAR_HEIGHT - 1.0,
                COLOURS[s % COLOURS.len()],
                x0 + width + 4.0,
                bar_y + BAR_HEIGHT - 1.5,
                escape(&(panel.format)(*value))
            );
        }
        y += row_height;
    }
    if let Some(reference) = panel.reference {
        let x = x0 + reference * scale;
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{y}\" stroke=\"black\" \
             stroke-dasharray=\"4 3\"/>",
            top + TITLE_HEIGHT - 4.0
        );
    }
    y + 16.0
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_values_and_missing_ones_are_left_out() {
        let panel = Panel {
            title: "t <&>",
            series: &["a", "b"],
            rows: vec![
                ("one".into(), vec![Some(1.0), Some(2.0)]),
                ("two".into(), vec![None, Some(0.5)]),
            ],
            format: |v| format!("{v:.2}"),
            reference: Some(1.0),
        };
        let svg = render(&[panel]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("t &lt;&amp;&gt;"));
        // Three bars and two legend boxes (plus the background).
        assert_eq!(svg.matches("<rect").count(), 1 + 2 + 3);
        let widths: Vec<f64> = svg
            .split("width=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse().ok())
            .collect();
        let plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20.0;
        // The legend boxes are 10 wide; the bars scale to the largest value.
        assert!(widths.contains(&(plot / 2.0)), "{widths:?}");
        assert!(widths.contains(&plot), "{widths:?}");
        assert!(widths.contains(&(plot / 4.0)), "{widths:?}");
        assert!(svg.contains("stroke-dasharray"));
    }
}
