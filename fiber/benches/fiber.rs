//! Benchmarks of spindle-fiber against bare corosensei and plain calls.
//!
//! `cargo bench -p spindle-fiber` runs everything in about two minutes;
//! `cargo bench -p spindle-fiber -- recursion` runs one group. `docs/fiber.md` quotes
//! the results.

use std::hint::black_box;
use std::time::{Duration, Instant};

use corosensei::stack::DefaultStack;
use corosensei::{Coroutine, CoroutineResult};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use spindle_fiber::{grow, on_new_segment, run, suspend, Step, Task, TaskConfig};

/// Times `iters` calls of `f` inside a `run` root (so that `grow` runs on a segment).
fn on_segment(iters: u64, mut f: impl FnMut(u64)) -> Duration {
    run(TaskConfig::default(), || {
        let start = Instant::now();
        for i in 0..iters {
            f(i);
        }
        start.elapsed()
    })
    .unwrap()
}

fn round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("round_trip");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    group.bench_function("corosensei", |b| {
        let mut co = Coroutine::new(|yielder, ()| loop {
            yielder.suspend(());
        });
        b.iter(|| match co.resume(()) {
            CoroutineResult::Yield(()) => {}
            CoroutineResult::Return(never) => never,
        })
    });

    group.bench_function("spindle_task", |b| {
        let mut task: Task<(), (), ()> = Task::new(TaskConfig::default(), |()| loop {
            suspend::<(), ()>(()).unwrap();
        })
        .unwrap();
        b.iter(|| match task.resume(()) {
            Step::Suspended(()) => {}
            Step::Finished(()) => unreachable!(),
        })
    });

    group.bench_function("spindle_task_at_depth_100k", |b| {
        #[inline(never)]
        fn down(n: u32) {
            if n == 0 {
                loop {
                    suspend::<(), ()>(()).unwrap();
                }
            }
            grow(|| down(n - 1)).unwrap();
        }
        let mut task: Task<(), (), ()> =
            Task::new(TaskConfig::default(), |()| down(100_000)).unwrap();
        b.iter(|| match task.resume(()) {
            Step::Suspended(()) => {}
            Step::Finished(()) => unreachable!(),
        })
    });
    group.finish();
}

#[inline(never)]
fn plain_call(x: u64) -> u64 {
    black_box(x) + 1
}

#[inline(never)]
fn checked_call(x: u64) -> u64 {
    grow(|| black_box(x) + 1).unwrap()
}

fn grow_paths(c: &mut Criterion) {
    let mut group = c.benchmark_group("grow");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    group.bench_function("plain_call", |b| {
        b.iter_custom(|iters| {
            on_segment(iters, |i| {
                black_box(plain_call(black_box(i)));
            })
        })
    });
    group.bench_function("fast_path_call", |b| {
        b.iter_custom(|iters| {
            on_segment(iters, |i| {
                black_box(checked_call(black_box(i)));
            })
        })
    });
    group.bench_function("segment_switch", |b| {
        b.iter_custom(|iters| {
            on_segment(iters, |i| {
                black_box(on_new_segment(|| black_box(i) + 1).unwrap());
            })
        })
    });
    group.bench_function("corosensei_on_stack", |b| {
        let mut stack = DefaultStack::new(1 << 20).unwrap();
        b.iter(|| black_box(corosensei::on_stack(&mut stack, || black_box(1u64) + 1)))
    });
    group.bench_function("run_from_thread_stack", |b| {
        b.iter(|| black_box(run(TaskConfig::default(), || black_box(1u64) + 1).unwrap()))
    });
    group.finish();
}

/// One level of recursion with a `grow` check, doing a little work per level.
#[inline(never)]
fn rec_checked(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let below = grow(|| rec_checked(n - 1)).unwrap();
    below.wrapping_mul(31).wrapping_add(black_box(n))
}

/// The same recursion without the check, for a contiguous stack.
#[inline(never)]
fn rec_plain(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let below = rec_plain(n - 1);
    below.wrapping_mul(31).wrapping_add(black_box(n))
}

/// A recursion with an evaluator-sized frame (about 250 bytes) and some work per level.
#[inline(never)]
fn fat_checked(n: u64) -> u64 {
    let locals = black_box([n; 24]);
    if n == 0 {
        return locals[3];
    }
    let below = grow(|| fat_checked(n - 1)).unwrap();
    locals.iter().fold(below, |a, &x| a.wrapping_mul(31) ^ x)
}

/// `fat_checked` without the check.
#[inline(never)]
fn fat_plain(n: u64) -> u64 {
    let locals = black_box([n; 24]);
    if n == 0 {
        return locals[3];
    }
    let below = fat_plain(n - 1);
    locals.iter().fold(below, |a, &x| a.wrapping_mul(31) ^ x)
}

fn recursion(c: &mut Criterion) {
    let mut group = c.benchmark_group("recursion");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let mut contiguous = DefaultStack::new(512 << 20).unwrap();
    for depth in [1_000u64, 100_000, 1_000_000] {
        group.bench_with_input(BenchmarkId::new("spindle", depth), &depth, |b, &d| {
            b.iter_custom(|iters| {
                on_segment(iters, |_| {
                    black_box(rec_checked(black_box(d)));
                })
            })
        });
        group.bench_with_input(BenchmarkId::new("contiguous", depth), &depth, |b, &d| {
            b.iter_custom(|iters| {
                corosensei::on_stack(&mut contiguous, || {
                    let start = Instant::now();
                    for _ in 0..iters {
                        black_box(rec_plain(black_box(d)));
                    }
                    start.elapsed()
                })
            })
        });
    }
    for depth in [10_000u64, 100_000] {
        group.bench_with_input(BenchmarkId::new("fat_spindle", depth), &depth, |b, &d| {
            b.iter_custom(|iters| {
                on_segment(iters, |_| {
                    black_box(fat_checked(black_box(d)));
                })
            })
        });
        group.bench_with_input(
            BenchmarkId::new("fat_contiguous", depth),
            &depth,
            |b, &d| {
                b.iter_custom(|iters| {
                    corosensei::on_stack(&mut contiguous, || {
                        let start = Instant::now();
                        for _ in 0..iters {
                            black_box(fat_plain(black_box(d)));
                        }
                        start.elapsed()
                    })
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, round_trip, grow_paths, recursion);
criterion_main!(benches);
