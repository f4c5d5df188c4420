//! The CDK's Jinja filters, as airbyte-cdk 7.39.1 defines them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use minijinja::value::Value;
use minijinja::{Error, ErrorKind};
use sha2::{Sha256, Sha512};

use super::print::{json_dumps, python_str};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `hash(value, hash_type='md5', salt=None)`: the hex digest of
/// `str(value)` then `str(salt)`.
pub fn hash(value: Value, hash_type: Option<String>, salt: Option<Value>) -> Result<String, Error> {
    let mut data = python_str(&value).into_bytes();
    if let Some(salt) = salt.filter(Value::is_true) {
        data.extend_from_slice(python_str(&salt).as_bytes());
    }
    Ok(match hash_type.as_deref().unwrap_or("md5") {
        "md5" => hex(&Md5::digest(&data)),
        "sha256" => hex(&Sha256::digest(&data)),
        "sha512" => hex(&Sha512::digest(&data)),
        other => {
            return Err(invalid(format!(
                "No hashing function named {other} (source-http has md5, sha256, sha512)"
            )));
        }
    })
}

/// `base64encode`: the UTF-8 bytes, standard base64.
pub fn base64encode(value: String) -> String {
    STANDARD.encode(value.as_bytes())
}

/// `base64decode`: standard base64 to UTF-8 text.
pub fn base64decode(value: String) -> Result<String, Error> {
    let bytes = STANDARD
        .decode(value.as_bytes())
        .map_err(|e| invalid(format!("base64decode: {e}")))?;
    String::from_utf8(bytes).map_err(|e| invalid(format!("base64decode: {e}")))
}

/// `base64binascii_decode`: despite its name, it *encodes* (ASCII text only).
pub fn base64binascii_decode(value: String) -> Result<String, Error> {
    if !value.is_ascii() {
        return Err(invalid("base64binascii_decode takes ASCII text"));
    }
    Ok(STANDARD.encode(value.as_bytes()))
}

/// `string`: a string as it is; anything else as `"""<json.dumps>"""`, so
/// the literal evaluation gives the JSON text as a string.
pub fn string(value: Value) -> String {
    match value.as_str() {
        Some(s) => s.to_owned(),
        None => format!("\"\"\"{}\"\"\"", json_dumps(&value)),
    }
}

fn compile(regex: &str) -> Result<regex::Regex, Error> {
    regex::Regex::new(regex).map_err(|e| invalid(format!("the regex {regex:?} is not valid: {e}")))
}

/// `regex_search(regex)`: the first group of the first match, or `""`.
pub fn regex_search(value: String, regex: String) -> Result<String, Error> {
    let re = compile(&regex)?;
    Ok(re
        .captures(&value)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default())
}

/// `regex_replace(regex, replacement)`: every match replaced (`\1` groups).
pub fn regex_replace(value: String, regex: String, replacement: String) -> Result<String, Error> {
    let re = compile(&regex)?;
    // Python's `\1` is the regex crate's `${1}`.
    let replacement = regex::Regex::new(r"\\(\d+)")
        .map(|g| g.replace_all(&replacement, "$${$1}").into_owned())
        .unwrap_or(replacement);
    Ok(re.replace_all(&value, replacement.as_str()).into_owned())
}

/// `hmac(key, hash_type='sha256')`: the hex HMAC-SHA256 of `str(value)`.
pub fn hmac(value: Value, key: String, hash_type: Option<String>) -> Result<String, Error> {
    if hash_type.as_deref().is_some_and(|h| h != "sha256") {
        return Err(invalid("hmac supports only sha256"));
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|e| invalid(e.to_string()))?;
    mac.update(python_str(&value).as_bytes());
    Ok(hex(&mac.finalize().into_bytes()))
}
