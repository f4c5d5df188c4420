//! The literal evaluation and Python's `str()`, compared with Python itself
//! (`ast.literal_eval` and `str` in the `cdk` test venv's interpreter).

mod common;

use serde_json::{Value, json};
use source_http::interpolation::{literal_eval, python_str};

fn ask(queries: &[Value]) -> Vec<Value> {
    common::ask("literals.py", queries, None)
}

const TEXTS: &[&str] = &[
    "123",
    " 12",
    "\t12",
    "12 ",
    "  \t 7",
    "00123",
    "000",
    "0",
    "-5",
    "+5",
    "--5",
    "-+5",
    "0x1f",
    "0X1F",
    "0o17",
    "0b101",
    "0b",
    "0x_1f",
    "1_000",
    "1__000",
    "_1",
    "1_",
    "1e3",
    "1E3",
    "1e-3",
    "1e+3",
    "1.50",
    ".5",
    "5.",
    "1.5e3",
    "1_0.5",
    "1.e2",
    "0.0",
    "-0.0",
    "True",
    "False",
    "None",
    "true",
    "null",
    "none",
    "-True",
    "['x', 'y']",
    "[]",
    "[1,]",
    "[1,,]",
    "{'k': 1}",
    "{}",
    "{'a': 1, 'b': [2, 3]}",
    "{1: 'a'}",
    "{None: 1}",
    "{True: 1}",
    "{1.5: 2}",
    "\"quoted\"",
    "'single'",
    "'a' 'b'",
    "'a'\"b\"",
    "'it\\'s'",
    "'\\n\\t\\x41\\u00e9\\101'",
    "'\\q'",
    "'''triple'''",
    "1,2",
    "1, 2, 3",
    "1,",
    "(1)",
    "(1,)",
    "()",
    "((1, 2), [3])",
    "2024-01-01",
    "abc",
    "1+2",
    "1-2",
    "1j",
    "1+2j",
    "{\"x\": 1}",
    "{\"x\": {\"y\": [true]}}",
    "[1,\n 2]",
    "(1,\n2)",
    "\n12",
    "12\n",
    "1646042400",
    "1646006400.0",
    "99999999999999999999",
    "18446744073709551615",
    "9223372036854775808",
    "-9223372036854775808",
    "1e308",
    "1e400",
    "inf",
    "nan",
    "[None, True, False]",
    "'é'",
    "b'bytes'",
    "u'unicode'",
    "r'raw\\n'",
    "{'a': {'b': {}}}",
    "",
    " ",
    "#comment",
    "1 # comment",
    "[1, 2][0]",
    "x",
    "print(1)",
];

#[test]
fn literal_eval_agrees_with_python() {
    let queries: Vec<Value> = TEXTS.iter().map(|t| json!({ "literal": t })).collect();
    let answers = ask(&queries);
    let mut differences = Vec::new();
    for (text, answer) in TEXTS.iter().zip(&answers) {
        let ours = literal_eval(text);
        let theirs = answer.get("value").cloned();
        let same = match (&ours, &theirs) {
            (Some(Value::Number(a)), Some(Value::Number(b))) => {
                a.as_f64() == b.as_f64() && a.is_f64() == b.is_f64()
            }
            (a, b) => a == b,
        };
        if !same {
            differences.push(format!("{text:?}: ours {ours:?}, Python {theirs:?}"));
        }
    }
    assert!(
        differences.is_empty(),
        "literal_eval differs:\n{}",
        differences.join("\n")
    );
}

#[test]
fn python_str_agrees_with_python() {
    let values = [
        json!(null),
        json!(true),
        json!(false),
        json!(0),
        json!(-7),
        json!(1.0),
        json!(0.1),
        json!(1.5e16),
        json!(1e15),
        json!(1e-5),
        json!(0.0001),
        json!(123.456),
        json!(-2.5e-7),
        json!(1e100),
        json!(12345678.9),
        json!("plain"),
        json!(["a", 1, 2.5, null, true]),
        json!([
            "it's",
            "say \"hi\"",
            "both ' and \"",
            "back\\slash",
            "tab\tnew\nline"
        ]),
        json!([
            "\u{7f}",
            "\u{e9}",
            "\u{a0}",
            "\u{200b}",
            "\u{1f600}",
            "\u{1}"
        ]),
        json!({"a": 1, "b": [null, {"c": "d"}]}),
        json!([]),
        json!({}),
        json!([[], {}]),
    ];
    let queries: Vec<Value> = values.iter().map(|v| json!({ "str": v })).collect();
    let answers = ask(&queries);
    let mut differences = Vec::new();
    for (value, answer) in values.iter().zip(&answers) {
        let ours = python_str(value);
        let theirs = answer["str"].as_str().expect("a string");
        if ours != theirs {
            differences.push(format!("{value}: ours {ours:?}, Python {theirs:?}"));
        }
    }
    assert!(
        differences.is_empty(),
        "str() differs:\n{}",
        differences.join("\n")
    );
}
