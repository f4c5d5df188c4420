//! `discovery`: one CATALOG with valid, self-consistent stream schemas.

use std::collections::HashSet;

use serde_json::Value;

use super::Context;
use crate::config::DiscoveryTest;
use crate::connector::Invocation;

const SUITE: &str = "discovery";

pub(crate) fn run(cx: &mut Context<'_>, index: usize, test: &DiscoveryTest) {
    let config = match cx.read_config(&test.config_path) {
        Ok(c) => c,
        Err(e) => return cx.fail(SUITE, "test_discover", e),
    };
    let out = match cx.run(
        SUITE,
        &format!("{index}/discover"),
        Invocation::new("discover").config(&config),
        b"",
    ) {
        Ok(out) => out,
        Err(e) => return cx.fail(SUITE, "test_discover", e),
    };
    let catalogs: Vec<_> = out
        .messages
        .iter()
        .filter_map(|m| m.catalog.as_ref())
        .collect();
    let Some(catalog) = catalogs.first().copied() else {
        return cx.fail(
            SUITE,
            "test_discover",
            format!("no CATALOG (exit {}): {}", out.exit_code, super::tail(&out)),
        );
    };
    let mut problems = Vec::new();
    if catalogs.len() != 1 {
        problems.push(format!("{} CATALOG messages", catalogs.len()));
    }
    if catalog.streams.is_empty() {
        problems.push("no streams".to_owned());
    }
    let mut names = HashSet::new();
    for s in &catalog.streams {
        if !names.insert((s.namespace.clone(), s.name.clone())) {
            problems.push(format!("stream `{}` appears twice", s.name));
        }
    }
    cx.report.check(SUITE, "test_discover", problems);

    let mut schema_problems = Vec::new();
    let mut cursor_problems = Vec::new();
    let mut ref_problems = Vec::new();
    let mut keyword_problems = Vec::new();
    let mut pk_problems = Vec::new();
    let mut mode_problems = Vec::new();
    let mut additional_problems = Vec::new();
    let mut pk_type_problems = Vec::new();
    for s in &catalog.streams {
        let schema = s.json_schema.as_raw().to_value();
        if let Err(e) = jsonschema::draft7::new(&schema) {
            schema_problems.push(format!("`{}`: {e}", s.name));
        }
        if let Some(cursor) = &s.default_cursor_field
            && property(&schema, cursor).is_none()
        {
            cursor_problems.push(format!(
                "`{}`: default cursor {cursor:?} is not in the schema",
                s.name
            ));
        }
        walk(&schema, &mut |key, value| match key {
            "$ref" => ref_problems.push(format!("`{}` uses $ref", s.name)),
            "allOf" | "not" => keyword_problems.push(format!("`{}` uses {key}", s.name)),
            "additionalProperties" if value != &Value::Bool(true) => {
                additional_problems.push(format!("`{}` has additionalProperties {value}", s.name))
            }
            _ => {}
        });
        for key in s.source_defined_primary_key.iter().flatten() {
            match property(&schema, key) {
                None => pk_problems.push(format!(
                    "`{}`: primary key {key:?} is not in the schema",
                    s.name
                )),
                Some(p) => {
                    let types = types_of(p);
                    if types.iter().any(|t| t == "object" || t == "array") {
                        pk_type_problems.push(format!(
                            "`{}`: primary key {key:?} has type {types:?}",
                            s.name
                        ));
                    }
                }
            }
        }
        if s.supported_sync_modes.is_empty() {
            mode_problems.push(format!("`{}` has no supported_sync_modes", s.name));
        }
    }
    cx.report.check(
        SUITE,
        "test_streams_have_valid_json_schemas",
        schema_problems,
    );
    cx.report.check(
        SUITE,
        "test_defined_cursors_exist_in_schema",
        cursor_problems,
    );
    cx.report
        .check(SUITE, "test_defined_refs_exist_in_schema", ref_problems);
    cx.report.check(
        SUITE,
        "test_defined_keyword_exist_in_schema",
        keyword_problems,
    );
    cx.report
        .check(SUITE, "test_primary_keys_exist_in_schema", pk_problems);
    cx.report
        .check(SUITE, "test_streams_has_sync_modes", mode_problems);
    cx.report.check(
        SUITE,
        "test_additional_properties_is_true",
        additional_problems,
    );
    if test.validate_primary_keys_data_type.unwrap_or(true) {
        cx.report
            .check(SUITE, "test_primary_keys_data_type", pk_type_problems);
    }
}

/// The schema of the property at `path` (through `properties`).
pub(crate) fn property<'a>(schema: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter()
        .try_fold(schema, |s, key| s.get("properties")?.get(key))
}

/// The `type` of a schema, as a list.
pub(crate) fn types_of(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => vec![],
    }
}

/// Calls `f` with every key and value of every object in `value`.
pub(crate) fn walk(value: &Value, f: &mut dyn FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                f(k, v);
                walk(v, f);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, f)),
        _ => {}
    }
}
