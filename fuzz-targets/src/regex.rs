//! The regular expression engine through `builtins.match` and
//! `builtins.split`. The input is the pattern, a NUL byte, and the subject
//! (all of it the pattern when there is no NUL).

use spindle::value::NixString;
use spindle::{Value, VmKind};

use crate::common::{evaluator, render};

pub fn run(data: &[u8]) {
    let (pattern, subject) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let evaluator = evaluator(VmKind::Fiber);
    let args = [
        Value::String(NixString::from(pattern)),
        Value::String(NixString::from(subject)),
    ];
    for builtin in ["builtins.match", "builtins.split"] {
        let result = evaluator
            .eval_str(builtin)
            .and_then(|f| evaluator.call(&f, &args))
            .and_then(|v| evaluator.print(&v, true));
        if let Err(e) = result {
            render(&evaluator, &e);
        }
    }
}
