//! Type predicates: `typeOf`, `isAttrs`, `isInt`, …

use crate::engine::Engine;
use crate::error::Result;
use crate::value::{Builtin, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("typeOf" / 1 => Plain(type_of), forces 0),
    builtin!("isAttrs" / 1 => Plain(is_attrs), forces 0),
    builtin!("isBool" / 1 => Plain(is_bool), forces 0),
    builtin!("isFloat" / 1 => Plain(is_float), forces 0),
    builtin!("isFunction" / 1 => Plain(is_function), forces 0),
    builtin!("isInt" / 1 => Plain(is_int), forces 0),
    builtin!("isList" / 1 => Plain(is_list), forces 0),
    builtin!("isNull" / 1 => Plain(is_null), forces 0),
    builtin!("isPath" / 1 => Plain(is_path), forces 0),
    builtin!("isString" / 1 => Plain(is_string), forces 0),
];

fn type_of<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    Ok(Value::string(vm.force(args[0].clone())?.type_name()))
}

fn check<E: Engine + ?Sized>(
    vm: &mut E,
    args: &[Value],
    pred: fn(&Value) -> bool,
) -> Result<Value> {
    Ok(Value::Bool(pred(&vm.force(args[0].clone())?)))
}

fn is_attrs<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Attrs(_)))
}

fn is_bool<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Bool(_)))
}

fn is_float<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Float(_)))
}

fn is_function<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check(vm, args, Value::is_function)
}

fn is_int<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Int(_)))
}

fn is_list<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::List(_)))
}

fn is_null<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Null))
}

fn is_path<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Path(_)))
}

fn is_string<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::String(_)))
}
