//! Spindle: a Nix-language evaluator that runs plain, recursive Rust on
//! growable fiber stacks.
//!
//! Source text is parsed by rnix, compiled ([`compiler`]) to bytecode
//! ([`bytecode`]) with every variable resolved statically, and run by the
//! [`vm`] on stack segments from [`spindle_fiber`]: forcing, calling and
//! builtins recurse natively, and a call about to run out of stack continues
//! on a fresh segment. Nesting is limited by the stack budget, never by the
//! thread's stack.
//!
//! A second VM, [`genvm`], runs the same bytecode the way tvix-eval does:
//! a heap frame stack, with builtins and VM helpers as generators. It is a
//! baseline to measure the fiber VM against; choose it with
//! [`EvaluatorBuilder::vm`].
//!
//! Start with [`Evaluator::builder`].

pub mod builtins;
pub mod bytecode;
pub mod compiler;
pub mod context;
pub mod error;
pub mod eval;
pub mod genvm;
pub mod globals;
pub mod io;
pub mod path;
pub mod print;
pub mod source;
pub mod store;
pub mod symbol;
pub mod syntax;
pub mod trace;
pub mod value;
pub mod vm;

pub use error::{Error, ErrorKind, Result};
pub use eval::{Evaluator, EvaluatorBuilder, VmKind};
pub use value::Value;
