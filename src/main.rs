//! The `spindle` command line.

#![forbid(unsafe_code)]

mod cli;
mod instantiate_cli;
mod repl_cli;

// Evaluation allocates many small, short-lived objects (thunks, captured
// values, attribute arrays); mimalloc serves them markedly faster than the
// system allocator. The library leaves the choice to its embedder.
#[global_allocator]
static ALLOCATOR: spindle_alloc::Mimalloc = spindle_alloc::Mimalloc;

fn main() {
    spindle_alloc::delay_purging();
    std::process::exit(cli::main());
}
