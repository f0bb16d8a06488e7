//! `derivationStrict`: turns a set of attributes into a store derivation and
//! returns the paths of the `.drv` file and of each output. The friendlier
//! `derivation` is Nix code on top of it (see `corepkgs/derivation.nix`).

use std::collections::BTreeSet;

use spindle_fiber::ensure_sufficient_stack;

use super::json::write_json_str;
use super::store::force_string_no_context;
use bstr::ByteSlice;

use crate::engine::{CoercionKind, Engine};
use crate::error::{Error, Result};
use crate::store::derivation::{Derivation, FixedOutput};
use crate::store::hash::{Hash, HashAlgo};
use crate::store::{self, Ingestion, StoreState};
use crate::symbol::known;
use crate::value::{Attrs, Builtin, Context, ContextElem, NixString, Value};

pub(super) static BUILTINS: &[Builtin] =
    &[builtin!("derivationStrict" / 1 => Plain(derivation_strict), generator DeepFirst)];

/// What the attributes say beyond the environment.
#[derive(Default)]
struct Special {
    outputs: Option<Vec<String>>,
    output_hash: Option<String>,
    output_hash_algo: String,
    method: Option<Ingestion>,
}

fn derivation_strict<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let attrs = vm.force_attrs(args[0].clone())?;
    let name_value = attrs
        .get(known::name())
        .cloned()
        .ok_or_else(|| Error::other("attribute 'name' missing for call to 'derivationStrict'"))?;
    let name_span = attrs.position(known::name());
    let name = force_string_no_context(vm, &name_value).map_err(|mut e| {
        e.push_trace(
            "while evaluating the derivation attribute 'name'".to_string(),
            name_span,
        );
        e
    })?;
    build(vm, &attrs, name.clone()).map_err(|mut e| {
        if let Some(span) = name_span {
            e = e.with_span(span);
        }
        e.push_trace(format!("while evaluating derivation '{name}'"), name_span);
        e
    })
}

fn optional_bool<E: Engine + ?Sized>(
    vm: &mut E,
    attrs: &Attrs,
    name: crate::symbol::Symbol,
) -> Result<bool> {
    match attrs.get(name) {
        Some(v) => vm.force_bool(v.clone()),
        None => Ok(false),
    }
}

fn build<E: Engine + ?Sized>(vm: &mut E, attrs: &Attrs, name: String) -> Result<Value> {
    let structured = optional_bool(vm, attrs, known::structured_attrs())?;
    let ignore_nulls = optional_bool(vm, attrs, known::ignore_nulls())?;
    let mut drv = Derivation {
        name: name.clone(),
        ..Default::default()
    };
    let mut context = Context::new();
    let mut special = Special::default();
    let mut json = structured.then(String::new);
    for (key, value) in attrs.sorted_entries() {
        // The environment of a build is text.
        let key = crate::value::utf8(&key)?;
        if key == "__ignoreNulls" {
            continue;
        }
        let span = attrs.position(crate::symbol::Symbol::intern(key));
        if structured && LEGACY_CHECKS.contains(&key) {
            warn_legacy_check(vm, &name, key, span);
        }
        add_attribute(
            vm,
            key,
            value,
            ignore_nulls,
            json.as_mut(),
            &mut drv,
            &mut special,
            &mut context,
        )
        .map_err(|mut e| {
            e.push_trace(
                format!("while evaluating attribute '{key}' of derivation '{name}'"),
                span,
            );
            e
        })?;
    }
    if let Some(mut json) = json {
        json.insert(0, '{');
        json.push('}');
        drv.env.insert("__json".to_string(), json.into());
    }
    let ctx = vm.context().clone();
    add_inputs(&ctx.store, &mut drv, &context)?;
    if drv.builder.is_empty() {
        return Err(Error::other("required attribute 'builder' missing"));
    }
    if drv.platform.is_empty() {
        return Err(Error::other("required attribute 'system' missing"));
    }
    if store::is_derivation_path(&name) {
        return Err(Error::other(
            "derivation names are not allowed to end in '.drv'",
        ));
    }
    let outputs = special
        .outputs
        .clone()
        .unwrap_or_else(|| vec!["out".to_string()]);
    let fixed = fixed_output(&special, &outputs)?;
    let drv_path = drv.instantiate(store::store_dir(&ctx), &ctx.store, &outputs, fixed)?;
    Ok(result_attrs(&drv_path, &drv))
}

/// `{ drvPath = …; <output> = …; }`, each string depending on the
/// derivation as a whole or on its one output.
fn result_attrs(drv_path: &str, drv: &Derivation) -> Value {
    let mut result = vec![(
        known::drv_path(),
        string_with(
            drv_path.to_string(),
            ContextElem::AllOutputs(drv_path.to_string()),
        ),
    )];
    for (output, path) in drv.output_paths() {
        let elem = ContextElem::Output {
            drv: drv_path.to_string(),
            output: output.clone(),
        };
        result.push((
            crate::symbol::Symbol::intern(output),
            string_with(path.to_string(), elem),
        ));
    }
    Value::Attrs(Attrs::from_unsorted(result))
}

/// Output checks that only work as top-level attributes without
/// `__structuredAttrs`.
const LEGACY_CHECKS: &[&str] = &[
    "allowedReferences",
    "allowedRequisites",
    "disallowedReferences",
    "disallowedRequisites",
    "maxClosureSize",
    "maxSize",
];

/// Warns, as current Nix does, that a legacy output check is ignored under
/// `__structuredAttrs`.
fn warn_legacy_check<E: Engine + ?Sized>(
    vm: &E,
    name: &str,
    key: &str,
    span: Option<crate::source::Span>,
) {
    let ctx = vm.context();
    let mut text = format!(
        "warning:\n         … while evaluating derivation '{name}'\n\n         warning: 'structuredAttrs' disables the effect of the derivation attribute '{key}'; use 'outputChecks.<output>.{key}' instead"
    );
    if let Some(span) = span {
        // Nix points at the start of the attribute with a single caret.
        let point = span.subspan(0, 0);
        let loc = ctx.location(point);
        text.push_str(&format!(
            "\n         at {}:{}:{}:\n",
            loc.file, loc.line, loc.column
        ));
        // Line numbers sit in a two-column field after a 13-space margin.
        let digits = (loc.line + 1).to_string().len();
        let indent = " ".repeat(13 + 2usize.saturating_sub(digits));
        text.push_str(ctx.sources.render_excerpt(point, &indent).trim_end());
    }
    ctx.io.warn(&text);
}

fn experimental(feature: &str) -> Error {
    Error::other(format!(
        "experimental Nix feature '{feature}' is disabled; use '--extra-experimental-features {feature}' to override"
    ))
}

fn string_with(text: String, elem: ContextElem) -> Value {
    let mut context = Context::new();
    context.insert(elem);
    Value::String(NixString::with_context(text, context))
}

/// Processes one attribute: into the environment (or the JSON), and into
/// the special fields it may set.
#[allow(clippy::too_many_arguments)]
fn add_attribute<E: Engine + ?Sized>(
    vm: &mut E,
    key: &str,
    value: &Value,
    ignore_nulls: bool,
    json: Option<&mut String>,
    drv: &mut Derivation,
    special: &mut Special,
    context: &mut Context,
) -> Result<()> {
    if ignore_nulls && matches!(vm.force_ref(value)?, Value::Null) {
        return Ok(());
    }
    match key {
        // Both need experimental features this evaluator does not offer;
        // neither goes into the environment.
        "__contentAddressed" => {
            if vm.force_bool(value.clone())? {
                return Err(experimental("ca-derivations"));
            }
            return Ok(());
        }
        "__impure" => {
            if vm.force_bool(value.clone())? {
                return Err(experimental("impure-derivations"));
            }
            return Ok(());
        }
        "args" => {
            let items = vm.force_list(value.clone())?;
            for item in items.iter() {
                let s = coerce_for_builder(vm, item.clone()).map_err(|e| {
                    crate::trace::with_context(
                        e,
                        "while evaluating an element of the argument list".to_string(),
                    )
                })?;
                collect_context(context, &s);
                drv.args.push(s.as_bytes().into());
            }
            return Ok(());
        }
        _ => {}
    }
    match json {
        Some(json) => {
            if key == "__structuredAttrs" {
                return Ok(());
            }
            if !json.is_empty() {
                json.push(',');
            }
            write_json_str(json, key);
            json.push(':');
            write_json(vm, value, context, json)?;
            structured_special(vm, key, value, drv, special, context)
        }
        None => {
            let s = coerce_for_builder(vm, value.clone())?;
            collect_context(context, &s);
            // Any bytes go into the environment, as in Nix; the attributes
            // that say how to build must be text.
            drv.env.insert(key.to_string(), s.as_bytes().into());
            if !matches!(
                key,
                "builder"
                    | "system"
                    | "outputHash"
                    | "outputHashAlgo"
                    | "outputHashMode"
                    | "outputs"
            ) {
                return Ok(());
            }
            let text = s.utf8()?.to_string();
            match key {
                "builder" => drv.builder = text,
                "system" => drv.platform = text,
                "outputHash" => special.output_hash = Some(text),
                "outputHashAlgo" => special.output_hash_algo = text,
                "outputHashMode" => special.method = Some(hash_mode(&text)?),
                "outputs" => {
                    let names = text
                        .split([' ', '\t', '\n', '\r'])
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect();
                    special.outputs = Some(check_outputs(names)?);
                }
                _ => {}
            }
            Ok(())
        }
    }
}

/// The special attributes under `__structuredAttrs`, which are typed.
fn structured_special<E: Engine + ?Sized>(
    vm: &mut E,
    key: &str,
    value: &Value,
    drv: &mut Derivation,
    special: &mut Special,
    context: &mut Context,
) -> Result<()> {
    match key {
        "builder" => {
            let s = vm.force_string(value.clone())?;
            collect_context(context, &s);
            drv.builder = s.utf8()?.to_string();
        }
        "system" => drv.platform = force_string_no_context(vm, value)?,
        "outputHash" => special.output_hash = Some(force_string_no_context(vm, value)?),
        "outputHashAlgo" => special.output_hash_algo = force_string_no_context(vm, value)?,
        "outputHashMode" => special.method = Some(hash_mode(&force_string_no_context(vm, value)?)?),
        "outputs" => {
            let items = vm.force_list(value.clone())?;
            let mut names = Vec::with_capacity(items.len());
            for item in items.iter() {
                names.push(force_string_no_context(vm, item)?);
            }
            special.outputs = Some(check_outputs(names)?);
        }
        _ => {}
    }
    Ok(())
}

fn hash_mode(text: &str) -> Result<Ingestion> {
    match text {
        "recursive" => Ok(Ingestion::Recursive),
        "flat" => Ok(Ingestion::Flat),
        other => Err(Error::other(format!(
            "invalid value '{other}' for 'outputHashMode' attribute"
        ))),
    }
}

/// Rejects duplicate outputs, an empty list, and names that would clash
/// with the attributes `derivation` adds.
fn check_outputs(names: Vec<String>) -> Result<Vec<String>> {
    let mut seen = BTreeSet::new();
    for name in &names {
        if !seen.insert(name.as_str()) {
            return Err(Error::other(format!(
                "duplicate derivation output '{name}'"
            )));
        }
        if name == "drv" || name == "drvPath" {
            return Err(Error::other(format!(
                "invalid derivation output name '{name}'"
            )));
        }
    }
    if names.is_empty() {
        return Err(Error::other(
            "derivation cannot have an empty set of outputs",
        ));
    }
    Ok(seen.into_iter().map(str::to_string).collect())
}

/// The declared content of a fixed-output derivation, if it is one.
fn fixed_output(special: &Special, outputs: &[String]) -> Result<Option<FixedOutput>> {
    let Some(text) = &special.output_hash else {
        return Ok(None);
    };
    if outputs != ["out"] {
        return Err(Error::other(
            "multiple outputs are not supported in fixed-output derivations",
        ));
    }
    let hash = Hash::parse_allow_empty(text, HashAlgo::parse(&special.output_hash_algo))?;
    Ok(Some(FixedOutput {
        method: special.method.unwrap_or(Ingestion::Flat),
        hash,
    }))
}

fn collect_context(context: &mut Context, s: &NixString) {
    if let Some(c) = s.context() {
        context.extend(c.iter().cloned());
    }
}

/// Turns the strings' context into the derivation's inputs: plain paths
/// are sources, outputs are input derivations, and a whole derivation
/// (`drvPath` itself) brings in everything it refers to.
fn add_inputs(state: &StoreState, drv: &mut Derivation, context: &Context) -> Result<()> {
    for elem in context {
        match elem {
            ContextElem::Plain(p) => {
                drv.input_srcs.insert(p.clone());
            }
            ContextElem::Output { drv: d, output } => {
                drv.input_drvs
                    .entry(d.clone())
                    .or_default()
                    .insert(output.clone());
            }
            ContextElem::AllOutputs(d) => {
                for path in state.closure(d) {
                    if store::is_derivation_path(&path) {
                        let info = state
                            .derivation(&path)
                            .ok_or_else(|| Error::other(format!("path '{path}' is not valid")))?;
                        drv.input_drvs
                            .entry(path.clone())
                            .or_default()
                            .extend(info.output_hashes.into_keys());
                    }
                    drv.input_srcs.insert(path);
                }
            }
        }
    }
    Ok(())
}

/// Coerces an attribute for the builder's environment: like `toString`,
/// but paths are copied to the store first.
fn coerce_for_builder<E: Engine + ?Sized>(vm: &mut E, value: Value) -> Result<NixString> {
    let value = vm.force(value)?;
    match value {
        Value::Path(p) => vm.copy_path_to_store(p.utf8()?),
        Value::List(items) => {
            let mut out = crate::value::StringBuilder::default();
            for (i, item) in items.iter().enumerate() {
                let item = vm.force_ref(item)?;
                let is_empty_list = matches!(&item, Value::List(l) if l.is_empty());
                let s = ensure_sufficient_stack(|| coerce_for_builder(vm, item))?;
                out.push(&s);
                if i + 1 < items.len() && !is_empty_list {
                    out.push_str(" ");
                }
            }
            Ok(out.finish())
        }
        Value::Attrs(ref attrs) => {
            if let Some(f) = attrs.get(known::to_string()).cloned() {
                let result = vm.call(f, value.clone())?;
                return ensure_sufficient_stack(|| coerce_for_builder(vm, result));
            }
            if let Some(out) = attrs.get(known::out_path()).cloned() {
                return ensure_sufficient_stack(|| coerce_for_builder(vm, out));
            }
            vm.coerce_to_string(value, CoercionKind::ToString)
        }
        other => vm.coerce_to_string(other, CoercionKind::ToString),
    }
}

// ---- structured attributes ------------------------------------------------

/// Appends `value` as JSON for `__json`: paths are copied to the store and
/// every string's context is collected.
fn write_json<E: Engine + ?Sized>(
    vm: &mut E,
    value: &Value,
    context: &mut Context,
    out: &mut String,
) -> Result<()> {
    let value = vm.force_ref(value)?;
    match &value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&crate::print::format_float(*f)),
        Value::String(s) => {
            collect_context(context, s);
            write_json_str(out, s.utf8()?);
        }
        Value::Path(p) => {
            let s = vm.copy_path_to_store(p.utf8()?)?;
            collect_context(context, &s);
            write_json_str(out, s.utf8()?);
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ensure_sufficient_stack(|| write_json(vm, item, context, out))?;
            }
            out.push(']');
        }
        Value::Attrs(attrs) => {
            if let Some(f) = attrs.get(known::to_string()).cloned() {
                // What `__toString` returns is not copied to the store.
                let result = vm.call(f, value.clone())?;
                let s = vm.coerce_to_string(result, CoercionKind::PathInterpolation)?;
                collect_context(context, &s);
                write_json_str(out, s.utf8()?);
                return Ok(());
            }
            if let Some(inner) = attrs.get(known::out_path()) {
                return ensure_sufficient_stack(|| write_json(vm, inner, context, out));
            }
            out.push('{');
            for (i, (key, item)) in attrs.sorted_entries().into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_str(out, crate::value::utf8(&key)?);
                out.push(':');
                ensure_sufficient_stack(|| write_json(vm, item, context, out)).map_err(|e| {
                    crate::trace::with_context(
                        e,
                        format!("while evaluating attribute '{}'", key.as_bstr()),
                    )
                })?;
            }
            out.push('}');
        }
        other => {
            return Err(Error::other(format!(
                "cannot convert {} to JSON",
                other.type_phrase()
            )))
        }
    }
    Ok(())
}
