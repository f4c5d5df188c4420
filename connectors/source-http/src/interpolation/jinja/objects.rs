//! Python's `datetime` and `date` as template objects: `str()` as Python
//! prints them, `.strftime()`, `.timestamp()`, `.isoformat()` and the
//! field attributes.

use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind, State};

use crate::datetime::{self, DateTime};

/// A `datetime` (aware) or, with `date_only`, a `date`.
#[derive(Debug, Clone, Copy)]
pub struct PyDateTime {
    /// The instant and its offset.
    pub at: DateTime,
    /// Whether it is a `date` (printed `2024-01-01`).
    pub date_only: bool,
}

impl fmt::Display for PyDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.date_only {
            let c = self.at.civil();
            write!(f, "{:04}-{:02}-{:02}", c.year, c.month, c.day)
        } else {
            f.write_str(&self.at.python_str())
        }
    }
}

fn arg_str<'a>(args: &'a [Value], i: usize, method: &str) -> Result<&'a str, Error> {
    args.get(i).and_then(Value::as_str).ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("{method}() takes a string argument"),
        )
    })
}

impl Object for PyDateTime {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let c = self.at.civil();
        Some(Value::from(match key.as_str()? {
            "year" => c.year,
            "month" => i64::from(c.month),
            "day" => i64::from(c.day),
            "hour" if !self.date_only => i64::from(c.hour),
            "minute" if !self.date_only => i64::from(c.minute),
            "second" if !self.date_only => i64::from(c.second),
            "microsecond" if !self.date_only => i64::from(c.micro),
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        match method {
            "strftime" => {
                let format = arg_str(args, 0, method)?;
                datetime::strftime(&self.at, format)
                    .map(Value::from)
                    .map_err(|e| Error::new(ErrorKind::InvalidOperation, e.to_string()))
            }
            "timestamp" if !self.date_only => Ok(Value::from(self.at.timestamp())),
            "isoformat" => Ok(Value::from(if self.date_only {
                self.to_string()
            } else {
                self.to_string().replacen(' ', "T", 1)
            })),
            "date" => Ok(Value::from_object(PyDateTime {
                at: self.at,
                date_only: true,
            })),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("a datetime has no method {method}() in source-http"),
            )),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}
