//! Test support: a simulator on loopback with a manual clock, an HTTP client
//! (reqwest), and a conformance check of every answer against
//! `docs/openapi.yaml`.
//!
//! Every answer that goes through [`Sim::send`] is validated: its status must
//! be one the operation declares, and a JSON body must match the declared
//! schema (JSON Schema 2020-12, `$ref`s resolved into the spec's
//! components). Faults that break the wire on purpose go through
//! [`Sim::send_raw`].
//!
//! A cfp-api end-to-end suite can reuse this: start a [`Sim`], build the
//! client from `sim.base_url()` and `sim.credentials()`, and check the
//! journal with `sim.journal()`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use cfp_model::params::AnyParams;
use cfp_model::{Method, OperationId, Surface};
use cfp_testkit::{ClockMode, RunningSimulator, Simulator, SimulatorBuilder, World};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------
// The contract

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// `docs/openapi.yaml`, as JSON.
pub(crate) fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = repo_root().join("docs").join("openapi.yaml");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        yaml_serde::from_str(&text).expect("docs/openapi.yaml is valid YAML")
    })
}

/// Follows local `$ref`s.
fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..16 {
        let Some(r) = current.get("$ref").and_then(Value::as_str) else {
            return current;
        };
        current = doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("$ref {r} does not resolve"));
    }
    panic!("$ref chain too long")
}

/// What the contract says about one (operation, status) and media type:
/// `None` when the status is not declared; `Some(None)` when declared
/// without a body schema for that media type (the answer's content type,
/// `application/json` when it has none).
fn declared(op: OperationId, status: u16, media: &str) -> Option<Option<Value>> {
    let spec = spec();
    let s = op.spec();
    let operation = &spec["paths"][s.path][s.method.as_str().to_ascii_lowercase()];
    assert!(operation.is_object(), "{op} is not in the contract");
    let response = operation["responses"].get(status.to_string())?;
    let response = deref(spec, response);
    let content = response.get("content");
    if let Some(c) = content.and_then(Value::as_object)
        && !c.contains_key(media)
        && !media.starts_with("application/json")
    {
        panic!("{op} {status}: content type {media} is not declared (declared: {c:?})");
    }
    Some(
        content
            .and_then(|c| c.get(media))
            .and_then(|m| m.get("schema"))
            .filter(|_| media.starts_with("application/json"))
            .cloned(),
    )
}

type Validators = Mutex<HashMap<(OperationId, u16), Arc<jsonschema::Validator>>>;

fn validator(op: OperationId, status: u16, schema: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Validators> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap();
    cache
        .entry((op, status))
        .or_insert_with(|| {
            let mut root = match schema {
                Value::Object(m) => m.clone(),
                other => panic!("unexpected schema {other}"),
            };
            root.insert(
                "components".into(),
                json!({ "schemas": spec()["components"]["schemas"].clone() }),
            );
            Arc::new(
                jsonschema::draft202012::new(&Value::Object(root))
                    .unwrap_or_else(|e| panic!("schema of {op} {status} does not compile: {e}")),
            )
        })
        .clone()
}

/// Checks one answer against the contract; panics with the reasons if it
/// does not conform.
pub(crate) fn assert_conforms(op: OperationId, resp: &Resp) {
    let ct = resp.header("content-type").unwrap_or_default();
    let media = ct.split(';').next().unwrap_or("").trim();
    let media = if media.is_empty() || media.starts_with("application/json") {
        "application/json"
    } else {
        media
    };
    let Some(schema) = declared(op, resp.status, media) else {
        panic!(
            "{op} answered {} which the contract does not declare: {}",
            resp.status,
            resp.text()
        );
    };
    let Some(schema) = schema else {
        return;
    };
    assert!(
        ct.starts_with("application/json"),
        "{op} {}: content-type {ct:?}",
        resp.status
    );
    let value: Value = serde_json::from_slice(&resp.body).unwrap_or_else(|e| {
        panic!(
            "{op} {}: body is not JSON ({e}): {}",
            resp.status,
            resp.text()
        )
    });
    let v = validator(op, resp.status, &schema);
    let errors: Vec<String> = v
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path().as_str()))
        .collect();
    assert!(
        errors.is_empty(),
        "{op} {} does not conform to docs/openapi.yaml:\n{}\nbody: {}",
        resp.status,
        errors.join("\n"),
        resp.text()
    );
}

// ---------------------------------------------------------------------------
// Answers

/// One HTTP answer, read in full.
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Bytes,
}

impl Resp {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    }

    /// The one object of a one-element array.
    pub(crate) fn single(&self) -> Value {
        let v = self.json();
        let items = v.as_array().unwrap_or_else(|| panic!("not an array: {v}"));
        assert_eq!(items.len(), 1, "not a one-element array: {v}");
        items[0].clone()
    }
}

// ---------------------------------------------------------------------------
// The simulator under test

/// A running simulator and a client for it.
pub(crate) struct Sim {
    pub(crate) sim: RunningSimulator,
    pub(crate) http: reqwest::Client,
}

impl std::ops::Deref for Sim {
    type Target = RunningSimulator;

    fn deref(&self) -> &RunningSimulator {
        &self.sim
    }
}

/// The builder every test starts from: manual clock, seed 1.
pub(crate) fn builder() -> SimulatorBuilder {
    Simulator::builder().clock(ClockMode::Manual).seed(1)
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

impl Sim {
    /// The default world, manual clock, seed 1.
    pub(crate) async fn start() -> Self {
        Self::with(builder()).await
    }

    /// A world of the test's own, manual clock, seed 1.
    pub(crate) async fn world(world: World) -> Self {
        Self::with(builder().world(world)).await
    }

    pub(crate) async fn with(b: SimulatorBuilder) -> Self {
        let sim = b.start().await.expect("the simulator starts");
        Self {
            sim,
            http: client(),
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    pub(crate) fn advance(&self, secs: u64) {
        self.sim.clock().advance(Duration::from_secs(secs));
    }

    /// Sends a request and reads the answer, without checking it.
    pub(crate) async fn send_raw(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<Resp, reqwest::Error> {
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?;
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    /// Sends `method path` and checks the answer against the contract.
    pub(crate) async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        req: reqwest::RequestBuilder,
    ) -> Resp {
        let path = path_and_query.split('?').next().unwrap_or_default();
        let op = OperationId::route(method, path)
            .unwrap_or_else(|| panic!("{method} {path} is no operation of the contract"));
        let resp = self
            .send_raw(req)
            .await
            .unwrap_or_else(|e| panic!("{method} {path_and_query}: {e}"));
        assert_conforms(op, &resp);
        resp
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let m = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
        self.http.request(m, self.url(path))
    }

    /// Sends an operation's parameters (an example's, say) as cfp does:
    /// its method, target and body, with its surface's credentials or,
    /// unless `authorized`, with none. The answer is checked against the
    /// contract.
    pub(crate) async fn call(&self, params: &AnyParams, authorized: bool) -> Resp {
        let spec = params.operation().spec();
        let target = params.target().unwrap();
        let mut req = self.request(spec.method, &target);
        if let Some(body) = params.body().unwrap() {
            let content_type = match spec.surface {
                Surface::ZStack => "application/json;charset=UTF-8",
                Surface::Clanforge | Surface::Task => "application/json",
            };
            req = req.header("Content-Type", content_type).body(body);
        }
        if authorized {
            let c = self.credentials();
            req = match spec.surface {
                Surface::Clanforge => req.basic_auth(&c.clanforge_key, Some(&c.clanforge_secret)),
                Surface::Task => req.header("PRIVATE-TOKEN", &c.task_token),
                Surface::ZStack => req.header("Authorization", c.zstack_oauth_header()),
            };
        }
        self.send(spec.method, &target, req).await
    }

    /// A Clanforge GET with the right credentials.
    pub(crate) async fn clanforge(&self, path: &str) -> Resp {
        let c = self.credentials();
        let req = self
            .request(Method::Get, path)
            .basic_auth(&c.clanforge_key, Some(&c.clanforge_secret));
        self.send(Method::Get, path, req).await
    }

    /// A task API call with the right token.
    pub(crate) async fn task(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut req = self
            .request(method, path)
            .header("PRIVATE-TOKEN", &self.credentials().task_token);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        self.send(method, path, req).await
    }

    /// A task API GET.
    pub(crate) async fn task_get(&self, path: &str) -> Resp {
        self.task(Method::Get, path, None).await
    }

    /// Creates a batch; asserts 200 and returns it.
    pub(crate) async fn create_batch(&self, body: Value) -> Value {
        let r = self
            .task(Method::Post, "/v3/applicationInstance/task", Some(body))
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
        r.single()
    }

    /// The ZStack PUT form with a body.
    pub(crate) async fn zstack_put(&self, image: &str, body: &str) -> Resp {
        let path = format!("/zstack/v1/images/upload-job/details/{image}");
        let req = self
            .request(Method::Put, &path)
            .header("Authorization", self.credentials().zstack_oauth_header())
            .header("Content-Type", "application/json;charset=UTF-8")
            .body(body.to_owned());
        self.send(Method::Put, &path, req).await
    }

    /// The ZStack GET form.
    pub(crate) async fn zstack_get(&self, image: &str, query: &str) -> Resp {
        let path = format!("/zstack/v1/images/upload-job/details/{image}{query}");
        let req = self
            .request(Method::Get, &path)
            .header("Authorization", self.credentials().zstack_oauth_header());
        self.send(Method::Get, &path, req).await
    }

    /// An admin call; asserts 200 and returns the body.
    pub(crate) async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = self.admin_token() {
            req = req.header("X-Sim-Token", t);
        }
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        let r = self.send_raw(req).await.unwrap();
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r
    }
}

/// A JSON object's keys.
pub(crate) fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(Map::keys)
        .into_iter()
        .flatten()
        .cloned()
        .collect()
}
