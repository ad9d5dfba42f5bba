//! The tools the benchmark needs besides the Rust toolchain, installed from
//! Debian's packages when missing.

use std::path::PathBuf;
use std::process::Command;

use super::procs;

/// A tool and the Debian package that provides it.
struct Tool {
    /// What the benchmark runs.
    program: &'static str,
    /// Where Debian puts it (used when it is not on `PATH`).
    debian_path: &'static str,
    /// The package.
    package: &'static str,
    /// What it is for.
    purpose: &'static str,
}

const TOOLS: [Tool; 5] = [
    Tool {
        program: "curl",
        debian_path: "/usr/bin/curl",
        package: "curl",
        purpose: "the CLI baseline; fetches the simulator's body for nginx",
    },
    Tool {
        program: "time",
        debian_path: "/usr/bin/time",
        package: "time",
        purpose: "peak RSS (`/usr/bin/time -f %M`)",
    },
    Tool {
        program: "wrk",
        debian_path: "/usr/bin/wrk",
        package: "wrk",
        purpose: "the load generator (simulator against nginx)",
    },
    Tool {
        program: "nginx",
        debian_path: "/usr/sbin/nginx",
        package: "nginx",
        purpose: "the static-file baseline for the simulator",
    },
    Tool {
        program: "valgrind",
        debian_path: "/usr/bin/valgrind",
        package: "valgrind",
        purpose: "instructions per call (`valgrind --tool=callgrind`)",
    },
];

/// Where each tool is, and what had to be installed.
#[derive(Debug, Clone)]
pub(crate) struct Tools {
    pub(crate) curl: PathBuf,
    pub(crate) time: PathBuf,
    pub(crate) wrk: PathBuf,
    pub(crate) nginx: PathBuf,
    pub(crate) valgrind: PathBuf,
    /// Packages installed by this run (empty when all were present).
    pub(crate) installed: Vec<String>,
    /// The tools' versions, for the report.
    pub(crate) versions: Vec<String>,
}

fn find(t: &Tool) -> Option<PathBuf> {
    // `time` is also a shell keyword: only the program counts.
    if t.program == "time" {
        let p = PathBuf::from(t.debian_path);
        return p.is_file().then_some(p);
    }
    procs::which(t.program).or_else(|| {
        let p = PathBuf::from(t.debian_path);
        p.is_file().then_some(p)
    })
}

/// Finds every tool, installing the missing ones with apt-get (saying so).
pub(crate) fn ensure() -> Result<Tools, String> {
    let missing: Vec<&Tool> = TOOLS.iter().filter(|t| find(t).is_none()).collect();
    let mut installed = Vec::new();
    if !missing.is_empty() {
        for t in &missing {
            crate::say(&format!(
                "bench: installing the Debian package `{}` ({}): not found",
                t.package, t.purpose
            ));
        }
        install(&missing.iter().map(|t| t.package).collect::<Vec<_>>())?;
        installed = missing.iter().map(|t| t.package.to_owned()).collect();
    }
    let path = |i: usize| {
        find(&TOOLS[i]).ok_or_else(|| {
            format!(
                "{} is still missing after installing {}",
                TOOLS[i].program, TOOLS[i].package
            )
        })
    };
    let tools = Tools {
        curl: path(0)?,
        time: path(1)?,
        wrk: path(2)?,
        nginx: path(3)?,
        valgrind: path(4)?,
        installed,
        versions: Vec::new(),
    };
    let versions = versions(&tools);
    Ok(Tools { versions, ..tools })
}

fn install(packages: &[&str]) -> Result<(), String> {
    let apt = |args: &[&str]| {
        let mut cmd = Command::new("apt-get");
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        procs::status(&mut cmd).map_err(|e| {
            format!(
                "{e}\nbench: install them by hand (as root): apt-get install {}",
                packages.join(" ")
            )
        })
    };
    crate::say("bench: apt-get update");
    apt(&["-q", "update"])?;
    let mut args = vec!["-q", "-y", "--no-install-recommends", "install"];
    args.extend_from_slice(packages);
    crate::say(&format!("bench: apt-get install {}", packages.join(" ")));
    apt(&args)
}

fn versions(t: &Tools) -> Vec<String> {
    // `curl 7.88.1 (x86_64…) libcurl/…`: the name and version are enough.
    let first_line = |s: String| {
        let line = s.lines().next().unwrap_or_default();
        line.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = Vec::new();
    // wrk prints its version on stdout and exits 1 without a URL.
    if let Ok(o) = Command::new(&t.wrk).arg("--version").output() {
        out.push(first_line(String::from_utf8_lossy(&o.stdout).into_owned()));
    }
    // nginx prints it on stderr.
    if let Ok(o) = Command::new(&t.nginx).arg("-v").output() {
        out.push(first_line(String::from_utf8_lossy(&o.stderr).into_owned()));
    }
    if let Ok(s) = procs::output(Command::new(&t.curl).arg("--version")) {
        out.push(first_line(s));
    }
    if let Ok(s) = procs::output(Command::new(&t.valgrind).arg("--version")) {
        out.push(first_line(s));
    }
    out.retain(|v| !v.is_empty());
    out
}
