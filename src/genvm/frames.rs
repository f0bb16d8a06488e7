//! The frames of the generator VM's frame stack.
//!
//! The frame stack lives on the heap and takes the place of the native call
//! stack: a call or a thunk body is a [`BytecodeFrame`], and VM logic that
//! has to wait for an evaluation (a builtin, forcing a thunk, equality of
//! lists) is a [`GeneratorFrame`] suspended at an `await`.

use std::rc::Rc;

use super::requests::Generator;
use crate::bytecode::Code;
use crate::value::Body;
use crate::vm::CallFrame;

/// One entry of the frame stack.
pub(super) enum Frame {
    /// Compiled Nix code running.
    Bytecode(BytecodeFrame),
    /// Rust code suspended while the VM answers its request.
    Generator(GeneratorFrame),
}

/// What happens when a suspended bytecode frame runs again.
#[derive(Clone, Copy)]
pub(super) enum OnReturn {
    /// The value the frame waited for is on top of the stack, where the
    /// instruction that suspended would have pushed it.
    Continue,
    /// An operand was being forced: pop the forced value, store it in that
    /// stack slot (when it was one: `with` namespaces are not), and run the
    /// same instruction again, which now finds its operand evaluated.
    Retry(Option<usize>),
    /// An `Op::Call2` made its first application in a frame above: apply
    /// the value that frame left to the second argument, held under it.
    CallHeld,
}

/// Compiled code in progress: a lambda call or a thunk body.
pub(super) struct BytecodeFrame {
    /// The code.
    pub(super) code: Rc<Code>,
    /// The lambda's closure, or the thunk's body, whose captured values it
    /// reads.
    pub(super) body: Body,
    /// The next instruction.
    pub(super) ip: usize,
    /// Where its locals start on the value stack.
    pub(super) base: usize,
    /// For lambda calls, what traces say about the call; `None` for thunks.
    pub(super) call: Option<CallFrame>,
    /// What to do when it runs again.
    pub(super) resume: OnReturn,
}

/// A suspended generator: a builtin or VM helper written as `async` Rust.
pub(super) struct GeneratorFrame {
    /// What it is, for internal errors and debugging.
    pub(super) name: &'static str,
    /// The generator.
    pub(super) generator: Generator,
    /// The value-stack height it runs at: frames above it leave exactly
    /// one value there, or unwind back to it on errors.
    pub(super) stack_height: usize,
    /// Whether it has run before, and so waits for an answer.
    pub(super) started: bool,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Frame::Bytecode(b) => match &b.call {
                Some(call) => write!(f, "call of {:?} at {}", call.name, b.ip),
                None => write!(f, "thunk at {}", b.ip),
            },
            Frame::Generator(g) => write!(f, "generator {}", g.name),
        }
    }
}
