//! Processes the benchmark starts: commands with captured output, the
//! simulator, free ports, and stopping what it started.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A command line as it would be typed (for the report and errors).
pub(crate) fn shown(cmd: &Command) -> String {
    let mut out = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        let a = a.to_string_lossy();
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"&?*$;|<>".contains(c)) {
            out.push_str(&format!(" '{}'", a.replace('\'', r"'\''")));
        } else {
            out.push(' ');
            out.push_str(&a);
        }
    }
    out
}

/// Runs `cmd` to the end; its stdout, or an error with its stderr.
pub(crate) fn output(cmd: &mut Command) -> Result<String, String> {
    let line = shown(cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {line}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{line} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `cmd` with its output shown; an error if it fails.
pub(crate) fn status(cmd: &mut Command) -> Result<(), String> {
    let line = shown(cmd);
    let st = cmd
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run {line}: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("{line} failed ({st})"))
    }
}

/// The absolute path of a program on `PATH`, if there is one.
pub(crate) fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// A port on 127.0.0.1 that was free a moment ago.
pub(crate) fn free_port() -> Result<u16, String> {
    let l =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot find a free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("cannot find a free port: {e}"))
}

/// Waits until something accepts connections on `port` (at most `limit`).
pub(crate) fn wait_for_port(port: u16, limit: Duration) -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("nothing listens on port {port} after {limit:?}"))
}

/// A child process that is stopped when dropped: SIGTERM, then SIGKILL if
/// it has not exited after two seconds.
pub(crate) struct Guard {
    child: Child,
    name: String,
}

impl Guard {
    pub(crate) fn new(child: Child, name: impl Into<String>) -> Self {
        Self {
            child,
            name: name.into(),
        }
    }

    /// Stops the process (see [`Guard`]).
    pub(crate) fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // SIGTERM lets nginx's master stop its workers; std only sends SIGKILL.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        crate::say(&format!(
            "bench: {} did not stop on SIGTERM; killing it",
            self.name
        ));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// A running `cfp-sim`.
pub(crate) struct Sim {
    guard: Guard,
    /// `http://127.0.0.1:PORT`.
    pub(crate) base_url: String,
    /// The port.
    pub(crate) port: u16,
}

impl Sim {
    /// Starts `cfp-sim` on a free loopback port and waits for its
    /// `listening on …` line.
    pub(crate) fn start(bin: &Path) -> Result<Self, String> {
        Self::start_with(bin, &[])
    }

    /// [`start`](Self::start) with more of `cfp-sim`'s options.
    pub(crate) fn start_with(bin: &Path, options: &[&str]) -> Result<Self, String> {
        let mut cmd = Command::new(bin);
        cmd.args(["--addr", "127.0.0.1:0"])
            .args(options)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take();
        let guard = Guard::new(child, "cfp-sim");
        let mut line = String::new();
        if let Some(out) = stdout {
            BufReader::new(out)
                .read_line(&mut line)
                .map_err(|e| format!("cfp-sim said nothing: {e}"))?;
        }
        let base_url = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("unexpected first line from cfp-sim: {line:?}"))?
            .to_owned();
        let port = base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| format!("no port in {base_url:?}"))?;
        Ok(Self {
            guard,
            base_url,
            port,
        })
    }

    /// Stops it.
    pub(crate) fn stop(self) {
        self.guard.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_as_typed() {
        let mut c = Command::new("curl");
        c.args(["-s", "-u", "demo:demo", "http://h/x?detail=true"]);
        assert_eq!(shown(&c), "curl -s -u demo:demo 'http://h/x?detail=true'");
        let mut c = Command::new("wrk");
        c.args(["-H", "Authorization: Basic x"]);
        assert_eq!(shown(&c), "wrk -H 'Authorization: Basic x'");
    }
}
