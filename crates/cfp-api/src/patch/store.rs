//! Where a patch keeps its record between runs.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::record::PatchRecord;

/// Where a patch keeps its [`PatchRecord`]. The workflow saves the record
/// before every unsafe request and after every answer, so a store must make
/// a save durable before returning.
pub trait PatchStore: Send + Sync {
    /// The stored record, if there is one.
    fn load(&self) -> io::Result<Option<PatchRecord>>;

    /// Replaces the stored record.
    fn save(&self, record: &PatchRecord) -> io::Result<()>;

    /// Claims the patch for this run: while the returned guard lives, a
    /// second run on the same store is refused (`Err` with kind
    /// `WouldBlock`). The default claims nothing.
    fn claim(&self) -> io::Result<Box<dyn Send>> {
        Ok(Box::new(()))
    }

    /// Where the record is, for messages (`None` when it is not a file).
    fn location(&self) -> Option<PathBuf> {
        None
    }
}

/// A store in memory: for tests, and for services that keep the record
/// elsewhere themselves (clone it to read what the patch saved).
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    record: Arc<Mutex<Option<PatchRecord>>>,
    claimed: Arc<Mutex<bool>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The record as last saved.
    pub fn record(&self) -> Option<PatchRecord> {
        self.record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

struct MemoryClaim(Arc<Mutex<bool>>);

impl Drop for MemoryClaim {
    fn drop(&mut self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = false;
    }
}

impl PatchStore for MemoryStore {
    fn load(&self) -> io::Result<Option<PatchRecord>> {
        Ok(self.record())
    }

    fn save(&self, record: &PatchRecord) -> io::Result<()> {
        *self.record.lock().unwrap_or_else(PoisonError::into_inner) = Some(record.clone());
        Ok(())
    }

    fn claim(&self) -> io::Result<Box<dyn Send>> {
        let mut claimed = self.claimed.lock().unwrap_or_else(PoisonError::into_inner);
        if *claimed {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "another run holds this patch",
            ));
        }
        *claimed = true;
        Ok(Box::new(MemoryClaim(self.claimed.clone())))
    }
}

/// A store in a JSON file: written to a temporary file beside it, synced,
/// then renamed over it (a crash leaves the old record or the new one,
/// never half of one); readable by its owner only on Unix. A run claims
/// the patch with an OS lock on `<file>.lock`, released when the run ends,
/// or when its process dies.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// A store at `path` (its directory is created when first saved).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(".lock");
        PathBuf::from(p)
    }
}

fn private_file(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o.open(path)
}

impl PatchStore for FileStore {
    fn load(&self) -> io::Result<Option<PatchRecord>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a patch record: {e}", self.path.display()),
            )
        })
    }

    fn save(&self, record: &PatchRecord) -> io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        {
            let mut f = private_file(&tmp)?;
            f.write_all(&text)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }

    fn claim(&self) -> io::Result<Box<dyn Send>> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.lock_path())?;
        match f.try_lock() {
            Ok(()) => Ok(Box::new(f)),
            Err(std::fs::TryLockError::WouldBlock) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("another cfp patch is running on {}", self.path.display()),
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    fn location(&self) -> Option<PathBuf> {
        Some(self.path.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::record::PatchSpec;
    use cfp_model::{AccountServiceId, ImageId, MachineId};

    fn record() -> PatchRecord {
        PatchRecord::new(
            PatchSpec::new(AccountServiceId(1), ImageId(1), MachineId(1), "r"),
            1000,
        )
    }

    #[test]
    fn a_file_store_round_trips_and_claims_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("state").join("patch.json"));
        assert_eq!(store.load().unwrap(), None);
        store.save(&record()).unwrap();
        assert_eq!(store.load().unwrap(), Some(record()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let first = store.claim().unwrap();
        let second = store.claim().err().unwrap();
        assert_eq!(second.kind(), io::ErrorKind::WouldBlock);
        drop(first);
        assert!(store.claim().is_ok());
    }

    #[test]
    fn a_memory_store_claims_once() {
        let store = MemoryStore::new();
        let claim = store.claim().unwrap();
        assert!(store.claim().is_err());
        drop(claim);
        assert!(store.claim().is_ok());
    }
}
