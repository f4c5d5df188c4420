//! Parsing of `#[airbyte(...)]` attributes (and of the macro's own arguments).
//!
//! Each parser returns plain data; `expand.rs` turns it into serde and
//! schemars attributes. All errors are `syn::Error`s spanned on the offending
//! key or value.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, Lit, LitInt, LitStr, Token, UnOp};

/// Keys accepted on a struct field or on a field of an enum variant.
pub const FIELD_KEYS: &[&str] = &[
    "secret",
    "order",
    "title",
    "examples",
    "example",
    "default",
    "pattern",
    "pattern_descriptor",
    "always_show",
    "hidden",
    "multiline",
    "group",
    "rename",
];

/// Keys accepted on an enum variant.
pub const VARIANT_KEYS: &[&str] = &["rename", "title"];

/// Keys accepted on the struct or enum itself (or as macro arguments).
pub const CONTAINER_KEYS: &[&str] = &["title", "groups", "tag"];

/// What a field's `#[airbyte(...)]` attributes asked for.
#[derive(Default)]
pub struct FieldAttrs {
    /// `secret`: the span of the key, for the bool check.
    pub secret: Option<Span>,
    /// `order = N`
    pub order: Option<LitInt>,
    /// `title = "..."`
    pub title: Option<LitStr>,
    /// `examples = [..]` or `example = ..`, as the tokens of a JSON array.
    pub examples: Option<TokenStream>,
    /// `default = <json literal>`
    pub default: Option<Expr>,
    /// `pattern = "..."`
    pub pattern: Option<LitStr>,
    /// `pattern_descriptor = "..."`
    pub pattern_descriptor: Option<LitStr>,
    /// `always_show`
    pub always_show: bool,
    /// `hidden`
    pub hidden: bool,
    /// `multiline`
    pub multiline: bool,
    /// `group = "id"`: the span is the key's, for error messages.
    pub group: Option<(LitStr, Span)>,
    /// `rename = "..."`
    pub rename: Option<LitStr>,
}

/// What a variant's `#[airbyte(...)]` attributes asked for.
#[derive(Default)]
pub struct VariantAttrs {
    /// `rename = "..."`
    pub rename: Option<LitStr>,
    /// `title = "..."`
    pub title: Option<LitStr>,
}

/// What the container's `#[airbyte(...)]` attributes (and the macro
/// arguments) asked for.
#[derive(Default)]
pub struct ContainerAttrs {
    /// `title = "..."`
    pub title: Option<LitStr>,
    /// `groups = [("id", "Title"), "id2"]`, with the span of the key.
    pub groups: Option<(Vec<Group>, Span)>,
    /// `tag = "..."`, with the span of the key.
    pub tag: Option<(LitStr, Span)>,
}

/// One entry of `groups`.
pub struct Group {
    /// The id that fields refer to with `group = "id"`.
    pub id: LitStr,
    /// The card title shown in the UI.
    pub title: Option<LitStr>,
}

/// Collects several errors into one, so the user sees all of them at once.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    /// Adds an error.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Adds the error of a failed result, if any.
    pub fn push_result(&mut self, result: syn::Result<()>) {
        if let Err(error) = result {
            self.push(error);
        }
    }

    /// The combined error, if any was pushed.
    pub fn into_error(self) -> Option<syn::Error> {
        self.0
    }
}

/// Removes every `#[airbyte(...)]` from `attrs` and feeds each key to `logic`.
fn take_airbyte_attrs(
    attrs: &mut Vec<Attribute>,
    errors: &mut Errors,
    mut logic: impl FnMut(&str, &ParseNestedMeta) -> syn::Result<()>,
    known: &[&str],
    position: &str,
) {
    let mut seen: Vec<String> = Vec::new();
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if !attr.path().is_ident("airbyte") {
            kept.push(attr);
            continue;
        }
        let result = attr.parse_nested_meta(|meta| {
            let key = match meta.path.get_ident() {
                Some(ident) => ident.to_string(),
                None => meta.path.to_token_stream().to_string().replace(' ', ""),
            };
            if !known.contains(&key.as_str()) {
                return Err(syn::Error::new_spanned(
                    &meta.path,
                    unknown_key_message(
                        &format!("`#[airbyte]` key `{key}` on {position}"),
                        &key,
                        known,
                    ),
                ));
            }
            let canonical = if key == "example" {
                "examples"
            } else {
                key.as_str()
            };
            if seen.iter().any(|s| s == canonical) {
                return Err(syn::Error::new_spanned(
                    &meta.path,
                    format!("duplicate `#[airbyte]` key `{key}`"),
                ));
            }
            seen.push(canonical.to_owned());
            logic(&key, &meta)
        });
        errors.push_result(result);
    }
    *attrs = kept;
}

/// "unknown <what>; did you mean `x`? expected one of: ...".
fn unknown_key_message(what: &str, key: &str, known: &[&str]) -> String {
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if key == "description" || key == "doc" {
        return format!(
            "unknown {what}: the description comes from the doc comment (`/// ...`); \
             expected one of: {list}"
        );
    }
    let closest = known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(distance, _)| *distance <= 2)
        .min();
    match closest {
        Some((_, suggestion)) => {
            format!("unknown {what}; did you mean `{suggestion}`? expected one of: {list}")
        }
        None => format!("unknown {what}; expected one of: {list}"),
    }
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Parses a flag such as `secret`, rejecting `secret = ...`.
fn flag(key: &str, meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || !meta.input.is_empty() && !meta.input.peek(Token![,]) {
        return Err(meta.error(format!(
            "`{key}` is a flag and takes no value: write `#[airbyte({key})]`"
        )));
    }
    Ok(())
}

/// Parses `key = <expr>`.
fn value_expr(key: &str, meta: &ParseNestedMeta) -> syn::Result<Expr> {
    if !meta.input.peek(Token![=]) {
        return Err(meta.error(format!("`{key}` needs a value: `{key} = ...`")));
    }
    meta.value()?.parse::<Expr>()
}

/// Parses `key = "string"`.
fn value_str(key: &str, meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    match value_expr(key, meta)? {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s),
        other => Err(syn::Error::new_spanned(
            other,
            format!("`{key}` must be a string literal, e.g. `{key} = \"...\"`"),
        )),
    }
}

/// Checks that `expr` is a JSON literal: a string, number, boolean, `null`,
/// or an array of those.
pub fn check_json_literal(expr: &Expr, key: &str) -> syn::Result<()> {
    let ok = match expr {
        Expr::Lit(lit) => matches!(
            lit.lit,
            Lit::Str(_) | Lit::Int(_) | Lit::Float(_) | Lit::Bool(_)
        ),
        Expr::Unary(unary) => {
            matches!(unary.op, UnOp::Neg(_))
                && matches!(
                    &*unary.expr,
                    Expr::Lit(syn::ExprLit {
                        lit: Lit::Int(_) | Lit::Float(_),
                        ..
                    })
                )
        }
        Expr::Path(path) => path.path.is_ident("null"),
        Expr::Array(array) => {
            for elem in &array.elems {
                check_json_literal(elem, key)?;
            }
            true
        }
        Expr::Group(group) => return check_json_literal(&group.expr, key),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(syn::Error::new_spanned(
            expr,
            format!(
                "`{key}` must be a JSON literal: a string, a number, `true`, `false`, `null` \
                 or an array of those, e.g. `{key} = 5432` or `{key} = [\"public\"]`"
            ),
        ))
    }
}

/// Parses the `#[airbyte(...)]` attributes of a field and removes them.
pub fn field_attrs(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    take_airbyte_attrs(
        attrs,
        errors,
        |key, meta| {
            match key {
                "secret" => {
                    flag(key, meta)?;
                    out.secret = Some(meta.path.span());
                }
                "always_show" => {
                    flag(key, meta)?;
                    out.always_show = true;
                }
                "hidden" => {
                    flag(key, meta)?;
                    out.hidden = true;
                }
                "multiline" => {
                    flag(key, meta)?;
                    out.multiline = true;
                }
                "order" => {
                    let expr = value_expr(key, meta)?;
                    match &expr {
                        Expr::Lit(syn::ExprLit {
                            lit: Lit::Int(int), ..
                        }) if int.base10_parse::<i64>().is_ok() => {
                            out.order = Some(int.clone());
                        }
                        _ => {
                            return Err(syn::Error::new_spanned(
                                expr,
                                "`order` must be an integer literal, e.g. `order = 2`",
                            ));
                        }
                    }
                }
                "title" => out.title = Some(value_str(key, meta)?),
                "pattern" => out.pattern = Some(value_str(key, meta)?),
                "pattern_descriptor" => out.pattern_descriptor = Some(value_str(key, meta)?),
                "rename" => out.rename = Some(value_str(key, meta)?),
                "group" => {
                    let span = meta.path.span();
                    out.group = Some((value_str(key, meta)?, span));
                }
                "default" => {
                    let expr = value_expr(key, meta)?;
                    check_json_literal(&expr, key)?;
                    out.default = Some(expr);
                }
                "example" => {
                    let expr = value_expr(key, meta)?;
                    check_json_literal(&expr, key)?;
                    out.examples = Some(quote!([#expr]));
                }
                "examples" => {
                    let expr = value_expr(key, meta)?;
                    if !matches!(expr, Expr::Array(_)) {
                        return Err(syn::Error::new_spanned(
                            expr,
                            "`examples` must be an array, e.g. `examples = [\"db.example.com\"]`; \
                             for a single value write `example = ...`",
                        ));
                    }
                    check_json_literal(&expr, key)?;
                    out.examples = Some(expr.to_token_stream());
                }
                _ => unreachable!("key checked against FIELD_KEYS"),
            }
            Ok(())
        },
        FIELD_KEYS,
        "a field",
    );
    out
}

/// Parses the `#[airbyte(...)]` attributes of an enum variant and removes them.
pub fn variant_attrs(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> VariantAttrs {
    let mut out = VariantAttrs::default();
    take_airbyte_attrs(
        attrs,
        errors,
        |key, meta| {
            match key {
                "rename" => out.rename = Some(value_str(key, meta)?),
                "title" => out.title = Some(value_str(key, meta)?),
                _ => unreachable!("key checked against VARIANT_KEYS"),
            }
            Ok(())
        },
        VARIANT_KEYS,
        "an enum variant",
    );
    out
}

/// Parses one container key into `out`.
fn container_key(out: &mut ContainerAttrs, key: &str, meta: &ParseNestedMeta) -> syn::Result<()> {
    let already = match key {
        "title" => out.title.is_some(),
        "tag" => out.tag.is_some(),
        _ => out.groups.is_some(),
    };
    if already {
        return Err(syn::Error::new_spanned(
            &meta.path,
            format!("`{key}` is given twice (in the macro arguments and in `#[airbyte(...)]`)"),
        ));
    }
    match key {
        "title" => out.title = Some(value_str(key, meta)?),
        "tag" => {
            let span = meta.path.span();
            out.tag = Some((value_str(key, meta)?, span));
        }
        "groups" => {
            let span = meta.path.span();
            let expr = value_expr(key, meta)?;
            out.groups = Some((parse_groups(&expr)?, span));
        }
        _ => unreachable!("key checked against CONTAINER_KEYS"),
    }
    Ok(())
}

/// Parses `[("db", "Database"), "advanced"]`.
fn parse_groups(expr: &Expr) -> syn::Result<Vec<Group>> {
    let bad = |tokens: &dyn ToTokens| {
        syn::Error::new_spanned(
            tokens,
            "`groups` must be an array of `(\"id\", \"Title\")` pairs or `\"id\"` strings, \
             e.g. `groups = [(\"db\", \"Database\"), (\"auth\", \"Authentication\")]`",
        )
    };
    let Expr::Array(array) = expr else {
        return Err(bad(expr));
    };
    let mut groups: Vec<Group> = Vec::new();
    for elem in &array.elems {
        let group = match elem {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(id), ..
            }) => Group {
                id: id.clone(),
                title: None,
            },
            Expr::Tuple(tuple) if tuple.elems.len() == 2 => {
                match (&tuple.elems[0], &tuple.elems[1]) {
                    (
                        Expr::Lit(syn::ExprLit {
                            lit: Lit::Str(id), ..
                        }),
                        Expr::Lit(syn::ExprLit {
                            lit: Lit::Str(title),
                            ..
                        }),
                    ) => Group {
                        id: id.clone(),
                        title: Some(title.clone()),
                    },
                    _ => return Err(bad(elem)),
                }
            }
            _ => return Err(bad(elem)),
        };
        if groups.iter().any(|g| g.id.value() == group.id.value()) {
            return Err(syn::Error::new_spanned(
                &group.id,
                format!("group `{}` is declared twice", group.id.value()),
            ));
        }
        groups.push(group);
    }
    Ok(groups)
}

/// Parses the `#[airbyte(...)]` attributes of the container and removes them.
pub fn container_attrs(out: &mut ContainerAttrs, attrs: &mut Vec<Attribute>, errors: &mut Errors) {
    take_airbyte_attrs(
        attrs,
        errors,
        |key, meta| container_key(out, key, meta),
        CONTAINER_KEYS,
        "the struct or enum",
    );
}

/// Parses the macro's own arguments: `#[airbyte_sdk::config(title = "...")]`.
pub fn macro_args(args: TokenStream, out: &mut ContainerAttrs) -> syn::Result<()> {
    if args.is_empty() {
        return Ok(());
    }
    let mut seen: Vec<String> = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        if !CONTAINER_KEYS.contains(&key.as_str()) {
            let shown = meta.path.to_token_stream().to_string().replace(' ', "");
            return Err(syn::Error::new_spanned(
                &meta.path,
                unknown_key_message(
                    &format!("`#[airbyte_sdk::config]` argument `{shown}`"),
                    &key,
                    CONTAINER_KEYS,
                ),
            ));
        }
        if seen.contains(&key) {
            return Err(syn::Error::new_spanned(
                &meta.path,
                format!("duplicate argument `{key}`"),
            ));
        }
        seen.push(key.clone());
        container_key(out, &key, &meta)
    });
    syn::parse::Parser::parse2(parser, args)
}
