//! The parameters of an operation, as data: what goes into the path, the
//! query and the body, checked before anything is sent.
//!
//! `cargo xtask codegen` generates one struct per operation of
//! `docs/openapi.yaml` (`CreateImageDiffParams`, `GetTaskParams`, …): a field
//! per parameter (named by `x-cfp-field`, else the parameter's name in
//! snake case), a constructor taking the required ones, a setter per optional
//! one, and an implementation of [`Params`] that writes the request target
//! (`/path?query`) and reads it back from the wire. This module holds what the
//! generated code is made of; it is pure (no I/O), so a user who brings their
//! own HTTP stack can build the exact request cfp would send.
//!
//! ```
//! use cfp_model::params::{CreateImageDiffParams, Params};
//! use cfp_model::{AccountServiceId, DiffId, ImageId, MachineId};
//!
//! let p = CreateImageDiffParams::new(AccountServiceId(1), ImageId(22), MachineId(333))
//!     .diff_id(DiffId(218_595));
//! assert_eq!(
//!     p.target().unwrap(),
//!     "/cfp/v1/imagediff/create?accountserviceid=1&imageid=22&machineid=333&diffid=218595"
//! );
//! let zero = CreateImageDiffParams::new(AccountServiceId(1), ImageId(0), MachineId(3));
//! assert_eq!(zero.target().unwrap_err().to_string(), "imageid: must be a positive id");
//! ```

use std::fmt;

use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};

pub use crate::generated::params::*;
use crate::ids::ZStackImageId;
use crate::operation::OperationId;

/// A parameter value that is not acceptable, found before anything is sent
/// (or, in the simulator, when a request is read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ParamError {
    /// The parameter, by its wire name (`body` for the request body).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl ParamError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The parameters of one operation. Implemented by the generated structs.
pub trait Params: Clone + fmt::Debug + Send + Sync + 'static {
    /// The operation these are the parameters of.
    const OPERATION: OperationId;

    /// Appends the request target, `/path?query`, to `out` (after the base
    /// URL's origin and prefix), checking every value.
    fn write_target(&self, out: &mut String) -> Result<(), ParamError>;

    /// The JSON body, for an operation that sends one; its own checks first
    /// (what the vendor would refuse is refused here, so nothing is sent).
    fn body(&self) -> Result<Option<Vec<u8>>, ParamError> {
        Ok(None)
    }

    /// Reads the parameters from a request as it arrives: the path's `{…}`
    /// values in template order (percent-decoded), the query pairs, the
    /// body. A missing required parameter, or a value that does not parse,
    /// is an error naming it.
    fn from_wire(
        path: &[String],
        query: &[(String, String)],
        body: &[u8],
    ) -> Result<Self, ParamError>;

    /// The request target as a new string (see
    /// [`write_target`](Self::write_target)).
    fn target(&self) -> Result<String, ParamError> {
        let mut out = String::new();
        self.write_target(&mut out)?;
        Ok(out)
    }
}

/// A request body type: serialised as JSON, checked before sending.
pub trait RequestBody: serde::Serialize + serde::de::DeserializeOwned + Clone + fmt::Debug {
    /// What the vendor would refuse, as a [`ParamError`] naming the field.
    fn check(&self) -> Result<(), ParamError> {
        Ok(())
    }
}

/// A value that goes into a request's path or query.
pub trait ParamValue: Sized {
    /// Whether the value may be sent; `Err` says why not.
    fn check(&self) -> Result<(), &'static str> {
        Ok(())
    }

    /// Appends the value's text (not yet encoded) to `out`.
    fn write_raw(&self, out: &mut String);

    /// Reads the value from its (decoded) text.
    fn parse(text: &str) -> Result<Self, String>;
}

/// Writes the `{…}` segment value `v` of parameter `name`, encoded.
#[doc(hidden)]
pub fn path_segment<V: ParamValue>(out: &mut String, name: &str, v: &V) -> Result<(), ParamError> {
    v.check().map_err(|r| ParamError::new(name, r))?;
    let mut raw = String::new();
    v.write_raw(&mut raw);
    if raw.is_empty() {
        return Err(ParamError::new(name, "must not be empty"));
    }
    out.extend(utf8_percent_encode(&raw, SEGMENT));
    Ok(())
}

/// The query under construction: `?` before the first pair, `&` after.
#[doc(hidden)]
#[derive(Debug)]
pub struct Query<'a> {
    out: &'a mut String,
    any: bool,
}

impl<'a> Query<'a> {
    /// A query appended to `out`.
    pub fn new(out: &'a mut String) -> Self {
        Self { out, any: false }
    }

    /// `name=value`, checked and encoded.
    pub fn pair<V: ParamValue>(&mut self, name: &str, v: &V) -> Result<(), ParamError> {
        v.check().map_err(|r| ParamError::new(name, r))?;
        let mut raw = String::new();
        v.write_raw(&mut raw);
        self.raw_pair(name, &raw);
        Ok(())
    }

    /// A boolean as `1`/`0`.
    pub fn flag01(&mut self, name: &str, v: bool) {
        self.raw_pair(name, if v { "1" } else { "0" });
    }

    /// A boolean as `true`/`false`.
    pub fn flag(&mut self, name: &str, v: bool) {
        self.raw_pair(name, if v { "true" } else { "false" });
    }

    fn raw_pair(&mut self, name: &str, value: &str) {
        self.out.push(if self.any { '&' } else { '?' });
        self.any = true;
        self.out.extend(utf8_percent_encode(name, QUERY));
        self.out.push('=');
        self.out.extend(utf8_percent_encode(value, QUERY));
    }
}

/// Characters escaped in a path segment: everything but RFC 3986's
/// unreserved characters and sub-delimiters, so that `/`, `?`, `#`, `%` and
/// spaces never change the path's shape.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Characters escaped in a query name or value: everything but
/// `application/x-www-form-urlencoded`'s safe set (`*-._` and alphanumerics),
/// with a space as `%20` (never `+`, which some servers read literally).
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// Reads the first value of `name` in `query`.
#[doc(hidden)]
pub fn first<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Reads a required query or path value.
#[doc(hidden)]
pub fn required<V: ParamValue>(name: &str, text: Option<&str>) -> Result<V, ParamError> {
    let text = text.ok_or_else(|| ParamError::new(name, "missing"))?;
    parsed(name, text)
}

/// Reads an optional query value.
#[doc(hidden)]
pub fn optional<V: ParamValue>(name: &str, text: Option<&str>) -> Result<Option<V>, ParamError> {
    text.map(|t| parsed(name, t)).transpose()
}

/// Reads every value of a repeated query parameter.
#[doc(hidden)]
pub fn repeated<V: ParamValue>(
    query: &[(String, String)],
    name: &str,
) -> Result<Vec<V>, ParamError> {
    query
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| parsed(name, v))
        .collect()
}

fn parsed<V: ParamValue>(name: &str, text: &str) -> Result<V, ParamError> {
    let v = V::parse(text).map_err(|r| ParamError::new(name, r))?;
    v.check().map_err(|r| ParamError::new(name, r))?;
    Ok(v)
}

/// Reads a boolean sent as `1`/`0` (or `true`/`false`); absent is `false`.
#[doc(hidden)]
pub fn flag_value(name: &str, text: Option<&str>) -> Result<bool, ParamError> {
    match text.map(str::trim) {
        None => Ok(false),
        Some("1" | "true" | "TRUE" | "True") => Ok(true),
        Some("0" | "false" | "FALSE" | "False" | "") => Ok(false),
        Some(other) => Err(ParamError::new(
            name,
            format!("{other:?} is not a boolean (1, 0, true or false)"),
        )),
    }
}

/// Reads a JSON request body.
#[doc(hidden)]
pub fn json_body<B: RequestBody>(body: &[u8]) -> Result<B, ParamError> {
    let b: B = serde_json::from_slice(body).map_err(|e| ParamError::new("body", e.to_string()))?;
    b.check()?;
    Ok(b)
}

/// Writes a JSON request body after its checks.
#[doc(hidden)]
pub fn json_bytes<B: RequestBody>(b: &B) -> Result<Option<Vec<u8>>, ParamError> {
    b.check()?;
    serde_json::to_vec(b)
        .map(Some)
        .map_err(|e| ParamError::new("body", e.to_string()))
}

/// Checks a number against the contract's bounds.
#[doc(hidden)]
pub fn within(name: &str, v: f64, min: f64, max: f64) -> Result<(), ParamError> {
    if v.is_finite() && v >= min && v <= max {
        Ok(())
    } else {
        Err(ParamError::new(
            name,
            format!("{v} is not between {min} and {max}"),
        ))
    }
}

/// Checks that a text the contract requires (`minLength: 1`) is not blank.
#[doc(hidden)]
pub fn non_blank(name: &str, v: &str) -> Result<(), ParamError> {
    if v.trim().is_empty() {
        Err(ParamError::new(name, "must not be blank"))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Values

impl ParamValue for u64 {
    fn write_raw(&self, out: &mut String) {
        use fmt::Write as _;
        let _ = write!(out, "{self}");
    }

    fn parse(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a whole number"))
    }
}

impl ParamValue for f64 {
    fn check(&self) -> Result<(), &'static str> {
        if self.is_finite() {
            Ok(())
        } else {
            Err("must be a finite number")
        }
    }

    fn write_raw(&self, out: &mut String) {
        use fmt::Write as _;
        let _ = write!(out, "{self}");
    }

    fn parse(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a number"))
    }
}

impl ParamValue for String {
    fn write_raw(&self, out: &mut String) {
        out.push_str(self);
    }

    fn parse(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

impl ParamValue for ZStackImageId {
    fn write_raw(&self, out: &mut String) {
        out.push_str(self.as_str());
    }

    fn parse(text: &str) -> Result<Self, String> {
        text.parse::<Self>().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountServiceId, DiffId};

    #[test]
    fn query_values_are_form_encoded_with_percent_20() {
        let mut out = String::from("/x");
        let mut q = Query::new(&mut out);
        q.pair("tag", &"a b&c=d/é".to_owned()).unwrap();
        q.flag01("f", true);
        q.flag("g", false);
        assert_eq!(out, "/x?tag=a%20b%26c%3Dd%2F%C3%A9&f=1&g=false");
    }

    #[test]
    fn path_segments_keep_their_shape() {
        let mut out = String::from("/a/");
        path_segment(&mut out, "id", &"x/y?z#w %".to_owned()).unwrap();
        assert_eq!(out, "/a/x%2Fy%3Fz%23w%20%25");
        let e = path_segment(&mut out, "id", &String::new()).unwrap_err();
        assert_eq!(e.to_string(), "id: must not be empty");
        let e = path_segment(&mut out, "diffid", &DiffId(0)).unwrap_err();
        assert_eq!(e.to_string(), "diffid: must be a positive id");
    }

    #[test]
    fn digits_are_written_exactly() {
        for n in [0u64, 7, 10, 1_763_900_000, u64::MAX] {
            let mut s = String::new();
            n.write_raw(&mut s);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn wire_values_are_read_back_with_their_checks() {
        let q = vec![("accountserviceid".to_owned(), "12".to_owned())];
        let a: AccountServiceId =
            required("accountserviceid", first(&q, "accountserviceid")).unwrap();
        assert_eq!(a, AccountServiceId(12));
        let e = required::<AccountServiceId>("imageid", None).unwrap_err();
        assert_eq!(e.to_string(), "imageid: missing");
        let e = required::<AccountServiceId>("x", Some("0")).unwrap_err();
        assert!(e.to_string().contains("greater than zero"), "{e}");
        assert!(flag_value("f", Some("1")).unwrap());
        assert!(!flag_value("f", None).unwrap());
        assert!(flag_value("f", Some("yes")).is_err());
    }
}
