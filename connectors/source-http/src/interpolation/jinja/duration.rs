//! The `duration(iso)` macro: Python's `timedelta` (or `isodate.Duration`
//! for years and months) as a template object, and the arithmetic that
//! manifests write with it (`now_utc() - duration('P1D')`).
//!
//! minijinja has no operator overloading, so a template whose text calls
//! `duration(`, `now_utc(`, `today_utc(` or `str_to_datetime(` is
//! rewritten once, when compiled: each `a + b` and `a - b` of a `{{ … }}`
//! block with one of these calls in an operand becomes
//! `__py_add(a, b)` / `__py_sub(a, b)`, which do Python's arithmetic on
//! datetimes, dates and durations (and plain `+` / `-` on the rest).
//! Other templates are compiled as written.

use std::fmt;
use std::sync::Arc;

use minijinja::machinery::{self, Token, ast};
use minijinja::value::{Object, ObjectRepr, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::objects::PyDateTime;
use crate::datetime::DateTime;
use crate::incremental::Gap;

const MICROS_PER_DAY: i64 = 86_400_000_000;

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// A `timedelta` (`Gap::Delta`) or an `isodate.Duration` (`Gap::Calendar`).
#[derive(Debug, Clone, Copy)]
pub struct PyDuration(pub Gap);

/// Python's `str(timedelta(microseconds=micros))`.
fn timedelta_str(micros: i64) -> String {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let rest = micros.rem_euclid(MICROS_PER_DAY);
    let (seconds, us) = (rest / 1_000_000, rest % 1_000_000);
    let mut out = String::new();
    if days != 0 {
        let plural = if days.abs() != 1 { "s" } else { "" };
        out.push_str(&format!("{days} day{plural}, "));
    }
    out.push_str(&format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    ));
    if us != 0 {
        out.push_str(&format!(".{us:06}"));
    }
    out
}

impl fmt::Display for PyDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Gap::Max => f.write_str("999999999 days, 23:59:59.999999"),
            Gap::Delta(micros) => f.write_str(&timedelta_str(micros)),
            Gap::Calendar {
                years,
                months,
                micros,
            } => {
                // isodate: `'%d years'`, `'%d month'` when at most 1.
                if years != 0.0 {
                    write!(f, "{} years, ", years.trunc() as i64)?;
                }
                if months != 0.0 {
                    let unit = if months <= 1.0 { "month" } else { "months" };
                    write!(f, "{} {unit}, ", months.trunc() as i64)?;
                }
                f.write_str(&timedelta_str(micros))
            }
        }
    }
}

impl Object for PyDuration {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn is_true(self: &Arc<Self>) -> bool {
        self.0.is_truthy()
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let Gap::Delta(micros) = self.0 else {
            return None;
        };
        let rest = micros.rem_euclid(MICROS_PER_DAY);
        Some(Value::from(match key.as_str()? {
            "days" => micros.div_euclid(MICROS_PER_DAY),
            "seconds" => rest / 1_000_000,
            "microseconds" => rest % 1_000_000,
            _ => return None,
        }))
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        _args: &[Value],
    ) -> Result<Value, Error> {
        match (method, self.0) {
            ("total_seconds", Gap::Delta(micros)) => Ok(Value::from(micros as f64 / 1e6)),
            _ => Err(Error::new(
                ErrorKind::UnknownMethod,
                format!("a duration has no method {method}() in source-http"),
            )),
        }
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// `duration(iso)`: `isodate.parse_duration`.
pub fn duration(text: String) -> Result<Value, Error> {
    Gap::parse(&text)
        .map(|gap| Value::from_object(PyDuration(gap)))
        .map_err(|e| invalid(e.to_string()))
}

/// The duration a date moves by: only whole days count (`date + timedelta`
/// uses `.days`, floored).
fn whole_days(gap: Gap) -> Gap {
    let floor = |m: i64| m.div_euclid(MICROS_PER_DAY) * MICROS_PER_DAY;
    match gap {
        Gap::Delta(m) => Gap::Delta(floor(m)),
        Gap::Calendar {
            years,
            months,
            micros,
        } => Gap::Calendar {
            years,
            months,
            micros: floor(micros),
        },
        Gap::Max => Gap::Max,
    }
}

fn shift(at: &PyDateTime, gap: Gap, subtract: bool) -> Result<Value, Error> {
    // `date - timedelta` moves by `-td.days`; `date - Duration` adds the
    // negated Duration, whose timedelta's days are floored after.
    let gap = match (subtract, at.date_only, gap) {
        (true, true, Gap::Delta(_)) => whole_days(gap).negated(),
        (true, true, _) => whole_days(gap.negated()),
        (true, false, _) => gap.negated(),
        (false, true, _) => whole_days(gap),
        (false, false, _) => gap,
    };
    let moved = gap.add_to(at.at).map_err(|e| invalid(e.to_string()))?;
    Ok(Value::from_object(PyDateTime {
        at: DateTime {
            offset: at.at.offset,
            ..moved
        },
        date_only: at.date_only,
    }))
}

fn combine(a: Gap, b: Gap, subtract: bool) -> Result<Value, Error> {
    let b = if subtract { b.negated() } else { b };
    let parts = |g: Gap| match g {
        Gap::Delta(m) => Some((0.0, 0.0, m)),
        Gap::Calendar {
            years,
            months,
            micros,
        } => Some((years, months, micros)),
        Gap::Max => None,
    };
    let ((ya, ma, ua), (yb, mb, ub)) = parts(a)
        .zip(parts(b))
        .ok_or_else(|| invalid("date value out of range"))?;
    let micros = ua
        .checked_add(ub)
        .ok_or_else(|| invalid("date value out of range"))?;
    let (years, months) = (ya + yb, ma + mb);
    Ok(Value::from_object(PyDuration(
        if years == 0.0 && months == 0.0 && matches!((a, b), (Gap::Delta(_), Gap::Delta(_))) {
            Gap::Delta(micros)
        } else {
            Gap::Calendar {
                years,
                months,
                micros,
            }
        },
    )))
}

fn arithmetic(lhs: &Value, rhs: &Value, subtract: bool) -> Result<Value, Error> {
    let dt = |v: &Value| v.downcast_object_ref::<PyDateTime>().copied();
    let gap = |v: &Value| v.downcast_object_ref::<PyDuration>().map(|d| d.0);
    match (dt(lhs), gap(lhs), dt(rhs), gap(rhs)) {
        (Some(at), _, _, Some(g)) => shift(&at, g, subtract),
        (_, Some(g), Some(at), _) if !subtract => shift(&at, g, false),
        (_, Some(a), _, Some(b)) => combine(a, b, subtract),
        (Some(a), _, Some(b), _) if subtract && a.date_only == b.date_only => {
            let micros = if a.date_only {
                (a.at.civil().days - b.at.civil().days) * MICROS_PER_DAY
            } else {
                a.at.micros - b.at.micros
            };
            Ok(Value::from_object(PyDuration(Gap::Delta(micros))))
        }
        _ => plain(lhs, rhs, subtract),
    }
}

/// `+` and `-` on the other values: numbers, and `+` on text and lists.
fn plain(lhs: &Value, rhs: &Value, subtract: bool) -> Result<Value, Error> {
    let op = if subtract { "-" } else { "+" };
    let unsupported = || {
        invalid(format!(
            "unsupported operand type(s) for {op}: {} and {}",
            lhs.kind(),
            rhs.kind()
        ))
    };
    match (lhs.kind(), rhs.kind()) {
        (ValueKind::Number, ValueKind::Number) => {
            if let (Some(a), Some(b)) = (lhs.as_i64(), rhs.as_i64()) {
                let r = if subtract {
                    a.checked_sub(b)
                } else {
                    a.checked_add(b)
                };
                return r.map(Value::from).ok_or_else(unsupported);
            }
            let a = f64::try_from(lhs.clone()).map_err(|_| unsupported())?;
            let b = f64::try_from(rhs.clone()).map_err(|_| unsupported())?;
            Ok(Value::from(if subtract { a - b } else { a + b }))
        }
        (ValueKind::String, ValueKind::String) if !subtract => Ok(Value::from(format!(
            "{}{}",
            lhs.as_str().unwrap_or_default(),
            rhs.as_str().unwrap_or_default()
        ))),
        (ValueKind::Seq, ValueKind::Seq) if !subtract => Ok(Value::from(
            lhs.try_iter()?.chain(rhs.try_iter()?).collect::<Vec<_>>(),
        )),
        _ => Err(unsupported()),
    }
}

/// `a + b`, as Python adds datetimes, dates and durations.
pub fn py_add(lhs: Value, rhs: Value) -> Result<Value, Error> {
    arithmetic(&lhs, &rhs, false)
}

/// `a - b`, as Python subtracts datetimes, dates and durations.
pub fn py_sub(lhs: Value, rhs: Value) -> Result<Value, Error> {
    arithmetic(&lhs, &rhs, true)
}

/// The template to compile for `source`: itself, unless it calls a date
/// macro (see the module's documentation). Text that does not
/// parse is left for the compiler to report.
///
/// ```
/// # use source_http::interpolation::rewrite_duration_arithmetic as rewrite;
/// assert_eq!(rewrite("{{ a - b }}"), "{{ a - b }}");
/// assert_eq!(
///     rewrite("x{{ (now_utc() - duration('P1D')).strftime('%Y') }}"),
///     "x{{ (__py_sub(now_utc(), duration('P1D'))).strftime('%Y') }}"
/// );
/// ```
pub fn rewrite(source: &str) -> String {
    if !names_a_date(source) {
        return source.to_owned();
    }
    let mut out = String::new();
    let mut copied = 0;
    let mut start = None;
    for token in machinery::tokenize(source, false, Default::default(), Default::default()) {
        let Ok((token, span)) = token else {
            return source.to_owned();
        };
        match token {
            Token::VariableStart => start = Some(span.end_offset as usize),
            Token::VariableEnd => {
                let (Some(from), to) = (start.take(), span.start_offset as usize) else {
                    continue;
                };
                let Some(text) = source.get(from..to) else {
                    return source.to_owned();
                };
                if let Some(rewritten) = rewrite_expression(text) {
                    out.push_str(&source[copied..from]);
                    out.push_str(&rewritten);
                    copied = to;
                }
            }
            _ => {}
        }
    }
    out.push_str(&source[copied..]);
    out
}

/// An `a ± b` to rewrite: its span and its operands' spans.
struct Arith {
    subtract: bool,
    whole: (usize, usize),
    left: (usize, usize),
    right: (usize, usize),
}

fn span_of(expr: &ast::Expr<'_>) -> (usize, usize) {
    let s = expr.span();
    (s.start_offset as usize, s.end_offset as usize)
}

/// The macros whose values take part in Python's date arithmetic.
const DATE_MACROS: [&str; 4] = ["duration(", "now_utc(", "today_utc(", "str_to_datetime("];

fn names_a_date(text: &str) -> bool {
    DATE_MACROS.iter().any(|m| text.contains(m))
}

fn rewrite_expression(text: &str) -> Option<String> {
    if !names_a_date(text) {
        return None;
    }
    let expr = machinery::parse_expr(text).ok()?;
    let mut found = Vec::new();
    collect(&expr, text, &mut found);
    if found.is_empty() {
        return None;
    }
    found.sort_by_key(|op| (op.whole.0, std::cmp::Reverse(op.whole.1)));
    Some(emit(text, (0, text.len()), &found))
}

/// The text of `range` with the operations inside it rewritten.
fn emit(text: &str, range: (usize, usize), found: &[Arith]) -> String {
    let mut out = String::new();
    let mut at = range.0;
    for op in found {
        let (start, end) = op.whole;
        if start < at || end > range.1 {
            continue;
        }
        out.push_str(&text[at..start]);
        let name = if op.subtract { "__py_sub" } else { "__py_add" };
        out.push_str(&format!(
            "{name}({}, {})",
            emit(text, op.left, found),
            emit(text, op.right, found)
        ));
        at = end;
    }
    out.push_str(&text[at..range.1]);
    out
}

fn collect(expr: &ast::Expr<'_>, text: &str, found: &mut Vec<Arith>) {
    use ast::Expr;
    if let Expr::BinOp(b) = expr {
        let subtract = matches!(b.op, ast::BinOpKind::Sub);
        let (left, right) = (span_of(&b.left), span_of(&b.right));
        let arithmetic = subtract || matches!(b.op, ast::BinOpKind::Add);
        let names_date = |(s, e): (usize, usize)| text.get(s..e).is_some_and(names_a_date);
        if arithmetic && (names_date(left) || names_date(right)) {
            found.push(Arith {
                subtract,
                whole: (left.0, right.1),
                left,
                right,
            });
        }
    }
    let mut children: Vec<&ast::Expr<'_>> = Vec::new();
    match expr {
        Expr::Var(_) | Expr::Const(_) => {}
        Expr::Slice(s) => {
            children.push(&s.expr);
            children.extend([&s.start, &s.stop, &s.step].into_iter().flatten());
        }
        Expr::UnaryOp(u) => children.push(&u.expr),
        Expr::BinOp(b) => children.extend([&b.left, &b.right]),
        Expr::Compare(c) => {
            children.push(&c.expr);
            children.extend(c.ops.iter().map(|op| &op.expr));
        }
        Expr::IfExpr(i) => {
            children.extend([&i.test_expr, &i.true_expr]);
            children.extend(&i.false_expr);
        }
        Expr::Filter(f) => {
            children.extend(&f.expr);
            children.extend(f.args.iter().map(arg_expr));
        }
        Expr::Test(t) => {
            children.push(&t.expr);
            children.extend(t.args.iter().map(arg_expr));
        }
        Expr::GetAttr(g) => children.push(&g.expr),
        Expr::GetItem(g) => children.extend([&g.expr, &g.subscript_expr]),
        Expr::Call(c) => {
            children.push(&c.expr);
            children.extend(c.args.iter().map(arg_expr));
        }
        Expr::List(l) => children.extend(&l.items),
        Expr::Map(m) => children.extend(m.keys.iter().chain(&m.values)),
    }
    for child in children {
        collect(child, text, found);
    }
}

fn arg_expr<'a, 'b>(arg: &'b ast::CallArg<'a>) -> &'b ast::Expr<'a> {
    match arg {
        ast::CallArg::Pos(e)
        | ast::CallArg::Kwarg(_, e)
        | ast::CallArg::PosSplat(e)
        | ast::CallArg::KwargSplat(e) => e,
    }
}
