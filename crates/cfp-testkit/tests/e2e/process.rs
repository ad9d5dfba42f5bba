//! `cfp-sim` as a process: its first stdout line, serving, a clean exit
//! on SIGINT, its flags, and logs without colour codes in a pipe.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct SimProcess {
    child: Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl SimProcess {
    pub(crate) fn spawn(args: &[&str]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cfp-sim"));
        cmd.args(args).stderr(Stdio::piped());
        Self::spawn_command(cmd)
    }

    /// Spawns `cmd` (cfp-sim, or a shell that execs it) with stdout piped.
    pub(crate) fn spawn_command(mut cmd: Command) -> Self {
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("cfp-sim starts");
        let stdout = child.stdout.take().unwrap();
        Self {
            child,
            lines: BufReader::new(stdout).lines(),
        }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn line(&mut self) -> String {
        self.lines.next().expect("a line").expect("utf-8")
    }

    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([name, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits (bounded) for the process to exit.
    pub(crate) fn wait(mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return (status, err);
            }
            assert!(Instant::now() < deadline, "cfp-sim did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn base_of(first_line: &str) -> String {
    first_line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first_line:?}"))
        .to_owned()
}

#[tokio::test]
async fn cfp_sim_prints_where_it_listens_serves_and_exits_cleanly_on_sigint() {
    let mut p = SimProcess::spawn(&["--addr", "127.0.0.1:0", "--seed", "3", "--speed", "60"]);
    let first = p.line();
    let base = base_of(&first);
    assert!(base.starts_with("http://127.0.0.1:"), "{first}");
    let client = crate::support::client();
    let r = client
        .get(format!(
            "{base}/cfp/v2/project/1/image/1/status?detail=true"
        ))
        .basic_auth("demo", Some("demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{base}/_sim/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "no token needed on loopback");
    p.signal("-INT");
    let (status, _) = p.wait();
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn off_loopback_cfp_sim_warns_and_prints_an_admin_token() {
    let mut p = SimProcess::spawn(&["--addr", "0.0.0.0:0"]);
    let first = p.line();
    let base = base_of(&first).replace("0.0.0.0", "127.0.0.1");
    let token = p
        .line()
        .strip_prefix("admin token: ")
        .expect("the token line")
        .to_owned();
    let client = crate::support::client();
    let refused = client
        .get(format!("{base}/_sim/journal"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let ok = client
        .get(format!("{base}/_sim/journal"))
        .header("X-Sim-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    p.signal("-TERM");
    let (status, stderr) = p.wait();
    assert!(status.success());
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(!stderr.contains(&token));
}

#[test]
fn cfp_sim_refuses_bad_arguments() {
    for args in [
        &["--fault-rate", "2"][..],
        &["--addr", "nowhere"],
        &["--speed", "-1"],
        &["--ca-out", "x.pem"],
        &["--max-connections", "0"],
        &["--request-timeout", "0"],
        &["--request-timeout", "soon"],
        &["--journal-budget", "12XB"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_cfp-sim"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[tokio::test]
async fn cfp_sim_serves_https_with_the_certificate_it_writes() {
    let dir = std::env::temp_dir().join(format!("cfp-sim-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    let mut p = SimProcess::spawn(&[
        "--addr",
        "127.0.0.1:0",
        "--tls",
        "--ca-out",
        ca.to_str().unwrap(),
    ]);
    let base = base_of(&p.line());
    assert!(base.starts_with("https://"));
    let pem = std::fs::read(&ca).unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
        .build()
        .unwrap();
    let r = client
        .get(format!("{base}/v3/applicationInstance/task/template"))
        .header("PRIVATE-TOKEN", "demo")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    p.signal("-INT");
    assert!(p.wait().0.success());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cfp_sim_logs_without_colour_when_stderr_is_not_a_terminal() {
    let mut p = SimProcess::spawn_command({
        let mut c = Command::new(env!("CARGO_BIN_EXE_cfp-sim"));
        c.args(["--addr", "127.0.0.1:0"])
            .env("RUST_LOG", "cfp_testkit=debug")
            .env_remove("NO_COLOR")
            .stderr(Stdio::piped());
        c
    });
    let base = base_of(&p.line());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = crate::support::client()
            .get(format!("{base}/cfp/v2/project/1/image/1/status"))
            .basic_auth("demo", Some("demo"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    });
    p.signal("-INT");
    let (status, stderr) = p.wait();
    assert!(status.success());
    assert!(stderr.contains("request"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}
