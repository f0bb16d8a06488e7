//! Functions: closures over compiled code, and built-in functions.

use std::cell::OnceCell;
use std::rc::Rc;

use super::{drop::release, Value};
use crate::bytecode::Code;
use crate::error::Result;
use crate::vm::Vm;

struct ClosureInner {
    code: Rc<Code>,
    upvalues: OnceCell<Box<[Value]>>,
}

/// A lambda together with the values it captured.
#[derive(Clone)]
pub struct Closure(Rc<ClosureInner>);

impl Closure {
    /// A closure whose captured values are known now.
    pub fn new(code: Rc<Code>, upvalues: Box<[Value]>) -> Closure {
        Closure(Rc::new(ClosureInner {
            code,
            upvalues: OnceCell::from(upvalues),
        }))
    }

    /// A closure whose captured values are filled in later by
    /// [`Closure::set_upvalues`]: it refers to bindings not yet made.
    pub fn deferred(code: Rc<Code>) -> Closure {
        Closure(Rc::new(ClosureInner {
            code,
            upvalues: OnceCell::new(),
        }))
    }

    /// Completes a deferred closure.
    pub fn set_upvalues(&self, upvalues: Box<[Value]>) {
        let _ = self.0.upvalues.set(upvalues);
    }

    /// The compiled code.
    pub fn code(&self) -> &Rc<Code> {
        &self.0.code
    }

    /// The captured values.
    #[inline]
    pub fn upvalues(&self) -> &[Value] {
        self.0.upvalues.get().map(|u| &u[..]).unwrap_or(&[])
    }

    /// Whether both are the same closure.
    pub fn ptr_eq(&self, other: &Closure) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub(super) fn is_unique(&self) -> bool {
        Rc::strong_count(&self.0) == 1
    }
}

impl Drop for Closure {
    fn drop(&mut self) {
        if let Some(inner) = Rc::get_mut(&mut self.0) {
            if let Some(upvalues) = inner.upvalues.take() {
                release(upvalues.into_vec());
            }
        }
    }
}

/// The Rust function behind a builtin. It receives exactly `arity` arguments,
/// unevaluated; it forces what it needs through the VM.
pub type BuiltinFn = fn(&mut Vm, &[Value]) -> Result<Value>;

/// A built-in function.
pub struct Builtin {
    /// Its name in the `builtins` set.
    pub name: &'static str,
    /// How many arguments it takes before it runs.
    pub arity: usize,
    /// The implementation.
    pub func: BuiltinFn,
}

struct PrimAppInner {
    builtin: &'static Builtin,
    args: Vec<Value>,
}

/// A builtin applied to fewer arguments than it takes.
#[derive(Clone)]
pub struct PrimApp(Rc<PrimAppInner>);

impl PrimApp {
    /// A partial application.
    pub fn new(builtin: &'static Builtin, args: Vec<Value>) -> PrimApp {
        PrimApp(Rc::new(PrimAppInner { builtin, args }))
    }

    /// The builtin.
    pub fn builtin(&self) -> &'static Builtin {
        self.0.builtin
    }

    /// The arguments so far.
    pub fn args(&self) -> &[Value] {
        &self.0.args
    }

    pub(super) fn is_unique(&self) -> bool {
        Rc::strong_count(&self.0) == 1
    }
}

impl Drop for PrimApp {
    fn drop(&mut self) {
        if let Some(inner) = Rc::get_mut(&mut self.0) {
            release(std::mem::take(&mut inner.args));
        }
    }
}
