//! Throughput and allocation of `normalize` on the realistic fixtures
//! (ADF conversion included).
//!
//! Allocation is counted with `stats_alloc`'s instrumented system allocator:
//! a hand-written `GlobalAlloc` needs `unsafe`, which the workspace forbids
//! (`forbid` cannot be relaxed locally), and output size alone would hide the
//! intermediate `serde_json::Value` trees that dominate the cost.

use std::alloc::System;
use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use normalize::{FieldCatalogue, Options, RawRecord, normalize};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const FIXTURES: &[&str] = &[
    "bug-adf-all-field-types",
    "story-sprint-points-envelope",
    "sixty-comments-paged",
    "jsm-request-internal-restricted",
    "dc-v2-wiki-markup",
    "nulls-everywhere",
];

struct Fixture {
    name: &'static str,
    bytes: Vec<u8>,
    catalogue: FieldCatalogue,
}

fn load() -> Vec<Fixture> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let read = |p: PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    FIXTURES
        .iter()
        .map(|name| {
            let cat = if name.starts_with("dc-") {
                "fields.dc.json"
            } else {
                "fields.cloud.json"
            };
            let cat: serde_json::Value = serde_json::from_slice(&read(dir.join(cat))).unwrap();
            Fixture {
                name,
                bytes: read(dir.join("issues").join(format!("{name}.json"))),
                catalogue: FieldCatalogue::from_json(&cat).unwrap(),
            }
        })
        .collect()
}

/// The whole per-issue path of the sync and of renormalize: parse the raw
/// object, build the document, serialize it.
fn run(f: &Fixture, opts: &Options) -> Vec<u8> {
    let raw = RawRecord::parse(&f.bytes).unwrap();
    normalize(&raw, &f.catalogue, "raw/jira/X-1/k.json", opts)
        .unwrap()
        .to_json_bytes()
}

fn bench(c: &mut Criterion) {
    let fixtures = load();
    let opts = Options {
        site_url: "https://acme.atlassian.net".into(),
        include_restricted_comments: false,
    };

    // Allocation per issue, measured once per fixture outside criterion's
    // timing loop, printed for the README.
    eprintln!(
        "{:<34} {:>10} {:>12} {:>8} {:>10}",
        "fixture", "raw bytes", "alloc bytes", "allocs", "doc bytes"
    );
    for f in &fixtures {
        let region = Region::new(GLOBAL);
        let out = black_box(run(f, &opts));
        let stats = region.change();
        eprintln!(
            "{:<34} {:>10} {:>12} {:>8} {:>10}",
            f.name,
            f.bytes.len(),
            stats.bytes_allocated,
            stats.allocations,
            out.len()
        );
    }

    let mut group = c.benchmark_group("normalize");
    for f in &fixtures {
        group.throughput(Throughput::Elements(1));
        group.bench_function(f.name, |b| b.iter(|| run(black_box(f), &opts)));
    }
    // Where the time goes, on the biggest single-page issue: parsing Jira's
    // JSON into a tree, building the document (ADF conversion included),
    // serializing it, and the ADF conversion of the description alone.
    let f = &fixtures[0];
    let raw = RawRecord::parse(&f.bytes).unwrap();
    let doc = normalize(&raw, &f.catalogue, "k", &opts).unwrap();
    group.bench_function("stage/parse", |b| {
        b.iter(|| RawRecord::parse(black_box(&f.bytes)).unwrap())
    });
    group.bench_function("stage/build", |b| {
        b.iter(|| normalize(black_box(&raw), &f.catalogue, "k", &opts).unwrap())
    });
    group.bench_function("stage/serialize", |b| {
        b.iter(|| black_box(&doc).to_json_bytes())
    });
    let description = &raw.issue()["fields"]["description"];
    group.bench_function("stage/adf-description", |b| {
        b.iter(|| adf_md::to_markdown(black_box(description)))
    });
    let all = u64::try_from(fixtures.len()).unwrap_or(u64::MAX);
    group.throughput(Throughput::Elements(all));
    group.bench_function("mix", |b| {
        b.iter(|| {
            fixtures
                .iter()
                .map(|f| run(black_box(f), &opts).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
