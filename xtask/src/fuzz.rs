//! `cargo xtask fuzz [--seconds N] [--target T]`: coverage-guided fuzzing of
//! the response decoders and the CLI's value parsers with cargo-fuzz
//! (libFuzzer). cargo-fuzz needs nightly-only flags; on this stable toolchain
//! `RUSTC_BOOTSTRAP=1` enables them, so no second toolchain is needed.
//!
//! Each target starts from its working corpus (`fuzz/corpus/<target>/`, not
//! checked in: it grows run after run) and the checked-in seeds
//! (`fuzz/seeds/<target>/`: the vendors' example bodies and CLI values), so
//! even a short run from a fresh clone starts from real shapes.

use std::process::Command;

use crate::root;

/// Every fuzz target in `fuzz/fuzz_targets/`.
pub(crate) const TARGETS: &[&str] = &[
    "decode_clanforge",
    "decode_task",
    "decode_zstack",
    "exact_integer",
    "cli_values",
];

pub(crate) fn run(total_seconds: u64, only: Option<&str>) -> Result<(), String> {
    let targets: Vec<&str> = match only {
        Some(t) if TARGETS.contains(&t) => vec![t],
        Some(t) => {
            return Err(format!(
                "unknown fuzz target {t:?}; targets: {}",
                TARGETS.join(", ")
            ));
        }
        None => TARGETS.to_vec(),
    };
    ensure_cargo_fuzz()?;
    let fuzz_dir = root().join("fuzz");
    let status = Command::new("cargo")
        .args(["fuzz", "build", "-O"])
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(&fuzz_dir)
        .status()
        .map_err(|e| format!("cannot run cargo fuzz build: {e}"))?;
    if !status.success() {
        return Err("cargo fuzz build failed".into());
    }
    let per_target = (total_seconds / targets.len() as u64).max(1);
    for t in targets {
        crate::say(&format!("fuzz: {t} for {per_target}s"));
        let corpus = fuzz_dir.join("corpus").join(t);
        std::fs::create_dir_all(&corpus)
            .map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
        let mut run = Command::new("cargo");
        run.args(["fuzz", "run", "-O", t]).arg(&corpus);
        let seeds = fuzz_dir.join("seeds").join(t);
        if seeds.is_dir() {
            run.arg(&seeds);
        }
        let status = run
            .arg("--")
            .arg(format!("-max_total_time={per_target}"))
            .arg("-print_final_stats=1")
            .env("RUSTC_BOOTSTRAP", "1")
            .current_dir(&fuzz_dir)
            .status()
            .map_err(|e| format!("cannot run cargo fuzz run {t}: {e}"))?;
        if !status.success() {
            return Err(format!(
                "fuzz target {t} found a failure: see fuzz/artifacts/{t}/ \
                 (reproduce: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O {t} <artifact>)"
            ));
        }
    }
    Ok(())
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let present = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return Ok(());
    }
    crate::say("fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)");
    let status = Command::new("cargo")
        .args(["install", "cargo-fuzz", "--locked"])
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err("cargo install cargo-fuzz failed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_file_is_listed_and_every_listed_target_exists() {
        let dir = root().join("fuzz/fuzz_targets");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.strip_suffix(".rs").map(str::to_owned)
            })
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = TARGETS.iter().map(|t| (*t).to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn every_seed_folder_belongs_to_a_target() {
        let dir = root().join("fuzz/seeds");
        for e in std::fs::read_dir(&dir).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(TARGETS.contains(&name.as_str()), "fuzz/seeds/{name}");
        }
    }
}
