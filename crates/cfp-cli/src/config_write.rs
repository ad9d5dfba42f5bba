//! Writing one setting of one profile into the user's config file, keeping
//! the rest of the file (comments, order, other profiles) as it was.
//! `cfp zstack login` keeps its session this way, and `logout` removes it.
//!
//! The file is written whole to a sibling temporary file with mode 0600
//! and renamed over the old one, so a crash leaves the old file or the new
//! one, never half of either, and the secret is never readable by others,
//! even for a moment.

use std::io::Write as _;
use std::path::Path;

use toml_edit::{DocumentMut, Item, Table, value};

use crate::error::CliError;

/// Sets (`Some`) or removes (`None`) `key` in `[profiles.<profile>]` of the
/// file at `path`, creating the file, its directory and the profile as
/// needed. Returns whether the file changed.
pub fn set_profile_key(
    path: &Path,
    profile: &str,
    key: &str,
    new: Option<&str>,
) -> Result<bool, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(CliError::Other(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        // The parser's own message quotes the offending line, which may
        // hold a secret: only its position is given.
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        CliError::Other(format!(
            "cannot change {}: it is not valid TOML{}; `cfp config show` shows the problem",
            path.display(),
            line.map(|l| format!(" (line {l})")).unwrap_or_default()
        ))
    })?;
    let profiles = doc
        .entry("profiles")
        .or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| not_a_table(path, "profiles"))?;
    let changed = match new {
        Some(v) => {
            let table = profiles
                .entry(profile)
                .or_insert_with(|| Item::Table(Table::new()))
                .as_table_mut()
                .ok_or_else(|| not_a_table(path, &format!("profiles.{profile}")))?;
            let same = table.get(key).and_then(Item::as_str) == Some(v);
            table.insert(key, value(v));
            !same
        }
        None => profiles
            .get_mut(profile)
            .and_then(Item::as_table_mut)
            .is_some_and(|t| t.remove(key).is_some()),
    };
    if changed {
        write_private(path, doc.to_string().as_bytes())?;
    }
    Ok(changed)
}

fn not_a_table(path: &Path, what: &str) -> CliError {
    CliError::Other(format!(
        "cannot change {}: `{what}` is not a table",
        path.display()
    ))
}

/// Replaces the file at `path` with `bytes`, readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let fail = |what: &str, e: std::io::Error| {
        CliError::Other(format!("cannot {what} {}: {e}", path.display()))
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(|e| fail("create the directory of", e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "config.toml".into());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail("write", e));
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_key_is_added_to_its_profile_and_everything_else_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\ndefault_profile = \"prod\"\n\n[profiles.prod]\nasid = 5 # the studio\n",
        )
        .unwrap();
        assert!(set_profile_key(&path, "prod", "zstack_session", Some("s-FAKE")).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("# mine\ndefault_profile = \"prod\""),
            "{text}"
        );
        assert!(text.contains("asid = 5 # the studio"), "{text}");
        assert!(text.contains("zstack_session = \"s-FAKE\""), "{text}");
        // The same value again changes nothing; removing it does.
        assert!(!set_profile_key(&path, "prod", "zstack_session", Some("s-FAKE")).unwrap());
        assert!(set_profile_key(&path, "prod", "zstack_session", None).unwrap());
        assert!(!set_profile_key(&path, "prod", "zstack_session", None).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("zstack_session"), "{text}");
        assert!(text.contains("asid = 5 # the studio"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_and_its_directory_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfp").join("config.toml");
        set_profile_key(&path, "default", "zstack_session", Some("s-FAKE")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let text = std::fs::read_to_string(&path).unwrap();
        let parsed: toml::Table = text.parse().unwrap();
        assert_eq!(
            parsed["profiles"]["default"]["zstack_session"].as_str(),
            Some("s-FAKE")
        );
    }

    #[test]
    fn a_broken_file_is_not_touched_and_its_text_not_echoed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let broken = "[profiles.prod]\ntask_token = \"tok-FAKE-SECRET\n";
        std::fs::write(&path, broken).unwrap();
        let e = set_profile_key(&path, "prod", "zstack_session", Some("s")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("not valid TOML (line 2)"), "{msg}");
        assert!(!msg.contains("tok-FAKE"), "{msg}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    }
}
