//! The rewrite done by `#[airbyte_sdk::config]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};
use syn::ext::IdentExt;
use syn::{
    Attribute, Data, DeriveInput, Expr, Field, Fields, GenericArgument, Ident, Lit, LitStr, Meta,
    PathArguments, Type,
};

use crate::attrs::{self, ContainerAttrs, Errors};

/// Expands the attribute. Never fails: errors become `compile_error!`s next to
/// the item (stripped of its `#[airbyte]` attributes, without the derives, so
/// that the errors are not buried under follow-up errors).
pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut container = ContainerAttrs::default();
    errors.push_result(attrs::macro_args(args, &mut container));

    let mut item: DeriveInput = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error = syn::Error::new(
                Span::call_site(),
                "`#[airbyte_sdk::config]` goes on a struct with named fields or on an enum",
            );
            let mut out = error.into_compile_error();
            out.extend(input);
            return out;
        }
    };
    attrs::container_attrs(&mut container, &mut item.attrs, &mut errors);

    let owner = item.ident.clone();
    let turbofish = if item.generics.params.is_empty() {
        String::new()
    } else {
        let (_, ty_generics, _) = item.generics.split_for_impl();
        format!("::{}", ty_generics.to_token_stream())
    };
    let mut default_fns = Vec::new();
    match &mut item.data {
        Data::Struct(data) => {
            if let Some((_, span)) = &container.tag {
                errors.push(syn::Error::new(
                    *span,
                    "`tag` only applies to enums: it names the property that tells the \
                     options of a oneOf apart, and a struct is a single object",
                ));
            }
            match &mut data.fields {
                Fields::Named(named) => {
                    let cx = FieldCx {
                        owner: &owner,
                        variant: None,
                        container: &container,
                        tag: None,
                        turbofish: &turbofish,
                    };
                    for field in &mut named.named {
                        process_field(field, &cx, &mut default_fns, &mut errors);
                    }
                }
                Fields::Unnamed(fields) => errors.push(syn::Error::new_spanned(
                    fields,
                    "`#[airbyte_sdk::config]` needs a struct with named fields: an Airbyte \
                     config is a JSON object, so every field needs a name \
                     (write `struct Name { field: Type }`)",
                )),
                Fields::Unit => errors.push(syn::Error::new_spanned(
                    &owner,
                    "`#[airbyte_sdk::config]` needs a struct with named fields: an Airbyte \
                     config is a JSON object (write `struct Name {}` for a config without options)",
                )),
            }
        }
        Data::Enum(data) => {
            let tag = container.tag.as_ref().map(|(tag, _)| tag.value());
            for variant in &mut data.variants {
                let vattrs = attrs::variant_attrs(&mut variant.attrs, &mut errors);
                if !has_doc(&variant.attrs) {
                    errors.push(syn::Error::new_spanned(
                        &variant.ident,
                        format!(
                            "variant `{}` needs a doc comment: it becomes the description \
                             of this option in the Airbyte UI",
                            variant.ident
                        ),
                    ));
                }
                match &mut variant.fields {
                    Fields::Unit => {}
                    Fields::Named(named) => {
                        if tag.is_none() {
                            errors.push(syn::Error::new_spanned(
                                &variant.ident,
                                format!(
                                    "variant `{}` has fields, so the enum needs \
                                     `#[airbyte(tag = \"...\")]`: Airbyte shows it as a oneOf \
                                     whose options are told apart by that property \
                                     (e.g. `tag = \"mode\"`)",
                                    variant.ident
                                ),
                            ));
                        }
                        let cx = FieldCx {
                            owner: &owner,
                            variant: Some(&variant.ident),
                            container: &container,
                            tag: tag.as_deref(),
                            turbofish: &turbofish,
                        };
                        for field in &mut named.named {
                            process_field(field, &cx, &mut default_fns, &mut errors);
                        }
                    }
                    Fields::Unnamed(fields) => errors.push(syn::Error::new_spanned(
                        &*fields,
                        format!(
                            "tuple variants are not supported: write `{} {{ name: Type }}` so \
                             that every value has a name in the config JSON",
                            variant.ident
                        ),
                    )),
                }
                let mut schemars = Vec::new();
                let mut serde = Vec::new();
                if let Some(title) = vattrs.title {
                    schemars.push(quote!(title = #title));
                }
                if let Some(rename) = vattrs.rename {
                    serde.push(quote!(rename = #rename));
                }
                push_attrs(&mut variant.attrs, &schemars, &serde);
            }
        }
        Data::Union(data) => errors.push(syn::Error::new_spanned(
            data.union_token,
            "`#[airbyte_sdk::config]` does not support unions: use a struct with named fields \
             or an enum",
        )),
    }

    if let Some(error) = errors.into_error() {
        strip_helper_attrs(&mut item);
        let mut out = error.into_compile_error();
        out.extend(item.into_token_stream());
        return out;
    }

    let mut container_schemars = Vec::new();
    let mut container_serde = Vec::new();
    if let Some(title) = &container.title {
        container_schemars.push(quote!(title = #title));
    }
    if let Some((groups, _)) = &container.groups {
        let groups = groups.iter().map(|group| {
            let id = &group.id;
            match &group.title {
                Some(title) => quote!({ "id": #id, "title": #title }),
                None => quote!({ "id": #id }),
            }
        });
        container_schemars.push(quote!(extend("groups" = [#(#groups),*])));
    }
    if let Some((tag, _)) = &container.tag {
        container_serde.push(quote!(tag = #tag));
    }
    let mut container_attrs = Vec::new();
    push_attrs(&mut container_attrs, &container_schemars, &container_serde);

    let defaults_impl = if default_fns.is_empty() {
        TokenStream::new()
    } else {
        let (impl_generics, ty_generics, where_clause) = item.generics.split_for_impl();
        quote! {
            impl #impl_generics #owner #ty_generics #where_clause {
                #(#default_fns)*
            }
        }
    };

    quote! {
        #[derive(
            ::airbyte_sdk::__private::serde::Deserialize,
            ::airbyte_sdk::__private::serde::Serialize,
            ::airbyte_sdk::__private::schemars::JsonSchema
        )]
        #[serde(crate = "::airbyte_sdk::__private::serde")]
        #[schemars(crate = "::airbyte_sdk::__private::schemars")]
        #(#container_attrs)*
        #item
        #defaults_impl
    }
}

/// Where a field lives.
struct FieldCx<'a> {
    owner: &'a Ident,
    variant: Option<&'a Ident>,
    container: &'a ContainerAttrs,
    tag: Option<&'a str>,
    /// `::<T, 'a>` for a generic owner, empty otherwise.
    turbofish: &'a str,
}

/// Translates one field's `#[airbyte(...)]` attributes.
fn process_field(
    field: &mut Field,
    cx: &FieldCx<'_>,
    default_fns: &mut Vec<TokenStream>,
    errors: &mut Errors,
) {
    let fattrs = attrs::field_attrs(&mut field.attrs, errors);
    let Some(name) = field.ident.clone() else {
        return;
    };
    let plain_name = name.unraw().to_string();
    if !has_doc(&field.attrs) {
        errors.push(syn::Error::new_spanned(
            &name,
            format!(
                "field `{plain_name}` needs a doc comment: it becomes the description shown \
                 in the Airbyte UI"
            ),
        ));
    }
    if let Some(tag) = cx.tag {
        let json_name = fattrs
            .rename
            .as_ref()
            .map_or_else(|| plain_name.clone(), LitStr::value);
        if json_name == tag {
            errors.push(syn::Error::new_spanned(
                &name,
                format!(
                    "field `{plain_name}` clashes with the enum's `tag = \"{tag}\"`: the tag \
                     property already holds the variant name"
                ),
            ));
        }
    }

    let mut ext = Vec::new();
    let mut schemars = Vec::new();
    let mut serde = Vec::new();
    if let Some(span) = fattrs.secret {
        if is_bool(&field.ty) {
            errors.push(syn::Error::new(
                span,
                format!(
                    "`secret` cannot go on the `bool` field `{plain_name}`: a boolean holds no \
                     secret, and Airbyte's acceptance tests (test_secret_is_properly_marked) \
                     reject booleans marked `airbyte_secret`"
                ),
            ));
        }
        ext.push(quote!("airbyte_secret" = true));
    }
    if let Some(order) = &fattrs.order {
        ext.push(quote!("order" = #order));
    }
    if let Some(title) = &fattrs.title {
        schemars.push(quote!(title = #title));
    }
    if let Some(examples) = &fattrs.examples {
        ext.push(quote!("examples" = #examples));
    }
    if let Some(pattern) = &fattrs.pattern {
        ext.push(quote!("pattern" = #pattern));
    }
    if let Some(descriptor) = &fattrs.pattern_descriptor {
        ext.push(quote!("pattern_descriptor" = #descriptor));
    }
    if fattrs.always_show {
        ext.push(quote!("always_show" = true));
    }
    if fattrs.hidden {
        ext.push(quote!("airbyte_hidden" = true));
    }
    if fattrs.multiline {
        ext.push(quote!("multiline" = true));
    }
    if let Some((group, span)) = &fattrs.group {
        check_group(group, *span, cx, errors);
        ext.push(quote!("group" = #group));
    }
    if let Some(rename) = &fattrs.rename {
        serde.push(quote!(rename = #rename));
    }
    if is_option(&field.ty) && !mentions_serde_skip(&field.attrs) {
        // The spec has no `null`s, so a serialized config must leave `None`s out
        // to still validate against it.
        serde.push(quote!(
            skip_serializing_if = "::core::option::Option::is_none"
        ));
    }
    if let Some(default) = &fattrs.default {
        let fn_name = match cx.variant {
            Some(variant) => format_ident!("__airbyte_default_{}_{}", variant.unraw(), plain_name),
            None => format_ident!("__airbyte_default_{}", plain_name),
        };
        // Generic owners need a turbofish: the default fn does not mention
        // the type parameters, so they cannot be inferred from its call.
        let path = format!("{}{}::{}", cx.owner.unraw(), cx.turbofish, fn_name);
        let path = LitStr::new(&path, name.span());
        serde.push(quote!(default = #path));
        let ty = &field.ty;
        default_fns.push(quote! {
            #[doc(hidden)]
            #[allow(non_snake_case)]
            fn #fn_name() -> #ty {
                match ::airbyte_sdk::__private::serde_json::from_value(
                    ::airbyte_sdk::__private::serde_json::json!(#default),
                ) {
                    ::core::result::Result::Ok(value) => value,
                    ::core::result::Result::Err(error) => ::core::panic!(
                        "invalid `#[airbyte(default = ...)]` on field `{}`: {}",
                        #plain_name,
                        error,
                    ),
                }
            }
        });
    }
    if !ext.is_empty() {
        schemars.push(quote!(extend(#(#ext),*)));
    }
    push_attrs(&mut field.attrs, &schemars, &serde);
}

/// `group` is only allowed on top-level fields, and must be declared.
fn check_group(group: &LitStr, span: Span, cx: &FieldCx<'_>, errors: &mut Errors) {
    if cx.variant.is_some() {
        errors.push(syn::Error::new(
            span,
            "`group` is only allowed on top-level config fields (Airbyte's test_nested_group); \
             the fields of an enum variant are nested inside a oneOf",
        ));
        return;
    }
    match &cx.container.groups {
        None => errors.push(syn::Error::new(
            span,
            format!(
                "`group = \"{}\"` needs the group declared on the struct, e.g. \
                 `#[airbyte(groups = [(\"{}\", \"Title\")])]`",
                group.value(),
                group.value()
            ),
        )),
        Some((groups, _)) => {
            if !groups.iter().any(|g| g.id.value() == group.value()) {
                let known: Vec<String> = groups
                    .iter()
                    .map(|g| format!("`{}`", g.id.value()))
                    .collect();
                errors.push(syn::Error::new_spanned(
                    group,
                    format!(
                        "group `{}` is not declared in `groups`; declared: {}",
                        group.value(),
                        known.join(", ")
                    ),
                ));
            }
        }
    }
}

/// Removes the `serde` and `schemars` helper attributes (the user's and ours)
/// and any `airbyte` attribute left, which would only add "cannot find
/// attribute" errors once the derives are gone.
fn strip_helper_attrs(item: &mut DeriveInput) {
    fn strip(attrs: &mut Vec<Attribute>) {
        attrs.retain(|attr| {
            !["serde", "schemars", "airbyte"]
                .iter()
                .any(|name| attr.path().is_ident(name))
        });
    }
    fn strip_fields(fields: &mut Fields) {
        fields.iter_mut().for_each(|field| strip(&mut field.attrs));
    }
    strip(&mut item.attrs);
    match &mut item.data {
        Data::Struct(data) => strip_fields(&mut data.fields),
        Data::Enum(data) => {
            for variant in &mut data.variants {
                strip(&mut variant.attrs);
                strip_fields(&mut variant.fields);
            }
        }
        Data::Union(data) => data
            .fields
            .named
            .iter_mut()
            .for_each(|field| strip(&mut field.attrs)),
    }
}

/// Appends `#[schemars(...)]` and `#[serde(...)]` when there is something to say.
fn push_attrs(attrs: &mut Vec<Attribute>, schemars: &[TokenStream], serde: &[TokenStream]) {
    if !schemars.is_empty() {
        attrs.push(syn::parse_quote!(#[schemars(#(#schemars),*)]));
    }
    if !serde.is_empty() {
        attrs.push(syn::parse_quote!(#[serde(#(#serde),*)]));
    }
}

/// Whether there is a non-empty doc comment (or a computed `#[doc = ...]`).
fn has_doc(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| match &attr.meta {
        Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
            Expr::Lit(syn::ExprLit {
                lit: Lit::Str(doc), ..
            }) => !doc.value().trim().is_empty(),
            _ => true,
        },
        _ => false,
    })
}

/// Whether the field already has a `#[serde(skip...)]` of the user's.
fn mentions_serde_skip(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("serde")
            && attr
                .meta
                .to_token_stream()
                .into_iter()
                .any(|token| token_mentions_skip(&token))
    })
}

fn token_mentions_skip(token: &proc_macro2::TokenTree) -> bool {
    match token {
        proc_macro2::TokenTree::Ident(ident) => ident.to_string().starts_with("skip"),
        proc_macro2::TokenTree::Group(group) => {
            group.stream().into_iter().any(|t| token_mentions_skip(&t))
        }
        _ => false,
    }
}

/// The inner type if `ty` is written `Option<T>` (or a path ending in `Option<T>`).
fn option_inner(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Group(group) => option_inner(&group.elem),
        Type::Paren(paren) => option_inner(&paren.elem),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            if last.ident != "Option" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            match args.args.first() {
                Some(GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
                _ => None,
            }
        }
        _ => None,
    }
}

fn is_option(ty: &Type) -> bool {
    option_inner(ty).is_some()
}

/// `bool` or `Option<bool>`.
fn is_bool(ty: &Type) -> bool {
    if let Some(inner) = option_inner(ty) {
        return is_bool(inner);
    }
    match ty {
        Type::Group(group) => is_bool(&group.elem),
        Type::Paren(paren) => is_bool(&paren.elem),
        Type::Path(path) if path.qself.is_none() => {
            path.path.get_ident().is_some_and(|ident| ident == "bool")
        }
        _ => false,
    }
}
