//! The deployment files, checked without a Docker engine (none runs on these machines): every
//! path the Dockerfile copies exists and is in the build context, the context alone builds, the
//! build command is the README's, the runtime stage is what production needs, and render.yaml
//! keeps every secret out of the file.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str) -> String {
    std::fs::read_to_string(root().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The sources of the Dockerfile's `COPY` lines that take from the build context.
fn copied_from_context() -> Vec<String> {
    read("Dockerfile")
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from="))
        .flat_map(|l| {
            let words: Vec<&str> = l.split_whitespace().skip(1).collect();
            words[..words.len() - 1].iter().map(|w| w.to_string()).collect::<Vec<_>>()
        })
        .collect()
}

fn ignored(path: &str) -> bool {
    read(".dockerignore").lines().map(str::trim).filter(|p| !p.is_empty()).any(|pattern| {
        path == pattern
            || path.starts_with(&format!("{pattern}/"))
            || (pattern.starts_with("*.") && path.ends_with(&pattern[1..]))
    })
}

#[test]
fn every_path_the_dockerfile_copies_exists_in_the_build_context() {
    let copied = copied_from_context();
    for needed in ["Cargo.toml", "Cargo.lock", "src", "style", "public", "migrations", "docs"] {
        assert!(copied.iter().any(|c| c == needed), "the Dockerfile does not copy {needed}");
    }
    for path in &copied {
        assert!(root().join(path).exists(), "the Dockerfile copies {path}, which does not exist");
        assert!(!ignored(path), "the Dockerfile copies {path}, which .dockerignore leaves out");
    }
}

#[test]
fn the_dockerfile_builds_with_the_readmes_command_and_runs_as_production_needs() {
    let dockerfile = read("Dockerfile");
    let command = "cargo leptos build --release --precompress";
    assert!(dockerfile.contains(&format!("RUN {command}")), "the Dockerfile's build is not `{command}`");
    assert!(read("README.md").contains(command), "the README does not give the build command `{command}`");
    let runtime = dockerfile.split("AS runtime").nth(1).expect("a runtime stage");
    for needed in [
        "COPY --from=build /src/target/release/cleantrack /app/cleantrack",
        "COPY --from=build /src/target/site /app/site",
        "COPY --from=build /src/target/release/hash.txt /app/hash.txt",
        "USER cleantrack",
        "HEALTHCHECK",
        "/healthz",
        "ENTRYPOINT [\"/app/cleantrack\"]",
    ] {
        assert!(runtime.contains(needed), "the runtime stage lacks `{needed}`");
    }
    assert!(!runtime.contains("USER root"), "the runtime must not run as root");
}

/// The build context alone (what `COPY` takes, minus .dockerignore) passes `cargo check` of the
/// server: a path the manifest needs but the Dockerfile forgets fails here, not at deploy time.
#[test]
fn the_build_context_alone_is_enough_to_build_the_server() {
    let context = std::env::temp_dir().join(format!("cleantrack-docker-context-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&context);
    for path in copied_from_context() {
        copy(&root().join(&path), &context.join(&path), &path);
    }
    // The shared target directory keeps this to checking our own crate.
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let output = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet", "--features", "ssr", "--bin", "cleantrack"])
        .env("CARGO_TARGET_DIR", target)
        .current_dir(&context)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&context);
    assert!(
        output.status.success(),
        "the Docker build context does not build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn copy(from: &Path, to: &Path, relative: &str) {
    if ignored(relative) {
        return;
    }
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().map(Result::unwrap) {
            let name = entry.file_name().to_string_lossy().into_owned();
            copy(&entry.path(), &to.join(&name), &format!("{relative}/{name}"));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

#[test]
fn render_yaml_runs_migrations_checks_health_and_holds_no_secret() {
    let render = read("render.yaml");
    assert!(render.contains("healthCheckPath: /healthz"));
    assert!(render.contains("preDeployCommand: /app/cleantrack migrate"));
    let lines: Vec<&str> = render.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(key) = line.trim().strip_prefix("- key: ") else { continue };
        let secret = ["SECRET", "KEY", "TOKEN", "DSN", "PASSWORD", "DATABASE_URL"].iter().any(|s| key.contains(s));
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
        if secret {
            assert!(
                next.starts_with("sync: false")
                    || next.starts_with("generateValue: true")
                    || next.starts_with("fromDatabase:"),
                "render.yaml gives {key} a value in the file: `{next}`"
            );
        }
    }
}
