//! Secret masking: the values of `airbyte_secret` fields never leave the process.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, Once, RwLock};

/// What a secret is replaced with.
pub const MASK: &str = "**********";

/// Replaces secret values (and their JSON-escaped spellings) in text.
///
/// ```
/// use airbyte_sdk::Masker;
/// let masker = Masker::new(["hunter2\"x".to_owned()]);
/// assert_eq!(masker.mask("password=hunter2\"x"), "password=**********");
/// assert_eq!(masker.mask(r#"{"password":"hunter2\"x"}"#), r#"{"password":"**********"}"#);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Masker {
    patterns: Vec<String>,
}

impl Masker {
    /// A masker for these secret values (empty values are ignored).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut patterns = Vec::new();
        for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
            // The value as it would appear inside a JSON string, escaped once and twice.
            let once = json_escaped(&secret);
            let twice = json_escaped(&once);
            patterns.extend([secret, once, twice]);
        }
        // Longest first, so a secret that contains another is masked whole.
        patterns.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        patterns.dedup();
        Masker { patterns }
    }

    /// Whether there is nothing to mask (neither its secrets nor any
    /// given to [`mask_also`]).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty() && LEARNED.read().map_or(true, |l| l.is_empty())
    }

    /// `text` with every secret replaced by [`MASK`]: its own, then those
    /// given to [`mask_also`].
    pub fn mask<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        let learned = LEARNED.read();
        let learned = learned.as_deref().map(Vec::as_slice).unwrap_or_default();
        for pattern in self.patterns.iter().chain(learned) {
            if out.contains(pattern.as_str()) {
                out = Cow::Owned(out.replace(pattern.as_str(), MASK));
            }
        }
        out
    }

    /// Masks `text` in place.
    pub fn mask_in_place(&self, text: &mut String) {
        if let Cow::Owned(masked) = self.mask(text) {
            *text = masked;
        }
    }
}

/// Secrets learned while the connector runs (the tokens an API hands
/// out), masked by every [`Masker`] of the process.
static LEARNED: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Masks `secret` from now on in everything every [`Masker`] masks (LOG,
/// TRACE and CONNECTION_STATUS messages, HTTP errors): for secrets known
/// only at run time, such as an access token a refresh returned. Empty
/// values are ignored.
///
/// ```
/// use airbyte_sdk::{mask_also, Masker};
/// let masker = Masker::new(Vec::new());
/// mask_also("tok-learned-7");
/// assert!(!masker.is_empty());
/// assert_eq!(masker.mask("Bearer tok-learned-7"), "Bearer **********");
/// ```
pub fn mask_also(secret: impl Into<String>) {
    let secret = secret.into();
    if secret.is_empty() {
        return;
    }
    let Ok(mut learned) = LEARNED.write() else {
        return;
    };
    let once = json_escaped(&secret);
    let twice = json_escaped(&once);
    for pattern in [secret, once, twice] {
        if !learned.contains(&pattern) {
            learned.push(pattern);
        }
    }
    learned.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
}

fn json_escaped(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted[1..quoted.len().saturating_sub(1).max(1)].to_owned()
}

/// Maskers of every run in this process, used by the panic hook.
static ACTIVE: Mutex<Vec<Arc<Masker>>> = Mutex::new(Vec::new());
static HOOK: Once = Once::new();

/// Registers a run's masker for the panic hook until the guard drops.
pub(crate) struct ActiveMasker(Arc<Masker>);

impl ActiveMasker {
    pub(crate) fn register(masker: Arc<Masker>) -> Self {
        install_panic_hook();
        if let Ok(mut active) = ACTIVE.lock() {
            active.push(masker.clone());
        }
        ActiveMasker(masker)
    }
}

impl Drop for ActiveMasker {
    fn drop(&mut self) {
        if let Ok(mut active) = ACTIVE.lock() {
            active.retain(|m| !Arc::ptr_eq(m, &self.0));
        }
    }
}

/// Masks text with every active run's secrets.
pub(crate) fn mask_all(text: &str) -> String {
    let mut text = text.to_owned();
    if let Ok(active) = ACTIVE.lock() {
        for masker in active.iter() {
            masker.mask_in_place(&mut text);
        }
    }
    text
}

/// A panic hook that prints the panic to stderr with secrets masked (the
/// SDK also reports it as a TRACE error on stdout).
fn install_panic_hook() {
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = panic_message(info.payload());
            let location = info
                .location()
                .map(|l| format!(" at {}:{}", l.file(), l.line()))
                .unwrap_or_default();
            eprintln!("panicked{location}: {}", mask_all(&message));
        }));
    });
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}
