//! The CDK's macros (Jinja globals), as airbyte-cdk 7.39.1 defines them.

use std::time::{SystemTime, UNIX_EPOCH};

use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Error, ErrorKind};

use super::objects::PyDateTime;
use crate::datetime::{self, DateTime};

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn now() -> DateTime {
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    DateTime::from_micros(micros)
}

/// `now_utc()`: an aware `datetime` in UTC.
pub fn now_utc() -> Value {
    Value::from_object(PyDateTime {
        at: now(),
        date_only: false,
    })
}

/// `today_utc()`: today's `date` in UTC.
pub fn today_utc() -> Value {
    Value::from_object(PyDateTime {
        at: now(),
        date_only: true,
    })
}

/// ISO 8601 text as `dateutil.parser.isoparse` reads the forms manifests
/// use: a date, then a time with optional fraction and offset; naive is UTC.
pub fn iso_parse(text: &str) -> Result<DateTime, Error> {
    const FORMATS: &[&str] = &[
        "%Y-%m-%dT%H:%M:%S.%f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%dT%H:%M:%S.%f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S.%f%z",
        "%Y-%m-%d %H:%M:%S%z",
        "%Y-%m-%d %H:%M:%S.%f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d",
        "%Y%m%d",
    ];
    FORMATS
        .iter()
        .find_map(|f| datetime::parse(text, f).ok())
        .ok_or_else(|| invalid(format!("{text:?} is not an ISO 8601 date or datetime")))
}

/// `format_datetime(dt, format, input_format=None)`: a `datetime` is
/// written with plain `strftime`; an int is read by the CDK's parser (as
/// `%s` by default); text with `strptime(input_format)` or as ISO 8601;
/// then written by the CDK's parser.
pub fn format_datetime(
    dt: Value,
    format: String,
    input_format: Option<String>,
) -> Result<Value, Error> {
    if let Some(d) = dt.downcast_object_ref::<PyDateTime>() {
        return datetime::strftime(&d.at, &format)
            .map(Value::from)
            .map_err(|e| invalid(e.to_string()));
    }
    let at = match dt.kind() {
        ValueKind::Number if dt.is_integer() => {
            datetime::parse(&dt.to_string(), input_format.as_deref().unwrap_or("%s"))
                .map_err(|e| invalid(e.to_string()))?
        }
        ValueKind::String => {
            let text = dt.as_str().unwrap_or_default();
            match input_format.as_deref() {
                Some(f) => datetime::strptime(text, f).map_err(|e| invalid(e.to_string()))?,
                None => iso_parse(text)?.at_offset(0),
            }
        }
        _ => return Err(invalid(format!("format_datetime() cannot read {dt}"))),
    };
    datetime::format(&at, &format)
        .map(Value::from)
        .map_err(|e| invalid(e.to_string()))
}

/// `str_to_datetime(s)`: an aware datetime in UTC.
pub fn str_to_datetime(text: String) -> Result<Value, Error> {
    let at = iso_parse(&text)?;
    Ok(Value::from_object(PyDateTime {
        at: at.at_offset(0),
        date_only: false,
    }))
}

/// `timestamp(x)`: `int(x)` for a number; seconds as a float for ISO text.
pub fn timestamp(value: Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::Number => {
            let f = f64::try_from(value.clone()).map_err(|e| invalid(e.to_string()))?;
            Ok(Value::from(f.trunc() as i64))
        }
        ValueKind::String => Ok(Value::from(
            iso_parse(value.as_str().unwrap_or_default())?.timestamp(),
        )),
        _ => Err(invalid(format!(
            "timestamp() takes a number or a string, not {value}"
        ))),
    }
}

/// `day_delta(num_days, format="%Y-%m-%dT%H:%M:%S.%f%z")`.
pub fn day_delta(days: f64, format: Option<String>) -> Result<Value, Error> {
    let at = DateTime::from_micros(now().micros + (days * 86_400e6) as i64);
    datetime::strftime(&at, format.as_deref().unwrap_or("%Y-%m-%dT%H:%M:%S.%f%z"))
        .map(Value::from)
        .map_err(|e| invalid(e.to_string()))
}

fn extreme(args: Rest<Value>, pick_max: bool) -> Result<Value, Error> {
    let items: Vec<Value> = if args.len() == 1 {
        args[0]
            .try_iter()
            .map_err(|_| invalid("max()/min() of one value needs an iterable"))?
            .collect()
    } else {
        args.0
    };
    let mut best: Option<Value> = None;
    for item in items {
        best = Some(match best {
            None => item,
            Some(b) => {
                let better = if pick_max { item > b } else { item < b };
                if better { item } else { b }
            }
        });
    }
    best.ok_or_else(|| invalid("max()/min() of nothing"))
}

/// Python's `max(...)`.
pub fn max(args: Rest<Value>) -> Result<Value, Error> {
    extreme(args, true)
}

/// Python's `min(...)`.
pub fn min(args: Rest<Value>) -> Result<Value, Error> {
    extreme(args, false)
}

/// `sanitize_url(s)`: `urllib.parse.quote_plus`.
pub fn sanitize_url(text: String) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `camel_case_to_snake_case(s)`.
pub fn camel_case_to_snake_case(text: String) -> String {
    // `re.sub(r"(?<!^)(?=[A-Z])", "_", value).lower()`
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// `today_with_timezone(tz)`: today's `date` in IANA zone `tz` (pytz's
/// name; the offset from the system's tz database, see [`super::zone`]).
pub fn today_with_timezone(tz: String) -> Result<Value, Error> {
    let at = now();
    let offset = super::zone::zone_offset(&tz, at.micros.div_euclid(1_000_000))
        .ok_or_else(|| invalid(format!("UnknownTimeZoneError: {tz:?}")))?;
    Ok(Value::from_object(PyDateTime {
        at: at.at_offset(offset),
        date_only: true,
    }))
}

/// `generate_uuid()`: `str(uuid.uuid4())`.
pub fn generate_uuid() -> Result<Value, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| invalid(format!("no randomness: {e}")))?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Value::from(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )))
}
