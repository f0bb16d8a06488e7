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
//! Start with [`Evaluator::builder`]; `docs/embedding.md` in the repository
//! walks through embedding: custom builtins, globals, lazy inspection, serde
//! conversions, and stepping evaluations that suspend for their host.
//! A second VM, [`genvm`], runs the same bytecode the way tvix-eval does:
//! a heap frame stack, with builtins and VM helpers as generators. It is a
//! baseline to measure the fiber VM against; choose it with
//! [`EvaluatorBuilder::vm`].
//!
//! Start with [`Evaluator::builder`].

#![forbid(unsafe_code)]

pub mod builtins;
pub mod bytecode;
pub mod compiler;
pub mod context;
pub mod convert;
pub mod engine;
pub mod error;
pub mod eval;
pub mod evaluation;
#[cfg(feature = "generator-vm")]
pub mod genvm;
pub mod globals;
pub mod host;
pub mod io;
pub mod limits;
pub mod path;
pub mod print;
pub mod repl;
pub mod source;
pub mod store;
pub mod symbol;
pub mod syntax;
pub mod terminal;
pub mod trace;
pub mod value;
pub mod vm;

/// The byte strings Nix strings are made of (`BString`, `BStr`), as the
/// printers and accessors return them.
pub use bstr;
pub use convert::{from_value, to_value};
pub use engine::Engine;
pub use error::{Error, ErrorKind, Result};
pub use eval::{Evaluator, EvaluatorBuilder, VmKind};
pub use evaluation::{Evaluation, Step};
pub use host::{HostIo, HostReply, HostRequest};
pub use value::Value;
pub use vm::Vm;
