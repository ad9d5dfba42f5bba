//! `cfp imageupdate create | status | retry`: the first step of a patch,
//! an image's files brought up to date on a reference machine.
//!
//! The update URL may carry storage credentials (`s3://KEY:SECRET@…`), so
//! it is never a plain argument (it would stay in the shell's history and
//! in `ps`): it comes from an environment variable or from stdin, and its
//! secret parts join the redactor before anything is sent.

use std::fmt;
use std::str::FromStr;

use cfp_api::model::{AccountServiceId, ImageId, MachineId, UpdateId, UpdateJob, UpdateUrl};
use clap::Subcommand;

use super::locked_image;
use crate::cli::Asid;
use crate::context::Ctx;
use crate::error::CliError;
use crate::output::Table;
use crate::output::layout::key_values;
use crate::output::table::job_rows;
use crate::wait::wait_for;

/// The variable `imageupdate create` reads the update URL from when no
/// other source is named.
pub const UPDATE_URL_ENV: &str = "CFP_UPDATE_URL";

#[derive(Debug, Subcommand)]
pub enum ImageupdateCommand {
    /// Start an image update: bring an image's files up to date on a
    /// reference machine from an update URL
    ///
    /// The update URL may carry storage credentials, so it is never given
    /// on the command line: it is read from the environment variable named
    /// by --url-env, or from CFP_UPDATE_URL when that is set, or from one
    /// line of stdin with --url-stdin. Without any of them, the image's
    /// default update URL is used (`cfp image options --game G --image I`
    /// shows it, masked). cfp never prints the URL's credentials.
    ///
    /// While a diff of the image is neither accepted nor rejected, or an
    /// update of it runs, the image is locked and the update is refused.
    #[command(after_help = "Examples:\n  \
        cfp imageupdate create --asid 1 --image 1 --machine 2 --desc 'release 1.4.2' --wait\n  \
        cfp imageupdate create --asid 1 --image 1 --machine 2 --desc 1.4.2 --url-env BUILD_URL\n  \
        pass show builds/url | cfp imageupdate create --image 1 --machine 2 --desc 1.4.2 --url-stdin\n\n\
        Then: cfp imagediff create --asid 1 --image 1 --machine 2 --wait")]
    #[doc(alias = "createImageUpdate")]
    Create {
        #[command(flatten)]
        asid: Asid,
        /// The game image
        #[arg(long, value_name = "ID")]
        image: ImageId,
        /// The reference machine to update
        #[arg(long, value_name = "ID")]
        machine: MachineId,
        /// What the update is, for people (e.g. the release)
        #[arg(long = "desc", visible_alias = "description", value_name = "TEXT")]
        description: String,
        /// Read the update URL from this environment variable [default:
        /// CFP_UPDATE_URL when it is set, else the image's default URL]
        #[arg(long, value_name = "VAR", conflicts_with = "url_stdin")]
        url_env: Option<String>,
        /// Read the update URL from the first line of stdin
        #[arg(long)]
        url_stdin: bool,
        /// Refused: the URL would be left in the shell's history (see
        /// --url-env and --url-stdin)
        #[arg(long, hide = true, value_name = "URL")]
        url: Option<RefusedUrl>,
        /// Wait until the update ends, showing progress
        #[arg(long)]
        wait: bool,
    },

    /// Show an image update's state and progress
    #[command(after_help = "Example:\n  cfp imageupdate status --asid 1 7001 --wait")]
    #[doc(alias = "getImageUpdateStatus")]
    Status {
        #[command(flatten)]
        asid: Asid,
        /// The update
        #[arg(value_name = "UPDATEID", allow_negative_numbers = true)]
        update: UpdateId,
        /// Wait until the update ends, showing progress
        #[arg(long)]
        wait: bool,
    },

    /// Run a failed image update again
    #[command(after_help = "Example:\n  cfp imageupdate retry --asid 1 7000 --wait")]
    #[doc(alias = "retryImageUpdate")]
    Retry {
        #[command(flatten)]
        asid: Asid,
        /// The update (it must have failed)
        #[arg(value_name = "UPDATEID", allow_negative_numbers = true)]
        update: UpdateId,
        /// Wait until the update ends, showing progress
        #[arg(long)]
        wait: bool,
    },
}

/// A value given to the hidden `--url`: never kept, never shown, so that
/// refusing it cannot echo it (clap repeats a value its parser refuses).
#[derive(Clone)]
pub struct RefusedUrl;

/// The refusal of `--url`.
pub(crate) fn url_refused() -> CliError {
    CliError::usage(
        "--url is not taken: an update URL may carry credentials, and the command line \
         stays in the shell's history and in the process list",
        "give it with --url-env VAR (or CFP_UPDATE_URL), or --url-stdin",
    )
}

impl UrlSource {
    /// The source `--url-env` and `--url-stdin` name.
    pub(crate) fn from_flags(url_env: Option<String>, url_stdin: bool) -> Self {
        match (url_env, url_stdin) {
            (Some(var), _) => Self::Named(var),
            (None, true) => Self::Stdin,
            (None, false) => Self::Default,
        }
    }
}

impl FromStr for RefusedUrl {
    type Err = std::convert::Infallible;

    fn from_str(_: &str) -> Result<Self, Self::Err> {
        Ok(Self)
    }
}

impl fmt::Debug for RefusedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefusedUrl(** not kept **)")
    }
}

impl ImageupdateCommand {
    /// Its `--asid`, if given.
    pub fn asid(&self) -> Option<AccountServiceId> {
        match self {
            Self::Create { asid, .. } | Self::Status { asid, .. } | Self::Retry { asid, .. } => {
                asid.asid
            }
        }
    }
}

/// Where the update URL comes from.
pub(crate) enum UrlSource {
    /// The variable named by `--url-env`: it must be set.
    Named(String),
    /// `CFP_UPDATE_URL`, if it is set.
    Default,
    /// One line of stdin.
    Stdin,
}

/// The update URL from its source, checked, its secrets protected. `None`
/// means the image's default URL. Nothing here repeats the URL.
pub(crate) fn update_url(source: UrlSource) -> Result<Option<UpdateUrl>, CliError> {
    let (text, from) = match source {
        UrlSource::Named(var) => match std::env::var(&var) {
            Ok(v) if !v.trim().is_empty() => (v, var),
            _ => {
                return Err(CliError::usage(
                    format!("--url-env {var}: the variable is not set, or empty"),
                    format!(
                        "export {var} with the update URL first, or leave --url-env out to use the image's default URL"
                    ),
                ));
            }
        },
        UrlSource::Default => match std::env::var(UPDATE_URL_ENV) {
            Ok(v) if !v.trim().is_empty() => {
                // Read without being named: say so, so that a variable left
                // in the environment does not change the update silently.
                crate::note(&format!("the update URL comes from {UPDATE_URL_ENV}"));
                (v, UPDATE_URL_ENV.to_owned())
            }
            _ => return Ok(None),
        },
        UrlSource::Stdin => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let line = line.trim_end_matches(['\n', '\r']).to_owned();
            if line.trim().is_empty() {
                return Err(CliError::usage(
                    "--url-stdin: stdin holds no update URL",
                    "pipe the URL in, e.g. `pass show builds/url | cfp imageupdate create … --url-stdin`",
                ));
            }
            (line, "stdin".to_owned())
        }
    };
    // Checked without being repeated (the parser's messages never do), then
    // protected before anything is sent or traced.
    let url = text.parse::<UpdateUrl>().map_err(|reason| {
        CliError::usage(
            format!("the update URL from {from} is not usable: {reason}"),
            "an update URL is s3://, steam://, gs:// or https:// (the URL itself is not shown)",
        )
    })?;
    crate::shield::protect_update_url(&url);
    Ok(Some(url))
}

pub(super) async fn run(ctx: &Ctx, c: ImageupdateCommand) -> Result<(), CliError> {
    if let ImageupdateCommand::Create { url: Some(_), .. } = &c {
        return Err(url_refused());
    }
    let asid = ctx.asid()?;
    let cf = ctx.client.clanforge(asid);
    let (job, wait) = match c {
        ImageupdateCommand::Create {
            image,
            machine,
            description,
            url_env,
            url_stdin,
            wait,
            ..
        } => {
            let source = match (url_env, url_stdin) {
                (Some(var), _) => UrlSource::Named(var),
                (None, true) => UrlSource::Stdin,
                (None, false) => UrlSource::Default,
            };
            let mut call = cf.create_image_update(image, machine, description);
            let url = update_url(source)?;
            let gave_url = url.is_some();
            if let Some(url) = url {
                call = call.url(url);
            }
            let job = call.send().await.map_err(|e| {
                if let Some(lock) = crate::error::image_lock(&e) {
                    return locked_image(ctx, asid, image, lock, e);
                }
                if !gave_url && mentions_url(&e) {
                    return CliError::api_with_hint(
                        e,
                        format!(
                            "give the update URL with --url-env VAR (or {UPDATE_URL_ENV}), or \
                             --url-stdin"
                        ),
                    );
                }
                CliError::outcome_unknown(
                    e,
                    format!("image update create for image {image} on machine {machine}"),
                    format!(
                        "cfp did not send it again. If it was carried out, the new update locks \
                         image {image} while it runs: a new create is refused with \"image locked \
                         by updateid: N\", which names it; `{}` shows it",
                        update_status(ctx, asid, "UPDATEID")
                    ),
                )
            })?;
            (job, wait)
        }
        ImageupdateCommand::Retry { update, wait, .. } => {
            let job = cf.retry_image_update(update).send().await.map_err(|e| {
                CliError::outcome_unknown(
                    e,
                    format!("image update retry of update {update}"),
                    CliError::check_with(&update_status(ctx, asid, &update.to_string())),
                )
            })?;
            (job, wait)
        }
        ImageupdateCommand::Status { update, wait, .. } => {
            if !wait {
                return ctx.print(&cf.get_image_update_status(update).send().await?);
            }
            let reattach = format!("{} --wait", update_status(ctx, asid, &update.to_string()));
            let done = wait_for(ctx, cf.wait_for_update(update), reattach, async |_| {
                Vec::new()
            })
            .await?;
            return ctx.print(&done);
        }
    };
    if !wait {
        return ctx.print(&job);
    }
    let reattach = format!(
        "{} --wait",
        update_status(ctx, asid, &job.update_id.to_string())
    );
    let done = wait_for(
        ctx,
        cf.wait_for_update(job.update_id),
        reattach,
        async |_| Vec::new(),
    )
    .await?;
    ctx.print(&done)
}

/// Clanforge refused, saying something about the URL (an image with no
/// default update URL, when none was given).
fn mentions_url(e: &cfp_api::Error) -> bool {
    matches!(
        e.service_error(),
        Some(cfp_api::ServiceError::Clanforge(c))
            if c.error_message.as_deref().is_some_and(|m| m.to_ascii_lowercase().contains("url"))
    )
}

/// `cfp imageupdate status --asid A UPDATE`.
fn update_status(ctx: &Ctx, asid: AccountServiceId, update: &str) -> String {
    format!(
        "cfp {}imageupdate status --asid {asid} {update}",
        ctx.sim_flag()
    )
}

// -- How people see it --------------------------------------------------------

impl Table for UpdateJob {
    fn table(&self) -> String {
        key_values(&job_rows("update", self.update_id.to_string(), self))
    }
}
