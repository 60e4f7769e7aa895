//! Runs the crates' criterion benches and reads their results back from
//! `target/criterion/<group>/<bench>/new/{benchmark,estimates}.json`.

use std::path::Path;

use anyhow::{Context, Result};

use crate::util;

/// One criterion measurement.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Estimate {
    /// `group/function`, as criterion prints it.
    pub(crate) id: String,
    /// Median time per iteration, seconds.
    pub(crate) median_s: f64,
    /// Bytes per iteration, or elements per iteration.
    pub(crate) throughput: Option<Throughput>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Throughput {
    Bytes(u64),
    Elements(u64),
}

impl Estimate {
    /// Units per second: MiB/s for bytes, elements/s for elements.
    pub(crate) fn rate(&self) -> Option<f64> {
        match self.throughput? {
            Throughput::Bytes(b) => Some(b as f64 / 1_048_576.0 / self.median_s),
            Throughput::Elements(n) => Some(n as f64 / self.median_s),
        }
    }
}

/// `cargo bench -p <package> --bench <bench> -- <criterion args>`, then
/// every estimate of `group`.
pub(crate) fn run(
    root: &Path,
    package: &str,
    bench: &str,
    group: &str,
    criterion_args: &[&str],
) -> Result<Vec<Estimate>> {
    let mut args = vec!["bench", "-p", package, "--bench", bench, "--"];
    args.extend_from_slice(criterion_args);
    util::cargo(&args)?;
    read_group(&root.join("target").join("criterion").join(group))
}

fn read_group(dir: &Path) -> Result<Vec<Estimate>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("no criterion results in {}", dir.display()))?;
    for entry in entries.flatten() {
        let new = entry.path().join("new");
        let (Ok(bench), Ok(estimates)) = (
            std::fs::read_to_string(new.join("benchmark.json")),
            std::fs::read_to_string(new.join("estimates.json")),
        ) else {
            continue;
        };
        if let Some(e) = parse(&bench, &estimates) {
            out.push(e);
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn parse(benchmark_json: &str, estimates_json: &str) -> Option<Estimate> {
    let bench: serde_json::Value = serde_json::from_str(benchmark_json).ok()?;
    let est: serde_json::Value = serde_json::from_str(estimates_json).ok()?;
    let throughput = match &bench["throughput"] {
        t if t["Bytes"].is_u64() => Some(Throughput::Bytes(t["Bytes"].as_u64()?)),
        t if t["BytesDecimal"].is_u64() => Some(Throughput::Bytes(t["BytesDecimal"].as_u64()?)),
        t if t["Elements"].is_u64() => Some(Throughput::Elements(t["Elements"].as_u64()?)),
        _ => None,
    };
    Some(Estimate {
        id: bench["full_id"].as_str()?.to_owned(),
        median_s: est["median"]["point_estimate"].as_f64()? / 1e9,
        throughput,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_are_read_as_medians_with_their_throughput() {
        let bench = r#"{"group_id":"adf-to-markdown","function_id":"big tables/adf-md","throughput":{"Bytes":2097152},"full_id":"adf-to-markdown/big tables/adf-md"}"#;
        let est = r#"{"mean":{"point_estimate":1.0},"median":{"point_estimate":10000000.0}}"#;
        let e = parse(bench, est).unwrap();
        assert_eq!(e.id, "adf-to-markdown/big tables/adf-md");
        assert!((e.rate().unwrap() - 200.0).abs() < 1e-9);
        let n = parse(
            r#"{"full_id":"normalize/mix","throughput":{"Elements":6}}"#,
            r#"{"median":{"point_estimate":1500000.0}}"#,
        )
        .unwrap();
        assert!((n.rate().unwrap() - 4000.0).abs() < 1e-9);
        assert_eq!(parse("{}", "{}"), None);
    }
}
