//! Samples as `make bench` collects them, and the tables it prints.
//!
//! A measured program prints `name value unit` lines; each line is one
//! sample of one metric, for one scenario (say `echo c=50`) in one
//! configuration (`wasm`, `native`, `tokio`, ...). A table has a row per
//! scenario and metric, a column per configuration (median, min–max) and
//! the ratio of each configuration to the baseline.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

/// The unit of each metric, by name.
pub type Units = BTreeMap<String, String>;

/// One table's samples: (scenario order, scenario, metric) → config →
/// the samples, in run order.
#[derive(Debug, Default)]
pub struct Samples(BTreeMap<(usize, String, String), BTreeMap<String, Vec<f64>>>);

/// Parses `name value unit` lines; other lines are skipped.
pub fn metrics(text: &str) -> Vec<(String, f64, String)> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let (n, v, u) = (it.next()?, it.next()?, it.next()?);
            Some((n.to_string(), v.parse().ok()?, u.to_string()))
        })
        .collect()
}

impl Samples {
    /// Adds the metrics in `text` as samples of `scenario` in `config`.
    /// Scenarios keep the order they were first recorded in.
    pub fn record(&mut self, units: &mut Units, scenario: &str, config: &str, text: &str) {
        let order = self
            .0
            .keys()
            .find(|(_, sc, _)| sc == scenario)
            .map(|k| k.0)
            .unwrap_or_else(|| self.0.keys().map(|k| k.0 + 1).max().unwrap_or(0));
        for (metric, v, unit) in metrics(text) {
            units.insert(metric.clone(), unit);
            self.0
                .entry((order, scenario.to_string(), metric))
                .or_default()
                .entry(config.to_string())
                .or_default()
                .push(v);
        }
    }

    /// Appends the table titled `title` to `md`, columns `configs` and
    /// their ratios to `baseline`, and one JSON row per cell to `rows`.
    pub fn table(
        &self,
        title: &str,
        configs: &[&str],
        baseline: &str,
        units: &Units,
        md: &mut String,
        rows: &mut Vec<serde_json::Value>,
    ) {
        let _ = writeln!(md, "\n### {title}\n");
        let _ = write!(md, "| scenario | metric | unit |");
        for c in configs {
            let _ = write!(md, " {c} |");
        }
        for c in configs.iter().filter(|c| **c != baseline) {
            let _ = write!(md, " {c} / {baseline} |");
        }
        let _ = writeln!(md);
        let _ = writeln!(md, "|{}", "---|".repeat(3 + configs.len() * 2 - 1));
        for ((_, scenario, metric), by_config) in &self.0 {
            let unit = &units[metric];
            let _ = write!(md, "| {scenario} | {metric} | {unit} |");
            let mut med = BTreeMap::new();
            for c in configs {
                match by_config.get(*c) {
                    Some(v) if !v.is_empty() => {
                        let (m, lo, hi) = stats(v);
                        med.insert(*c, m);
                        let _ = write!(md, " {m:.1} ({lo:.1}–{hi:.1}) |");
                        rows.push(json!({"scenario": scenario, "metric": metric, "unit": unit,
                            "config": c, "median": m, "min": lo, "max": hi, "samples": v}));
                    }
                    _ => {
                        let _ = write!(md, " – |");
                    }
                }
            }
            for c in configs.iter().filter(|c| **c != baseline) {
                let r = match (med.get(c), med.get(baseline)) {
                    (Some(x), Some(b)) => ratio(&by_config[*c], &by_config[baseline], *x, *b),
                    _ => None,
                };
                match r {
                    Some(r) => {
                        let _ = write!(md, " {r:.2} |");
                    }
                    None => {
                        let _ = write!(md, " – |");
                    }
                }
            }
            let _ = writeln!(md);
        }
    }
}

/// `items` in the order run `run` measures them: rotated by one place per
/// run, so no configuration always goes first (after the previous
/// scenario's connections, still closing) or always last.
pub fn rotated<T>(items: impl IntoIterator<Item = T>, run: usize) -> Vec<T> {
    let mut v: Vec<T> = items.into_iter().collect();
    if !v.is_empty() {
        let k = run % v.len();
        v.rotate_left(k);
    }
    v
}

/// (median, min, max) of non-empty `v`.
pub fn stats(v: &[f64]) -> (f64, f64, f64) {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// The ratio of `x` to `base` over runs: the median of the per-run ratios
/// when both have one sample per run (run i measured them back to back,
/// so the machine's slow swings cancel), else the ratio of the medians.
pub fn ratio(x: &[f64], base: &[f64], x_med: f64, base_med: f64) -> Option<f64> {
    if x.len() == base.len() {
        let r: Vec<f64> = x
            .iter()
            .zip(base)
            .filter(|(_, b)| **b != 0.0)
            .map(|(a, b)| a / b)
            .collect();
        if r.is_empty() {
            return None;
        }
        return Some(stats(&r).0);
    }
    (base_med != 0.0).then(|| x_med / base_med)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_configuration_takes_each_place_in_turn() {
        let order: Vec<Vec<char>> = (0..4).map(|run| rotated(['a', 'b', 'c'], run)).collect();
        assert_eq!(order[0], ['a', 'b', 'c']);
        assert_eq!(order[1], ['b', 'c', 'a']);
        assert_eq!(order[2], ['c', 'a', 'b']);
        assert_eq!(order[3], order[0]);
        assert!(rotated(Vec::<u8>::new(), 5).is_empty());
    }

    #[test]
    fn ratios_pair_the_runs() {
        // Run 2 caught the baseline in a slow minute: pairing discounts it.
        let x = [10.0, 20.0, 30.0];
        let base = [10.0, 40.0, 15.0];
        assert_eq!(ratio(&x, &base, 20.0, 15.0), Some(1.0));
        // Unpaired (a run is missing) falls back to the ratio of medians.
        assert_eq!(ratio(&x[..2], &base, 15.0, 15.0), Some(1.0));
        assert_eq!(ratio(&[1.0], &[0.0], 1.0, 0.0), None);
    }

    #[test]
    fn a_table_shows_medians_ranges_and_ratios_in_recorded_order() {
        let mut units = Units::new();
        let mut s = Samples::default();
        for (wasm, tokio) in [(3.0, 2.0), (1.0, 1.0), (2.0, 2.0)] {
            s.record(
                &mut units,
                "echo c=1",
                "wasm",
                &format!("rps {wasm} req/s\nnoise"),
            );
            s.record(
                &mut units,
                "echo c=1",
                "tokio",
                &format!("rps {tokio} req/s\n"),
            );
        }
        s.record(&mut units, "axum", "wasm", "rps 5 req/s\n");
        let (mut md, mut rows) = (String::new(), Vec::new());
        s.table(
            "Net",
            &["wasm", "tokio"],
            "tokio",
            &units,
            &mut md,
            &mut rows,
        );
        let lines: Vec<&str> = md.lines().filter(|l| l.starts_with("| ")).collect();
        assert_eq!(
            lines[1],
            "| echo c=1 | rps | req/s | 2.0 (1.0–3.0) | 2.0 (1.0–2.0) | 1.00 |"
        );
        assert_eq!(lines[2], "| axum | rps | req/s | 5.0 (5.0–5.0) | – | – |");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["samples"], json!([3.0, 1.0, 2.0]));
    }
}
