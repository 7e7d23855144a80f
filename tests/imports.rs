//! No import cycles between the crate's files: every `crate::…`, `super::…` and `self::…` path in
//! `src/` is an edge from its file to the file of the module it names, and the graph must have
//! no cycle. A cycle means two places that cannot be understood (or moved) one without the other;
//! the usual mend is to move what both need into a module below them (see README, "Where things
//! live").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path (`["server", "auth", "scope"]`) for every file under `src/` but the binary.
fn modules(root: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let relative = path.strip_prefix(root).unwrap().with_extension("");
            let mut segments: Vec<String> =
                relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            if path.extension().is_none_or(|e| e != "rs") || segments == ["main"] {
                continue;
            }
            if matches!(segments.last().map(String::as_str), Some("mod" | "lib")) {
                segments.pop();
            }
            found.insert(segments, path);
        }
    }
    found
}

/// The paths a line names, with `group::{a, b::c}` spelled out as `group::a` and `group::b::c`.
fn paths_in(line: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..].iter().collect();
        let starts = ["crate::", "super::", "self::"].iter().find(|p| rest.starts_with(**p));
        let boundary = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
        match starts {
            Some(_) if boundary => {
                let (paths, used) = parse_path(&bytes[i..]);
                out.extend(paths);
                i += used.max(1);
            }
            _ => i += 1,
        }
    }
    out
}

/// Parses `a::b::{c, d::e}` (nested groups too) from the start of `s`: the full paths and how
/// many characters were read.
fn parse_path(s: &[char]) -> (Vec<Vec<String>>, usize) {
    let mut segments = Vec::new();
    let mut i = 0;
    loop {
        let start = i;
        while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
            i += 1;
        }
        if i > start {
            segments.push(s[start..i].iter().collect::<String>());
        }
        if i + 1 < s.len() && s[i] == ':' && s[i + 1] == ':' {
            i += 2;
            if i < s.len() && s[i] == '{' {
                i += 1;
                let mut paths = Vec::new();
                loop {
                    while i < s.len() && (s[i].is_whitespace() || s[i] == ',') {
                        i += 1;
                    }
                    if i >= s.len() || s[i] == '}' {
                        return (paths, i + 1);
                    }
                    let (inner, used) = parse_path(&s[i..]);
                    for p in inner {
                        paths.push(segments.iter().cloned().chain(p).collect());
                    }
                    i += used.max(1);
                    // Skip `as name` and anything else up to the next item.
                    while i < s.len() && s[i] != ',' && s[i] != '}' {
                        i += 1;
                    }
                }
            }
            continue;
        }
        return (vec![segments], i);
    }
}

/// The file edges of one file: which other files its paths lead to.
fn edges_of(module: &[String], text: &str, files: &BTreeMap<Vec<String>, PathBuf>) -> BTreeSet<Vec<String>> {
    let mut edges = BTreeSet::new();
    // Inline modules (`mod page { … }`): paths inside them start from the inline module.
    let mut inline: Vec<(String, i64)> = Vec::new();
    let mut depth: i64 = 0;
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let code = code.split(" // ").next().unwrap_or(code);
        let here: Vec<String> = module.iter().cloned().chain(inline.iter().map(|(m, _)| m.clone())).collect();
        for path in paths_in(code) {
            let mut absolute: Vec<String> = match path[0].as_str() {
                "crate" => Vec::new(),
                "self" => here.clone(),
                _ => here[..here.len().saturating_sub(1)].to_vec(),
            };
            let mut rest = &path[1..];
            while rest.first().is_some_and(|s| s == "super") {
                absolute.pop();
                rest = &rest[1..];
            }
            absolute.extend(rest.iter().cloned());
            // The longest prefix that is a file is the module the path lands in.
            let target = (0..=absolute.len()).rev().map(|n| &absolute[..n]).find(|p| files.contains_key(*p));
            if let Some(target) = target {
                if target != module {
                    edges.insert(target.to_vec());
                }
            }
        }
        let words: Vec<&str> = code.split_whitespace().collect();
        let opens_inline = match words.as_slice() {
            ["mod", name, "{", ..] | ["pub", "mod", name, "{", ..] | ["pub(crate)", "mod", name, "{", ..] => {
                Some(name.to_string())
            }
            _ => None,
        };
        if let Some(name) = opens_inline {
            inline.push((name, depth));
        }
        depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
        while inline.last().is_some_and(|(_, opened_at)| depth <= *opened_at) {
            inline.pop();
        }
    }
    edges
}

/// Strongly connected components with more than one file (Tarjan).
fn cycles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<Vec<Vec<String>>> {
    struct State<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        found: Vec<Vec<Vec<String>>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Vec<String>) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let Some((w, _)) = s.graph.get_key_value(w) else { continue };
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.found
}

fn graph_of(root: &Path) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let files = modules(root);
    files
        .iter()
        .map(|(module, path)| (module.clone(), edges_of(module, &std::fs::read_to_string(path).unwrap(), &files)))
        .collect()
}

#[test]
fn the_crates_files_import_one_another_without_cycles() {
    let graph = graph_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 50, "the walk found the crate's files ({})", graph.len());
    let found = cycles(&graph);
    let shown: Vec<String> = found
        .iter()
        .map(|c| {
            c.iter().map(|m| if m.is_empty() { "lib".into() } else { m.join("::") }).collect::<Vec<_>>().join(", ")
        })
        .collect();
    assert!(found.is_empty(), "files that import one another, directly or round a loop:\n{}", shown.join("\n"));
}

#[test]
fn the_check_finds_a_cycle_through_super_group_imports_and_inline_modules() {
    let dir = std::env::temp_dir().join(format!("cleantrack-imports-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("pages")).unwrap();
    std::fs::write(dir.join("lib.rs"), "pub mod app;\npub mod pages;\npub mod model;\n").unwrap();
    std::fs::write(dir.join("model.rs"), "pub struct Id;\n").unwrap();
    std::fs::write(dir.join("app.rs"), "use crate::{model::Id, pages::scan::Page};\npub fn use_session() {}\n")
        .unwrap();
    std::fs::write(dir.join("pages/mod.rs"), "pub mod scan;\npub mod logs;\n").unwrap();
    std::fs::write(dir.join("pages/logs.rs"), "// crate::app::use_session in a comment is no import\n").unwrap();
    std::fs::write(
        dir.join("pages/scan.rs"),
        "use super::logs;\nmod page {\n    use super::Thing;\n    fn f() { crate::app::use_session(); }\n}\npub struct Thing;\n",
    )
    .unwrap();
    let graph = graph_of(&dir);
    let scan = vec!["pages".to_string(), "scan".to_string()];
    assert_eq!(
        graph[&scan],
        [vec!["app".to_string()], vec!["pages".to_string(), "logs".to_string()]].into_iter().collect()
    );
    assert!(graph[&vec!["pages".to_string(), "logs".to_string()]].is_empty());
    assert_eq!(cycles(&graph), vec![vec![vec!["app".to_string()], scan]]);
    std::fs::remove_dir_all(&dir).unwrap();
}
