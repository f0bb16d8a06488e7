//! What the targets share: an evaluator that touches nothing outside the
//! process, with limits that turn runaway programs into errors.

use std::io;
use std::path::Path;
use std::rc::Rc;

use spindle::io::{EvalIo, FileType, PureIo};
use spindle::{Error, Evaluator, VmKind};

/// Evaluation steps (closure calls and thunk forces) one input may take.
pub const FUEL: u64 = 200_000;

/// The fiber stack one evaluation may use: deep enough for any program a
/// fuzzer writes in a few kilobytes, small enough to fail at once.
pub const STACK_BUDGET: usize = 64 << 20;

/// The heap cap of one evaluation, below the 2 GB that the fuzzing runs
/// give libFuzzer (`-rss_limit_mb=2048`): a program that asks for a huge
/// list or string ends in a clean error before libFuzzer calls it an
/// out-of-memory finding.
pub const HEAP_CAP: usize = 1536 << 20;

/// Pure evaluation's I/O, with `trace` and `warn` kept quiet: fuzzed
/// programs call them millions of times.
struct QuietPureIo;

impl EvalIo for QuietPureIo {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        PureIo.read_file(path)
    }
    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        PureIo.file_type(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<(Vec<u8>, FileType)>> {
        PureIo.read_dir(path)
    }
    fn path_exists(&self, path: &Path) -> io::Result<bool> {
        PureIo.path_exists(path)
    }
    fn get_env(&self, name: &str) -> io::Result<Option<String>> {
        PureIo.get_env(name)
    }
    fn current_time(&self) -> io::Result<i64> {
        PureIo.current_time()
    }
    fn trace(&self, _message: &str) {}
    fn warn(&self, _rendered: &str) {}
}

/// A fresh pure evaluator with the fuzzing limits, on the VM `vm`. Fresh
/// for each input, so that no input depends on what ran before it.
pub fn evaluator(vm: VmKind) -> Evaluator {
    Evaluator::builder()
        .pure(true)
        .io(Rc::new(QuietPureIo))
        .working_dir("/fuzz")
        .home(None)
        .current_system("x86_64-linux")
        .stack_budget(STACK_BUDGET)
        .fuel(FUEL)
        .max_heap(Some(HEAP_CAP))
        .vm(vm)
        .build()
}

/// Renders an error as the command line would (with its trace), so that
/// the code that turns spans into file, line and column runs too.
pub fn render(evaluator: &Evaluator, error: &Error) -> String {
    evaluator.render_error(error, true)
}
