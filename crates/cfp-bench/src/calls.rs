//! Call overhead: sequential image-status calls through cfp-api against the
//! same calls made with raw reqwest and serde_json.
//!
//! Both sides call the same server (a `cfp-sim` started by the caller) on
//! one current-thread tokio runtime, each with its own pooled keep-alive
//! connection:
//!
//! - **cfp**: [`get_image_status`](cfp_api::Clanforge::get_image_status)
//!   with `detail=true`, through the real `ReqwestTransport` with
//!   everything on (auth header from sealed credentials, retry policy,
//!   timeouts, a `tracing` span per call with no subscriber installed, the
//!   Clanforge error-envelope check), decoding into cfp-model's
//!   [`ImageStatus`](cfp_model::ImageStatus) and keeping the body in the
//!   [`Answer`](cfp_api::Answer).
//! - **raw**: `reqwest::Client::get(url)` with a precomputed `Authorization`
//!   header and `Accept: application/json`, `bytes()`, a status check, and
//!   `serde_json::from_slice` into the plain structs of [`crate::plain`].
//! - **raw + timeout**: the same raw calls, each inside
//!   `tokio::time::timeout(30 s)`: what a careful hand-written client adds
//!   first, and the one cost of cfp's that a bare loop does not have.
//!
//! Each round makes `calls` calls per side (after `warmup` untimed ones
//! before the first round), in `blocks` blocks per side with the sides
//! taking turns and the first side alternating; a round's figure per side is
//! its total time over `calls`.
//!
//! With a [`side`](CallsConfig::side), one side alone makes `warmup` calls,
//! then `calls` calls inside `measured_calls`, a function that is never
//! inlined so that a profiler can count exactly those calls' work:
//!
//! ```sh
//! valgrind --tool=callgrind --toggle-collect='cfp_bench::calls::measured_calls' \
//!     target/release/cfp-bench calls --base-url http://127.0.0.1:PORT --side cfp --calls 2000 --warmup 200
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::Engine as _;
use cfp_api::Client;
use cfp_api::model::{AccountServiceId, ImageId};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue};
use serde::Serialize;

use crate::plain;

/// The per-call timeout of the second raw baseline: cfp's default
/// per-attempt timeout.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// What to run.
#[derive(Debug, Clone)]
pub struct CallsConfig {
    /// The simulator's base URL, e.g. `http://127.0.0.1:18097`.
    pub base_url: String,
    /// Clanforge key and secret.
    pub key: String,
    /// Clanforge secret.
    pub secret: String,
    /// Timed calls per side and round.
    pub calls: u32,
    /// Untimed calls per side before the first round.
    pub warmup: u32,
    /// Rounds.
    pub rounds: u32,
    /// Blocks per round: each round's calls are made in this many blocks
    /// per side, the sides taking turns, so that a change in the machine's
    /// load during a round falls on both.
    pub blocks: u32,
    /// Run only this side, `warmup` calls then `calls` calls in
    /// `measured_calls` (for a profiler), or both sides in rounds.
    pub side: Option<Side>,
}

/// One side of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Side {
    /// cfp-api.
    Cfp,
    /// raw reqwest + serde_json.
    Raw,
}

/// Mean nanoseconds per call, one figure per round and side.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CallsResult {
    /// cfp-api, per round.
    pub cfp_ns_per_call: Vec<f64>,
    /// raw reqwest + serde_json, per round.
    pub raw_ns_per_call: Vec<f64>,
    /// The same raw calls, each inside `tokio::time::timeout(30 s)` (a
    /// second baseline with a per-call timeout, as cfp has), per round.
    pub raw_timeout_ns_per_call: Vec<f64>,
    /// Calls per side and round.
    pub calls: u32,
}

/// The two sides.
struct Sides {
    cfp: Client,
    raw: reqwest::Client,
    url: String,
    auth: HeaderValue,
}

impl Sides {
    fn new(cfg: &CallsConfig) -> Result<Self, String> {
        let cfp = Client::builder()
            .clanforge_url(cfg.base_url.clone())
            .clanforge_credentials(&cfg.key, &cfg.secret)
            .build()
            .map_err(|e| format!("cannot build the cfp client: {e}"))?;
        let raw = reqwest::Client::builder()
            .build()
            .map_err(|e| format!("cannot build the reqwest client: {e}"))?;
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", cfg.key, cfg.secret));
        let auth = HeaderValue::from_str(&format!("Basic {basic}")).map_err(|e| e.to_string())?;
        Ok(Self {
            cfp,
            raw,
            url: format!(
                "{}/cfp/v2/project/1/image/1/status?detail=true",
                cfg.base_url.trim_end_matches('/')
            ),
            auth,
        })
    }

    async fn cfp_calls(&self, n: u32) -> Result<(), String> {
        let project = self.cfp.clanforge(AccountServiceId(1));
        for _ in 0..n {
            let status = project
                .get_image_status(ImageId(1))
                .detail(true)
                .send()
                .await
                .map_err(|e| format!("cfp call failed: {e}"))?;
            black_box(status);
        }
        Ok(())
    }

    async fn raw_calls(&self, n: u32) -> Result<(), String> {
        for _ in 0..n {
            self.raw_call().await?;
        }
        Ok(())
    }

    /// Raw calls, each with a per-call timeout like cfp's per-attempt one.
    async fn raw_timeout_calls(&self, n: u32) -> Result<(), String> {
        for _ in 0..n {
            tokio::time::timeout(ATTEMPT_TIMEOUT, self.raw_call())
                .await
                .map_err(|_| "raw call timed out".to_owned())??;
        }
        Ok(())
    }

    async fn raw_call(&self) -> Result<(), String> {
        let response = self
            .raw
            .get(&self.url)
            .header(AUTHORIZATION, self.auth.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .send()
            .await
            .map_err(|e| format!("raw call failed: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("raw call answered {}", response.status()));
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("raw body failed: {e}"))?;
        let status: plain::ImageStatus =
            serde_json::from_slice(&body).map_err(|e| format!("raw decode failed: {e}"))?;
        black_box(status);
        Ok(())
    }
}

/// How long `f` takes.
async fn timed<F: Future<Output = Result<(), String>>>(f: F) -> Result<Duration, String> {
    let start = Instant::now();
    f.await?;
    Ok(start.elapsed())
}

/// Nanoseconds per call.
fn per_call(total: Duration, calls: u32) -> f64 {
    total.as_nanos() as f64 / f64::from(calls.max(1))
}

/// The calls a profiler counts: `n` calls of `side`, run to completion on
/// `rt`. Never inlined, so that it stays a symbol of its own
/// (`cfp_bench::calls::measured_calls`) for callgrind's `--toggle-collect`:
/// the instructions counted are those of the calls, the runtime's work
/// while they wait included, and nothing of the set-up or warm-up.
#[inline(never)]
fn measured_calls(
    rt: &tokio::runtime::Runtime,
    sides: &Sides,
    side: Side,
    n: u32,
) -> Result<(), String> {
    rt.block_on(async {
        match side {
            Side::Cfp => sides.cfp_calls(n).await,
            Side::Raw => sides.raw_calls(n).await,
        }
    })
}

/// One side alone: `warmup` calls, then `calls` calls in [`measured_calls`].
fn one_side(
    rt: &tokio::runtime::Runtime,
    cfg: &CallsConfig,
    side: Side,
) -> Result<CallsResult, String> {
    let sides = rt.block_on(async { Sides::new(cfg) })?;
    rt.block_on(async {
        match side {
            Side::Cfp => sides.cfp_calls(cfg.warmup).await,
            Side::Raw => sides.raw_calls(cfg.warmup).await,
        }
    })?;
    let start = Instant::now();
    measured_calls(rt, &sides, side, cfg.calls)?;
    let ns = per_call(start.elapsed(), cfg.calls);
    let (cfp_ns_per_call, raw_ns_per_call) = match side {
        Side::Cfp => (vec![ns], Vec::new()),
        Side::Raw => (Vec::new(), vec![ns]),
    };
    Ok(CallsResult {
        cfp_ns_per_call,
        raw_ns_per_call,
        calls: cfg.calls,
        ..CallsResult::default()
    })
}

/// Runs the comparison on a current-thread runtime.
pub fn run(cfg: &CallsConfig) -> Result<CallsResult, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    if let Some(side) = cfg.side {
        return one_side(&rt, cfg, side);
    }
    rt.block_on(async {
        let sides = Sides::new(cfg)?;
        sides.cfp_calls(cfg.warmup).await?;
        sides.raw_calls(cfg.warmup).await?;
        sides.raw_timeout_calls(cfg.warmup).await?;
        let mut out = CallsResult {
            calls: cfg.calls,
            ..CallsResult::default()
        };
        let blocks = cfg.blocks.clamp(1, cfg.calls.max(1));
        for round in 0..cfg.rounds {
            let (mut cfp, mut raw, mut raw_t) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
            for block in 0..blocks {
                // Block sizes add up to `calls` exactly.
                let n = cfg.calls / blocks + u32::from(block < cfg.calls % blocks);
                if (round + block) % 2 == 0 {
                    cfp += timed(sides.cfp_calls(n)).await?;
                    raw += timed(sides.raw_calls(n)).await?;
                    raw_t += timed(sides.raw_timeout_calls(n)).await?;
                } else {
                    raw_t += timed(sides.raw_timeout_calls(n)).await?;
                    raw += timed(sides.raw_calls(n)).await?;
                    cfp += timed(sides.cfp_calls(n)).await?;
                }
            }
            out.cfp_ns_per_call.push(per_call(cfp, cfg.calls));
            out.raw_ns_per_call.push(per_call(raw, cfg.calls));
            out.raw_timeout_ns_per_call.push(per_call(raw_t, cfg.calls));
        }
        Ok(out)
    })
}
