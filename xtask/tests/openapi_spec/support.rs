//! What the three groups of tests share: reading the spec and the vendor
//! facts, and walking JSON and OpenAPI documents.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------
// Files

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec_path() -> PathBuf {
    repo_root().join("docs").join("openapi.yaml")
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The project's record of the vendors' facts (`xtask/tests/fixtures/vendor-facts.yaml`).
pub(crate) fn vendor_facts() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vendor-facts.yaml");
    yaml_serde::from_str(&read(&path))
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

pub(crate) fn strings(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

pub(crate) fn typed_spec() -> oas3::Spec {
    oas3::from_yaml(read(&spec_path()))
        .unwrap_or_else(|e| panic!("docs/openapi.yaml is not an OpenAPI 3.1 document: {e}"))
}

pub(crate) fn spec_value() -> Value {
    yaml_serde::from_str(&read(&spec_path()))
        .unwrap_or_else(|e| panic!("docs/openapi.yaml is not valid YAML: {e}"))
}

// ---------------------------------------------------------------------------
// JSON helpers

/// Follows local `$ref`s (`#/…`) until a non-reference object.
pub(crate) fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..16 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return current;
        };
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("$ref {reference:?} is not local"));
        current = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("$ref {reference:?} does not resolve"));
    }
    panic!("$ref chain too long at {value}")
}

/// A draft 2020-12 validator for `schema`, with the spec's
/// `#/components/schemas` reachable from it.
pub(crate) fn validator(spec: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = match schema {
        Value::Object(map) => map.clone(),
        Value::Bool(true) => Map::new(),
        other => panic!("unexpected schema {other}"),
    };
    root.insert(
        "components".to_owned(),
        json!({ "schemas": spec["components"]["schemas"].clone() }),
    );
    jsonschema::draft202012::new(&Value::Object(root))
        .unwrap_or_else(|e| panic!("schema {schema} does not compile: {e}"))
}

/// Every reason `instance` is invalid, one line each.
pub(crate) fn errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} (at {:?})", e, e.instance_path().as_str()))
        .collect()
}

/// A component schema by name, as a `$ref`.
pub(crate) fn component(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The schema of a response (or, with status `request`, of the request body).
pub(crate) fn media_schema(spec: &Value, method: &str, path: &str, status: &str) -> Value {
    let op = &spec["paths"][path][method.to_ascii_lowercase()];
    let holder = if status == "request" {
        deref(spec, &op["requestBody"])
    } else {
        deref(spec, &op["responses"][status])
    };
    holder["content"]["application/json"]["schema"].clone()
}

/// `base` with the property at `pointer` set to `new`, or removed for `None`.
pub(crate) fn with(base: &Value, pointer: &str, new: Option<Value>) -> Value {
    let mut value = base.clone();
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let target = value
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent} in {base}"));
    match (target, new) {
        (Value::Object(map), Some(v)) => {
            map.insert(key.to_owned(), v);
        }
        (Value::Object(map), None) => {
            map.remove(key);
        }
        (other, _) => panic!("{parent} is not an object: {other}"),
    }
    value
}

/// Two JSON documents are the same, numbers compared by value (so that
/// `452984832E8` equals `45298483200000000`).
pub(crate) fn same_json(a: &Value, b: &Value) -> bool {
    fn exact(n: &serde_json::Number) -> Option<u64> {
        n.as_u64().or_else(|| {
            let f = n.as_f64()?;
            // Integral and within u64: the conversion is exact.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let exact = (f.fract() == 0.0 && (0.0..1.8e19).contains(&f)).then_some(f as u64);
            exact
        })
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (exact(x), exact(y)) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => a == b,
    }
}

// ---------------------------------------------------------------------------
// OpenAPI documents (ours and the vendor's)

/// Every property path a schema declares (`a.b` for nested objects; arrays,
/// `$ref`s and `oneOf`/`anyOf`/`allOf` are transparent; map values are `*`).
fn property_paths(
    doc: &Value,
    schema: &Value,
    prefix: &str,
    out: &mut BTreeSet<String>,
    depth: u32,
) {
    if depth > 12 {
        return;
    }
    if schema.get("$ref").is_some() {
        property_paths(doc, deref(doc, schema), prefix, out, depth + 1);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            property_paths(doc, sub, prefix, out, depth + 1);
        }
    }
    if let Some(items) = schema.get("items") {
        property_paths(doc, items, prefix, out, depth + 1);
    }
    if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        property_paths(doc, values, &join(prefix, "*"), out, depth + 1);
    }
    for (name, sub) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = join(prefix, name);
        out.insert(path.clone());
        property_paths(doc, sub, &path, out, depth + 1);
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

pub(crate) fn paths_of(doc: &Value, schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    property_paths(doc, schema, "", &mut out, 0);
    out
}

/// `required` of a schema, following `$ref`s.
pub(crate) fn required_of(doc: &Value, schema: &Value) -> BTreeSet<String> {
    deref(doc, schema)
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Names of the path parameters of an operation.
pub(crate) fn path_params(doc: &Value, op: &Value) -> Vec<String> {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| deref(doc, p))
        .filter(|p| p["in"] == "path")
        .map(|p| p["name"].as_str().expect("a name").to_owned())
        .collect()
}

/// operationId → (METHOD, path, operation) of an OpenAPI document.
pub(crate) fn operations_of(doc: &Value) -> BTreeMap<String, (String, String, Value)> {
    let mut ops = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ops.insert(
                    id.to_owned(),
                    (method.to_uppercase(), path.clone(), op.clone()),
                );
            }
        }
    }
    ops
}
