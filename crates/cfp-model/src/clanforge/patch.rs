//! The Clanforge operations around a diff that a zero-downtime patch needs:
//! image update jobs, diff rejection, image version jobs, install jobs,
//! image options (what locks an image) and values they take.
//!
//! Sources: the vendor's endpoint pages (`image-update-create`,
//! `image-diff-reject`, `image-create-version`, `image-install-status`,
//! `image-options`) and its "image job fields" page.

use std::fmt;

use serde::de;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::ClanforgeReply;
use crate::ids::{
    DiffId, GameId, ImageId, ImageVersionId, InstallJobId, MachineId, UninstallJobId, UpdateId,
};
use crate::job::clanforge_job;
use crate::time::UnixTime;

clanforge_job! {
    /// An image update job: the image's files brought up to date on a
    /// reference machine from an update URL. Answered by update create,
    /// status and retry.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct UpdateJob {
        /// `updateid`: the update job.
        #[serde(rename = "updateid")]
        pub update_id: UpdateId,
    }
}

clanforge_job! {
    /// An image version job: a complete diff accepted as the image's next
    /// version, being installed on the fleets that run the image. Answered
    /// by version create and status.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct VersionJob {
        /// `imageversionid`: the image version (and its job).
        #[serde(rename = "imageversionid")]
        pub version_id: ImageVersionId,
    }
}

clanforge_job! {
    /// The job that reinstalls a reference machine to the image's last good
    /// state, when a diff is rejected with `reinstall=1`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct UninstallJob {
        /// `uninstalljobid`: the uninstall job.
        #[serde(rename = "uninstalljobid")]
        pub uninstall_job_id: UninstallJobId,
    }
}

/// What diff reject answers: the diff id when the reference machine is left
/// as it is (`reinstall=0`), the uninstall job when it is reinstalled
/// (`reinstall=1`). Either way the image is no longer locked by the diff.
///
/// ```
/// use cfp_model::clanforge::{decode_reply, DiffRejection};
///
/// let r: DiffRejection = decode_reply(br#"{"diffid": 218595}"#).unwrap();
/// assert_eq!(r.uninstall_job(), None);
/// let r: DiffRejection = decode_reply(br#"{"uninstalljobid": 9101, "jobcreated": 1763900000,
///     "jobfailed": 0, "jobprogress": 0, "jobstateid": 1, "jobstatename": "Created",
///     "jobupdated": 1763900000}"#).unwrap();
/// assert_eq!(r.uninstall_job().unwrap().uninstall_job_id.get(), 9101);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffRejection {
    /// `{"diffid": N}`: rejected, the reference machine left as it is.
    Rejected {
        /// The rejected diff.
        diff_id: DiffId,
    },
    /// Rejected, and the reference machine is being reinstalled.
    Reinstalling(UninstallJob),
}

impl DiffRejection {
    /// The uninstall job, when the machine is being reinstalled.
    pub fn uninstall_job(&self) -> Option<&UninstallJob> {
        match self {
            Self::Rejected { .. } => None,
            Self::Reinstalling(job) => Some(job),
        }
    }
}

impl Serialize for DiffRejection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Rejected { diff_id } => {
                #[derive(Serialize)]
                struct Wire {
                    diffid: DiffId,
                }
                Wire { diffid: *diff_id }.serialize(s)
            }
            Self::Reinstalling(job) => job.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for DiffRejection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Told apart by `uninstalljobid`; buffered once (the answer is small).
        let v = Value::deserialize(d)?;
        if v.get("uninstalljobid").is_some() {
            return UninstallJob::deserialize(v)
                .map(Self::Reinstalling)
                .map_err(de::Error::custom);
        }
        #[derive(Deserialize)]
        struct Wire {
            diffid: DiffId,
        }
        Wire::deserialize(v)
            .map(|w| Self::Rejected { diff_id: w.diffid })
            .map_err(de::Error::custom)
    }
}

/// The install jobs of an account service that are not complete: one per
/// machine installing an image version.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InstallStatus {
    /// `installs` (`null` or `[]` when nothing is installing).
    #[serde(deserialize_with = "list_or_null")]
    pub installs: Vec<InstallJob>,
}

impl InstallStatus {
    /// The install jobs of one image version.
    pub fn of_version(&self, version: ImageVersionId) -> impl Iterator<Item = &InstallJob> {
        self.installs
            .iter()
            .filter(move |j| j.target_version_id == Some(version))
    }
}

clanforge_job! {
    /// One machine installing an image version. The vendor documents the
    /// fields beside the job fields only by example, so the ones whose type
    /// it does not state are kept as sent.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct InstallJob {
        /// `jobid`: the install job.
        #[serde(rename = "jobid")]
        pub job_id: InstallJobId,
        /// `target_imageversionid`: the version being installed.
        #[serde(rename = "target_imageversionid", default, skip_serializing_if = "Option::is_none")]
        pub target_version_id: Option<ImageVersionId>,
        /// `install_at`: when the install starts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub install_at: Option<UnixTime>,
        /// `machine`: the machine (an id or a name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub machine: Option<Value>,
        /// `location`: where the machine is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub location: Option<Value>,
        /// `restart`: whether servers restart for the install (0/1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub restart: Option<Value>,
        /// `mirroring`: whether the image is being mirrored (0/1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mirroring: Option<Value>,
        /// `mirror`: the mirror the image comes from.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mirror: Option<Value>,
        /// `imagepath`: where the version is installed.
        #[serde(rename = "imagepath", default, skip_serializing_if = "Option::is_none")]
        pub image_path: Option<Value>,
    }
}

impl InstallJob {
    /// The machine as text (its id or name), if sent.
    pub fn machine_text(&self) -> Option<String> {
        self.machine.as_ref().and_then(scalar_text)
    }

    /// Whether servers restart for this install (`restart` as 1/0, a
    /// boolean, or a string holding one).
    pub fn restarts(&self) -> Option<bool> {
        self.restart.as_ref().and_then(loose_flag)
    }
}

/// A scalar JSON value as text; objects and arrays have none.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A 0/1 flag as PHP backends send it: a number, a boolean or a string.
fn loose_flag(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_u64().map(|n| n != 0),
        Value::String(s) => match s.trim() {
            "1" | "true" => Some(true),
            "0" | "false" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// What image options answers: the account service's games, images and
/// reference machines and — for an image — its default update URL and the
/// diff or update that locks it.
///
/// An image is locked from the moment a diff or an update of it starts
/// until the diff is accepted (a version made from it) or rejected; while
/// it is, update and diff create answer "image locked by diffid: N". Where
/// a patch stands can be read from here: see [`ImageOptions::lock`].
///
/// The default update URL may carry storage credentials: it is held as an
/// [`UpdateUrl`], whose `Debug` shows none.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImageOptions {
    /// `diffid`: the diff that locks the image (0 or absent when none).
    #[serde(rename = "diffid", default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<DiffId>,
    /// `updateid`: the update that locks the image (0 or absent when none).
    #[serde(rename = "updateid", default, skip_serializing_if = "Option::is_none")]
    pub update_id: Option<UpdateId>,
    /// `update_url`: the image's default update URL, if it has one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "url_or_blank"
    )]
    pub update_url: Option<UpdateUrl>,
    /// `games`.
    #[serde(default, deserialize_with = "list_or_null")]
    pub games: Vec<GameOption>,
    /// `images`.
    #[serde(default, deserialize_with = "list_or_null")]
    pub images: Vec<ImageOption>,
    /// `machines`: the reference machines.
    #[serde(default, deserialize_with = "list_or_null")]
    pub machines: Vec<MachineOption>,
    /// `success`, when sent (an envelope with `false` is a failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// `error`, when sent (the envelope's flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<bool>,
}

/// What locks an image (see [`ImageOptions::lock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageLock {
    /// An update job of the image (running, or complete and its diff not
    /// yet started).
    Update(UpdateId),
    /// A diff of the image, neither accepted nor rejected.
    Diff(DiffId),
}

impl fmt::Display for ImageLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Update(id) => write!(f, "update {id}"),
            Self::Diff(id) => write!(f, "diff {id}"),
        }
    }
}

impl ImageOptions {
    /// What locks the image, if anything: the diff where both are set
    /// (a diff follows its update, so it is the later step).
    ///
    /// ```
    /// use cfp_model::clanforge::{decode_reply, ImageLock, ImageOptions};
    /// use cfp_model::DiffId;
    ///
    /// let o: ImageOptions = decode_reply(br#"{"diffid": 218595, "updateid": 0}"#).unwrap();
    /// assert_eq!(o.lock(), Some(ImageLock::Diff(DiffId(218595))));
    /// let free: ImageOptions = decode_reply(br#"{"diffid": 0, "updateid": null}"#).unwrap();
    /// assert_eq!(free.lock(), None);
    /// ```
    pub fn lock(&self) -> Option<ImageLock> {
        match (self.diff_id, self.update_id) {
            (Some(d), _) if d.get() != 0 => Some(ImageLock::Diff(d)),
            (_, Some(u)) if u.get() != 0 => Some(ImageLock::Update(u)),
            _ => None,
        }
    }
}

/// A game, as image options lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GameOption {
    /// `gameid`.
    #[serde(rename = "gameid", default, skip_serializing_if = "Option::is_none")]
    pub game_id: Option<GameId>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An image, as image options lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImageOption {
    /// `imageid`.
    #[serde(rename = "imageid", default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<ImageId>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `gameversionid`: documented as a string holding the id; a number is
    /// accepted too.
    #[serde(
        rename = "gameversionid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub game_version_id: Option<Value>,
}

/// A reference machine, as image options lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MachineOption {
    /// `machineid`.
    #[serde(rename = "machineid", default, skip_serializing_if = "Option::is_none")]
    pub machine_id: Option<MachineId>,
    /// `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

fn list_or_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

fn url_or_blank<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UpdateUrl>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.trim().is_empty())
        .map(UpdateUrl))
}

// ---------------------------------------------------------------------------
// Values

/// Where an update's new build is: `s3://`, `steam://`, `gs://` or
/// `https://`, as image update create takes it.
///
/// It may carry storage credentials (`s3://KEY:SECRET@bucket/…`,
/// `steam://user:pass@…`, `gs://bucket/?credentials=…`), so it is a secret:
/// `Debug` and [`UpdateUrl::masked`] show only its scheme, host and path.
///
/// ```
/// use cfp_model::clanforge::UpdateUrl;
///
/// let url: UpdateUrl = "s3://AKIAFAKE-DO-NOT-USE:s3cr3t-DO-NOT-USE@builds/1.4.2/?region=eu".parse().unwrap();
/// assert_eq!(url.masked(), "s3://…@builds/1.4.2/?…");
/// assert!(!format!("{url:?}").contains("DO-NOT-USE"));
/// assert!("ftp://x".parse::<UpdateUrl>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct UpdateUrl(String);

/// The schemes Clanforge's update create documents.
pub const UPDATE_URL_SCHEMES: [&str; 4] = ["s3", "steam", "gs", "https"];

impl UpdateUrl {
    /// The URL as given, credentials and all: for the request only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL's parts: scheme, user information (up to the last `@`
    /// before the query, so that a secret holding an unencoded `/` stays
    /// in it), host and path, query.
    fn parts(&self) -> (&str, Option<&str>, &str, Option<&str>) {
        let (scheme, rest) = self.0.split_once("://").unwrap_or(("", &self.0));
        let (before, query) = match rest.split_once('?') {
            Some((b, q)) => (b, Some(q)),
            None => (rest, None),
        };
        match before.rsplit_once('@') {
            Some((user, host)) => (scheme, Some(user), host, query),
            None => (scheme, None, before, query),
        }
    }

    /// The URL with any user information and query hidden:
    /// `scheme://…@host/path?…`.
    pub fn masked(&self) -> String {
        let (scheme, user, host, query) = self.parts();
        format!(
            "{scheme}://{}{host}{}",
            if user.is_some() { "…@" } else { "" },
            if query.is_some() { "?…" } else { "" }
        )
    }

    /// The parts of the URL that are secrets (user information, and the
    /// query's values), for a redactor.
    pub fn secret_parts(&self) -> Vec<&str> {
        let (_, user, _, query) = self.parts();
        let mut parts = Vec::new();
        if let Some(user) = user {
            parts.extend(user.split(':').filter(|p| !p.is_empty()));
            parts.push(user);
        }
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            if let Some((_, v)) = pair.split_once('=')
                && !v.is_empty()
            {
                parts.push(v);
            }
        }
        parts
    }
}

impl fmt::Debug for UpdateUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UpdateUrl({:?})", self.masked())
    }
}

impl std::str::FromStr for UpdateUrl {
    type Err = &'static str;

    /// Checks the scheme and that the text is one line of visible
    /// characters; the message never repeats the URL.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = Self(s.to_owned());
        url.validate()?;
        Ok(url)
    }
}

impl<'de> Deserialize<'de> for UpdateUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

impl UpdateUrl {
    fn validate(&self) -> Result<(), &'static str> {
        let s = &self.0;
        if s.trim().is_empty() {
            return Err("it is empty");
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err("it must be one URL without spaces or control characters");
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return Err("it must start with s3://, steam://, gs:// or https://");
        };
        if !UPDATE_URL_SCHEMES
            .iter()
            .any(|k| k.eq_ignore_ascii_case(scheme))
        {
            return Err("its scheme must be s3, steam, gs or https");
        }
        if rest.is_empty() {
            return Err("it names no location after the scheme");
        }
        Ok(())
    }
}

impl crate::params::ParamValue for UpdateUrl {
    fn check(&self) -> Result<(), &'static str> {
        self.validate()
    }

    fn write_raw(&self, out: &mut String) {
        out.push_str(&self.0);
    }

    fn parse(text: &str) -> Result<Self, String> {
        Ok(Self(text.to_owned()))
    }
}

/// When a version is installed: now, or at a time (`install_at`, a Unix
/// time or `NOW()`).
///
/// ```
/// use cfp_model::clanforge::InstallAt;
///
/// assert_eq!("now".parse::<InstallAt>().unwrap(), InstallAt::Now);
/// assert_eq!("NOW()".parse::<InstallAt>().unwrap(), InstallAt::Now);
/// let at: InstallAt = "1763900000".parse().unwrap();
/// assert_eq!(at.to_string(), "1763900000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InstallAt {
    /// `NOW()`.
    Now,
    /// A Unix time.
    At(UnixTime),
}

impl fmt::Display for InstallAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Now => f.write_str("NOW()"),
            Self::At(t) => write!(f, "{}", t.as_secs()),
        }
    }
}

impl std::str::FromStr for InstallAt {
    type Err = String;

    /// `now`, `NOW()`, a Unix time, or an RFC 3339 time.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("now") || t.eq_ignore_ascii_case("now()") {
            return Ok(Self::Now);
        }
        let secs = if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
            t.parse::<i64>()
                .map_err(|_| format!("{t:?} is too large for a Unix time"))?
        } else {
            t.parse::<jiff::Timestamp>()
                .map_err(|_| {
                    format!(
                        "{t:?} is not NOW(), a Unix time or an RFC 3339 time (2025-11-23T12:00:00Z)"
                    )
                })?
                .as_second()
        };
        if secs <= 0 {
            return Err("a Unix time must be after 1970".into());
        }
        UnixTime::from_secs(secs)
            .map(Self::At)
            .map_err(|e| e.to_string())
    }
}

impl crate::params::ParamValue for InstallAt {
    fn write_raw(&self, out: &mut String) {
        use fmt::Write as _;
        let _ = write!(out, "{self}");
    }

    fn parse(text: &str) -> Result<Self, String> {
        text.parse()
    }
}

// ---------------------------------------------------------------------------
// Replies

job_reply!(
    UpdateJob => "image update job",
    VersionJob => "image version job",
    UninstallJob => "uninstall job",
);

impl ClanforgeReply for DiffRejection {
    const WHAT: &'static str = "diff rejection";
    const IS_JOB: bool = true;

    fn says_unsuccessful(&self) -> bool {
        self.uninstall_job()
            .is_some_and(|j| j.success == Some(false))
    }
}

impl ClanforgeReply for InstallStatus {
    const WHAT: &'static str = "image install status";
}

impl ClanforgeReply for ImageOptions {
    const WHAT: &'static str = "image options";

    fn says_unsuccessful(&self) -> bool {
        self.success == Some(false) || self.error == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clanforge::{ClanforgeReplyError, decode_reply};
    use crate::job::JobState;

    const JOB: &str = r#""jobcreated": 1763900000, "joberror": null, "jobeta": null,
        "jobfailed": 0, "jobprogress": 0, "jobstart": null, "jobstateid": 1,
        "jobstatename": "Created", "jobupdated": 1763900000"#;

    #[test]
    fn update_and_version_jobs_decode_with_their_ids() {
        let u: UpdateJob =
            decode_reply(format!(r#"{{"updateid": 7001, {JOB}}}"#).as_bytes()).unwrap();
        assert_eq!(u.update_id, UpdateId(7001));
        assert_eq!(u.state(), JobState::Created);
        let v: VersionJob = decode_reply(
            format!(r#"{{"imageversionid": "5101", {JOB}, "success": true}}"#).as_bytes(),
        )
        .unwrap();
        assert_eq!(v.version_id, ImageVersionId(5101));
    }

    #[test]
    fn an_envelope_is_never_a_reply() {
        let env = br#"{"success": false, "error": true, "error_code": 1,
            "error_message": "image locked by diffid: 218595", "messages": [], "_debug": []}"#;
        assert!(matches!(
            decode_reply::<UpdateJob>(env),
            Err(ClanforgeReplyError::Service(_))
        ));
        assert!(matches!(
            decode_reply::<ImageOptions>(env),
            Err(ClanforgeReplyError::Service(_))
        ));
        assert!(matches!(
            decode_reply::<InstallStatus>(env),
            Err(ClanforgeReplyError::Service(_))
        ));
        assert!(matches!(
            decode_reply::<DiffRejection>(env),
            Err(ClanforgeReplyError::Service(_))
        ));
        // Options with `success: false` and no `error` flag is still a failure.
        assert!(matches!(
            decode_reply::<ImageOptions>(
                br#"{"success": false, "error_message": "no such image"}"#
            ),
            Err(ClanforgeReplyError::Service(_))
        ));
    }

    #[test]
    fn install_status_reads_the_vendor_example() {
        let body = br#"{"installs": [{"jobid": 8101, "jobcreated": 1763900000, "joberror": null,
            "jobeta": 1763900300, "jobfailed": 0, "jobprogress": 40, "jobstart": "1763900060",
            "jobstateid": 4, "jobstatename": "Running", "jobupdated": 1763900120, "mirroring": 0,
            "restart": 1, "location": "Europe West", "machine": 3, "imagepath": "/images/1/5101",
            "install_at": 1763900000, "mirror": "eu-1", "target_imageversionid": 5101}]}"#;
        let s: InstallStatus = decode_reply(body).unwrap();
        let j = &s.installs[0];
        assert_eq!(j.job_id, InstallJobId(8101));
        assert_eq!(j.percent(), 40);
        assert_eq!(j.restarts(), Some(true));
        assert_eq!(j.machine_text().as_deref(), Some("3"));
        assert_eq!(s.of_version(ImageVersionId(5101)).count(), 1);
        assert_eq!(s.of_version(ImageVersionId(1)).count(), 0);
        let none: InstallStatus = decode_reply(br#"{"installs": null}"#).unwrap();
        assert!(none.installs.is_empty());
    }

    #[test]
    fn options_keep_the_update_url_secret() {
        let body = br#"{"diffid": 0, "updateid": "7001", "update_url": "s3://AKIA-DO-NOT-USE:pw-DO-NOT-USE@builds/x/",
            "games": [{"gameid": 1, "name": "Demo"}], "images": [{"imageid": 1, "name": "srv", "gameversionid": "11"}],
            "machines": null}"#;
        let o: ImageOptions = decode_reply(body).unwrap();
        assert_eq!(o.lock(), Some(ImageLock::Update(UpdateId(7001))));
        assert_eq!(o.images[0].game_version_id, Some(Value::from("11")));
        assert!(o.machines.is_empty());
        let shown = format!("{o:?}");
        assert!(!shown.contains("DO-NOT-USE"), "{shown}");
        let url = o.update_url.unwrap();
        assert_eq!(url.masked(), "s3://…@builds/x/");
        assert!(url.secret_parts().contains(&"pw-DO-NOT-USE"));
    }

    #[test]
    fn a_secret_with_an_unencoded_slash_stays_secret() {
        let url: UpdateUrl = "s3://AKIA-DO-NOT-USE:ab/cd+ef-DO-NOT-USE@bucket/x/"
            .parse()
            .unwrap();
        assert_eq!(url.masked(), "s3://…@bucket/x/");
        assert!(url.secret_parts().contains(&"ab/cd+ef-DO-NOT-USE"));
        assert!(!format!("{url:?}").contains("DO-NOT-USE"));
    }

    #[test]
    fn update_urls_are_checked_without_repeating_them() {
        for bad in [
            "",
            "builds/x",
            "ftp://h/x",
            "s3://",
            "s3://a b",
            "s3://a\u{1b}[2J",
        ] {
            let e = bad.parse::<UpdateUrl>().unwrap_err();
            assert!(!e.contains("a b"), "{e}");
        }
        let url: UpdateUrl = "gs://bucket/?credentials=tok-DO-NOT-USE&x="
            .parse()
            .unwrap();
        assert_eq!(url.secret_parts(), ["tok-DO-NOT-USE"]);
        assert_eq!(url.masked(), "gs://bucket/?…");
    }

    #[test]
    fn install_at_forms() {
        assert_eq!(
            "2025-11-23T12:00:00Z"
                .parse::<InstallAt>()
                .unwrap()
                .to_string(),
            "1763899200"
        );
        assert!("yesterday".parse::<InstallAt>().is_err());
        assert!("0".parse::<InstallAt>().is_err());
    }
}
