//! Functions: closures over compiled code, and built-in functions.

use std::cell::OnceCell;
use std::rc::Rc;

use super::{drop::release, Value};
use crate::bytecode::Code;
use crate::engine::{BuiltinStep, CoercionKind, Engine};
use crate::error::Result;
use crate::vm::Vm;

struct ClosureInner {
    code: Rc<Code>,
    upvalues: OnceCell<Upvalues>,
}

/// How many captured values a closure keeps in its own allocation. Most
/// lambdas and thunks capture one to three; more go to a slice of their own.
const INLINE_UPVALUES: usize = 3;

/// The values a closure captured.
pub enum Upvalues {
    /// Few values, kept in the closure's allocation; the slots past `len`
    /// hold `null`.
    Inline {
        /// How many slots are used.
        len: u8,
        /// The values.
        values: [Value; INLINE_UPVALUES],
    },
    /// Any number of values.
    Heap(Box<[Value]>),
}

impl Upvalues {
    /// The `n` values `value(0)`, …, `value(n - 1)`.
    #[inline]
    pub fn from_fn(n: usize, mut value: impl FnMut(usize) -> Value) -> Upvalues {
        use Value::Null;
        let values = match n {
            0 => [Null, Null, Null],
            1 => [value(0), Null, Null],
            2 => [value(0), value(1), Null],
            3 => [value(0), value(1), value(2)],
            _ => return Upvalues::Heap((0..n).map(value).collect()),
        };
        Upvalues::Inline {
            len: n as u8,
            values,
        }
    }

    /// Puts each closure among these values whose own captures are not set
    /// yet behind an evaluated thunk. Such a closure is a binding of the
    /// `let` or `rec` being completed, which may capture the closure these
    /// values are for in turn. A closure's captures never change once set,
    /// so a cycle of closures alone could never be broken; with a thunk on
    /// every such cycle, the cycle collector can break it there (see
    /// [`crate::value::collect_cycles`]).
    pub fn route_deferred_through_thunks(&mut self) {
        let values = match self {
            Upvalues::Inline { len, values } => &mut values[..*len as usize],
            Upvalues::Heap(values) => &mut values[..],
        };
        for value in values {
            if matches!(value, Value::Closure(c) if c.is_deferred()) {
                let thunk = super::Thunk::evaluated(std::mem::take(value));
                super::cycles::note_thunk(&thunk);
                *value = Value::Thunk(thunk);
            }
        }
    }

    /// The captured values, in capture order.
    #[inline]
    pub fn as_slice(&self) -> &[Value] {
        match self {
            Upvalues::Inline { len, values } => &values[..*len as usize],
            Upvalues::Heap(values) => values,
        }
    }
}

/// The code a thunk runs and the values it reads while running it.
///
/// Most thunks capture at most one value; theirs is kept in the thunk's own
/// allocation, so that making, forcing and freeing such a thunk allocates
/// and frees one object instead of two. A thunk capturing more, or whose
/// captures are filled in later (a binding of a recursive `let` or `rec`),
/// runs a closure.
#[derive(Clone)]
pub enum Body {
    /// The code and captures of a closure that takes no argument.
    Closure(Closure),
    /// Code capturing at most one value: `capture` is that value, or
    /// `null` when the code captures none.
    Inline {
        /// The compiled code.
        code: Rc<Code>,
        /// The captured value.
        capture: Value,
    },
}

impl Body {
    /// The body of a thunk running `code` with these captured values, read
    /// by `value(i)` for each of the code's captures.
    #[inline]
    pub fn new(code: &Rc<Code>, mut value: impl FnMut(usize) -> Value) -> Body {
        match code.captures.len() {
            n @ (0 | 1) => Body::Inline {
                code: code.clone(),
                capture: if n == 1 { value(0) } else { Value::Null },
            },
            n => Body::Closure(Closure::new(code.clone(), Upvalues::from_fn(n, value))),
        }
    }

    /// The compiled code.
    #[inline]
    pub fn code(&self) -> &Rc<Code> {
        match self {
            Body::Closure(c) => c.code(),
            Body::Inline { code, .. } => code,
        }
    }

    /// The captured values.
    #[inline]
    pub fn upvalues(&self) -> &[Value] {
        match self {
            Body::Closure(c) => c.upvalues(),
            Body::Inline { code, capture } => Body::inline_upvalues(code, capture),
        }
    }

    /// The captured values of [`Body::Inline`]: `capture`, or none.
    #[inline(always)]
    pub fn inline_upvalues<'a>(code: &Code, capture: &'a Value) -> &'a [Value] {
        &std::slice::from_ref(capture)[..code.captures.len().min(1)]
    }
}

/// A lambda together with the values it captured.
#[derive(Clone)]
pub struct Closure(Rc<ClosureInner>);

const _: () = assert!(std::mem::size_of::<ClosureInner>() <= 64);

impl Closure {
    /// A closure whose captured values are known now.
    pub fn new(code: Rc<Code>, upvalues: Upvalues) -> Closure {
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
    pub fn set_upvalues(&self, upvalues: Upvalues) {
        let _ = self.0.upvalues.set(upvalues);
    }

    /// Whether this closure was made deferred and is not completed yet.
    pub fn is_deferred(&self) -> bool {
        self.0.upvalues.get().is_none()
    }

    /// The compiled code.
    pub fn code(&self) -> &Rc<Code> {
        &self.0.code
    }

    /// The code taking both arguments of a curried lambda (see
    /// [`Code::fuse`]), if this is one.
    #[inline]
    pub fn fused(&self) -> Option<&Rc<Code>> {
        self.0.code.fused.as_ref()
    }

    /// The captured values.
    #[inline]
    pub fn upvalues(&self) -> &[Value] {
        self.0.upvalues.get().map_or(&[], Upvalues::as_slice)
    }

    /// Whether both are the same closure.
    pub fn ptr_eq(&self, other: &Closure) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub(super) fn is_unique(&self) -> bool {
        Rc::strong_count(&self.0) == 1
    }

    /// How many references to this closure exist (for the cycle collector).
    pub(super) fn strong_count(&self) -> usize {
        Rc::strong_count(&self.0)
    }

    /// An address identifying this closure while it is alive.
    pub(super) fn addr(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
    }
}

impl Drop for Closure {
    /// As for thunks: only the last reference releases anything.
    #[inline(always)]
    fn drop(&mut self) {
        if self.is_unique() {
            self.release_upvalues();
        }
    }
}

impl Closure {
    /// Releases the captured values, when this is the last reference.
    #[inline(never)]
    fn release_upvalues(&mut self) {
        if let Some(inner) = Rc::get_mut(&mut self.0) {
            match inner.upvalues.take() {
                Some(Upvalues::Inline { values, .. }) => release(values),
                Some(Upvalues::Heap(values)) => release(values.into_vec()),
                None => {}
            }
        }
    }
}

/// The Rust function behind a builtin, as one engine runs it. It receives
/// exactly `arity` arguments, unevaluated; it forces what it needs through
/// the engine. Like a lambda, it may return an unevaluated value (`head`,
/// `elemAt`, `seq` return the element or argument as it is): whoever needs
/// the value forces it, and the dispatch loop does so without nesting
/// natively.
///
/// Builtins are written once, generic over the [`Engine`]; a table row
/// holds the instantiation for the fiber VM (`BuiltinFn<Vm>`, statically
/// dispatched) and the one for the generator VM's engine
/// (`BuiltinFn<dyn Engine>`).
pub enum BuiltinFn<E: ?Sized = Vm> {
    /// A plain function, which calls back into Nix natively where it must.
    Plain(fn(&mut E, &[Value]) -> Result<Value>),
    /// A function giving its first [`BuiltinStep`]: for builtins that call
    /// back into Nix once per element, so that the VM can run those calls
    /// in frames of its own (see [`crate::engine::BuiltinStep`]).
    Stepped(SteppedFn<E>),
}

impl<E: ?Sized> Clone for BuiltinFn<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E: ?Sized> Copy for BuiltinFn<E> {}

/// The function behind a stepped builtin: it gives the first [`BuiltinStep`].
pub type SteppedFn<E = Vm> = fn(&mut E, &[Value]) -> Result<BuiltinStep<E>>;

/// How the generator VM runs a builtin. Its engine forces nothing pending
/// and calls nothing natively (see [`crate::engine`]); the builtin's
/// declaration says which of these ways fits it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnGenerator {
    /// [`Builtin::shared`] as it is, run again after the generator VM has
    /// forced each pending thunk it meets. Only for builtins that force a
    /// bounded number of values and never call back into Nix, coerce sets
    /// to strings or compare containers.
    Shared,
    /// Like `Shared`, after the generator VM has coerced the first argument
    /// to a string of this kind when that may evaluate (a set, a list, a
    /// pending thunk), which may call `__toString`.
    CoerceFirst(CoercionKind),
    /// Like `Shared`, after the generator VM has forced every argument
    /// completely (serialisers). A `__toString` met only while
    /// serialising is refused.
    DeepFirst,
    /// A stepped builtin whose steps the generator VM carries out with
    /// frames of its own: the first step like `Shared`, then each force
    /// and call it asks for.
    Stepped,
    /// The generator VM has an implementation of its own (an `async` one
    /// in `genvm/builtins.rs`), found by the builtin's name; a test walks
    /// every builtin declared so to check that one exists.
    Own,
}

/// A built-in function.
pub struct Builtin {
    /// Its name in the `builtins` set.
    pub name: &'static str,
    /// How many arguments it takes before it runs.
    pub arity: usize,
    /// The implementation the fiber VM runs.
    pub func: BuiltinFn,
    /// The same implementation instantiated for any engine, which the
    /// generator VM runs (see [`Builtin::on_generator`]).
    pub shared: BuiltinFn<dyn Engine>,
    /// How the generator VM runs it.
    pub on_generator: OnGenerator,
    /// The argument the builtin forces before it does anything else, if
    /// there is one. The fiber VM forces it beforehand when it is a pending
    /// thunk, in a frame of the dispatch loop's own, so that a builtin
    /// taking a deep thunk (`head (filter p xs)`) nests no native frames.
    pub forces_first: Option<usize>,
}

impl Builtin {
    /// Runs the builtin on all of its arguments, a stepped one with native
    /// calls.
    pub fn run(&self, vm: &mut Vm, args: &[Value]) -> Result<Value> {
        match self.func {
            BuiltinFn::Plain(f) => f(vm, args),
            BuiltinFn::Stepped(f) => {
                let first = f(vm, args)?;
                vm.run_steps(first)
            }
        }
    }

    /// Runs [`Builtin::shared`] on `engine`, a stepped one with native calls.
    pub fn run_shared(&self, engine: &mut (dyn Engine + 'static), args: &[Value]) -> Result<Value> {
        match self.shared {
            BuiltinFn::Plain(f) => f(engine, args),
            BuiltinFn::Stepped(f) => {
                let first = f(engine, args)?;
                crate::engine::run_steps_natively(engine, first)
            }
        }
    }
}

/// The Rust closure behind a host builtin (see [`HostBuiltin`]). Unlike a
/// [`BuiltinFn`] it may capture state of the embedding program.
pub type HostFn = dyn Fn(&mut Vm, &[Value]) -> Result<Value>;

/// A builtin defined by the embedding program at run time: a name, an arity
/// and a closure. It is called like any builtin, with `arity` unevaluated
/// arguments.
pub struct HostBuiltin {
    /// The name it is shown and reported under.
    pub name: Rc<str>,
    /// How many arguments it takes before it runs (at least 1).
    pub arity: usize,
    /// The implementation.
    pub func: Rc<HostFn>,
}

/// The function a [`PrimApp`] applies: one of the evaluator's builtins or
/// one of the host's.
#[derive(Clone)]
pub enum Primitive {
    /// A builtin of the evaluator.
    Static(&'static Builtin),
    /// A builtin of the embedding program.
    Host(Rc<HostBuiltin>),
}

struct PrimAppInner {
    primitive: Primitive,
    args: Vec<Value>,
}

/// A builtin applied to fewer arguments than it takes. A host builtin that
/// was not applied yet is a `PrimApp` without arguments.
#[derive(Clone)]
pub struct PrimApp(Rc<PrimAppInner>);

impl PrimApp {
    /// A partial application.
    pub fn new(builtin: &'static Builtin, args: Vec<Value>) -> PrimApp {
        PrimApp::of(Primitive::Static(builtin), args)
    }

    /// A partial application of any primitive.
    pub fn of(primitive: Primitive, args: Vec<Value>) -> PrimApp {
        PrimApp(Rc::new(PrimAppInner { primitive, args }))
    }

    /// The applied primitive.
    pub fn primitive(&self) -> &Primitive {
        &self.0.primitive
    }

    /// Whether both are the same partial application.
    pub fn ptr_eq(&self, other: &PrimApp) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The builtin, when it is one of the evaluator's.
    pub fn builtin(&self) -> Option<&'static Builtin> {
        match self.0.primitive {
            Primitive::Static(b) => Some(b),
            Primitive::Host(_) => None,
        }
    }

    /// The primitive's name.
    pub fn name(&self) -> &str {
        match &self.0.primitive {
            Primitive::Static(b) => b.name,
            Primitive::Host(h) => &h.name,
        }
    }

    /// The argument the primitive forces first (see [`Builtin::forces_first`]).
    pub fn forces_first(&self) -> Option<usize> {
        match &self.0.primitive {
            Primitive::Static(b) => b.forces_first,
            Primitive::Host(_) => None,
        }
    }

    /// The function giving the first step, when the primitive is a
    /// stepped builtin (see [`BuiltinFn::Stepped`]).
    pub fn stepped(&self) -> Option<SteppedFn> {
        match &self.0.primitive {
            Primitive::Static(Builtin {
                func: BuiltinFn::Stepped(f),
                ..
            }) => Some(*f),
            _ => None,
        }
    }

    /// How many arguments the primitive takes in all.
    pub fn arity(&self) -> usize {
        match &self.0.primitive {
            Primitive::Static(b) => b.arity,
            Primitive::Host(h) => h.arity.max(1),
        }
    }

    /// The arguments so far.
    pub fn args(&self) -> &[Value] {
        &self.0.args
    }

    /// The same primitive applied to `args` instead.
    pub fn with_args(&self, args: Vec<Value>) -> PrimApp {
        PrimApp::of(self.0.primitive.clone(), args)
    }

    /// Runs the primitive on all of its arguments.
    pub fn invoke(&self, vm: &mut Vm, args: &[Value]) -> Result<Value> {
        match &self.0.primitive {
            Primitive::Static(b) => b.run(vm, args),
            Primitive::Host(h) => (h.func)(vm, args),
        }
    }

    pub(super) fn is_unique(&self) -> bool {
        Rc::strong_count(&self.0) == 1
    }

    /// How many references to this application exist (for the cycle
    /// collector).
    pub(super) fn strong_count(&self) -> usize {
        Rc::strong_count(&self.0)
    }

    /// An address identifying this application while it is alive.
    pub(super) fn addr(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
    }
}

impl Drop for PrimApp {
    fn drop(&mut self) {
        if let Some(inner) = Rc::get_mut(&mut self.0) {
            release(std::mem::take(&mut inner.args));
        }
    }
}
