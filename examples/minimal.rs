//! The smallest useful embedding: evaluate an expression, look into the
//! result one attribute at a time, print it, and show an error the way Nix
//! does.
//!
//! Run with `cargo run --example minimal`.

use spindle::Evaluator;

fn main() -> Result<(), spindle::Error> {
    let evaluator = Evaluator::builder().pure(true).build();

    let value = evaluator.eval_str(
        r#"{
            greeting = "Hello";
            name = "Spindle";
            squares = map (x: x * x) [ 1 2 3 4 ];
            expensive = throw "never evaluated";
        }"#,
    )?;

    // Only what is asked for is evaluated: `expensive` never is.
    let greeting = evaluator.get_attr(&value, "greeting")?.expect("a greeting");
    let name = evaluator.get_attr(&value, "name")?.expect("a name");
    let line = format!(
        "{}, {}!",
        greeting.as_str().unwrap_or_default(),
        name.as_str().unwrap_or_default()
    );
    println!("{line}");
    assert_eq!(line, "Hello, Spindle!");

    let squares = evaluator.get_attr(&value, "squares")?.expect("squares");
    let printed = evaluator.print(&squares, true)?;
    println!("squares = {printed}");
    assert_eq!(printed, "[ 1 4 9 16 ]");
    assert_eq!(evaluator.select(&value, "squares.3")?.as_int(), Some(16));

    // Errors carry their position and render with a source excerpt.
    let error = evaluator
        .eval_str("let x = 1; in x + true")
        .expect_err("adding a Boolean fails");
    let rendered = evaluator.render_error(&error, false);
    println!("{rendered}");
    assert!(rendered.contains("x + true"));
    Ok(())
}
