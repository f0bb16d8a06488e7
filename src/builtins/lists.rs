//! List builtins.

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::value::{Builtin, Deferred, List, Thunk, Value};
use crate::vm::Vm;

pub(super) static BUILTINS: &[Builtin] = &[
    Builtin {
        name: "map",
        arity: 2,
        func: map,
        forces_first: Some(1),
    },
    Builtin {
        name: "length",
        arity: 1,
        func: length,
        forces_first: Some(0),
    },
    Builtin {
        name: "head",
        arity: 1,
        func: head,
        forces_first: Some(0),
    },
    Builtin {
        name: "tail",
        arity: 1,
        func: tail,
        forces_first: Some(0),
    },
    Builtin {
        name: "elemAt",
        arity: 2,
        func: elem_at,
        forces_first: Some(0),
    },
    Builtin {
        name: "filter",
        arity: 2,
        func: filter,
        forces_first: Some(1),
    },
    Builtin {
        name: "foldl'",
        arity: 3,
        func: foldl_strict,
        forces_first: Some(0),
    },
    Builtin {
        name: "genList",
        arity: 2,
        func: gen_list,
        forces_first: Some(1),
    },
    Builtin {
        name: "concatLists",
        arity: 1,
        func: concat_lists,
        forces_first: Some(0),
    },
    Builtin {
        name: "concatMap",
        arity: 2,
        func: concat_map,
        forces_first: Some(0),
    },
    Builtin {
        name: "elem",
        arity: 2,
        func: elem,
        forces_first: Some(1),
    },
    Builtin {
        name: "any",
        arity: 2,
        func: any,
        forces_first: Some(0),
    },
    Builtin {
        name: "all",
        arity: 2,
        func: all,
        forces_first: Some(0),
    },
    Builtin {
        name: "sort",
        arity: 2,
        func: sort,
        forces_first: Some(1),
    },
    Builtin {
        name: "partition",
        arity: 2,
        func: partition,
        forces_first: Some(0),
    },
];

/// A thunk for `f x`, so that list builtins stay lazy in the elements.
pub(crate) fn lazy_apply(function: &Value, arg: Value) -> Value {
    Value::Thunk(Thunk::new(Deferred::Apply {
        function: function.clone(),
        arg,
    }))
}

fn map(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[1].clone())?;
    let f = &args[0];
    Ok(Value::list(
        list.iter().map(|x| lazy_apply(f, x.clone())).collect(),
    ))
}

fn length(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    Ok(Value::Int(vm.force_list(args[0].clone())?.len() as i64))
}

fn head(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[0].clone())?;
    match list.get(0) {
        Some(v) => Ok(v.clone()),
        None => Err(Error::other("'builtins.head' called on an empty list")),
    }
}

fn tail(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[0].clone())?;
    if list.is_empty() {
        return Err(Error::other("'builtins.tail' called on an empty list"));
    }
    Ok(Value::list(list.as_slice()[1..].to_vec()))
}

fn elem_at(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[0].clone())?;
    let i = vm.force_int(args[1].clone())?;
    match usize::try_from(i).ok().and_then(|i| list.get(i)) {
        Some(v) => Ok(v.clone()),
        None => Err(Error::other(format!("list index {i} is out of bounds"))),
    }
}

fn filter(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[1].clone())?;
    let mut out = Vec::new();
    for x in list.iter() {
        if predicate(vm, &args[0], x)? {
            out.push(x.clone());
        }
    }
    if out.len() == list.len() {
        return Ok(Value::List(list));
    }
    Ok(Value::list(out))
}

/// Calls a Nix predicate and requires a Boolean answer.
fn predicate(vm: &mut Vm, f: &Value, x: &Value) -> Result<bool> {
    let answer = vm.call(f.clone(), x.clone())?;
    vm.force_bool(answer)
}

/// `foldl'`: like Nix, requires a function even for an empty list.
fn foldl_strict(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[2].clone())?;
    let mut acc = args[1].clone();
    for x in list.iter() {
        acc = vm.call2_forced(args[0].clone(), acc, x.clone())?;
    }
    vm.force(acc)
}

fn gen_list(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let n = vm.force_int(args[1].clone())?;
    if n < 0 {
        return Err(Error::other(format!("cannot create list of size {n}")));
    }
    let f = vm.force(args[0].clone())?;
    Ok(Value::list(
        (0..n).map(|i| lazy_apply(&f, Value::Int(i))).collect(),
    ))
}

fn concat_lists(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let lists = vm.force_list(args[0].clone())?;
    let mut out = Vec::new();
    for l in lists.iter() {
        out.extend_from_slice(vm.force_list(l.clone())?.as_slice());
    }
    Ok(Value::list(out))
}

/// `concatMap`: like Nix, requires a function even for an empty list.
fn concat_map(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    let mut out = Vec::new();
    for x in list.iter() {
        let mapped = vm.call(args[0].clone(), x.clone())?;
        out.extend_from_slice(vm.force_list(mapped)?.as_slice());
    }
    Ok(Value::list(out))
}

fn elem(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[1].clone())?;
    for x in list.iter() {
        if vm.equal(args[0].clone(), x.clone())? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// `any`: like Nix, requires a function even for an empty list.
fn any(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    for x in list.iter() {
        if predicate(vm, &args[0], x)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// `all`: like Nix, requires a function even for an empty list.
fn all(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    for x in list.iter() {
        if !predicate(vm, &args[0], x)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

/// `sort`: the standard library's stable sort, with a comparator that calls
/// the Nix function. The sort only ever asks "is a less than b?", so one
/// Nix call answers each comparison. The first error from the comparator
/// stops further calls and is returned after the sort. Like Nix, every
/// element is forced first, whether the comparator looks at it or not.
fn sort(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    let list = vm.force_list(args[1].clone())?;
    let less = vm.force_function(args[0].clone())?;
    for x in list.iter() {
        vm.force(x.clone())?;
    }
    let mut items: Vec<Value> = list.as_slice().to_vec();
    let mut failure: Option<Error> = None;
    let sorted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        items.sort_by(|a, b| {
            if failure.is_some() {
                return Ordering::Equal;
            }
            match vm
                .call2_forced(less.clone(), a.clone(), b.clone())
                .and_then(|r| vm.force_bool(r))
            {
                Ok(true) => Ordering::Less,
                Ok(false) => Ordering::Equal,
                Err(e) => {
                    failure = Some(e);
                    Ordering::Equal
                }
            }
        })
    }));
    if let Err(payload) = sorted {
        if !is_order_violation(payload.as_ref()) {
            std::panic::resume_unwind(payload);
        }
        return Err(Error::other(
            "the comparator given to 'builtins.sort' is not a strict weak ordering",
        ));
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(Value::List(List::from_vec(items))),
    }
}

/// Whether a panic is the standard sort's report of an inconsistent comparator.
fn is_order_violation(payload: &(dyn std::any::Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(|s| s.as_str()));
    text.is_some_and(|t| t.contains("total order"))
}

/// `partition`: like Nix, requires a function even for an empty list, and
/// forces each element before passing it to the predicate.
fn partition(vm: &mut Vm, args: &[Value]) -> Result<Value> {
    vm.force_function(args[0].clone())?;
    let list = vm.force_list(args[1].clone())?;
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for x in list.iter() {
        vm.force(x.clone())?;
        if predicate(vm, &args[0], x)? {
            right.push(x.clone());
        } else {
            wrong.push(x.clone());
        }
    }
    Ok(super::attrs_of([
        ("right", Value::list(right)),
        ("wrong", Value::list(wrong)),
    ]))
}
