//! Attribute-set builtins.

use rustc_hash::FxHashMap;

use crate::engine::{BuiltinStep, Engine, Resume};
use crate::error::{Error, Result};
use crate::symbol::{known, Symbol};
use crate::value::{Attrs, AttrsBuilder, Builtin, Deferred, List, Thunk, Value};

/// Values gathered by attribute name (`zipAttrsWith`, `groupBy`).
pub(crate) type Groups = FxHashMap<Symbol, Vec<Value>>;

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("attrNames" / 1 => Plain(attr_names), forces 0),
    builtin!("attrValues" / 1 => Plain(attr_values), forces 0),
    builtin!("getAttr" / 2 => Plain(get_attr)),
    builtin!("hasAttr" / 2 => Plain(has_attr)),
    builtin!("removeAttrs" / 2 => Plain(remove_attrs), generator Own),
    builtin!("listToAttrs" / 1 => Plain(list_to_attrs), forces 0, generator Own),
    builtin!("mapAttrs" / 2 => Plain(map_attrs), forces 1),
    builtin!("intersectAttrs" / 2 => Plain(intersect_attrs)),
    builtin!("catAttrs" / 2 => Plain(cat_attrs), forces 0, generator Own),
    builtin!("functionArgs" / 1 => Plain(function_args)),
    builtin!("unsafeGetAttrPos" / 2 => Plain(unsafe_get_attr_pos)),
    builtin!("zipAttrsWith" / 2 => Plain(zip_attrs_with), forces 0, generator Own),
    builtin!("groupBy" / 2 => Stepped(group_by), forces 0),
];

fn attr_names<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let attrs = vm.force_attrs(args[0].clone())?;
    Ok(Value::list(
        attrs
            .sorted_names()
            .into_iter()
            .map(|n| Value::string(&*n))
            .collect(),
    ))
}

fn attr_values<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let attrs = vm.force_attrs(args[0].clone())?;
    Ok(Value::list(
        attrs
            .sorted_entries()
            .into_iter()
            .map(|(_, v)| v.clone())
            .collect(),
    ))
}

/// An attribute name given as a string (which may not refer to store paths).
fn name_arg<E: Engine + ?Sized>(vm: &mut E, v: &Value) -> Result<Symbol> {
    Ok(Symbol::intern(
        vm.force_string(v.clone())?.refusing_context()?.as_bytes(),
    ))
}

fn get_attr<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let name = name_arg(vm, &args[0])?;
    vm.select(args[1].clone(), name)
}

fn has_attr<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let name = name_arg(vm, &args[0])?;
    let attrs = vm.force_attrs(args[1].clone())?;
    Ok(Value::Bool(attrs.contains(name)))
}

fn remove_attrs<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let attrs = vm.force_attrs(args[0].clone())?;
    let names = vm.force_list(args[1].clone())?;
    let mut remove = Vec::with_capacity(names.len());
    for n in names.iter() {
        remove.push(name_arg(vm, n)?);
    }
    Ok(Value::Attrs(attrs.without(remove)))
}

fn list_to_attrs<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[0].clone())?;
    let mut builder = AttrsBuilder::with_capacity(list.len());
    for item in list.iter() {
        let entry = vm.force_attrs(item.clone())?;
        let name = match entry.get(known::name()) {
            Some(n) => name_arg(vm, &n.clone())?,
            None => return Err(Error::other("attribute 'name' missing")),
        };
        let value = match entry.get(known::value()) {
            Some(v) => v.clone(),
            None => return Err(Error::other("attribute 'value' missing")),
        };
        builder.insert(name, value);
    }
    Ok(Value::Attrs(builder.finish_first_wins()))
}

fn map_attrs<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let attrs = vm.force_attrs(args[1].clone())?;
    let f = &args[0];
    let entries = attrs
        .iter()
        .map(|(k, v)| {
            let thunk = Thunk::new(Deferred::apply2(
                f.clone(),
                Value::string(&*k.name()),
                v.clone(),
            ));
            (*k, Value::Thunk(thunk))
        })
        .collect();
    Ok(Value::Attrs(Attrs::from_sorted(entries, None)))
}

fn intersect_attrs<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let a = vm.force_attrs(args[0].clone())?;
    let b = vm.force_attrs(args[1].clone())?;
    Ok(Value::Attrs(b.restricted_to(&a)))
}

fn cat_attrs<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let name = name_arg(vm, &args[0])?;
    let list = vm.force_list(args[1].clone())?;
    let mut out = Vec::new();
    for item in list.iter() {
        if let Some(v) = vm.force_attrs(item.clone())?.get(name) {
            out.push(v.clone());
        }
    }
    Ok(Value::list(out))
}

fn function_args<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    match vm.force(args[0].clone())? {
        Value::Closure(c) => {
            let Some(formals) = c.code().formals() else {
                return Ok(Value::Attrs(Attrs::empty()));
            };
            let mut entries: Vec<(Symbol, Value)> = formals
                .entries
                .iter()
                .map(|(name, has_default)| (*name, Value::Bool(*has_default)))
                .collect();
            entries.sort_by_key(|e| e.0);
            Ok(Value::Attrs(Attrs::from_sorted(
                entries,
                Some(formals.positions.clone()),
            )))
        }
        Value::Builtin(_) | Value::PrimApp(_) => Ok(Value::Attrs(Attrs::empty())),
        other => Err(Error::type_mismatch("a function", other.type_phrase())),
    }
}

fn unsafe_get_attr_pos<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let name = name_arg(vm, &args[0])?;
    let attrs = vm.force_attrs(args[1].clone())?;
    match attrs.position(name) {
        Some(span) if attrs.contains(name) => {
            let loc = vm.context().location(span);
            Ok(super::attrs_of([
                ("file", Value::string(loc.file)),
                ("line", Value::Int(loc.line as i64)),
                ("column", Value::Int(loc.column as i64)),
            ]))
        }
        _ => Ok(Value::Null),
    }
}

/// `zipAttrsWith`: like Nix, requires a function even when it is not called.
fn zip_attrs_with<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    vm.force_function(args[0].clone())?;
    let sets = vm.force_list(args[1].clone())?;
    let mut grouped: Groups = Groups::default();
    for set in sets.iter() {
        for (k, v) in vm.force_attrs(set.clone())?.iter() {
            grouped.entry(*k).or_default().push(v.clone());
        }
    }
    Ok(zipped(&args[0], grouped))
}

/// `groupBy`: like Nix, requires a function even for an empty list.
fn group_by<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<BuiltinStep<E>> {
    let function = vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    let grouping = Box::new(Grouping {
        function,
        list,
        next: 0,
        groups: Groups::default(),
    });
    Ok(grouping.next_element())
}

/// `groupBy` between calls of its function: resumed with the name of the
/// group of `list[next - 1]`.
struct Grouping {
    function: Value,
    list: List,
    next: usize,
    groups: Groups,
}

impl Grouping {
    fn next_element<E: Engine + ?Sized>(mut self: Box<Self>) -> BuiltinStep<E> {
        let Some(x) = self.list.get(self.next).cloned() else {
            return BuiltinStep::Done(grouped_lists(self.groups));
        };
        self.next += 1;
        let function = self.function.clone();
        BuiltinStep::call(function, x, self)
    }
}

impl<E: Engine + ?Sized> Resume<E> for Grouping {
    fn resume(mut self: Box<Self>, vm: &mut E, name: Value) -> Result<BuiltinStep<E>> {
        let name = name_arg(vm, &name)?;
        let x = self.list.as_slice()[self.next - 1].clone();
        self.groups.entry(name).or_default().push(x);
        Ok(self.next_element())
    }
}

fn sorted_groups(groups: Groups) -> Vec<(Symbol, Vec<Value>)> {
    let mut groups: Vec<(Symbol, Vec<Value>)> = groups.into_iter().collect();
    groups.sort_by_key(|g| g.0);
    groups
}

/// The result of `zipAttrsWith f`: each name's values, with `f name values`
/// left to be applied lazily. Shared with the generator VM.
pub(crate) fn zipped(function: &Value, grouped: Groups) -> Value {
    let entries = sorted_groups(grouped)
        .into_iter()
        .map(|(k, values)| {
            let thunk = Thunk::new(Deferred::apply2(
                function.clone(),
                Value::string(&*k.name()),
                Value::list(values),
            ));
            (k, Value::Thunk(thunk))
        })
        .collect();
    Value::Attrs(Attrs::from_sorted(entries, None))
}

/// The result of `groupBy`: the elements of each group as a list. Shared
/// with the generator VM.
pub(crate) fn grouped_lists(groups: Groups) -> Value {
    let entries = sorted_groups(groups)
        .into_iter()
        .map(|(k, v)| (k, Value::list(v)))
        .collect();
    Value::Attrs(Attrs::from_sorted(entries, None))
}
