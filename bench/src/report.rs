//! The results: one figure per measured quantity, beside its raw limit and its target, the
//! medians of the runs, and the table printed and written to `results.json` / `RESULTS.md`.

use crate::procfs::Machine;
use crate::stats::median;
use serde::{Deserialize, Serialize};

/// Appends a formatted line.
macro_rules! push_line {
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

/// Appends formatted text.
macro_rules! push_text {
    ($out:expr, $($arg:tt)*) => {
        $out.push_str(&format!($($arg)*))
    };
}

/// A target a figure should meet.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(tag = "kind", content = "bound", rename_all = "snake_case")]
pub enum Target {
    /// value <= bound
    AtMost(f64),
    /// value >= bound
    AtLeast(f64),
    /// value / limit <= bound (latencies)
    RatioAtMost(f64),
    /// value / limit >= bound (throughputs)
    RatioAtLeast(f64),
}

impl Target {
    fn text(&self, unit: &str) -> String {
        match self {
            Target::AtMost(bound) => format!("≤ {} {unit}", number(*bound)),
            Target::AtLeast(bound) => format!("≥ {} {unit}", number(*bound)),
            Target::RatioAtMost(bound) => format!("≤ {}x limit", number(*bound)),
            Target::RatioAtLeast(bound) => format!("≥ {}x limit", number(*bound)),
        }
    }

    fn met(&self, value: f64, ratio: Option<f64>) -> Option<bool> {
        match self {
            Target::AtMost(bound) => Some(value <= *bound),
            Target::AtLeast(bound) => Some(value >= *bound),
            Target::RatioAtMost(bound) => ratio.map(|r| r <= *bound),
            Target::RatioAtLeast(bound) => ratio.map(|r| r >= *bound),
        }
    }
}

/// One measured quantity: the median of its runs, and the median of its raw limit's runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    pub what: String,
    pub unit: String,
    pub value: f64,
    pub runs: Vec<f64>,
    /// What the limit is, when there is one.
    pub limit_what: Option<String>,
    pub limit: Option<f64>,
    pub limit_runs: Vec<f64>,
    /// value / limit (of the medians).
    pub ratio: Option<f64>,
    pub targets: Vec<Target>,
    pub target_text: String,
    pub met: Option<bool>,
}

impl Figure {
    pub fn new(what: &str, unit: &str, runs: Vec<f64>) -> Figure {
        Figure {
            what: what.to_owned(),
            unit: unit.to_owned(),
            value: median(&runs),
            runs,
            limit_what: None,
            limit: None,
            limit_runs: Vec::new(),
            ratio: None,
            targets: Vec::new(),
            target_text: String::new(),
            met: None,
        }
    }

    pub fn limit(mut self, what: &str, runs: Vec<f64>) -> Figure {
        let limit = median(&runs);
        self.limit_what = Some(what.to_owned());
        self.limit = Some(limit);
        self.limit_runs = runs;
        self.ratio = (limit > 0.0).then(|| self.value / limit);
        self.evaluate()
    }

    pub fn target(mut self, target: Target) -> Figure {
        self.targets.push(target);
        self.evaluate()
    }

    fn evaluate(mut self) -> Figure {
        self.target_text = self.targets.iter().map(|t| t.text(&self.unit)).collect::<Vec<_>>().join("; ");
        let verdicts: Vec<Option<bool>> = self.targets.iter().map(|t| t.met(self.value, self.ratio)).collect();
        self.met = if verdicts.is_empty() || verdicts.iter().any(Option::is_none) {
            None
        } else {
            Some(verdicts.iter().all(|v| *v == Some(true)))
        };
        self
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub name: String,
    pub title: String,
    /// The sizes this scenario actually used.
    pub sizes: String,
    pub figures: Vec<Figure>,
    /// Where the time goes (profiles, phase timings, CPU split), line by line.
    pub breakdown: Vec<String>,
    pub notes: Vec<String>,
    pub seconds: f64,
}

impl ScenarioResult {
    pub fn new(name: &str, title: &str, sizes: String) -> ScenarioResult {
        ScenarioResult {
            name: name.to_owned(),
            title: title.to_owned(),
            sizes,
            figures: Vec::new(),
            breakdown: Vec::new(),
            notes: Vec::new(),
            seconds: 0.0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub mode: String,
    pub build_profile: String,
    pub started_at: String,
    pub wall_seconds: f64,
    pub machine: Machine,
    pub loadavg_before: String,
    pub loadavg_after: String,
    pub setup: Vec<String>,
    pub scenarios: Vec<ScenarioResult>,
    pub failures: Vec<String>,
}

/// A number with sensible precision for a table.
pub fn number(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 {
        "0".into()
    } else if magnitude >= 1000.0 {
        let rounded = value.round() as i64;
        let text = rounded.abs().to_string();
        let mut out = String::new();
        for (i, ch) in text.chars().enumerate() {
            if i > 0 && (text.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        if rounded < 0 {
            format!("-{out}")
        } else {
            out
        }
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else if magnitude >= 0.1 {
        format!("{value:.2}")
    } else {
        format!("{value:.3}")
    }
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "—",
    }
}

struct Row {
    scenario: String,
    what: String,
    value: String,
    limit: String,
    ratio: String,
    target: String,
    met: String,
}

fn rows(report: &Report) -> Vec<Row> {
    let mut out = Vec::new();
    for scenario in &report.scenarios {
        for figure in &scenario.figures {
            out.push(Row {
                scenario: scenario.name.clone(),
                what: figure.what.clone(),
                value: format!("{} {}", number(figure.value), figure.unit),
                limit: match (&figure.limit, &figure.limit_what) {
                    (Some(limit), Some(what)) => format!("{} {} ({what})", number(*limit), figure.unit),
                    _ => "—".into(),
                },
                ratio: figure.ratio.map(|r| format!("{r:.2}x")).unwrap_or_else(|| "—".into()),
                target: if figure.target_text.is_empty() { "—".into() } else { figure.target_text.clone() },
                met: verdict(figure.met).into(),
            });
        }
    }
    out
}

/// The table for a terminal.
pub fn table(report: &Report) -> String {
    let rows = rows(report);
    let headers = ["scenario", "measured", "value", "ratio", "target", "met"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [r.scenario.clone(), r.what.clone(), r.value.clone(), r.ratio.clone(), r.target.clone(), r.met.clone()]
        })
        .collect();
    let mut widths = headers.map(|h| h.chars().count());
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String]| {
        cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("  ")
    };
    push_line!(out, "{}", line(&headers.map(str::to_owned)));
    push_line!(out, "{}", widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    for row in &cells {
        push_line!(out, "{}", line(row));
    }
    out.push('\n');
    for r in &rows {
        if r.limit != "—" {
            push_line!(out, "limit of {} / {}: {}", r.scenario, r.what, r.limit);
        }
    }
    out
}

/// `RESULTS.md`.
pub fn markdown(report: &Report, preamble: &str) -> String {
    let mut out = String::new();
    let m = &report.machine;
    push_line!(out, "# Taller benchmark results\n");
    push_line!(
        out,
        "Written by `cargo xtask bench{}` on {} ({} build, {} mode). Every figure is the median of the runs \
         listed in `results.json`; the ratio is value / limit of those medians.\n",
        if report.mode == "quick" { " --quick" } else { "" },
        report.started_at,
        report.build_profile,
        report.mode
    );
    push_line!(out, "## Machine\n");
    push_line!(out, "- CPU: {} ({} cores)", m.cpu_model, m.cores);
    push_line!(out, "- Memory: {} MB", m.memory_mb);
    push_line!(out, "- OS: {} (kernel {})", m.os, m.kernel);
    push_line!(out, "- Rust: {}", m.rustc);
    push_line!(
        out,
        "- perf hardware counters: {}",
        if m.perf_hardware_counters {
            "available"
        } else {
            "not available (`perf stat -e instructions` is not supported in this VM): profiles are phase timings and CPU splits"
        }
    );
    push_line!(out, "- Load average before: `{}`; after: `{}`", report.loadavg_before, report.loadavg_after);
    push_line!(out, "- Whole run: {:.0} s\n", report.wall_seconds);
    if !preamble.is_empty() {
        push_line!(out, "{preamble}\n");
    }
    push_line!(out, "## Figures\n");
    push_line!(out, "| scenario | measured | value | raw limit (same run) | ratio | target | met |");
    push_line!(out, "|---|---|---|---|---|---|---|");
    for r in rows(report) {
        push_line!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.scenario,
            r.what,
            r.value,
            r.limit,
            r.ratio,
            r.target,
            if r.met == "MISSED" { "**missed**".to_owned() } else { r.met }
        );
    }
    out.push('\n');
    if !report.failures.is_empty() {
        push_line!(out, "## Scenarios that failed\n");
        for failure in &report.failures {
            push_line!(out, "- {failure}");
        }
        out.push('\n');
    }
    push_line!(out, "## Setup\n");
    for line in &report.setup {
        push_line!(out, "- {line}");
    }
    out.push('\n');
    for scenario in &report.scenarios {
        push_line!(out, "## {} (`{}`)\n", scenario.title, scenario.name);
        push_line!(out, "Sizes used: {}. Took {:.0} s.\n", scenario.sizes, scenario.seconds);
        for figure in &scenario.figures {
            let runs = figure.runs.iter().map(|v| number(*v)).collect::<Vec<_>>().join(", ");
            push_text!(out, "- {}: **{} {}** (runs: {runs})", figure.what, number(figure.value), figure.unit);
            if let (Some(limit), Some(what)) = (figure.limit, &figure.limit_what) {
                let limit_runs = figure.limit_runs.iter().map(|v| number(*v)).collect::<Vec<_>>().join(", ");
                push_text!(
                    out,
                    "; limit ({what}): {} {} (runs: {limit_runs}); ratio {}",
                    number(limit),
                    figure.unit,
                    figure.ratio.map(|r| format!("{r:.2}x")).unwrap_or_default()
                );
            }
            if !figure.target_text.is_empty() {
                push_text!(out, "; target {}: {}", figure.target_text, verdict(figure.met));
            }
            out.push('\n');
        }
        if !scenario.breakdown.is_empty() {
            push_line!(out, "\nWhere the time goes:\n");
            for line in &scenario.breakdown {
                push_line!(out, "- {line}");
            }
        }
        if !scenario.notes.is_empty() {
            push_line!(out, "\nNotes:\n");
            for line in &scenario.notes {
                push_line!(out, "- {line}");
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_judged_on_medians_and_ratios() {
        let f = Figure::new("p99", "ms", vec![3.0, 1.0, 2.0]).limit("raw", vec![1.0, 1.0, 1.0]);
        let f = f.target(Target::RatioAtMost(1.5));
        assert_eq!(f.value, 2.0);
        assert_eq!(f.ratio, Some(2.0));
        assert_eq!(f.met, Some(false));
        let g = Figure::new("rate", "rows/s", vec![200_000.0]).target(Target::AtLeast(100_000.0));
        assert_eq!(g.met, Some(true));
        assert_eq!(Figure::new("x", "", vec![1.0]).met, None);
        assert_eq!(number(1_234_567.0), "1,234,567");
        assert_eq!(number(12.345), "12.3");
    }
}
