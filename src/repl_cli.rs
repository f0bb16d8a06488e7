//! `spindle repl`: the line editor and terminal around [`spindle::repl::Repl`].
//!
//! On a terminal it edits lines with rustyline and keeps a history file; when
//! standard input is not a terminal it reads plain lines without prompts, so
//! that a session can be scripted (and tested) by feeding it input.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use clap::Args;
use rustyline::error::ReadlineError;
use spindle::repl::{Output, Repl};
use spindle::Evaluator;

/// Options of `spindle repl`.
#[derive(Args)]
pub struct ReplArgs {
    /// Files to load into scope at the start, as with `:l`.
    files: Vec<String>,
    /// Add a search path entry (`prefix=path` or `path`).
    #[arg(short = 'I', long = "include", action = clap::ArgAction::Append)]
    include: Vec<String>,
    /// Refuse file system, environment and clock access.
    #[arg(long)]
    pure_eval: bool,
}

const PROMPT: &str = "spindle> ";
const CONTINUATION: &str = "     ... ";

/// Runs the REPL; returns the exit status.
pub fn main(args: ReplArgs) -> i32 {
    let mut search_path = args.include.clone();
    if let Ok(nix_path) = std::env::var("NIX_PATH") {
        search_path.extend(
            nix_path
                .split(':')
                .filter(|s| !s.is_empty())
                .map(String::from),
        );
    }
    let evaluator = Evaluator::builder()
        .pure(args.pure_eval)
        .search_path(search_path)
        .build();
    let mut repl = Repl::new(evaluator);
    let flag = repl.interrupt_flag();
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)) {
        eprintln!("warning: Ctrl-C will not interrupt evaluations: {e}");
    }
    for file in &args.files {
        if show(repl.handle(&format!(":l {file}"))) {
            return 0;
        }
    }
    if std::io::stdin().is_terminal() {
        interactive(&mut repl)
    } else {
        scripted(&mut repl)
    }
}

/// Prints an output; returns whether the session should end.
fn show(output: Output) -> bool {
    // A closed pipe must not end the session with a panic, so write
    // without println!.
    match output {
        Output::Value(text) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&text);
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
        Output::Message(text) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{text}");
            let _ = out.flush();
        }
        Output::Error(text) => {
            let _ = writeln!(std::io::stderr(), "{text}");
        }
        Output::Nothing => {}
        Output::Quit => return true,
    }
    false
}

/// Line editing and history on a terminal.
fn interactive(repl: &mut Repl) -> i32 {
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(editor) => editor,
        Err(e) => {
            eprintln!("warning: no line editing ({e})");
            return scripted(repl);
        }
    };
    let history = history_file();
    if let Some(path) = &history {
        let _ = editor.load_history(path);
    }
    show(Output::Message(
        "Welcome to Spindle. Type :? for help.\n".into(),
    ));
    let mut input = String::new();
    loop {
        let prompt = if input.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        match editor.readline(prompt) {
            Ok(line) => {
                input.push_str(&line);
                input.push('\n');
                if repl.needs_more_input(&input) {
                    continue;
                }
                let _ = editor.add_history_entry(input.trim_end());
                let quit = show(repl.handle(&input));
                input.clear();
                if quit {
                    break;
                }
            }
            // Ctrl-C at the prompt drops the input typed so far.
            Err(ReadlineError::Interrupted) => input.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error: reading input: {e}");
                break;
            }
        }
    }
    if let Some(path) = &history {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(path);
    }
    0
}

/// Plain lines from a pipe or file, without prompts.
fn scripted(repl: &mut Repl) -> i32 {
    let mut input = String::new();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        input.push_str(&line);
        input.push('\n');
        if repl.needs_more_input(&input) {
            continue;
        }
        let quit = show(repl.handle(&input));
        input.clear();
        if quit {
            return 0;
        }
    }
    // Whatever is left is incomplete: let its syntax error show.
    if !input.trim().is_empty() {
        show(repl.handle(&input));
    }
    0
}

/// `$XDG_DATA_HOME/spindle/repl-history`, or under `~/.local/share`.
fn history_file() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("spindle").join("repl-history"))
}
