//! What the benchmark ran on: cores, CPU model, memory, kernel, OS, Rust,
//! date, and how loaded the machine was.

use std::process::Command;

use super::procs;

/// The machine and the moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Machine {
    pub(crate) cores: usize,
    pub(crate) cpu_model: String,
    pub(crate) memory: String,
    pub(crate) kernel: String,
    pub(crate) os: String,
    pub(crate) rustc: String,
    pub(crate) date: String,
}

impl Machine {
    /// Reads it from `/proc`, `/etc/os-release` and `rustc --version`.
    pub(crate) fn detect() -> Self {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        Self {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".into()),
            memory: mem_total(&read("/proc/meminfo")).unwrap_or_else(|| "unknown".into()),
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            os: os_name(&read("/etc/os-release")).unwrap_or_else(|| "unknown".into()),
            rustc: procs::output(Command::new("rustc").arg("--version"))
                .map(|s| s.trim().to_owned())
                .unwrap_or_else(|_| "unknown".into()),
            date: procs::output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
                .map(|s| s.trim().to_owned())
                .unwrap_or_default(),
        }
    }
}

/// The load averages (1, 5, 15 minutes) as `/proc/loadavg` gives them.
pub(crate) fn load() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `model name` of the first CPU.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

/// `MemTotal` in GiB.
fn mem_total(meminfo: &str) -> Option<String> {
    let kb: f64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(format!("{:.0} GiB", kb / 1024.0 / 1024.0))
}

/// `PRETTY_NAME` from os-release.
fn os_name(release: &str) -> Option<String> {
    release
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cpu_memory_and_os() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("AMD EPYC"));
        assert_eq!(cpu_model("nothing"), None);
        let meminfo = "MemTotal:       24600000 kB\nMemFree: 1 kB\n";
        assert_eq!(mem_total(meminfo).as_deref(), Some("23 GiB"));
        let release = "NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            os_name(release).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
    }
}
