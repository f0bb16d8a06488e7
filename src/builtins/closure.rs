//! `genericClosure`: the transitive closure of a start set under an
//! operator, with elements told apart by their `key`.

use std::cmp::Ordering;
use std::collections::VecDeque;

use crate::engine::{BuiltinStep, Engine, Resume};
use crate::error::{Error, Result};
use crate::symbol::known;
use crate::value::{Attrs, Builtin, Value};

pub(super) static BUILTINS: &[Builtin] =
    &[builtin!("genericClosure" / 1 => Stepped(generic_closure), forces 0, generator Own)];

/// The attribute `name` of the argument set, or Nix's error for its absence.
fn required(attrs: &Attrs, name: crate::symbol::Symbol) -> Result<Value> {
    attrs.get(name).cloned().ok_or_else(|| {
        Error::other(format!(
            "attribute '{name}' missing for call to 'genericClosure'"
        ))
    })
}

/// Keys seen so far, sorted by Nix's ordering (which may fail, as for two
/// sets, so no ordinary ordered container can hold them).
struct SeenKeys(Vec<Value>);

impl SeenKeys {
    /// Adds `key`; false when an equal key was there already.
    fn insert<E: Engine + ?Sized>(&mut self, vm: &mut E, key: Value) -> Result<bool> {
        let (mut low, mut high) = (0, self.0.len());
        while low < high {
            let mid = (low + high) / 2;
            // The new key goes first, as in Nix's set insertion, which
            // decides the wording of a failed comparison.
            match vm.compare(key.clone(), self.0[mid].clone())? {
                Ordering::Less => high = mid,
                Ordering::Greater => low = mid + 1,
                Ordering::Equal => return Ok(false),
            }
        }
        self.0.insert(low, key);
        Ok(true)
    }
}

/// Breadth-first from `startSet`: each element whose `key` is new is kept
/// and `operator` applied to it; what it returns joins the queue.
fn generic_closure<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<BuiltinStep<E>> {
    let attrs = vm.force_attrs(args[0].clone())?;
    let start = required(&attrs, known::start_set())?;
    let queue: VecDeque<Value> = vm.force_list(start)?.iter().cloned().collect();
    let operator = required(&attrs, known::operator())?;
    let operator = vm.force(operator)?;
    let walk = Box::new(Walk {
        operator,
        queue,
        seen: SeenKeys(Vec::new()),
        result: Vec::new(),
        waiting: Waiting::Element,
    });
    Ok(walk.next_element())
}

/// `genericClosure` between steps.
struct Walk {
    operator: Value,
    queue: VecDeque<Value>,
    seen: SeenKeys,
    result: Vec<Value>,
    waiting: Waiting,
}

/// What a [`Walk`] is resumed with.
enum Waiting {
    /// The element taken from the queue, forced.
    Element,
    /// The key of this element, forced.
    Key(Value),
    /// The list `operator` returned for the element kept last.
    Successors,
}

impl Walk {
    fn next_element<E: Engine + ?Sized>(mut self: Box<Self>) -> BuiltinStep<E> {
        match self.queue.pop_front() {
            Some(element) => {
                self.waiting = Waiting::Element;
                BuiltinStep::Force(element, self)
            }
            None => BuiltinStep::Done(Value::list(self.result)),
        }
    }
}

impl<E: Engine + ?Sized> Resume<E> for Walk {
    fn resume(mut self: Box<Self>, vm: &mut E, value: Value) -> Result<BuiltinStep<E>> {
        match std::mem::replace(&mut self.waiting, Waiting::Successors) {
            Waiting::Element => {
                let key = match &value {
                    Value::Attrs(a) => a.get(known::key()).cloned(),
                    other => return Err(Error::type_mismatch("a set", other.type_phrase())),
                };
                let Some(key) = key else {
                    return Err(Error::other("attribute 'key' required"));
                };
                self.waiting = Waiting::Key(value);
                Ok(BuiltinStep::Force(key, self))
            }
            Waiting::Key(element) => {
                if !self.seen.insert(vm, value)? {
                    return Ok(self.next_element());
                }
                self.result.push(element.clone());
                let operator = self.operator.clone();
                Ok(BuiltinStep::call(operator, element, self))
            }
            Waiting::Successors => match value {
                Value::List(items) => {
                    self.queue.extend(items.iter().cloned());
                    Ok(self.next_element())
                }
                other => Err(Error::type_mismatch("a list", other.type_phrase())),
            },
        }
    }
}
