//! Arithmetic and bitwise builtins.

use crate::engine::Engine;
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Builtin, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("add" / 2 => Plain(add)),
    builtin!("sub" / 2 => Plain(sub)),
    builtin!("mul" / 2 => Plain(mul)),
    builtin!("div" / 2 => Plain(div)),
    builtin!("lessThan" / 2 => Plain(less_than)),
    builtin!("bitAnd" / 2 => Plain(bit_and)),
    builtin!("bitOr" / 2 => Plain(bit_or)),
    builtin!("bitXor" / 2 => Plain(bit_xor)),
    builtin!("ceil" / 1 => Plain(ceil)),
    builtin!("floor" / 1 => Plain(floor)),
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
