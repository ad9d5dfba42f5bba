//! Fault injection: by global rate, or scripted per operation, resource and
//! state ("fail the next 2 calls to X", "429 with Retry-After on the 3rd
//! poll of diff 7").
//!
//! Every decision is seeded: the same seed and the same sequence of requests
//! give the same faults.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cfp_model::OperationId;
use serde::{Deserialize, Serialize};

use crate::rng::{Tag, hash, unit};

/// What a `Retry-After` header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>`, this many seconds from now (real time).
    HttpDate(u64),
}

impl RetryAfter {
    /// How long the client is asked to wait.
    pub fn delay(self) -> Duration {
        match self {
            Self::Seconds(s) | Self::HttpDate(s) => Duration::from_secs(s),
        }
    }
}

/// One kind of failure the simulator can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Fault {
    /// Answer normally, after this extra real delay.
    Latency {
        /// The delay, in milliseconds.
        millis: u64,
    },
    /// Answer with this status (500, 502, 503, 504, …) and a short error
    /// body in the surface's shape. The request is not carried out.
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// 429 Too Many Requests with `Retry-After`. Not carried out.
    TooManyRequests {
        /// The `Retry-After` header.
        retry_after: RetryAfter,
    },
    /// 503 Service Unavailable with `Retry-After`. Not carried out.
    Unavailable {
        /// The `Retry-After` header.
        retry_after: RetryAfter,
    },
    /// The request is carried out, the headers and part of the body are
    /// sent, then the connection is reset (TCP RST).
    ConnectionReset,
    /// The request is carried out and answered with a complete HTTP message
    /// whose JSON body is cut in half (its `Content-Length` is the cut
    /// length): a decode error for the client.
    TruncatedJson,
    /// An HTML error page with this status, as a proxy in front of the
    /// service sends. Not carried out.
    HtmlErrorPage {
        /// The HTTP status.
        status: u16,
    },
    /// The request is carried out; the headers and half the body are sent
    /// at once, the rest after this real delay (longer than the client's
    /// timeout, to trigger it).
    SlowBody {
        /// The delay, in milliseconds.
        millis: u64,
    },
}

impl Fault {
    /// A short name, as shown in the journal (`status-503`, `reset`, …).
    pub fn name(&self) -> String {
        match self {
            Self::Latency { millis } => format!("latency-{millis}ms"),
            Self::Status { status } => format!("status-{status}"),
            Self::TooManyRequests { .. } => "status-429".into(),
            Self::Unavailable { .. } => "status-503-retry-after".into(),
            Self::ConnectionReset => "reset".into(),
            Self::TruncatedJson => "truncated-json".into(),
            Self::HtmlErrorPage { status } => format!("html-{status}"),
            Self::SlowBody { millis } => format!("slow-body-{millis}ms"),
        }
    }

    /// The faults a global fault rate picks from, evenly: 429 and 503 with
    /// `Retry-After: 1`, 500, 502, 504, a connection reset, truncated JSON
    /// and an HTML 502 page.
    pub fn rate_mix() -> Vec<Fault> {
        vec![
            Self::TooManyRequests {
                retry_after: RetryAfter::Seconds(1),
            },
            Self::Unavailable {
                retry_after: RetryAfter::Seconds(1),
            },
            Self::Status { status: 500 },
            Self::Status { status: 502 },
            Self::Status { status: 504 },
            Self::ConnectionReset,
            Self::TruncatedJson,
            Self::HtmlErrorPage { status: 502 },
        ]
    }
}

/// When a fault applies.
///
/// A rule matches a request by operation, resource (the path's id: the diff,
/// image, task, batch or ZStack image; for diff create, its `diffid`) and
/// state (a diff's `jobstateid`, a task's `resultCode`). Among the matching
/// calls it applies from the `nth` (1-based; default the first), at most
/// `times` times (default always), each time with `probability` (default 1).
///
/// ```
/// use cfp_model::OperationId;
/// use cfp_testkit::{Fault, FaultRule, RetryAfter};
///
/// // "fail the next 2 calls to getTask"
/// let a = FaultRule::new(Fault::Status { status: 503 }).operation(OperationId::GetTask).times(2);
/// // "429 with Retry-After on the 3rd poll of diff 7"
/// let b = FaultRule::new(Fault::TooManyRequests { retry_after: RetryAfter::Seconds(1) })
///     .operation(OperationId::GetImageDiffStatus)
///     .resource("7")
///     .nth(3)
///     .times(1);
/// # let _ = (a, b);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Only this operation (by its `operationId` in JSON).
    #[serde(default, with = "op_name", skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationId>,
    /// Only this resource id, as written in the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// Only while the resource is in this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<i64>,
    /// Start at the nth matching call (1-based).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Apply at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// Apply with this probability (seeded).
    #[serde(default = "one")]
    pub probability: f64,
}

fn one() -> f64 {
    1.0
}

mod op_name {
    use cfp_model::OperationId;
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub(super) fn serialize<S: Serializer>(
        op: &Option<OperationId>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match op {
            Some(op) => s.serialize_str(op.name()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OperationId>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(name) => OperationId::from_name(&name)
                .map(Some)
                .ok_or_else(|| de::Error::custom(format!("unknown operation {name:?}"))),
        }
    }
}

impl FaultRule {
    /// A rule that injects `fault` into every request.
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            operation: None,
            resource: None,
            state: None,
            nth: None,
            times: None,
            probability: 1.0,
        }
    }

    /// "Fail the next `n` calls to `op`" with `status`.
    pub fn fail_next(op: OperationId, n: u64, status: u16) -> Self {
        Self::new(Fault::Status { status }).operation(op).times(n)
    }

    /// Only calls to `op`.
    pub fn operation(mut self, op: OperationId) -> Self {
        self.operation = Some(op);
        self
    }

    /// Only calls about this resource id (as written in the path).
    pub fn resource(mut self, id: impl fmt::Display) -> Self {
        self.resource = Some(id.to_string());
        self
    }

    /// Only while the resource is in this state (`jobstateid` of a diff,
    /// `resultCode` of a task).
    pub fn state(mut self, state: i64) -> Self {
        self.state = Some(state);
        self
    }

    /// Start at the `n`th matching call (1-based).
    pub fn nth(mut self, n: u64) -> Self {
        self.nth = Some(n.max(1));
        self
    }

    /// Apply at most `n` times.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Some(n);
        self
    }

    /// Apply with probability `p` (decided with the seed).
    pub fn probability(mut self, p: f64) -> Self {
        self.probability = p.clamp(0.0, 1.0);
        self
    }
}

/// The faults a simulator starts with.
///
/// ```
/// use cfp_model::OperationId;
/// use cfp_testkit::{FaultPlan, FaultRule};
///
/// let plan = FaultPlan::none()
///     .rate(0.05)
///     .rule(FaultRule::fail_next(OperationId::CreateTaskBatch, 1, 502));
/// # let _ = plan;
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultPlan {
    pub(crate) rules: Vec<FaultRule>,
    pub(crate) rate: f64,
    pub(crate) mix: Option<Vec<Fault>>,
}

impl FaultPlan {
    /// No fault at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// A fault in this fraction (0 to 1) of all requests, picked from
    /// [`Fault::rate_mix`] (or [`FaultPlan::mix`]).
    pub fn rate(mut self, p: f64) -> Self {
        self.rate = p.clamp(0.0, 1.0);
        self
    }

    /// The faults the global rate picks from.
    pub fn mix(mut self, faults: Vec<Fault>) -> Self {
        self.mix = Some(faults);
        self
    }

    /// Adds a scripted rule (rules are tried in order; the first that
    /// applies wins, latency rules add up).
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }
}

/// An id for a rule added at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RuleId(pub u64);

#[derive(Debug)]
struct RuleState {
    id: RuleId,
    rule: FaultRule,
    seen: u64,
    applied: u64,
}

#[derive(Debug)]
struct Inner {
    seed: u64,
    rules: Mutex<Vec<RuleState>>,
    next_rule: AtomicU64,
    rate_bits: AtomicU64,
    mix: Mutex<Vec<Fault>>,
    /// Nothing configured: skip the lock on the hot path.
    active: AtomicBool,
    requests: AtomicU64,
}

/// A handle to the running simulator's faults: add and remove rules, change
/// the rate. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Faults {
    inner: Arc<Inner>,
}

/// What the request being served needs to know to match rules.
pub(crate) struct RequestFacts<'a> {
    pub(crate) operation: Option<OperationId>,
    pub(crate) resource: Option<&'a str>,
}

/// What to do to one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Decision {
    pub(crate) latency: Duration,
    pub(crate) fault: Option<Fault>,
}

/// A summary of one rule, for listings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleStatus {
    /// Its id.
    pub id: RuleId,
    /// The rule.
    pub rule: FaultRule,
    /// Matching calls seen so far.
    pub seen: u64,
    /// Times it was applied.
    pub applied: u64,
}

impl Faults {
    pub(crate) fn new(seed: u64, plan: FaultPlan) -> Self {
        let faults = Self {
            inner: Arc::new(Inner {
                seed,
                rules: Mutex::new(Vec::new()),
                next_rule: AtomicU64::new(1),
                rate_bits: AtomicU64::new(0f64.to_bits()),
                mix: Mutex::new(plan.mix.unwrap_or_else(Fault::rate_mix)),
                active: AtomicBool::new(false),
                requests: AtomicU64::new(0),
            }),
        };
        faults.set_rate(plan.rate);
        for rule in plan.rules {
            faults.add(rule);
        }
        faults
    }

    fn rules(&self) -> std::sync::MutexGuard<'_, Vec<RuleState>> {
        self.inner
            .rules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn refresh_active(&self, rules: &[RuleState]) {
        let active = !rules.is_empty() || self.rate() > 0.0;
        self.inner.active.store(active, Ordering::Release);
    }

    /// Adds a rule; it applies from the next request.
    pub fn add(&self, rule: FaultRule) -> RuleId {
        let id = RuleId(self.inner.next_rule.fetch_add(1, Ordering::Relaxed));
        let mut rules = self.rules();
        rules.push(RuleState {
            id,
            rule,
            seen: 0,
            applied: 0,
        });
        self.refresh_active(&rules);
        id
    }

    /// Removes a rule; `false` if there was none with that id.
    pub fn remove(&self, id: RuleId) -> bool {
        let mut rules = self.rules();
        let before = rules.len();
        rules.retain(|r| r.id != id);
        self.refresh_active(&rules);
        rules.len() != before
    }

    /// Removes every rule and sets the rate to 0.
    pub fn clear(&self) {
        let mut rules = self.rules();
        rules.clear();
        self.inner
            .rate_bits
            .store(0f64.to_bits(), Ordering::Relaxed);
        self.refresh_active(&rules);
    }

    /// Sets the global fault rate (0 to 1).
    pub fn set_rate(&self, p: f64) {
        let p = if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.inner.rate_bits.store(p.to_bits(), Ordering::Relaxed);
        let rules = self.rules();
        self.refresh_active(&rules);
    }

    /// The global fault rate.
    pub fn rate(&self) -> f64 {
        f64::from_bits(self.inner.rate_bits.load(Ordering::Relaxed))
    }

    /// How many times a rule was applied (0 for an unknown id).
    pub fn applied(&self, id: RuleId) -> u64 {
        self.rules()
            .iter()
            .find(|r| r.id == id)
            .map_or(0, |r| r.applied)
    }

    /// Every rule with its counters.
    pub fn list(&self) -> Vec<RuleStatus> {
        self.rules()
            .iter()
            .map(|r| RuleStatus {
                id: r.id,
                rule: r.rule.clone(),
                seen: r.seen,
                applied: r.applied,
            })
            .collect()
    }

    /// Whether any rule needs the resource's state to match.
    pub(crate) fn needs_state(&self) -> bool {
        self.inner.active.load(Ordering::Acquire)
            && self.rules().iter().any(|r| r.rule.state.is_some())
    }

    /// Decides what happens to one request. `state` is the resource's state
    /// if a rule needs it.
    pub(crate) fn decide(&self, facts: &RequestFacts<'_>, state: Option<i64>) -> Decision {
        let mut d = Decision::default();
        if !self.inner.active.load(Ordering::Acquire) {
            return d;
        }
        let n = self.inner.requests.fetch_add(1, Ordering::Relaxed);
        let seed = self.inner.seed;
        {
            let mut rules = self.rules();
            for r in rules.iter_mut() {
                let rule = &r.rule;
                let matches = rule.operation.is_none_or(|op| Some(op) == facts.operation)
                    && rule
                        .resource
                        .as_deref()
                        .is_none_or(|res| Some(res) == facts.resource)
                    && rule.state.is_none_or(|s| Some(s) == state);
                if !matches {
                    continue;
                }
                r.seen += 1;
                let is_latency = matches!(rule.fault, Fault::Latency { .. });
                if d.fault.is_some() && !is_latency {
                    continue;
                }
                if r.seen < rule.nth.unwrap_or(1) || rule.times.is_some_and(|t| r.applied >= t) {
                    continue;
                }
                if rule.probability < 1.0
                    && unit(hash(seed, Tag::Fault, &[n, r.id.0])) >= rule.probability
                {
                    continue;
                }
                r.applied += 1;
                match rule.fault {
                    Fault::Latency { millis } => d.latency += Duration::from_millis(millis),
                    other => d.fault = Some(other),
                }
            }
        }
        let rate = self.rate();
        if d.fault.is_none() && rate > 0.0 && unit(hash(seed, Tag::Fault, &[n])) < rate {
            let mix = self
                .inner
                .mix
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !mix.is_empty() {
                let pick = hash(seed, Tag::FaultPick, &[n]) % mix.len() as u64;
                match mix.get(usize::try_from(pick).unwrap_or(0)) {
                    Some(Fault::Latency { millis }) => d.latency += Duration::from_millis(*millis),
                    Some(f) => d.fault = Some(*f),
                    None => {}
                }
            }
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(op: OperationId, res: Option<&str>) -> RequestFacts<'_> {
        RequestFacts {
            operation: Some(op),
            resource: res,
        }
    }

    #[test]
    fn nothing_configured_means_no_fault() {
        let f = Faults::new(1, FaultPlan::none());
        assert_eq!(
            f.decide(&facts(OperationId::GetTask, None), None),
            Decision::default()
        );
    }

    #[test]
    fn fail_the_next_two_calls() {
        let f = Faults::new(1, FaultPlan::none());
        let id = f.add(FaultRule::fail_next(OperationId::GetTask, 2, 503));
        let other = f.decide(&facts(OperationId::ListTasks, None), None);
        assert_eq!(other.fault, None);
        let got: Vec<_> = (0..4)
            .map(|_| f.decide(&facts(OperationId::GetTask, None), None).fault)
            .collect();
        assert_eq!(
            got,
            [
                Some(Fault::Status { status: 503 }),
                Some(Fault::Status { status: 503 }),
                None,
                None
            ]
        );
        assert_eq!(f.applied(id), 2);
    }

    #[test]
    fn the_third_poll_of_one_resource() {
        let f = Faults::new(1, FaultPlan::none());
        let fault = Fault::TooManyRequests {
            retry_after: RetryAfter::Seconds(2),
        };
        f.add(
            FaultRule::new(fault)
                .operation(OperationId::GetImageDiffStatus)
                .resource("7")
                .nth(3)
                .times(1),
        );
        let op = OperationId::GetImageDiffStatus;
        let mut got = Vec::new();
        for res in ["7", "8", "7", "7", "7"] {
            got.push(f.decide(&facts(op, Some(res)), None).fault.is_some());
        }
        assert_eq!(got, [false, false, false, true, false]);
    }

    #[test]
    fn state_rules_match_only_in_that_state() {
        let f = Faults::new(1, FaultPlan::none());
        f.add(FaultRule::new(Fault::ConnectionReset).state(4));
        assert!(f.needs_state());
        let op = OperationId::GetImageDiffStatus;
        assert_eq!(f.decide(&facts(op, Some("1")), Some(3)).fault, None);
        assert_eq!(
            f.decide(&facts(op, Some("1")), Some(4)).fault,
            Some(Fault::ConnectionReset)
        );
    }

    #[test]
    fn the_rate_is_seeded_and_roughly_right() {
        let count = |seed| {
            let f = Faults::new(seed, FaultPlan::none().rate(0.1));
            (0..2000)
                .filter(|_| {
                    f.decide(&facts(OperationId::GetTask, None), None)
                        .fault
                        .is_some()
                })
                .count()
        };
        assert_eq!(count(5), count(5));
        let n = count(5);
        assert!((120..280).contains(&n), "{n}");
    }

    #[test]
    fn latency_adds_up_with_another_fault() {
        let f = Faults::new(1, FaultPlan::none());
        f.add(FaultRule::new(Fault::Latency { millis: 5 }));
        f.add(FaultRule::new(Fault::Status { status: 500 }));
        let d = f.decide(&facts(OperationId::GetTask, None), None);
        assert_eq!(d.latency, Duration::from_millis(5));
        assert_eq!(d.fault, Some(Fault::Status { status: 500 }));
    }

    #[test]
    fn rules_read_from_json() {
        let r: FaultRule = serde_json::from_str(
            r#"{"fault": {"kind": "tooManyRequests", "retryAfter": {"seconds": 2}},
                "operation": "getImageDiffStatus", "resource": "7", "nth": 3, "times": 1}"#,
        )
        .unwrap();
        assert_eq!(r.operation, Some(OperationId::GetImageDiffStatus));
        assert_eq!(r.nth, Some(3));
        assert!(serde_json::from_str::<FaultRule>(r#"{"fault": {"kind": "reset"}}"#).is_err());
        let r: FaultRule =
            serde_json::from_str(r#"{"fault": {"kind": "connectionReset"}}"#).unwrap();
        assert_eq!(r.fault, Fault::ConnectionReset);
    }
}
