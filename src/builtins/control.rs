//! Errors, strictness and tracing: `throw`, `abort`, `tryEval`, `seq`,
//! `deepSeq`, `trace`, `warn`, `break`, `addErrorContext`.

use bstr::ByteSlice;

use crate::engine::{CoercionKind, Engine};
use crate::error::{Error, ErrorKind, Result};
use crate::symbol::known;
use crate::value::{Attrs, Builtin, Value};

pub(super) static BUILTINS: &[Builtin] = &[
    builtin!("throw" / 1 => Plain(throw), generator CoerceFirst(Interpolation)),
    builtin!("abort" / 1 => Plain(abort), generator CoerceFirst(Interpolation)),
    builtin!("tryEval" / 1 => Plain(try_eval)),
    builtin!("seq" / 2 => Plain(seq), forces 0),
    builtin!("deepSeq" / 2 => Plain(deep_seq), forces 0, generator Own),
    builtin!("trace" / 2 => Plain(trace)),
    builtin!("warn" / 2 => Plain(warn)),
    builtin!("break" / 1 => Plain(break_)),
    builtin!("addErrorContext" / 2 => Plain(add_error_context), generator Own),
];

fn throw<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let msg = vm.coerce_to_string(args[0].clone(), CoercionKind::Interpolation)?;
    Err(Error::new(ErrorKind::Throw(
        msg.to_str_lossy().into_owned(),
    )))
}

fn abort<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let msg = vm.coerce_to_string(args[0].clone(), CoercionKind::Interpolation)?;
    Err(Error::new(ErrorKind::Abort(
        msg.to_str_lossy().into_owned(),
    )))
}

fn try_eval<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let (success, value) = match vm.force(args[0].clone()) {
        Ok(v) => (true, v),
        Err(e) if e.is_catchable() => (false, Value::Bool(false)),
        Err(e) => return Err(e),
    };
    Ok(Value::Attrs(Attrs::from_unsorted(vec![
        (known::success(), Value::Bool(success)),
        (known::value(), value),
    ])))
}

fn seq<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    vm.force(args[0].clone())?;
    Ok(args[1].clone())
}

fn deep_seq<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    vm.deep_force(args[0].clone())?;
    Ok(args[1].clone())
}

fn trace<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let msg = vm.force(args[0].clone())?;
    let text = match &msg {
        Value::String(s) => s.to_str_lossy().into_owned(),
        other => crate::print::print_traced(other)?
            .to_str_lossy()
            .into_owned(),
    };
    vm.context().io.trace(&text);
    Ok(args[1].clone())
}

/// `warn msg v`: shows the message, then returns `v`. Only strings are
/// accepted, leaving room for richer messages later (as in Nix).
fn warn<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    let msg = vm.force_string(args[0].clone())?;
    vm.context()
        .io
        .warn(&format_eval_warning(&msg.to_str_lossy()));
    if vm.context().settings.abort_on_warn {
        return Err(Error::other(
            "aborting to reveal stack trace of warning, as abort-on-warn is set",
        ));
    }
    vm.force(args[1].clone())
}

/// Lays out a `builtins.warn` message as Nix does: after the
/// `evaluation warning:` label, with further lines indented under the
/// first — unless the message starts on a new line, which leaves the
/// layout to the message.
fn format_eval_warning(message: &str) -> String {
    const LABEL: &str = "evaluation warning:";
    let message = message.trim_end_matches('\n');
    if message.starts_with('\n') {
        return format!("{LABEL}{message}");
    }
    crate::error::labelled(&format!("{LABEL} "), message)
}

/// `break v`: a breakpoint for a debugger; without one it returns `v`.
fn break_<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    vm.force(args[0].clone())
}

fn add_error_context<E: Engine + ?Sized>(vm: &mut E, args: &[Value]) -> Result<Value> {
    match vm.force(args[1].clone()) {
        Ok(v) => Ok(v),
        Err(mut e) => {
            if let Ok(msg) = vm.coerce_to_string(args[0].clone(), CoercionKind::Interpolation) {
                e.push_trace(msg.to_str_lossy().into_owned(), None);
            }
            Err(e)
        }
    }
}
