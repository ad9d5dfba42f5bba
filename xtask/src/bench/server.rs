//! Simulator: requests per second of `cfp-sim` on image status against
//! nginx serving the same bytes as a static file, both under `wrk` with the
//! same settings, alternating rounds.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::prereq::Tools;
use super::report::{Row, Section, fmt_count};
use super::stats::{median, ratio};
use super::{Bins, Options, procs};

const MIN_RATIO: f64 = 0.5;
const PATH: &str = "/cfp/v2/project/1/image/1/status";
/// `Authorization: Basic base64(demo:demo)`.
const AUTH: &str = "Authorization: Basic ZGVtbzpkZW1v";
const TEXT: &str = include_str!("text/server.md");

pub(crate) fn run(opts: &Options, bins: &Bins, tools: &Tools) -> Section {
    let (method, notes) = super::split_text(TEXT);
    let mut section = Section {
        title: "Simulator throughput".into(),
        method,
        notes,
        ..Section::default()
    };
    if let Err(e) = measure(opts, bins, tools, &mut section) {
        section.error = Some(e);
    }
    section
}

fn measure(
    opts: &Options,
    bins: &Bins,
    tools: &Tools,
    section: &mut Section,
) -> Result<(), String> {
    let sim = procs::Sim::start(&bins.sim)?;
    let url = |port: u16| format!("http://127.0.0.1:{port}{PATH}?detail=true");
    // The exact bytes cfp-sim answers, served by nginx as a file.
    let body = procs::output(Command::new(&tools.curl).args([
        "-s",
        "--fail",
        "-u",
        "demo:demo",
        &url(sim.port),
    ]))?;
    let dir = nginx_dir()?;
    std::fs::write(dir.join("status.json"), &body).map_err(|e| e.to_string())?;
    let port = procs::free_port()?;
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, nginx_conf(&dir, port)).map_err(|e| e.to_string())?;
    let mut nginx_cmd = Command::new(&tools.nginx);
    nginx_cmd
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(&dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    section.commands = vec![
        format!("{} --addr 127.0.0.1:0 &", bins.sim.display()),
        format!(
            "curl -s --fail -u demo:demo '{}' > {}/status.json",
            url(sim.port),
            dir.display()
        ),
        format!("{} &   # the config below", procs::shown(&nginx_cmd)),
    ];
    let nginx = nginx_cmd
        .spawn()
        .map_err(|e| format!("cannot start nginx: {e}"))?;
    let nginx = procs::Guard::new(nginx, "nginx");
    procs::wait_for_port(port, Duration::from_secs(5)).map_err(|e| {
        let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        format!("nginx did not start: {e}; {}", log.trim())
    })?;
    let served = procs::output(Command::new(&tools.curl).args(["-s", "--fail", &url(port)]))?;
    if served != body {
        return Err("nginx does not serve the simulator's bytes".into());
    }

    let (rounds, secs) = if opts.quick { (1, 3) } else { (3, 8) };
    let wrk = |port: u16| {
        let mut c = Command::new(&tools.wrk);
        c.args(["-t2", "-c32", &format!("-d{secs}s"), "-H", AUTH, &url(port)]);
        c
    };
    section
        .commands
        .push(format!("{}   # nginx", procs::shown(&wrk(port))));
    section
        .commands
        .push(format!("{}   # cfp-sim", procs::shown(&wrk(sim.port))));
    let (mut sim_rps, mut nginx_rps) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let order: [(bool, u16); 2] = if round % 2 == 0 {
            [(true, sim.port), (false, port)]
        } else {
            [(false, port), (true, sim.port)]
        };
        for (is_sim, p) in order {
            crate::say(&format!(
                "bench: wrk round {}/{rounds} against {} ({secs} s)",
                round + 1,
                if is_sim { "cfp-sim" } else { "nginx" }
            ));
            let rps = requests_per_second(&procs::output(&mut wrk(p))?)?;
            if is_sim {
                sim_rps.push(rps);
            } else {
                nginx_rps.push(rps);
            }
        }
    }
    nginx.stop();
    sim.stop();

    let (s, n) = (median(&sim_rps), median(&nginx_rps));
    section.rows.push(Row::at_least(
        "Simulator: image status with detail, requests/s (wrk -t2 -c32, keep-alive)",
        s.map_or_else(|| "n/a".into(), |v| format!("{} req/s", fmt_count(v))),
        n.map_or_else(
            || "n/a".into(),
            |v| format!("{} req/s (nginx)", fmt_count(v)),
        ),
        s.zip(n).and_then(|(s, n)| ratio(s, n)),
        MIN_RATIO,
    ));
    let list = |v: &[f64]| {
        v.iter()
            .map(|x| fmt_count(*x))
            .collect::<Vec<_>>()
            .join(", ")
    };
    section.details = format!(
        "Per round (requests/s): cfp-sim {}; nginx {}. Body: {} bytes, the same for both.\n\n\
         The nginx configuration:\n\n```nginx\n{}```",
        list(&sim_rps),
        list(&nginx_rps),
        body.len(),
        nginx_conf(Path::new("$DIR"), port)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// A fresh directory for nginx's files, readable by its workers.
fn nginx_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("cfp-bench-nginx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    }
    Ok(dir)
}

/// nginx on 127.0.0.1:`port`: two workers (the simulator's runtime has
/// one thread per core too), no access log, keep-alive without a request
/// limit (hyper has none), every request answered with `status.json`.
fn nginx_conf(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        "daemon off;\n\
         worker_processes 2;\n\
         pid {d}/nginx.pid;\n\
         error_log {d}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n\
         \x20   access_log off;\n\
         \x20   keepalive_requests 1000000;\n\
         \x20   client_body_temp_path {d}/body;\n\
         \x20   proxy_temp_path {d}/proxy;\n\
         \x20   fastcgi_temp_path {d}/fastcgi;\n\
         \x20   uwsgi_temp_path {d}/uwsgi;\n\
         \x20   scgi_temp_path {d}/scgi;\n\
         \x20   server {{\n\
         \x20       listen 127.0.0.1:{port};\n\
         \x20       root {d};\n\
         \x20       default_type application/json;\n\
         \x20       location / {{ try_files /status.json =404; }}\n\
         \x20   }}\n\
         }}\n"
    )
}

/// `Requests/sec:  59032.18` from wrk's output; an error if any request
/// failed.
fn requests_per_second(wrk: &str) -> Result<f64, String> {
    if let Some(line) = wrk.lines().find(|l| l.contains("Non-2xx or 3xx responses")) {
        return Err(format!("wrk: {}", line.trim()));
    }
    wrk.lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output: {wrk}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read_and_failures_refused() {
        let out = "Running 15s test @ http://127.0.0.1:1/x\n  2 threads and 32 connections\n\
                   886279 requests in 15.01s, 420.11MB read\nRequests/sec:  59032.18\n\
                   Transfer/sec:     27.99MB\n";
        assert_eq!(requests_per_second(out), Ok(59032.18));
        let bad = format!("{out}  Non-2xx or 3xx responses: 12\n");
        assert!(requests_per_second(&bad).is_err());
        assert!(requests_per_second("nothing").is_err());
    }

    #[test]
    fn the_nginx_config_serves_one_file_with_keep_alive() {
        let conf = nginx_conf(Path::new("nginx-dir"), 8081);
        assert!(conf.contains("listen 127.0.0.1:8081;"));
        assert!(conf.contains("try_files /status.json =404;"));
        assert!(conf.contains("keepalive_requests 1000000;"));
        assert!(conf.contains("daemon off;"));
    }
}
