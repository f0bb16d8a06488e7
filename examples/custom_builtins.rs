//! Builtins written as plain Rust closures, and extra globals.
//!
//! A host builtin receives its arguments unevaluated, forces what it needs
//! through the `Vm` (which can also call Nix functions), and may capture any
//! state of the host. Globals are visible, without `builtins.`, in every file.
//!
//! Run with `cargo run --example custom_builtins`.

use std::cell::RefCell;
use std::rc::Rc;

use spindle::{Engine, Evaluator, Value};

fn main() -> Result<(), spindle::Error> {
    // State shared between the host and its builtins.
    let log: Rc<RefCell<Vec<String>>> = Rc::default();
    let sink = log.clone();

    let evaluator = Evaluator::builder()
        .pure(true)
        // `builtins.log "message" value`: records the message, returns the value.
        .builtin("log", 2, move |vm, args| {
            let message = vm.force_string(args[0].clone())?;
            // A Nix string is bytes; a log line shows them as text.
            sink.borrow_mut().push(message.to_str_lossy().into_owned());
            vm.force(args[1].clone())
        })
        // `builtins.iterate f n x`: applies a Nix function n times.
        .builtin("iterate", 3, |vm, args| {
            let times = vm.force_int(args[1].clone())?;
            let mut value = args[2].clone();
            for _ in 0..times {
                value = vm.call(args[0].clone(), value)?;
            }
            vm.force(value)
        })
        // Typed arguments and results through serde.
        .builtin("wordFrequencies", 1, |vm, args| {
            let text: String = spindle::from_value(vm, &args[0])?;
            let mut counts = std::collections::BTreeMap::<String, i64>::new();
            for word in text.split_whitespace() {
                *counts.entry(word.to_lowercase()).or_default() += 1;
            }
            spindle::to_value(&counts)
        })
        .global("release", "24.05")
        .global_expr("double", "x: x * 2")
        .global(
            "shout",
            Value::host_builtin("shout", 1, |vm, args| {
                let s = vm.force_string(args[0].clone())?;
                // Upper-casing is defined on text: an error for other bytes.
                Ok(Value::string(s.utf8()?.to_uppercase()))
            }),
        )
        .build();

    let run = |source: &str| -> Result<spindle::bstr::BString, spindle::Error> {
        let value = evaluator.eval_str(source)?;
        evaluator.print(&value, true)
    };

    let iterated = run("builtins.iterate double 10 1")?;
    println!("iterate double 10 1 = {iterated}");
    assert_eq!(iterated, "1024");

    let logged = run(r#"builtins.log "computing" (builtins.log "inner" 6 * 7)"#)?;
    assert_eq!(logged, "42");
    println!("log: {:?}", log.borrow());
    assert_eq!(*log.borrow(), ["computing", "inner"]);

    let words = run(r#"builtins.wordFrequencies "the cat saw The dog""#)?;
    println!("{words}");
    assert_eq!(words, "{ cat = 1; dog = 1; saw = 1; the = 2; }");

    let shouted = run(r#"shout "nixos ${release}""#)?;
    println!("{shouted}");
    assert_eq!(shouted, "\"NIXOS 24.05\"");

    // A builtin's errors, and Nix errors inside the functions it calls,
    // come back as ordinary evaluation errors.
    let error = evaluator
        .eval_str(r#"builtins.iterate (x: x + "!") 2 1"#)
        .expect_err("adding a string to an integer fails");
    println!("{}", evaluator.render_error(&error, false));
    Ok(())
}
