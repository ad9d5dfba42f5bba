//! Reads the operations out of `docs/openapi.yaml`.

use std::path::Path;

use oas3::spec::{ObjectOrReference, ParameterIn, Schema, SchemaType as Type};
use serde_json::Value;

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Path,
    Query,
}

/// How a parameter is typed and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A model type implementing `ParamValue` (a `$ref` to an id schema, or
    /// `x-cfp-type`).
    Typed(String),
    /// `integer` with `enum: [0, 1]`: a `bool` written `1`/`0`.
    Flag01,
    /// `boolean`: a `bool` written `true`/`false`.
    Bool,
    /// `string`.
    Str,
    /// `integer`.
    U64,
    /// `number`.
    F64,
    /// An array of strings, one `name=value` pair per element.
    Strings,
}

/// One parameter of an operation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    /// Its name on the wire.
    pub(crate) name: String,
    /// Its Rust field (and argument) name.
    pub(crate) field: String,
    pub(crate) location: Location,
    pub(crate) required: bool,
    pub(crate) kind: Kind,
    pub(crate) description: String,
    /// Bounds from `minimum`/`maximum`, for numbers.
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    /// A string with `minLength` ≥ 1: refused when blank.
    pub(crate) non_blank: bool,
}

impl Param {
    /// The Rust type of the value (without `Option`).
    pub(crate) fn rust_type(&self) -> String {
        match &self.kind {
            Kind::Typed(t) => format!("crate::{t}"),
            Kind::Flag01 | Kind::Bool => "bool".into(),
            Kind::Str => "String".into(),
            Kind::U64 => "u64".into(),
            Kind::F64 => "f64".into(),
            Kind::Strings => "Vec<String>".into(),
        }
    }

    /// A `bool` or list parameter: never an `Option`.
    pub(crate) fn always_present(&self) -> bool {
        matches!(self.kind, Kind::Flag01 | Kind::Bool | Kind::Strings)
    }
}

/// One operation, as the generators need it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Op {
    pub(crate) name: String,
    pub(crate) variant: String,
    pub(crate) summary: String,
    pub(crate) method: &'static str,
    pub(crate) path: String,
    pub(crate) path_params: Vec<String>,
    /// Name, required, repeated (an array sent as `name=a&name=b`).
    pub(crate) query_params: Vec<(String, bool, bool)>,
    pub(crate) has_body: bool,
    /// Every parameter, path ones first (in template order), then query
    /// ones (in the spec's order).
    pub(crate) params: Vec<Param>,
    /// The request body's model type (`x-cfp-body`).
    pub(crate) body: Option<String>,
    /// The body may be left out; it starts as its `Default`.
    pub(crate) body_default: bool,
    /// The description, for doc comments.
    pub(crate) description: String,
    pub(crate) surface: &'static str,
    pub(crate) auth: &'static str,
    pub(crate) retry: &'static str,
    pub(crate) fallback_for: Option<String>,
}

/// Parses the spec and returns its operations in file order.
pub(crate) fn load(path: &Path) -> Result<Vec<Op>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let spec = oas3::from_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let raw: Value = yaml_serde::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut ops = Vec::new();
    for (path, method, op) in spec.operations() {
        let name = op
            .operation_id
            .clone()
            .ok_or_else(|| format!("{method} {path}: no operationId"))?;
        let here = |what: &str| format!("{name} ({method} {path}): {what}");
        let ext = |key: &str| -> Result<String, String> {
            op.extensions
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| here(&format!("missing x-{key}")))
        };
        let surface = match ext("cfp-surface")?.as_str() {
            "clanforge" => "Clanforge",
            "task" => "Task",
            "zstack" => "ZStack",
            other => return Err(here(&format!("unknown x-cfp-surface {other:?}"))),
        };
        let retry = match ext("cfp-retry")?.as_str() {
            "safe" => "Safe",
            "unsafe" => "Unsafe",
            "toggle" => "Toggle",
            other => return Err(here(&format!("unknown x-cfp-retry {other:?}"))),
        };
        let schemes: Vec<&String> = op.security.iter().flat_map(|r| r.0.keys()).collect();
        let auth = match schemes.as_slice() {
            // `security: []`: a call that needs no credentials (ZStack login).
            [] if op.security.is_empty() => "None",
            [s] => match s.as_str() {
                "clanforgeBasic" => "Basic",
                "taskToken" => "PrivateToken",
                "zstackSession" => "OAuthSession",
                other => return Err(here(&format!("unknown security scheme {other:?}"))),
            },
            // A session or an AccessKey: the client's ZStack credentials
            // decide which is sent.
            [a, b] if a.as_str() == "zstackSession" && b.as_str() == "zstackAccessKey" => {
                "OAuthSession"
            }
            _ => return Err(here("needs exactly one security scheme")),
        };
        let mut path_params = Vec::new();
        let mut query_params = Vec::new();
        for p in &op.parameters {
            let p = match p {
                ObjectOrReference::Object(p) => p.clone(),
                ObjectOrReference::Ref { ref_path, .. } => {
                    return Err(here(&format!("parameter $ref {ref_path} is not supported")));
                }
            };
            match p.location {
                ParameterIn::Path => path_params.push(p.name),
                ParameterIn::Query => {
                    let repeated = p
                        .schema
                        .as_ref()
                        .and_then(|s| s.resolve(&spec).ok())
                        .is_some_and(|s| is_array(&s));
                    query_params.push((p.name, p.required.unwrap_or(false), repeated));
                }
                _ => {}
            }
        }
        // Path parameters in template order, and every one declared.
        let in_template: Vec<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        let mut declared = path_params.clone();
        declared.sort();
        let mut wanted = in_template.clone();
        wanted.sort();
        if declared != wanted {
            return Err(here(&format!(
                "path parameters {path_params:?} do not match the template's {in_template:?}"
            )));
        }
        let method_str = match method.as_str() {
            "GET" => "Get",
            "POST" => "Post",
            "PUT" => "Put",
            "PATCH" => "Patch",
            "DELETE" => "Delete",
            other => return Err(here(&format!("method {other} is not used by the contract"))),
        };
        let raw_op = &raw["paths"][path.as_str()][method.as_str().to_ascii_lowercase()];
        let params = params_of(raw_op, &in_template).map_err(|e| here(&e))?;
        let body = op
            .extensions
            .get("cfp-body")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        if op.request_body.is_some() && body.is_none() {
            return Err(here(
                "has a request body but no x-cfp-body naming its model type",
            ));
        }
        ops.push(Op {
            variant: variant_name(&name),
            summary: op.summary.clone().unwrap_or_default().trim().to_owned(),
            method: method_str,
            path: path.clone(),
            path_params: in_template,
            query_params,
            has_body: op.request_body.is_some(),
            params,
            body,
            body_default: op
                .extensions
                .get("cfp-body-default")
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            description: op.description.clone().unwrap_or_default().trim().to_owned(),
            surface,
            auth,
            retry,
            fallback_for: op
                .extensions
                .get("cfp-fallback-for")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            name,
        });
    }
    for op in &ops {
        if let Some(f) = &op.fallback_for
            && !ops.iter().any(|o| &o.name == f)
        {
            return Err(format!("{}: x-cfp-fallback-for names unknown {f}", op.name));
        }
        if ops.iter().filter(|o| o.name == op.name).count() > 1 {
            return Err(format!("operationId {} is used twice", op.name));
        }
    }
    Ok(ops)
}

fn is_array(schema: &Schema) -> bool {
    match schema {
        Schema::Object(o) => match o.as_ref() {
            ObjectOrReference::Object(o) => o
                .schema_type
                .as_ref()
                .is_some_and(|t| t.contains(Type::Array)),
            ObjectOrReference::Ref { .. } => false,
        },
        Schema::Boolean(_) => false,
    }
}

/// `getImageStatus` → `GetImageStatus`.
pub(crate) fn variant_name(operation_id: &str) -> String {
    let mut chars = operation_id.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// The parameters of an operation from its raw JSON: path ones in template
/// order, then query ones in the spec's order.
fn params_of(op: &Value, template: &[String]) -> Result<Vec<Param>, String> {
    let mut path = Vec::new();
    let mut query = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let name = p["name"]
            .as_str()
            .ok_or("a parameter has no name")?
            .to_owned();
        let location = match p["in"].as_str() {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            other => {
                return Err(format!(
                    "parameter {name}: location {other:?} is not supported"
                ));
            }
        };
        let schema = &p["schema"];
        let kind = if let Some(t) = p["x-cfp-type"].as_str() {
            Kind::Typed(t.to_owned())
        } else if let Some(r) = schema["$ref"].as_str() {
            Kind::Typed(
                r.rsplit('/')
                    .next()
                    .ok_or_else(|| format!("parameter {name}: bad $ref {r}"))?
                    .to_owned(),
            )
        } else {
            match schema["type"].as_str() {
                Some("integer")
                    if schema["enum"].as_array().is_some_and(|e| {
                        e.len() == 2 && e.contains(&Value::from(0)) && e.contains(&Value::from(1))
                    }) =>
                {
                    Kind::Flag01
                }
                Some("integer") => Kind::U64,
                Some("number") => Kind::F64,
                Some("boolean") => Kind::Bool,
                Some("string") => Kind::Str,
                Some("array") if schema["items"]["type"] == "string" => Kind::Strings,
                other => {
                    return Err(format!(
                        "parameter {name}: schema type {other:?} is not supported"
                    ));
                }
            }
        };
        let field = p["x-cfp-field"]
            .as_str()
            .map_or_else(|| snake_case(&name), str::to_owned);
        let non_blank = kind == Kind::Str && schema["minLength"].as_u64().is_some_and(|n| n >= 1);
        let param = Param {
            non_blank,
            field,
            location,
            required: p["required"].as_bool().unwrap_or(false),
            kind,
            description: p["description"].as_str().unwrap_or("").trim().to_owned(),
            min: schema["minimum"].as_f64(),
            max: schema["maximum"].as_f64(),
            name,
        };
        match location {
            Location::Path => path.push(param),
            Location::Query => query.push(param),
        }
    }
    let mut ordered = Vec::new();
    for name in template {
        let i = path
            .iter()
            .position(|p| &p.name == name)
            .ok_or_else(|| format!("path parameter {name} is not declared"))?;
        ordered.push(path.remove(i));
    }
    ordered.extend(query);
    Ok(ordered)
}

/// `taskBatchId` → `task_batch_id`; `diff_info` stays.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
