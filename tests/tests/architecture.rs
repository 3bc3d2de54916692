//! The structure ARCHITECTURE.md promises, checked on the sources: the
//! modules of each crate (and of each layer inside one) import each other
//! one way only, and the wire types are a leaf that depends on the model
//! alone. Reads the code as text: `use` paths to sibling modules.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The source without its inline test module (tests may reach anywhere).
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The modules directly under `dir` (files and folders with a `mod.rs`),
/// each with its source files.
fn modules(dir: &Path) -> BTreeMap<String, Vec<PathBuf>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if ["mod", "lib", "main", "tests"].contains(&name.as_str()) {
            continue;
        }
        if path.is_dir() && path.join("mod.rs").exists() {
            let mut files = Vec::new();
            rust_files(&path, &mut files);
            out.insert(name, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.insert(name, vec![path]);
        }
    }
    out
}

/// Names after `prefix::` in `text`, single (`prefix::a`) or grouped
/// (`prefix::{a, b}`).
fn names_after(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let needle = format!("{prefix}::");
    for (i, _) in text.match_indices(&needle) {
        let before = text[..i].chars().last();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &text[i + needle.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            names.extend(group.split(',').map(|n| ident(n.trim())));
        } else {
            names.insert(ident(rest));
        }
    }
    names
}

/// Which sibling modules each module under `dir` imports; `path` is the
/// modules' parent as `crate::...` sees it.
fn imports(dir: &Path, path: &str) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(dir);
    let mut graph = BTreeMap::new();
    for (name, files) in &modules {
        let mut uses = BTreeSet::new();
        for file in files {
            let text = fs::read_to_string(file).unwrap();
            let text = without_tests(&text);
            let parent = file.parent().unwrap();
            // `super::` names a sibling only in files directly under `dir`
            // (or in a module folder's own `mod.rs`).
            let direct =
                parent == dir || (file.ends_with("mod.rs") && parent.parent() == Some(dir));
            let mut found = names_after(text, path);
            if direct {
                found.extend(names_after(text, "super"));
            }
            uses.extend(
                found
                    .into_iter()
                    .filter(|n| n != name && modules.contains_key(n)),
            );
        }
        graph.insert(name.clone(), uses);
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in &graph[node] {
            if let Some(cycle) = visit(next, graph, done, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
}

#[test]
fn modules_import_each_other_one_way() {
    let root = workspace();
    let layers = [
        ("core/src", "crate"),
        ("core/src/model", "crate::model"),
        ("core/src/store", "crate::store"),
        (
            "core/src/store/customer_segments",
            "crate::store::customer_segments",
        ),
        ("core/src/sync", "crate::sync"),
        ("client/src", "crate"),
        ("ffi/src", "crate"),
        ("ffi/src/types", "crate::types"),
        ("cli/src", "crate"),
        ("sync-server-mock/src", "crate"),
        ("sync-server-mock/src/store", "crate::store"),
        ("sync-server-mock/src/portal", "crate::portal"),
        ("sync-server-mock/src/sync", "crate::sync"),
    ];
    for (dir, path) in layers {
        let graph = imports(&root.join(dir), path);
        assert!(graph.len() > 1, "{dir}: no modules found");
        assert_eq!(cycle(&graph), None, "{dir}: modules import each other");
    }
}

#[test]
fn the_wire_types_are_a_leaf_over_the_model() {
    let graph = imports(&workspace().join("core/src"), "crate");
    let allowed: BTreeSet<String> = ["model", "error"].map(String::from).into();
    let protocol = &graph["protocol"];
    assert!(
        protocol.is_subset(&allowed),
        "protocol imports {protocol:?}"
    );
    // And the store, the sync logic, the mock and the FFI use it.
    assert!(graph["store"].contains("protocol") && graph["sync"].contains("protocol"));
}

#[test]
fn the_checker_sees_a_circle() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.rs"), "use super::{b, c};\n").unwrap();
    fs::write(dir.path().join("b.rs"), "use crate::x::a::Thing;\n").unwrap();
    fs::write(dir.path().join("c.rs"), "fn f() { super::b::g() }\n").unwrap();
    let graph = imports(dir.path(), "crate::x");
    assert_eq!(
        cycle(&graph),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
    fs::write(dir.path().join("b.rs"), "// a::Thing is not a use\n").unwrap();
    assert_eq!(cycle(&imports(dir.path(), "crate::x")), None);
}
