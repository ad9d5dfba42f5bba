//! `cfp` on a pseudo-terminal of a given size, for what only a terminal
//! shows: progress bars, widths, prompts. The child's stdin, stdout and
//! stderr are all the terminal (as for a person), so its output is one
//! stream; [`PtyRun::screen`] renders it as the terminal would show it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::io::{Read, Write};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use super::Sim;

/// What a run on a terminal printed, and how it ended.
pub(crate) struct PtyRun {
    /// Every byte written to the terminal, escape sequences included.
    pub(crate) raw: Vec<u8>,
    /// The exit code (-1 if killed by a signal).
    pub(crate) code: i32,
    /// The terminal's width.
    pub(crate) cols: u16,
}

impl PtyRun {
    /// The raw output as text (lossy).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }

    /// The lines a person would read at the end, rendered by a terminal
    /// emulator with a tall scrollback-free screen (so nothing scrolls
    /// away), trailing blanks trimmed. A width of 0 renders at 80, as a
    /// terminal that reports 0 columns still wraps somewhere.
    pub(crate) fn screen(&self) -> Vec<String> {
        let cols = std::num::NonZero::new(self.cols)
            .unwrap_or(std::num::NonZero::<u16>::MIN.saturating_add(79));
        let rows = std::num::NonZero::new(2000).unwrap();
        let mut parser = vt100::Parser::new(rows, cols, 0);
        parser.process(&self.raw);
        let mut lines: Vec<String> = parser
            .screen()
            .rows(0, cols.get())
            .map(|l| l.trim_end().to_owned())
            .collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }
}

/// A command to run on a terminal.
pub(crate) struct PtyCommand {
    cmd: CommandBuilder,
    cols: u16,
    rows: u16,
    input: Vec<u8>,
    timeout: Duration,
}

impl PtyCommand {
    /// `cfp ARGS` configured for `sim` through the environment only (as
    /// [`Sim::cfp`]), on a terminal `cols` wide.
    pub(crate) fn cfp(sim: &Sim, cols: u16, args: &[&str]) -> Self {
        let mut cmd = CommandBuilder::new(assert_cmd::cargo::cargo_bin("cfp"));
        cmd.args(args);
        // Only what the test sets: no user config, no stray CFP_* or
        // RUST_LOG from the developer's shell.
        cmd.env_clear();
        for var in ["PATH", "HOME"] {
            if let Some(v) = std::env::var_os(var) {
                cmd.env(var, v);
            }
        }
        cmd.env("TERM", "xterm-256color");
        let url = sim.sim().base_url();
        cmd.env("CFP_CONFIG", sim.config_dir.path().join("config.toml"));
        for var in ["CFP_CLANFORGE_URL", "CFP_TASK_URL", "CFP_ZSTACK_URL"] {
            cmd.env(var, &url);
        }
        cmd.env("CFP_CLANFORGE_KEY", super::KEY);
        cmd.env("CFP_CLANFORGE_SECRET", super::SECRET);
        cmd.env("CFP_TASK_TOKEN", super::TOKEN);
        cmd.env("CFP_ZSTACK_SESSION", super::SESSION);
        cmd.env("CFP_ASID", "1");
        Self {
            cmd,
            cols,
            rows: 50,
            input: Vec::new(),
            timeout: Duration::from_secs(60),
        }
    }

    /// Sets an environment variable for the child.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub(crate) fn env_remove(mut self, key: &str) -> Self {
        self.cmd.env_remove(key);
        self
    }

    /// Text typed on the terminal once the child runs (e.g. `"y\r"`).
    pub(crate) fn input(mut self, text: &str) -> Self {
        self.input = text.as_bytes().to_vec();
        self
    }

    /// How long the run may take before the test fails (default 60 s).
    pub(crate) fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }

    /// Runs to the end and returns what the terminal received.
    pub(crate) fn run(self) -> PtyRun {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: self.rows,
                cols: self.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut child = pair.slave.spawn_command(self.cmd).unwrap();
        // The child holds its own copy: ours must close, or reading never
        // sees the end.
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => raw.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tx.send(raw);
        });
        if !self.input.is_empty() {
            let mut writer = pair.master.take_writer().unwrap();
            writer.write_all(&self.input).unwrap();
            writer.flush().unwrap();
        }
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > self.timeout {
                child.kill().unwrap();
                panic!("cfp on a terminal did not end within {:?}", self.timeout);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // On Linux the reader sees EIO once the child is gone and the
        // master is the last holder.
        drop(pair.master);
        let raw = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
        PtyRun {
            raw,
            code: i32::try_from(status.exit_code()).unwrap_or(-1),
            cols: self.cols,
        }
    }
}
