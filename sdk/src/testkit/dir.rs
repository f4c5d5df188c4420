//! Throwaway directories for config, catalog and state files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A directory removed when dropped.
///
/// ```
/// use airbyte_sdk::testkit::TestDir;
/// let dir = TestDir::new("example");
/// let path = dir.write_json("config.json", &serde_json::json!({"a": 1}));
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), r#"{"a":1}"#);
/// ```
#[derive(Debug)]
pub struct TestDir {
    path: PathBuf,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDir {
    /// A new empty directory under the system's temporary directory.
    pub fn new(label: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("airbyte-test-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        if let Err(e) = std::fs::create_dir_all(&path) {
            panic!("cannot create {}: {e}", path.display());
        }
        TestDir { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `value` as JSON to `name` in the directory; returns the path.
    pub fn write_json<T: serde::Serialize + ?Sized>(&self, name: &str, value: &T) -> PathBuf {
        let path = self.path.join(name);
        let text =
            serde_json::to_string(value).unwrap_or_else(|e| panic!("cannot serialize {name}: {e}"));
        if let Err(e) = std::fs::write(&path, text) {
            panic!("cannot write {}: {e}", path.display());
        }
        path
    }

    /// Writes raw text to `name`; returns the path.
    pub fn write_text(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            panic!("cannot write {}: {e}", path.display());
        }
        path
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
