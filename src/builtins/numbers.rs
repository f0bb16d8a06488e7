//! Arithmetic and bitwise builtins.

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::value::BuiltinFn::Plain;
use crate::value::OnGenerator;
use crate::value::{Builtin, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "add",
        arity: 2,
        func: Plain(add),
        shared: Plain(add),
        on_generator: OnGenerator::Shared,
        forces_first: None,
    },
    Builtin {
        name: "sub",
        arity: 2,
        func: Plain(sub),
        shared: Plain(sub),
        on_generator: OnGenerator::Shared,
        forces_first: None,
    },
    Builtin {
        name: "mul",
        arity: 2,
        func: Plain(mul),
        shared: Plain(mul),
        on_generator: OnGenerator::Shared,
        forces_first: None,
    },
    Builtin {
        name: "div",
        arity: 2,
        func: Plain(div),
        shared: Plain(div),
        on_generator: OnGenerator::Shared,
        forces_first: None,
    },
    Builtin {
        name: "lessThan",
        arity: 2,
        func: Plain(less_than),
        shared: Plain(less_than),
        on_generator: OnGenerator::Own,
        forces_first: None,
    },
    Builtin {
        name: "bitAnd",
        arity: 2,
        func: Plain(bit_and),
        shared: Plain(bit_and),
        on_generator: OnGenerator::Shared,
        forces_first: None,
    },
    Builtin {
        name: "bitOr",
        arity: 2,
        func: Plain(bit_or),
        shared: Plain(bit_or),
        on_generator: OnGenerator::Shared,
        forces_first: None,
    },
    Builtin {
        name: "bitXor",
        arity: 2,
        func: Plain(bit_xor),
        shared: Plain(bit_xor),
        on_generator: OnGenerator::Shared,
        forces_first: None,
    },
    Builtin {
        name: "ceil",
        arity: 1,
        func: Plain(ceil),
        shared: Plain(ceil),
        on_generator: OnGenerator::Shared,
        forces_first: None,
    },
    Builtin {
        name: "floor",
        arity: 1,
        func: Plain(floor),
        shared: Plain(floor),
        on_generator: OnGenerator::Shared,
        forces_first: None,
    },
];

fn add<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let (a, b) = numbers(vm, args)?;
    vm.add_numbers(a, b)
}

fn sub<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let (a, b) = numbers(vm, args)?;
    vm.sub(a, b)
}

fn mul<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let (a, b) = numbers(vm, args)?;
    vm.mul(a, b)
}

fn div<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let (a, b) = numbers(vm, args)?;
    vm.div(a, b)
}

/// Forces both arguments and requires numbers (the builtins, unlike `+`,
/// do not concatenate strings or paths).
fn numbers<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<(Value, Value)> {
    let a = vm.force(args[0].clone())?;
    let b = vm.force(args[1].clone())?;
    for v in [&a, &b] {
        if !matches!(v, Value::Int(_) | Value::Float(_)) {
            return Err(Error::type_mismatch("an integer", v.type_phrase()));
        }
    }
    Ok((a, b))
}

fn less_than<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    Ok(Value::Bool(vm.less_than(args[0].clone(), args[1].clone())?))
}

fn bitwise<E: Engine + ?Sized>(
    vm: &mut E,
    args: &[Value],
    op: fn(i64, i64) -> i64,
) -> Result<Value> {
    let a = vm.force_int(args[0].clone())?;
    let b = vm.force_int(args[1].clone())?;
    Ok(Value::Int(op(a, b)))
}

fn bit_and<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    bitwise(vm, args, |a, b| a & b)
}

fn bit_or<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    bitwise(vm, args, |a, b| a | b)
}

fn bit_xor<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    bitwise(vm, args, |a, b| a ^ b)
}

fn round<E: Engine + ?Sized>(vm: &mut E, args: &[Value], f: fn(f64) -> f64) -> Result<Value> {
    match vm.force(args[0].clone())? {
        Value::Int(i) => Ok(Value::Int(i)),
        Value::Float(x) => {
            let r = f(x);
            if r.is_finite() && r >= i64::MIN as f64 && r < i64::MAX as f64 {
                Ok(Value::Int(r as i64))
            } else {
                Err(Error::new(ErrorKind::Other(format!(
                    "float {x} does not fit in an integer"
                ))))
            }
        }
        other => Err(Error::type_mismatch("a float", other.type_phrase())),
    }
}

fn ceil<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    round(vm, args, f64::ceil)
}

fn floor<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    round(vm, args, f64::floor)
}
