//! `spec`: the SPEC message, its conventions, and the image's labels.

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use super::Context;
use crate::config::SpecTest;
use crate::connector::{Connector, Invocation};
use crate::report::Outcome;

const SUITE: &str = "spec";

pub(crate) fn run(cx: &mut Context<'_>, index: usize, test: &SpecTest) {
    let out = match cx.run(
        SUITE,
        &format!("{index}/spec"),
        Invocation::new("spec"),
        b"",
    ) {
        Ok(out) => out,
        Err(e) => return cx.fail(SUITE, "test_spec", e),
    };
    let Some(spec) = out.spec() else {
        return cx.fail(
            SUITE,
            "test_spec",
            format!(
                "no SPEC message (exit {}): {}",
                out.exit_code,
                super::tail(&out)
            ),
        );
    };
    let spec_value = serde_json::to_value(spec).unwrap_or(Value::Null);
    let schema = spec.connection_specification.as_raw().to_value();
    let specs = out.messages.iter().filter(|m| m.spec.is_some()).count();
    cx.report.check(
        SUITE,
        "test_spec",
        if specs == 1 && out.exit_code == 0 {
            vec![]
        } else {
            vec![format!("{specs} SPEC messages, exit {}", out.exit_code)]
        },
    );

    // test_match_expected
    match &test.spec_path {
        Some(path) if cx.path(path).exists() => {
            let problems = match cx.read_json(path) {
                Ok(expected) => {
                    let expected = expected.get("spec").cloned().unwrap_or(expected);
                    if expected == spec_value {
                        vec![]
                    } else {
                        vec![format!("the spec differs from {}", path.display())]
                    }
                }
                Err(e) => vec![e],
            };
            cx.report.check(SUITE, "test_match_expected", problems);
        }
        _ => cx.report.push(
            SUITE,
            "test_match_expected",
            Outcome::Skip("no spec_path file".into()),
        ),
    }

    // test_config_match_spec: keys starting with `_` are dropped first, as
    // CAT does (the platform's technical keys), except those the spec itself
    // declares: a Connector Builder source's spec requires
    // `__injected_declarative_manifest` (Airbyte's standard tests keep every key).
    let declared = schema.get("properties").and_then(Value::as_object);
    let problems = match cx.read_config(&test.config_path) {
        Ok(Value::Object(mut config)) => {
            config
                .retain(|k, _| !k.starts_with('_') || declared.is_some_and(|p| p.contains_key(k)));
            match jsonschema::draft7::new(&schema) {
                Ok(v) => v
                    .iter_errors(&Value::Object(config))
                    .map(|e| format!("{}: {e}", e.instance_path()))
                    .collect(),
                Err(e) => vec![format!(
                    "connectionSpecification is not a valid draft-07 schema: {e}"
                )],
            }
        }
        Ok(_) => vec!["the config is not a JSON object".to_owned()],
        Err(e) => vec![e],
    };
    cx.report.check(SUITE, "test_config_match_spec", problems);

    // The spec conventions, one test per CAT rule.
    let mut by_rule: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    for rule in airbyte_sdk::spec::RULES.iter().copied() {
        by_rule.insert(rule, Vec::new());
    }
    for violation in airbyte_sdk::spec::check_spec_rules(&schema) {
        if platform_key_object(&violation) {
            continue;
        }
        by_rule
            .entry(violation.rule)
            .or_default()
            .push(violation.to_string());
    }
    for (rule, problems) in by_rule {
        cx.report.check(SUITE, rule, problems);
    }

    if let Connector::Image(image) = cx.connector {
        let image = image.clone();
        image_checks(cx, &image);
    }
}

/// A `test_object_not_empty` violation at a top-level property whose name
/// starts with `_`: a key the platform sets (the `_` keys test_config_match_spec
/// drops) is not a form field, so the rule's reason (the UI cannot show an
/// object without properties) does not hold for it. The generic spec of a
/// Connector Builder source, source-declarative-manifest's, declares
/// `__injected_declarative_manifest` as such an object.
fn platform_key_object(violation: &airbyte_sdk::spec::SpecViolation) -> bool {
    violation.rule == "test_object_not_empty"
        && violation
            .path
            .strip_prefix("/properties/_")
            .is_some_and(|rest| !rest.contains('/'))
}

fn inspect(image: &str, format: &str) -> Result<String, String> {
    let out = Command::new("docker")
        .args(["inspect", "--format", format, image])
        .output()
        .map_err(|e| format!("cannot run docker inspect: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "docker inspect {image}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn image_checks(cx: &mut Context<'_>, image: &str) {
    // test_image_labels: the labels equal metadata.yaml.
    let metadata = cx.path(std::path::Path::new("metadata.yaml"));
    let problems = match std::fs::read_to_string(&metadata) {
        Err(e) => vec![format!("cannot read {}: {e}", metadata.display())],
        Ok(text) => match serde_yaml_ng::from_str::<Value>(&text) {
            Err(e) => vec![format!("{}: {e}", metadata.display())],
            Ok(meta) => {
                let data = &meta["data"];
                let mut problems = Vec::new();
                for (label, field) in [
                    ("io.airbyte.name", "dockerRepository"),
                    ("io.airbyte.version", "dockerImageTag"),
                ] {
                    let want = data[field].as_str().unwrap_or_default();
                    match inspect(image, &format!("{{{{index .Config.Labels \"{label}\"}}}}")) {
                        Ok(got) if got == want => {}
                        Ok(got) => problems.push(format!(
                            "label {label} is `{got}` but metadata.yaml {field} is `{want}`"
                        )),
                        Err(e) => problems.push(e),
                    }
                }
                problems
            }
        },
    };
    cx.report.check(SUITE, "test_image_labels", problems);

    // test_image_environment_variables: AIRBYTE_ENTRYPOINT equals the joined ENTRYPOINT.
    let problems = match (
        inspect(image, "{{json .Config.Env}}"),
        inspect(image, "{{json .Config.Entrypoint}}"),
    ) {
        (Ok(env), Ok(entrypoint)) => {
            let env: Vec<String> = serde_json::from_str(&env).unwrap_or_default();
            let entrypoint: Vec<String> = serde_json::from_str(&entrypoint).unwrap_or_default();
            let joined = entrypoint.join(" ");
            match env
                .iter()
                .find_map(|e| e.strip_prefix("AIRBYTE_ENTRYPOINT="))
            {
                None => vec!["AIRBYTE_ENTRYPOINT is not set".to_owned()],
                Some(v) if v == joined && v.starts_with('/') => vec![],
                Some(v) => vec![format!(
                    "AIRBYTE_ENTRYPOINT is `{v}` but the ENTRYPOINT is `{joined}` (both must be the same absolute path)"
                )],
            }
        }
        (Err(e), _) | (_, Err(e)) => vec![e],
    };
    cx.report
        .check(SUITE, "test_image_environment_variables", problems);

    // Ours: runs as the non-root `airbyte` user.
    let problems = match inspect(image, "{{.Config.User}}") {
        Ok(user) if user == "airbyte" || user == "1000" || user == "1000:1000" => vec![],
        Ok(user) => vec![format!(
            "the image runs as `{user}`, not the `airbyte` user"
        )],
        Err(e) => vec![e],
    };
    cx.report.check(SUITE, "test_image_user", problems);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::platform_key_object;

    #[test]
    fn only_the_platforms_keys_may_be_objects_without_properties() {
        let schema = json!({"type": "object", "properties": {
            "__injected_declarative_manifest": {"type": "object"},
            "options": {"type": "object", "properties": {"_nested": {"type": "object"}}},
            "_map": {"type": "object", "properties": {"inner": {"type": "object"}}},
        }});
        let kept: Vec<String> = airbyte_sdk::spec::check_spec_rules(&schema)
            .into_iter()
            .filter(|v| v.rule == "test_object_not_empty" && !platform_key_object(v))
            .map(|v| v.path)
            .collect();
        assert_eq!(
            kept,
            [
                "/properties/_map/properties/inner",
                "/properties/options/properties/_nested"
            ]
        );
    }
}
