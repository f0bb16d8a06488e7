//! Type predicates: `typeOf`, `isAttrs`, `isInt`, …

use crate::error::Result;
use crate::value::BuiltinFn::Plain;
use crate::value::{Builtin, Value};
use crate::vm::Vm;

pub(super) static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "typeOf",
        arity: 1,
        func: Plain(type_of),
        forces_first: Some(0),
    },
    Builtin {
        name: "isAttrs",
        arity: 1,
        func: Plain(is_attrs),
        forces_first: Some(0),
    },
    Builtin {
        name: "isBool",
        arity: 1,
        func: Plain(is_bool),
        forces_first: Some(0),
    },
    Builtin {
        name: "isFloat",
        arity: 1,
        func: Plain(is_float),
        forces_first: Some(0),
    },
    Builtin {
        name: "isFunction",
        arity: 1,
        func: Plain(is_function),
        forces_first: Some(0),
    },
    Builtin {
        name: "isInt",
        arity: 1,
        func: Plain(is_int),
        forces_first: Some(0),
    },
    Builtin {
        name: "isList",
        arity: 1,
        func: Plain(is_list),
        forces_first: Some(0),
    },
    Builtin {
        name: "isNull",
        arity: 1,
        func: Plain(is_null),
        forces_first: Some(0),
    },
    Builtin {
        name: "isPath",
        arity: 1,
        func: Plain(is_path),
        forces_first: Some(0),
    },
    Builtin {
        name: "isString",
        arity: 1,
        func: Plain(is_string),
        forces_first: Some(0),
    },
];

fn type_of(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    Ok(Value::string(vm.force(args[0].clone())?.type_name()))
}

fn check(vm: &mut Vm, args: &[Value], pred: fn(&Value) -> bool) -> Result<Value> {
    Ok(Value::Bool(pred(&vm.force(args[0].clone())?)))
}

fn is_attrs(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Attrs(_)))
}

fn is_bool(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Bool(_)))
}

fn is_float(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Float(_)))
}

fn is_function(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    check(vm, args, Value::is_function)
}

fn is_int(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Int(_)))
}

fn is_list(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::List(_)))
}

fn is_null(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Null))
}

fn is_path(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::Path(_)))
}

fn is_string(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    check(vm, args, |v| matches!(v, Value::String(_)))
}
