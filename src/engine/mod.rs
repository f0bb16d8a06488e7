//! What builtins and the operations on values need from a VM, and those
//! operations written once against it.
//!
//! Both VMs run the same compiled code over the same values. What differs
//! is how they wait for Nix: the fiber VM ([`crate::vm::Vm`]) forces and
//! calls with plain native recursion; the generator VM
//! (`crate::genvm`, behind the `generator-vm` feature) never recurses
//! natively, so the context it gives builtins reads values already forced
//! and refuses anything else (forcing a pending thunk records it and fails,
//! so that the generator VM can force it with its own frames and run the
//! builtin again; calling fails).
//!
//! [`Engine`] is that interface: forcing, calling, and the evaluation
//! context. Everything else a builtin asks of a VM (coercion to a string,
//! `==` and `<`, deep forcing, arithmetic, the typed `force_*` helpers) is
//! a provided method written here once, over those few. The fiber VM
//! implements the trait directly and its builtins are instantiated for it,
//! so its path is statically dispatched; the generator VM's context is
//! reached through `dyn Engine`.
//!
//! `steps` is the protocol of *stepped* builtins, which both VMs drive:
//! the builtin asks for a value to be forced or a function called, and is
//! resumed with the answer. `frames` holds the stack operations that
//! evaluate nothing and that both VMs' dispatch loops share.

mod coerce;
mod compare;
mod deep;
pub(crate) mod frames;
mod import;
mod ops;
pub(crate) mod steps;

use std::cmp::Ordering;
use std::path::Path;
use std::rc::Rc;

pub use coerce::CoercionKind;
pub(crate) use compare::scalar_equal;
#[cfg(feature = "generator-vm")]
pub(crate) use compare::{compare_scalars, same_object};
#[cfg(feature = "generator-vm")]
pub(crate) use deep::Visit;
pub(crate) use import::prepare_import;
#[cfg(feature = "generator-vm")]
pub(crate) use ops::{append_to_path, missing_attribute};
pub use steps::{run_steps_natively, BuiltinStep, Callback, Resume};

use crate::context::EvalContext;
use crate::error::Result;
use crate::symbol::Symbol;
use crate::value::{Attrs, List, NixString, Value};

/// What a builtin needs from the VM running it.
///
/// The required methods are the only ones a VM provides; the provided
/// ones are written once, in this module's submodules, in terms of them.
/// A method that must evaluate Nix code (force a pending thunk, call a
/// closure) may fail on an engine that cannot do so natively.
pub trait Engine {
    /// The evaluation context (settings, sources, I/O, import cache).
    fn context(&self) -> &Rc<EvalContext>;

    /// Evaluates `value` to weak head normal form.
    fn force(&mut self, value: Value) -> Result<Value>;

    /// Evaluates a borrowed value to weak head normal form.
    fn force_ref(&mut self, value: &Value) -> Result<Value> {
        self.force(value.clone())
    }

    /// Applies `function` to `arg`. The result may be a thunk.
    fn call(&mut self, function: Value, arg: Value) -> Result<Value>;

    /// Applies `function` to `a` and the result to `b`.
    fn call2(&mut self, function: Value, a: Value, b: Value) -> Result<Value> {
        let partial = self.call(function, a)?;
        self.call(partial, b)
    }

    // ---- provided: calling and forcing to a type ---------------------------------

    /// Applies `function` to `arg` and forces the result.
    fn call_forced(&mut self, function: Value, arg: Value) -> Result<Value> {
        let v = self.call(function, arg)?;
        self.force(v)
    }

    /// Applies `function` to two arguments and forces the result.
    fn call2_forced(&mut self, function: Value, a: Value, b: Value) -> Result<Value> {
        let v = self.call2(function, a, b)?;
        self.force(v)
    }

    /// Forces `v` and requires a list.
    fn force_list(&mut self, v: Value) -> Result<List> {
        ops::force_list(self, v)
    }

    /// Forces `v` and requires a set.
    fn force_attrs(&mut self, v: Value) -> Result<Attrs> {
        ops::force_attrs(self, v)
    }

    /// Forces `v` and requires an integer.
    fn force_int(&mut self, v: Value) -> Result<i64> {
        ops::force_int(self, v)
    }

    /// Forces `v` and requires a string (with its context).
    fn force_string(&mut self, v: Value) -> Result<NixString> {
        ops::force_string(self, v)
    }

    /// Forces `v` and requires a Boolean.
    fn force_bool(&mut self, v: Value) -> Result<bool> {
        ops::force_bool(self, v)
    }

    /// Forces `v` and requires something callable: a function, or a set with
    /// `__functor` (what Nix's `forceFunction` accepts).
    fn force_function(&mut self, v: Value) -> Result<Value> {
        ops::force_function(self, v)
    }

    /// Turns a computed attribute name into a symbol (a name may not refer
    /// to store paths).
    fn attr_name(&mut self, name: Value) -> Result<Symbol> {
        ops::attr_name(self, name)
    }

    /// `set.name`, failing when it is missing.
    fn select(&mut self, set: Value, name: Symbol) -> Result<Value> {
        ops::select(self, set, name)
    }

    /// `set.name`, or `None` when `set` is not a set or lacks `name`.
    fn select_maybe(&mut self, set: Value, name: Symbol) -> Result<Option<Value>> {
        ops::select_maybe(self, set, name)
    }

    // ---- provided: operators ----------------------------------------------------

    /// `a + b` (see `ops::add`).
    fn add(&mut self, a: Value, b: Value) -> Result<Value> {
        ops::add(self, a, b)
    }

    /// `builtins.add a b`: numbers only.
    fn add_numbers(&mut self, a: Value, b: Value) -> Result<Value> {
        ops::arith(self, a, b, ops::Arith::Add)
    }

    /// `a - b`.
    fn sub(&mut self, a: Value, b: Value) -> Result<Value> {
        ops::arith(self, a, b, ops::Arith::Sub)
    }

    /// `a * b`.
    fn mul(&mut self, a: Value, b: Value) -> Result<Value> {
        ops::arith(self, a, b, ops::Arith::Mul)
    }

    /// `a / b`.
    fn div(&mut self, a: Value, b: Value) -> Result<Value> {
        ops::div(self, a, b)
    }

    /// `-v`.
    fn negate(&mut self, v: Value) -> Result<Value> {
        ops::negate(self, v)
    }

    /// `a ++ b`.
    fn concat(&mut self, a: Value, b: Value) -> Result<Value> {
        ops::concat(self, a, b)
    }

    /// `a // b`.
    fn update(&mut self, a: Value, b: Value) -> Result<Value> {
        ops::update(self, a, b)
    }

    // ---- provided: coercion, comparison, deep forcing -------------------------------

    /// Coerces `value` to a string.
    fn coerce_to_string(&mut self, value: Value, kind: CoercionKind) -> Result<NixString> {
        coerce::coerce_to_string(self, value, kind)
    }

    /// The store path a path literal becomes when interpolated into a string.
    fn copy_path_to_store(&mut self, path: &str) -> Result<NixString> {
        self.context().clone().copy_path_to_store(path)
    }

    /// `a == b` (see `compare::equal`).
    fn equal(&mut self, a: Value, b: Value) -> Result<bool> {
        compare::equal(self, a, b)
    }

    /// Equality of two values held by containers (see
    /// `compare::equal_members`).
    fn equal_members(&mut self, a: &Value, b: &Value) -> Result<bool> {
        compare::equal_members(self, a, b)
    }

    /// Whether a set is a derivation (`type = "derivation"`).
    fn is_derivation(&mut self, attrs: &Attrs) -> Result<bool> {
        compare::is_derivation(self, attrs)
    }

    /// `a < b`.
    fn less_than(&mut self, a: Value, b: Value) -> Result<bool> {
        Ok(compare::compare(self, a, b)? == Ordering::Less)
    }

    /// Nix's ordering: numbers, strings, paths, and lists lexicographically.
    fn compare(&mut self, a: Value, b: Value) -> Result<Ordering> {
        compare::compare(self, a, b)
    }

    /// Forces `value` and everything inside it.
    fn deep_force(&mut self, value: Value) -> Result<Value> {
        deep::deep_force(self, value)
    }

    /// Fails when `levels` more nested Nix calls would pass the engine's
    /// call limit (a stepped builtin calling `__toString` after
    /// `__toString` checks this, as nothing else counts those calls).
    fn check_nesting(&mut self, _levels: usize) -> Result<()> {
        Ok(())
    }

    /// Imports a file (a directory means its `default.nix`). Plain imports
    /// are cached per file; `scopedImport`s are not.
    fn import_file(&mut self, path: &Path, scope: Option<Attrs>) -> Result<Value> {
        let ctx = self.context().clone();
        let file = prepare_import(&ctx, path, scope)?;
        self.force(file)
    }
}
