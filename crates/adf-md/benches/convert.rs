//! Throughput of ADF to Markdown on a realistic corpus, against `jc-adf`
//! (the fastest existing Rust converter on crates.io) in the same run.
//!
//! ```sh
//! cargo bench -p adf-md --bench convert
//! ```
//!
//! The corpus is generated deterministically: large descriptions (headings,
//! marked-up paragraphs split into many text nodes, nested lists, code,
//! panels), long comment threads (many small documents) and big tables.
//! Before the timed runs, the bench prints allocations per document.

use std::alloc::System;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// A tiny deterministic generator (64-bit LCG), so the corpus is identical
/// on every run without a `rand` dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[usize::try_from(self.next()).unwrap_or(0) % xs.len()]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "the",
    "request",
    "fails",
    "when",
    "user",
    "clicks",
    "save",
    "settings_page",
    "timeout",
    "after",
    "retry",
    "expected",
    "behaviour",
    "is",
    "that",
    "deploy",
    "staging",
    "production",
    "error",
    "500",
    "null",
    "pointer",
    "cache",
    "invalidated",
    "#42",
    "v2.3.1",
    "config.yaml",
    "*",
    "[WIP]",
    "a_b",
    "https://example.com/x",
];

/// Between `min` and `min + spread - 1` words.
fn sentence(r: &mut Lcg, min: u64, spread: u64) -> String {
    let words = min + r.below(spread);
    (0..words)
        .map(|_| r.pick(WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

fn inline_run(r: &mut Lcg) -> Vec<Value> {
    let mut out = Vec::new();
    for _ in 0..(3 + r.below(8)) {
        let text = format!("{} ", sentence(r, 2, 6));
        let node = match r.below(10) {
            0 => json!({"type": "text", "text": text, "marks": [{"type": "strong"}]}),
            1 => {
                json!({"type": "text", "text": text, "marks": [{"type": "em"}, {"type": "strong"}]})
            }
            2 => json!({"type": "text", "text": text.trim(), "marks": [{"type": "code"}]}),
            3 => {
                json!({"type": "text", "text": text, "marks": [{"type": "link", "attrs": {"href": "https://example.com/docs"}}]})
            }
            4 => {
                json!({"type": "mention", "attrs": {"id": "557058:abc", "text": "@Ada Lovelace", "accessLevel": ""}})
            }
            5 => {
                json!({"type": "text", "text": text, "marks": [{"type": "annotation", "attrs": {"id": "x", "annotationType": "inlineComment"}}]})
            }
            _ => json!({"type": "text", "text": text}),
        };
        out.push(node);
    }
    out
}

fn para(r: &mut Lcg) -> Value {
    json!({"type": "paragraph", "attrs": {"localId": "p"}, "content": inline_run(r)})
}

fn list(r: &mut Lcg, depth: u32) -> Value {
    let items: Vec<Value> = (0..(2 + r.below(5)))
        .map(|_| {
            let mut c = vec![para(r)];
            if depth < 2 && r.below(3) == 0 {
                c.push(list(r, depth + 1));
            }
            json!({"type": "listItem", "content": c})
        })
        .collect();
    if r.below(2) == 0 {
        json!({"type": "bulletList", "content": items})
    } else {
        json!({"type": "orderedList", "attrs": {"order": 1}, "content": items})
    }
}

fn table(r: &mut Lcg, rows: u64, cols: u64) -> Value {
    let rows: Vec<Value> = (0..rows)
        .map(|i| {
            let cells: Vec<Value> = (0..cols)
                .map(|_| {
                    let kind = if i == 0 { "tableHeader" } else { "tableCell" };
                    json!({"type": kind, "attrs": {"colspan": 1, "rowspan": 1, "colwidth": [120]}, "content": [
                        {"type": "paragraph", "content": [{"type": "text", "text": sentence(r, 1, 4)}]}]})
                })
                .collect();
            json!({"type": "tableRow", "content": cells})
        })
        .collect();
    json!({"type": "table", "attrs": {"isNumberColumnEnabled": false, "layout": "default", "localId": "t"}, "content": rows})
}

fn description(r: &mut Lcg, sections: u64) -> Value {
    let mut content = Vec::new();
    for s in 0..sections {
        content.push(json!({"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": format!("Section {s}")}]}));
        for _ in 0..3 {
            content.push(para(r));
        }
        content.push(list(r, 0));
        if s % 3 == 0 {
            content.push(json!({"type": "codeBlock", "attrs": {"language": "rust"}, "content": [{"type": "text", "text": "fn main() {\n    println!(\"```\");\n}\n".repeat(5)}]}));
        }
        if s % 4 == 0 {
            content.push(
                json!({"type": "panel", "attrs": {"panelType": "warning"}, "content": [para(r)]}),
            );
        }
    }
    json!({"version": 1, "type": "doc", "content": content})
}

fn corpus() -> Vec<(&'static str, Vec<Value>)> {
    let mut r = Lcg(42);
    let descriptions: Vec<Value> = (0..20).map(|_| description(&mut r, 30)).collect();
    let comments: Vec<Value> = (0..2000)
        .map(|_| json!({"version": 1, "type": "doc", "content": [para(&mut r), para(&mut r)]}))
        .collect();
    let tables: Vec<Value> = (0..10)
        .map(|_| json!({"version": 1, "type": "doc", "content": [table(&mut r, 200, 8)]}))
        .collect();
    vec![
        ("large descriptions", descriptions),
        ("comment thread", comments),
        ("big tables", tables),
    ]
}

fn bench(c: &mut Criterion) {
    let corpus = corpus();
    let mut group = c.benchmark_group("adf-to-markdown");
    group
        .sample_size(10)
        .measurement_time(std::time::Duration::from_secs(4));
    for (name, docs) in &corpus {
        let bytes: usize = docs.iter().map(|d| d.to_string().len()).sum();
        let texts: Vec<String> = docs.iter().map(Value::to_string).collect();

        let region = Region::new(GLOBAL);
        for d in docs {
            black_box(adf_md::to_markdown(d));
        }
        let ours = region.change().allocations;
        let region = Region::new(GLOBAL);
        for d in docs {
            black_box(jc_adf::to_markdown(d));
        }
        let theirs = region.change().allocations;
        eprintln!(
            "{name}: {} documents, {:.1} KiB of ADF JSON each; allocations per document: adf-md {}, jc-adf {}",
            docs.len(),
            bytes as f64 / docs.len() as f64 / 1024.0,
            ours / docs.len(),
            theirs / docs.len()
        );

        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(format!("{name}/adf-md"), |b| {
            b.iter(|| {
                docs.iter()
                    .map(|d| adf_md::to_markdown(black_box(d)).len())
                    .sum::<usize>()
            });
        });
        group.bench_function(format!("{name}/jc-adf"), |b| {
            b.iter(|| {
                docs.iter()
                    .map(|d| jc_adf::to_markdown(black_box(d)).len())
                    .sum::<usize>()
            });
        });
        group.bench_function(format!("{name}/adf-md from JSON text"), |b| {
            b.iter(|| {
                texts
                    .iter()
                    .map(|t| adf_md::to_markdown_str(black_box(t)).map_or(0, |m| m.len()))
                    .sum::<usize>()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
