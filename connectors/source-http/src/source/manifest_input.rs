//! Where the manifest comes from, as `source-declarative-manifest` decides:
//! a manifest file baked into the image (local mode), else the config's
//! `__injected_declarative_manifest`, which `--manifest-path` overwrites
//! (remote mode, how the platform runs Connector Builder sources).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;
use crate::manifest;

/// Where a manifest-only image keeps its manifest.
pub const LOCAL_MANIFEST_PATH: &str =
    "/airbyte/integration_code/source_declarative_manifest/manifest.yaml";

/// The config key that carries an injected manifest.
pub const INJECTED_MANIFEST: &str = "__injected_declarative_manifest";

/// The config keys that carry custom Python components.
pub const INJECTED_COMPONENTS: &str = "__injected_components_py";

/// How this run gets its manifest.
#[derive(Debug, Clone)]
pub enum ManifestInput {
    /// From the image: `spec` prints the manifest's own spec.
    Local(Value),
    /// From the config; `spec` prints the generic spec. With
    /// `--manifest-path`, that file replaces the injected manifest.
    Remote {
        /// The manifest given with `--manifest-path`, loaded.
        path_manifest: Option<Value>,
    },
}

/// The SDM arguments that the SDK's command line does not know: the
/// manifest and components paths, taken out of `args`.
#[derive(Debug, Default)]
pub struct ExtraArgs {
    /// `--manifest-path`.
    pub manifest_path: Option<PathBuf>,
    /// `--components-path`.
    pub components_path: Option<PathBuf>,
}

impl ExtraArgs {
    /// Splits `--manifest-path X` (or `=X`) and `--components-path X` from
    /// the rest of the command line.
    ///
    /// ```
    /// use source_http::source::ExtraArgs;
    /// let args = ["source-http", "read", "--manifest-path", "m.yaml", "--config", "c.json"];
    /// let (extra, rest) = ExtraArgs::split(args.iter().map(Into::into));
    /// assert_eq!(extra.manifest_path.unwrap().to_str(), Some("m.yaml"));
    /// assert_eq!(rest, ["source-http", "read", "--config", "c.json"]);
    /// ```
    pub fn split(args: impl IntoIterator<Item = OsString>) -> (ExtraArgs, Vec<OsString>) {
        let mut extra = ExtraArgs::default();
        let mut rest = Vec::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let text = arg.to_string_lossy().into_owned();
            let slot = if text.starts_with("--manifest-path") {
                &mut extra.manifest_path
            } else if text.starts_with("--components-path") {
                &mut extra.components_path
            } else {
                rest.push(arg);
                continue;
            };
            match text.split_once('=') {
                Some((_, value)) => *slot = Some(PathBuf::from(value)),
                None => *slot = args.next().map(PathBuf::from),
            }
        }
        (extra, rest)
    }
}

impl ManifestInput {
    /// The input for these arguments: local mode when `local` exists, else
    /// remote mode with the `--manifest-path` file, if given, loaded.
    pub fn new(extra: &ExtraArgs, local: &Path) -> Result<ManifestInput, Error> {
        if extra.components_path.is_some() {
            return Err(custom_code_refused());
        }
        if local.exists() && extra.manifest_path.is_none() {
            return Ok(ManifestInput::Local(load_file(local)?));
        }
        let path_manifest = match &extra.manifest_path {
            Some(path) => Some(load_file(path)?),
            None => None,
        };
        Ok(ManifestInput::Remote { path_manifest })
    }

    /// The manifest for a run with this config.
    pub fn manifest(&self, config: &Value) -> Result<Value, Error> {
        if config.get(INJECTED_COMPONENTS).is_some() {
            return Err(custom_code_refused());
        }
        match self {
            ManifestInput::Local(manifest)
            | ManifestInput::Remote {
                path_manifest: Some(manifest),
            } => Ok(manifest.clone()),
            ManifestInput::Remote {
                path_manifest: None,
            } => match config.get(INJECTED_MANIFEST) {
                Some(injected @ Value::Object(_)) => manifest::load_value(injected.clone()),
                Some(Value::String(text)) => manifest::load(text),
                _ => Err(Error::Manifest(format!(
                    "Error starting the sync: no manifest. Give one with --manifest-path, or in the config's `{INJECTED_MANIFEST}`"
                ))),
            },
        }
    }
}

fn load_file(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Manifest(format!("cannot read the manifest {}: {e}", path.display()))
    })?;
    manifest::load(&text)
}

fn custom_code_refused() -> Error {
    Error::Manifest(
        "this manifest needs custom Python components (components.py), which source-http cannot run: only declarative components are supported".into(),
    )
}

/// Refuses a manifest with a custom component (a `Custom…` type with a
/// `class_name`) in its streams, check or spec, as SDM refuses custom code
/// (its definitions may hold unused ones, as the CDK's schema allows).
///
/// ```
/// use serde_json::json;
/// use source_http::source::refuse_custom_components;
/// let custom = json!({"streams": [{"retriever": {"record_selector": {"extractor":
///     {"type": "CustomRecordExtractor", "class_name": "source_x.components.Ex"}}}}]});
/// let error = refuse_custom_components(&custom).unwrap_err().to_string();
/// assert!(error.contains("streams.0.retriever.record_selector.extractor"), "{error}");
/// assert!(refuse_custom_components(&json!({"definitions": custom, "streams": []})).is_ok());
/// ```
pub fn refuse_custom_components(manifest: &Value) -> Result<(), Error> {
    fn find(value: &Value, path: &mut Vec<String>) -> Option<(String, String)> {
        match value {
            Value::Object(map) => {
                if let (Some(Value::String(kind)), Some(class)) =
                    (map.get("type"), map.get("class_name"))
                    && kind.starts_with("Custom")
                {
                    return Some((kind.clone(), crate::interpolation::python_str(class)));
                }
                map.iter().find_map(|(key, child)| {
                    path.push(key.clone());
                    let found = find(child, path);
                    found.or_else(|| {
                        path.pop();
                        None
                    })
                })
            }
            Value::Array(items) => items.iter().enumerate().find_map(|(i, child)| {
                path.push(i.to_string());
                let found = find(child, path);
                found.or_else(|| {
                    path.pop();
                    None
                })
            }),
            _ => None,
        }
    }
    let Value::Object(root) = manifest else {
        return Ok(());
    };
    for (key, value) in root {
        if key == "definitions" || key == "schemas" || key == "metadata" {
            continue;
        }
        let mut path = vec![key.clone()];
        if let Some((kind, class)) = find(value, &mut path) {
            return Err(Error::Manifest(format!(
                "{} (the {kind} at {} is class {class})",
                custom_code_refused(),
                path.join(".")
            )));
        }
    }
    Ok(())
}
