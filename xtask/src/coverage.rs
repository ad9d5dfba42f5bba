//! Checks that every operation of the contract is implemented by cfp-api,
//! routed by the simulator and reachable from the CLI.
//!
//! An implementation marks itself with `#[doc(alias = "<operationId>")]`
//! (which also lets rustdoc search find it by the contract's name). An
//! operation that is an alternative wire form of another
//! (`x-cfp-fallback-for`) is covered in cfp-api and the CLI by its primary;
//! the simulator must route it itself.

use std::path::Path;

use crate::spec::Op;

/// Crates whose issue has not been done yet: their missing operations are
/// listed, not failed, as long as the crate covers none at all. Empty this
/// as each crate lands.
const NOT_BUILT_YET: &[&str] = &[];

struct Target {
    krate: &'static str,
    what: &'static str,
    fallbacks_covered_by_primary: bool,
}

const TARGETS: &[Target] = &[
    Target {
        krate: "cfp-api",
        what: "cfp-api method",
        fallbacks_covered_by_primary: true,
    },
    Target {
        krate: "cfp-testkit",
        what: "simulator route",
        fallbacks_covered_by_primary: false,
    },
    Target {
        krate: "cfp-cli",
        what: "CLI command",
        fallbacks_covered_by_primary: true,
    },
];

pub(crate) struct Report {
    pub(crate) lines: Vec<String>,
    pub(crate) missing: Vec<String>,
}

pub(crate) fn check(root: &Path, ops: &[Op]) -> Result<Report, String> {
    check_with(root, ops, NOT_BUILT_YET)
}

fn check_with(root: &Path, ops: &[Op], not_built_yet: &[&str]) -> Result<Report, String> {
    let mut report = Report {
        lines: Vec::new(),
        missing: Vec::new(),
    };
    for t in TARGETS {
        let src = root.join("crates").join(t.krate).join("src");
        let mut text = String::new();
        read_rs(&src, &mut text)?;
        // An implementation marks itself with `#[doc(alias = "<operationId>")]`;
        // in cfp-api, an operation is covered by its hand-written
        // `impl Operation for <Variant>Params` (how its answer is read).
        let covered = |name: &str| {
            text.contains(&format!("doc(alias = \"{name}\")"))
                || text.contains(&format!("doc(alias(\"{name}\")"))
                || (t.krate == "cfp-api"
                    && text.contains(&format!(
                        "impl Operation for {}Params",
                        crate::spec::variant_name(name)
                    )))
        };
        let mut missing = Vec::new();
        let mut n_covered = 0;
        for op in ops {
            let name = match (&op.fallback_for, t.fallbacks_covered_by_primary) {
                (Some(primary), true) => primary.as_str(),
                _ => op.name.as_str(),
            };
            if covered(name) {
                n_covered += 1;
            } else {
                missing.push(op.name.clone());
            }
        }
        if missing.is_empty() {
            report.lines.push(format!(
                "coverage: {}: all {} operations",
                t.what,
                ops.len()
            ));
        } else if n_covered == 0 && not_built_yet.contains(&t.krate) {
            report.lines.push(format!(
                "coverage: {} not built yet (allowed): missing {}",
                t.what,
                missing.join(", ")
            ));
        } else {
            report
                .missing
                .push(format!("no {} for {}", t.what, missing.join(", ")));
        }
    }
    Ok(report)
}

fn read_rs(dir: &Path, out: &mut String) -> Result<(), String> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", dir.display())),
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            // Generated code names every operation; only hand-written code
            // counts as covering one.
            if p.file_name().is_some_and(|n| n == "generated") {
                continue;
            }
            read_rs(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push_str(
                &std::fs::read_to_string(&p)
                    .map_err(|e| format!("cannot read {}: {e}", p.display()))?,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, fallback_for: Option<&str>) -> Op {
        Op {
            name: name.into(),
            variant: crate::spec::variant_name(name),
            summary: String::new(),
            method: "Get",
            path: "/x".into(),
            path_params: vec![],
            query_params: vec![],
            has_body: false,
            params: vec![],
            body: None,
            body_default: false,
            description: String::new(),
            surface: "Task",
            auth: "PrivateToken",
            retry: "Safe",
            fallback_for: fallback_for.map(str::to_owned),
        }
    }

    /// A throwaway repository root with the given `crate -> source` files.
    fn tree(files: &[(&str, &str)]) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!(
            "cfp-xtask-coverage-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        for (krate, src) in files {
            let dir = root.join("crates").join(krate).join("src");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("lib.rs"), src).unwrap();
        }
        root
    }

    #[test]
    fn a_crate_off_the_allow_list_fails_even_when_nothing_is_built() {
        let root = tree(&[]);
        let report = check_with(&root, &[op("getTask", None)], &[]).unwrap();
        assert_eq!(report.missing.len(), 3);
    }

    #[test]
    fn crates_on_the_allow_list_with_nothing_built_are_listed_not_failed() {
        let root = tree(&[]);
        let all = ["cfp-api", "cfp-testkit", "cfp-cli"];
        let report = check_with(&root, &[op("getTask", None)], &all).unwrap();
        assert!(report.missing.is_empty());
        assert_eq!(report.lines.len(), 3);
        assert!(report.lines[0].contains("not built yet (allowed): missing getTask"));
    }

    #[test]
    fn once_a_crate_covers_anything_every_missing_operation_fails() {
        let root = tree(&[("cfp-api", r#"#[doc(alias = "getTask")] fn get_task() {}"#)]);
        let ops = [op("getTask", None), op("cancelTask", None)];
        let all = ["cfp-api", "cfp-testkit", "cfp-cli"];
        let report = check_with(&root, &ops, &all).unwrap();
        assert_eq!(report.missing, ["no cfp-api method for cancelTask"]);
    }

    #[test]
    fn a_fallback_form_is_covered_by_its_primary_except_in_the_simulator() {
        let src = r#"#[doc(alias = "getUploadJobDetails")] fn f() {}"#;
        let root = tree(&[("cfp-api", src), ("cfp-testkit", src), ("cfp-cli", src)]);
        let ops = [
            op("getUploadJobDetails", None),
            op("getUploadJobDetailsByQuery", Some("getUploadJobDetails")),
        ];
        let report = check_with(&root, &ops, &[]).unwrap();
        assert_eq!(
            report.missing,
            ["no simulator route for getUploadJobDetailsByQuery"]
        );
    }
}
