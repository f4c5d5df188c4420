//! Errors of the HTTP kit: the failure type of a resolution, and text
//! with every known secret (tokens, keys, passwords) masked, in URLs too.

use airbyte_protocol::FailureType;
use reqwest::Url;

use crate::error::Error;
use crate::mask::{MASK, Masker};

/// The longest response body excerpt an error carries.
const BODY_EXCERPT: usize = 500;

/// The detail behind an HTTP error (its internal message), already redacted.
/// A transport error is kept as text, not as the cause: its chain names the
/// URL, which may carry a secret.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Detail(String);

impl Detail {
    /// A detail (the text must be redacted already).
    pub(crate) fn new(text: String) -> Self {
        Detail(text)
    }
}

/// An error of `failure_type` (a system error when there is none).
pub(crate) fn error_of(failure_type: Option<FailureType>, message: String) -> Error {
    match failure_type {
        Some(FailureType::ConfigError) => Error::config(message),
        Some(FailureType::TransientError) => Error::transient(message),
        Some(FailureType::SystemError) | None => Error::system(message),
    }
}

/// Masks known secret values in text and URLs.
pub(crate) struct Redactor {
    masker: Masker,
}

impl Redactor {
    /// A redactor of these secret values, as they are and as URLs and
    /// forms encode them.
    pub(crate) fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut all = Vec::new();
        for secret in secrets {
            all.push(url_encoded(&secret, true));
            all.push(url_encoded(&secret, false));
            all.push(secret);
        }
        Redactor {
            masker: Masker::new(all),
        }
    }

    /// `text` with the secrets masked.
    pub(crate) fn text(&self, text: &str) -> String {
        self.masker.mask(text).into_owned()
    }

    /// A response body excerpt (lossy UTF-8), masked, then truncated (so
    /// no cut leaves half a secret).
    pub(crate) fn body(&self, body: &[u8]) -> String {
        let text = self.text(&String::from_utf8_lossy(body));
        let mut excerpt: String = text.chars().take(BODY_EXCERPT).collect();
        if excerpt.len() < text.len() {
            excerpt.push('…');
        }
        excerpt
    }

    /// The URL with secrets masked: a password, query values that contain
    /// a secret (however they are percent-encoded), and the rest as text.
    ///
    /// A URL with nothing secret is left as it is.
    pub(crate) fn url(&self, url: &Url) -> String {
        if self.masker.is_empty() {
            return url.to_string();
        }
        let mut url = url.clone();
        if url.password().is_some() {
            // Only fails for URLs that cannot have credentials, which have no password.
            let _ = url.set_password(Some(MASK));
        }
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (self.text(&k), self.text(&v)))
            .collect();
        let masked = pairs
            .iter()
            .zip(url.query_pairs())
            .any(|((k, v), (k0, v0))| *k != k0 || *v != v0);
        if masked {
            url.query_pairs_mut().clear().extend_pairs(&pairs);
        }
        let path = percent_decoded(url.path());
        if self.text(&path) != path {
            url.set_path(&self.text(&path));
        }
        self.text(url.as_str())
    }
}

/// `text` percent-encoded as a form value (`+` for a space) or a URL part
/// (`%20`); letters, digits and `*-._` stay.
fn url_encoded(text: &str, form: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte));
            }
            b' ' if form => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A path with its `%XX` escapes decoded (lossy UTF-8).
fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_secrets_however_encoded() -> Result<(), Box<dyn std::error::Error>> {
        let r = Redactor::new(["s3cr3t k+y".to_owned(), "hunter2".to_owned()]);
        let url = Url::parse(
            "https://user:hunter2@api.example.com/v1/s3cr3t%20k+y/items?api_key=s3cr3t+k%2By&page=2",
        )?;
        let shown = r.url(&url);
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("page=2"), "{shown}");
        let plain = Url::parse("https://api.example.com/items?page=2")?;
        assert_eq!(r.url(&plain), plain.as_str());
        Ok(())
    }

    #[test]
    fn encoded_secrets_are_masked_in_text() {
        let r = Redactor::new(["a b+c/=".to_owned()]);
        assert_eq!(r.text("k=a+b%2Bc%2F%3D&x=1"), "k=**********&x=1");
        assert_eq!(r.text("k=a%20b%2Bc%2F%3D"), "k=**********");
    }

    #[test]
    fn body_excerpts_are_short_and_masked() {
        let r = Redactor::new(["tok".to_owned()]);
        let body = format!("{{\"echo\":\"tok\"}}{}", "x".repeat(2000));
        let excerpt = r.body(body.as_bytes());
        assert!(!excerpt.contains("tok"));
        assert!(excerpt.chars().count() <= BODY_EXCERPT + 1);
    }
}
