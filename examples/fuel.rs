//! Fuel: evaluations with a budget of steps, topped up or cancelled.
//!
//! An evaluation given fuel suspends with `HostRequest::OutOfFuel` when it has
//! used it up, however deep it is at that moment. The host may give it more
//! and resume it, or cancel it: the evaluation then unwinds as an error,
//! values it was computing stay usable, and every stack segment it held goes
//! back to the thread's pool.
//!
//! Run with `cargo run --example fuel`.

use spindle::{ErrorKind, Evaluator, HostReply, HostRequest, Step};
use spindle_fiber::pool;

fn main() {
    let evaluator = Evaluator::builder()
        .pure(true)
        .global_expr(
            "fib",
            "let fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2); in fib",
        )
        .build();

    // 1. A bounded computation, given 50 000 steps at a time.
    let mut evaluation = evaluator.start_str("fib 25").with_fuel(50_000);
    let mut slices = 1;
    let value = evaluation
        .run_with(|request| match request {
            HostRequest::OutOfFuel => {
                slices += 1;
                HostReply::Fuel(50_000)
            }
            other => panic!("unexpected request {other:?}"),
        })
        .expect("fib 25 evaluates");
    println!("fib 25 = {value:?} in {slices} slices of 50 000 steps");
    assert_eq!(value.as_int(), Some(75025));
    assert!(slices > 1);

    // 2. A runaway computation: it recurses forever, deeper and deeper.
    let before = pool::stats().in_use_segments;
    let mut runaway = evaluator
        .start_str("let down = n: 1 + down (n + 1); in down 0")
        .with_fuel(50_000);
    let mut reply = HostReply::Continue;
    for slice in 1..=3 {
        match runaway.resume(reply) {
            Step::Request(HostRequest::OutOfFuel) => {
                let stats = runaway.stack_stats();
                println!(
                    "slice {slice}: out of fuel, suspended on {} stack segments",
                    stats.segments_in_use
                );
            }
            other => panic!("expected to run out of fuel, got {other:?}"),
        }
        reply = HostReply::Fuel(50_000);
    }
    assert!(pool::stats().in_use_segments > before);
    // Enough: cancel it. It unwinds as an error and gives its stack back.
    let error = runaway.cancel().expect_err("cancelled");
    assert!(matches!(error.kind(), ErrorKind::Cancelled));
    println!(
        "cancelled: {error}; segments in use: {} (as before: {before})",
        pool::stats().in_use_segments
    );
    assert_eq!(pool::stats().in_use_segments, before);

    // 3. A shared value a cancelled evaluation was computing is still fine.
    let mut partial = evaluator.start_str("fib 22").with_fuel(1_000);
    assert!(matches!(
        partial.resume(HostReply::Continue),
        Step::Request(HostRequest::OutOfFuel)
    ));
    drop(partial); // cancels
    let value = evaluator.eval_str("fib 22").expect("fib 22 evaluates");
    println!("fib 22 = {value:?} after a cancelled attempt");
    assert_eq!(value.as_int(), Some(17711));

    // 4. Synchronous calls with a budget fail instead of suspending.
    let limited = Evaluator::builder().pure(true).fuel(10_000).build();
    let error = limited
        .eval_str("let loop = n: loop (n + 1); in loop 0")
        .expect_err("runs out");
    println!("with a synchronous budget: {error}");
    assert!(matches!(error.kind(), ErrorKind::OutOfFuel));
}
