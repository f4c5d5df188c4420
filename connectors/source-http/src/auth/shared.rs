//! What the authenticators of a sync share: one instance of each
//! authenticator whose options change during the sync, whichever stream
//! (or parent stream, or `check`) builds it, and the CONTROL messages
//! their token refreshes queue.
//!
//! Streams are built one at a time and read concurrently, each by its own
//! engine; a token must still be refreshed once for all of them (a
//! single-use refresh token spent twice fails the sync), as the CDK's
//! class-level refresh lock and shared config make it. So the instances
//! live here, for the process (one command), keyed by the authenticator's
//! mapping and the config it was built with.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use airbyte_sdk::protocol::AirbyteMessage;
use serde_json::Value;

use crate::error::Error;

type Instances = HashMap<String, Arc<dyn Any + Send + Sync>>;

static INSTANCES: Mutex<Option<Instances>> = Mutex::new(None);
static CONTROL: Mutex<Vec<AirbyteMessage>> = Mutex::new(Vec::new());
static QUEUED: AtomicBool = AtomicBool::new(false);

fn poisoned() -> Error {
    Error::Read("the authenticators' registry was poisoned by a panic".into())
}

/// The instance of `kind` built from `definition` with `config`: the one
/// built earlier in this process, else `build()`'s, kept for later.
///
/// ```
/// use serde_json::json;
/// use source_http::auth::shared_instance;
/// let a = shared_instance("Doc", &json!({"x": 1}), &json!({}), || Ok(String::from("one"))).unwrap();
/// let b = shared_instance("Doc", &json!({"x": 1}), &json!({}), || Ok(String::from("two"))).unwrap();
/// assert_eq!((a.as_str(), b.as_str()), ("one", "one"));
/// ```
pub fn shared_instance<T: Send + Sync + 'static>(
    kind: &str,
    definition: &Value,
    config: &Value,
    build: impl FnOnce() -> Result<T, Error>,
) -> Result<Arc<T>, Error> {
    let key = format!("{kind}\u{0}{definition}\u{0}{config}");
    let mut instances = INSTANCES.lock().map_err(|_| poisoned())?;
    let instances = instances.get_or_insert_with(HashMap::new);
    if let Some(found) = instances
        .get(&key)
        .and_then(|i| i.clone().downcast::<T>().ok())
    {
        return Ok(found);
    }
    let built = Arc::new(build()?);
    instances.insert(key, built.clone());
    Ok(built)
}

/// Queues a CONTROL message (an updated config) for the output.
pub(crate) fn queue_control(message: AirbyteMessage) -> Result<(), Error> {
    CONTROL.lock().map_err(|_| poisoned())?.push(message);
    QUEUED.store(true, Ordering::Release);
    Ok(())
}

/// Whether CONTROL messages are queued (cheap: no lock).
pub(crate) fn has_control_messages() -> bool {
    QUEUED.load(Ordering::Acquire)
}

/// The CONTROL messages queued since the last call, oldest first.
///
/// ```
/// assert!(source_http::auth::take_control_messages().is_empty());
/// ```
pub fn take_control_messages() -> Vec<AirbyteMessage> {
    CONTROL
        .lock()
        .map(|mut queued| {
            QUEUED.store(false, Ordering::Release);
            std::mem::take(&mut *queued)
        })
        .unwrap_or_default()
}

/// Masks `secret` in everything printed from now on, as it is and as a
/// URL encodes it (a token put in a query parameter shows in URLs).
pub(crate) fn mask_secret(secret: &str) {
    if secret.is_empty() {
        return;
    }
    for form in crate::source::with_url_encodings(vec![secret.to_owned()]) {
        airbyte_sdk::mask_also(form);
    }
}
