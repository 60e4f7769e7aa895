//! Architecture rules checked against `cargo metadata`, in the style of
//! rust-analyzer's `tidy.rs`. Each rule mirrors an "Architecture invariant:"
//! line of ARCHITECTURE.md; change both together.
#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Crates whose (non-dev) dependency closure must not reach an async
/// runtime, an HTTP client or AWS: they are pure transformations.
const PURE_CRATES: &[&str] = &["adf-md", "normalize"];
const IMPURE_PREFIXES: &[&str] = &["tokio", "reqwest", "aws-", "hyper", "lambda_runtime"];

/// Crates published to crates.io: no dependency on an unpublished crate.
const PUBLISHED_CRATES: &[&str] = &["adf-md", "jira-client"];

/// The engine is backend-agnostic: no AWS SDK, no Lambda runtime.
const ENGINE: &str = "ingest-core";
const ENGINE_FORBIDDEN_PREFIXES: &[&str] = &["aws-", "lambda_runtime"];

/// Leaves of the graph: nothing may depend on them.
const LEAVES: &[&str] = &["cli", "lambda", "xtask"];

/// Dependency graph of the resolved workspace, by package name.
struct Graph {
    /// Package name to its normal and build dependencies (never dev).
    runtime_deps: BTreeMap<String, BTreeSet<String>>,
    /// Package name to every dependency, dev included.
    all_deps: BTreeMap<String, BTreeSet<String>>,
    /// Workspace members and whether each may be published.
    members: BTreeMap<String, bool>,
}

impl Graph {
    fn from_metadata(meta: &Value) -> Graph {
        let mut id_to_name = BTreeMap::new();
        for pkg in meta["packages"].as_array().into_iter().flatten() {
            id_to_name.insert(
                pkg["id"].as_str().unwrap_or_default().to_owned(),
                pkg["name"].as_str().unwrap_or_default().to_owned(),
            );
        }
        let member_ids: BTreeSet<&str> = meta["workspace_members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut members = BTreeMap::new();
        for pkg in meta["packages"].as_array().into_iter().flatten() {
            if member_ids.contains(pkg["id"].as_str().unwrap_or_default()) {
                // `publish: []` means "never"; null means "anywhere".
                let publishable = !matches!(&pkg["publish"], Value::Array(a) if a.is_empty());
                members.insert(
                    pkg["name"].as_str().unwrap_or_default().to_owned(),
                    publishable,
                );
            }
        }
        let mut runtime_deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut all_deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for node in meta["resolve"]["nodes"].as_array().into_iter().flatten() {
            let from = id_to_name[node["id"].as_str().unwrap_or_default()].clone();
            for dep in node["deps"].as_array().into_iter().flatten() {
                let to = id_to_name[dep["pkg"].as_str().unwrap_or_default()].clone();
                let runtime = dep["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k["kind"].as_str() != Some("dev"));
                if runtime {
                    runtime_deps
                        .entry(from.clone())
                        .or_default()
                        .insert(to.clone());
                }
                all_deps.entry(from.clone()).or_default().insert(to);
            }
        }
        Graph {
            runtime_deps,
            all_deps,
            members,
        }
    }

    /// Every package reachable from `root` through runtime edges.
    fn runtime_closure(&self, root: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![root.to_owned()];
        while let Some(next) = stack.pop() {
            for dep in self.runtime_deps.get(&next).into_iter().flatten() {
                if seen.insert(dep.clone()) {
                    stack.push(dep.clone());
                }
            }
        }
        seen
    }
}

fn violations(graph: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for krate in PURE_CRATES {
        for dep in graph.runtime_closure(krate) {
            if IMPURE_PREFIXES.iter().any(|p| dep.starts_with(p)) {
                out.push(format!(
                    "{krate} is pure but depends (transitively) on {dep}"
                ));
            }
        }
    }
    for krate in PUBLISHED_CRATES {
        for dep in graph.runtime_deps.get(*krate).into_iter().flatten() {
            if graph.members.get(dep) == Some(&false) {
                out.push(format!(
                    "{krate} is published but depends on unpublished {dep}"
                ));
            }
        }
    }
    for dep in graph.runtime_closure(ENGINE) {
        if ENGINE_FORBIDDEN_PREFIXES.iter().any(|p| dep.starts_with(p)) {
            out.push(format!(
                "{ENGINE} must stay backend-agnostic but depends on {dep}"
            ));
        }
    }
    for (from, deps) in &graph.all_deps {
        for leaf in LEAVES {
            if deps.contains(*leaf) {
                out.push(format!("{from} depends on {leaf}, which is a leaf"));
            }
        }
    }
    for dep in graph.all_deps.get("xtask").into_iter().flatten() {
        if graph.members.contains_key(dep) {
            out.push(format!("xtask depends on workspace crate {dep}"));
        }
    }
    out
}

fn workspace_metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn workspace_follows_the_dependency_rules() {
    let graph = Graph::from_metadata(&workspace_metadata());
    for krate in [
        "adf-md",
        "jira-client",
        "normalize",
        "ingest-core",
        "cli",
        "lambda",
    ] {
        assert!(
            graph.members.contains_key(krate),
            "{krate} is not a workspace member"
        );
    }
    let found = violations(&graph);
    assert!(
        found.is_empty(),
        "architecture rules broken:\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn published_crates_are_publishable_and_the_rest_are_not() {
    let graph = Graph::from_metadata(&workspace_metadata());
    for (name, publishable) in &graph.members {
        let expected = PUBLISHED_CRATES.contains(&name.as_str());
        assert_eq!(*publishable, expected, "publish setting of {name}");
    }
}

/// The rules must be able to fail: add forbidden edges to the real graph
/// and check that each one is reported.
#[test]
fn forbidden_edges_are_reported() {
    let meta = workspace_metadata();
    let cases = [
        ("adf-md", "tokio", "adf-md is pure"),
        ("normalize", "aws-sdk-s3", "normalize is pure"),
        ("jira-client", "state-store", "jira-client is published"),
        (
            "ingest-core",
            "lambda_runtime",
            "ingest-core must stay backend-agnostic",
        ),
        ("ingest-core", "cli", "depends on cli"),
        ("xtask", "adf-md", "xtask depends on workspace crate"),
    ];
    for (from, to, message) in cases {
        let mut graph = Graph::from_metadata(&meta);
        graph
            .runtime_deps
            .entry(from.to_owned())
            .or_default()
            .insert(to.to_owned());
        graph
            .all_deps
            .entry(from.to_owned())
            .or_default()
            .insert(to.to_owned());
        let found = violations(&graph);
        assert!(
            found.iter().any(|v| v.contains(message)),
            "adding {from} -> {to} was not reported; got {found:?}"
        );
    }
}
