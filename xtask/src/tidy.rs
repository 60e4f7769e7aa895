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

/// `aws-lc-rs`/`aws-lc-sys` are rustls' crypto provider (reqwest's TLS), not
/// the AWS SDK, so the AWS rules let them through.
fn is_aws_sdk(dep: &str) -> bool {
    dep.starts_with("aws-") && !dep.starts_with("aws-lc-")
}

/// Crates published to crates.io: no dependency on an unpublished crate.
const PUBLISHED_CRATES: &[&str] = &["adf-md", "jira-client"];

/// The engine is backend-agnostic: no AWS SDK, no Lambda runtime.
const ENGINE: &str = "ingest-core";
const ENGINE_FORBIDDEN_PREFIXES: &[&str] = &["aws-", "lambda_runtime"];

/// Leaves of the graph: nothing may depend on them.
const LEAVES: &[&str] = &["cli", "lambda", "xtask"];

/// What the rules look at. Transitive closures come from `cargo tree -p`,
/// which resolves features for that one crate alone: a feature that a binary
/// turns on (say `state-store/aws` in `lambda`) must not count against
/// `ingest-core`, as `cargo metadata`'s workspace-unified graph would.
struct Graph {
    /// Crate name to every package in its normal and build closure.
    closures: BTreeMap<String, BTreeSet<String>>,
    /// Crate name to its direct normal and build dependencies.
    runtime_deps: BTreeMap<String, BTreeSet<String>>,
    /// Crate name to every direct dependency, dev included.
    all_deps: BTreeMap<String, BTreeSet<String>>,
    /// Workspace members and whether each may be published.
    members: BTreeMap<String, bool>,
}

impl Graph {
    fn load() -> Graph {
        let meta = workspace_metadata();
        let member_ids: BTreeSet<&str> = meta["workspace_members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut graph = Graph {
            closures: BTreeMap::new(),
            runtime_deps: BTreeMap::new(),
            all_deps: BTreeMap::new(),
            members: BTreeMap::new(),
        };
        for pkg in meta["packages"].as_array().into_iter().flatten() {
            if !member_ids.contains(pkg["id"].as_str().unwrap_or_default()) {
                continue;
            }
            let name = pkg["name"].as_str().unwrap_or_default().to_owned();
            // `publish: []` means "never"; null means "anywhere".
            let publishable = !matches!(&pkg["publish"], Value::Array(a) if a.is_empty());
            graph.members.insert(name.clone(), publishable);
            for dep in pkg["dependencies"].as_array().into_iter().flatten() {
                let dep_name = dep["name"].as_str().unwrap_or_default().to_owned();
                if dep["kind"].as_str() != Some("dev") {
                    graph
                        .runtime_deps
                        .entry(name.clone())
                        .or_default()
                        .insert(dep_name.clone());
                }
                graph
                    .all_deps
                    .entry(name.clone())
                    .or_default()
                    .insert(dep_name);
            }
        }
        for krate in PURE_CRATES.iter().chain([&ENGINE]) {
            graph
                .closures
                .insert((*krate).to_owned(), cargo_tree_closure(krate));
        }
        graph
    }

    fn runtime_closure(&self, root: &str) -> BTreeSet<String> {
        self.closures.get(root).cloned().unwrap_or_default()
    }
}

/// Package names in the normal and build dependency tree of one crate.
fn cargo_tree_closure(krate: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = std::process::Command::new(cargo)
        .args(["tree", "--locked", "-p", krate, "-e", "normal,build"])
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {krate} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != krate)
        .map(str::to_owned)
        .collect()
}

fn violations(graph: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for krate in PURE_CRATES {
        for dep in graph.runtime_closure(krate) {
            if IMPURE_PREFIXES.iter().any(|p| dep.starts_with(p))
                && (is_aws_sdk(&dep) || !dep.starts_with("aws-"))
            {
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
        if ENGINE_FORBIDDEN_PREFIXES.iter().any(|p| dep.starts_with(p))
            && (is_aws_sdk(&dep) || !dep.starts_with("aws-"))
        {
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
    let graph = Graph::load();
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
    let graph = Graph::load();
    for (name, publishable) in &graph.members {
        let expected = PUBLISHED_CRATES.contains(&name.as_str());
        assert_eq!(*publishable, expected, "publish setting of {name}");
    }
}

/// The rules must be able to fail: add forbidden edges to the real graph
/// and check that each one is reported.
#[test]
fn forbidden_edges_are_reported() {
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
        let mut graph = Graph::load();
        if let Some(closure) = graph.closures.get_mut(from) {
            closure.insert(to.to_owned());
        }
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
