//! Type predicates: `typeOf`, `isAttrs`, `isInt`, …

use crate::engine::Engine;
use crate::error::Result;
use crate::value::BuiltinFn::Plain;
use crate::value::OnGenerator;
use crate::value::{Builtin, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "typeOf",
        arity: 1,
        func: Plain(type_of),
        shared: Plain(type_of),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
    Builtin {
        name: "isAttrs",
        arity: 1,
        func: Plain(is_attrs),
        shared: Plain(is_attrs),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
    Builtin {
        name: "isBool",
        arity: 1,
        func: Plain(is_bool),
        shared: Plain(is_bool),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
    Builtin {
        name: "isFloat",
        arity: 1,
        func: Plain(is_float),
        shared: Plain(is_float),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
    Builtin {
        name: "isFunction",
        arity: 1,
        func: Plain(is_function),
        shared: Plain(is_function),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
    Builtin {
        name: "isInt",
        arity: 1,
        func: Plain(is_int),
        shared: Plain(is_int),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
    Builtin {
        name: "isList",
        arity: 1,
        func: Plain(is_list),
        shared: Plain(is_list),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
    Builtin {
        name: "isNull",
        arity: 1,
        func: Plain(is_null),
        shared: Plain(is_null),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
    Builtin {
        name: "isPath",
        arity: 1,
        func: Plain(is_path),
        shared: Plain(is_path),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
    Builtin {
        name: "isString",
        arity: 1,
        func: Plain(is_string),
        shared: Plain(is_string),
        on_generator: OnGenerator::Shared,
        forces_first: Some(0),
    },
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
