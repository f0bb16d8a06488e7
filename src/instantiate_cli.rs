//! `spindle instantiate` (and `nix-instantiate` without `--eval`): the
//! derivations an expression names are written to the store, and their
//! `.drv` paths printed.
//!
//! Writing is the evaluator's: in read-write mode every derivation that is
//! instantiated (its `drvPath` forced) is written with its input sources
//! and, before it, the derivations it depends on. What is left here is
//! nix-instantiate's choice of derivations ([`derivations`]), its output
//! and `--add-root`.

use std::path::PathBuf;

use clap::Args;

use spindle::value::{Attrs, Value};
use spindle::{Error, Evaluator};

use crate::cli::{auto_call, finish, make_evaluator, run, EvalArgs};

/// `spindle instantiate`'s command line: the evaluation flags and roots.
#[derive(Args)]
pub(crate) struct InstantiateArgs {
    #[command(flatten)]
    pub(crate) eval: EvalArgs,
    /// Make PATH (PATH-2, PATH-3… for further derivations) a
    /// garbage-collector root of each `.drv`, and print it instead.
    #[arg(long, value_name = "PATH")]
    add_root: Option<PathBuf>,
    /// Accepted for compatibility: roots are always indirect.
    #[arg(long)]
    indirect: bool,
}

/// The message nix-instantiate gives a value that names no derivations.
const NOT_DERIVATIONS: &str =
    "expression does not evaluate to a derivation (or a set or list of those)";

/// Instantiates what the command line names; returns the exit status.
pub(crate) fn instantiate(args: InstantiateArgs) -> i32 {
    if args.eval.eval || args.eval.parse {
        return crate::cli::eval(args.eval);
    }
    let evaluator = match make_evaluator(&args.eval, true) {
        Ok(evaluator) => evaluator,
        Err(status) => return status,
    };
    let started = std::time::Instant::now();
    let mut roots = 0;
    let mut warned = false;
    let outcome = run(&evaluator, &args.eval, &mut |value, auto_args| {
        for found in derivations(&evaluator, value, auto_args)? {
            let shown = match &args.add_root {
                Some(root) => {
                    roots += 1;
                    add_root(&evaluator, &found.drv_path, root, roots)?
                }
                None => {
                    if !std::mem::replace(&mut warned, true) {
                        eprintln!("warning: you did not specify '--add-root'; the result might be removed by the garbage collector");
                    }
                    found.drv_path
                }
            };
            let output = match found.output.as_str() {
                "out" => String::new(),
                other => format!("!{other}"),
            };
            println!("{shown}{output}");
        }
        Ok(())
    });
    finish(&evaluator, &args.eval, started, outcome)
}

/// `--add-root`: the `n`th derivation's root is `root`, `root-2`, …
fn add_root(
    evaluator: &Evaluator,
    drv_path: &str,
    root: &std::path::Path,
    n: usize,
) -> Result<String, Error> {
    let link = match n {
        1 => root.to_path_buf(),
        _ => {
            let mut name = root.as_os_str().to_owned();
            name.push(format!("-{n}"));
            PathBuf::from(name)
        }
    };
    let store = evaluator
        .context()
        .store
        .backend()
        .cloned()
        .ok_or_else(|| Error::other("--add-root needs a store".to_string()))?;
    let link = spindle::store::backend::add_perm_root(store.as_ref(), drv_path, &link)?;
    Ok(link.display().to_string())
}

/// A derivation found in the value: its `.drv` and the output it stands
/// for.
struct Found {
    drv_path: String,
    output: String,
}

/// The derivations `value` names, as nix-instantiate finds them: a
/// derivation itself; each element of a list (lists within lists too);
/// in a set, the derivations among its attributes in the order of their
/// names, descending only into sets that say `recurseForDerivations =
/// true`. Functions are called with the `--arg`s first, at every level.
/// A derivation reached twice (the same set) counts once.
fn derivations(
    evaluator: &Evaluator,
    value: Value,
    auto_args: &Attrs,
) -> Result<Vec<Found>, Error> {
    let mut found = Vec::new();
    let mut seen = Vec::new();
    collect(evaluator, value, auto_args, &mut found, &mut seen)?;
    Ok(found)
}

fn collect(
    evaluator: &Evaluator,
    value: Value,
    auto_args: &Attrs,
    found: &mut Vec<Found>,
    seen: &mut Vec<Attrs>,
) -> Result<(), Error> {
    let value = evaluator.force(&auto_call(evaluator, value, auto_args)?)?;
    if take_derivation(evaluator, &value, found, seen)? {
        return Ok(());
    }
    match &value {
        Value::Attrs(_) => {
            for name in evaluator.attr_names(&value)? {
                if !is_plain_attr_name(&name) {
                    continue;
                }
                let Some(item) = evaluator.get_attr(&value, &name)? else {
                    continue;
                };
                if take_derivation(evaluator, &item, found, seen)? {
                    continue;
                }
                let recurse = matches!(item, Value::Attrs(_))
                    && evaluator
                        .get_attr(&item, "recurseForDerivations")?
                        .is_some_and(|flag| matches!(flag, Value::Bool(true)));
                if recurse {
                    spindle_fiber::grow(|| collect(evaluator, item, auto_args, found, seen))
                        .map_err(|e| Error::other(format!("{e:?}")))??;
                }
            }
            Ok(())
        }
        Value::List(items) => {
            for item in items.iter() {
                let item = evaluator.force(item)?;
                if !take_derivation(evaluator, &item, found, seen)? {
                    spindle_fiber::grow(|| collect(evaluator, item, auto_args, found, seen))
                        .map_err(|e| Error::other(format!("{e:?}")))??;
                }
            }
            Ok(())
        }
        _ => Err(Error::other(NOT_DERIVATIONS.to_string())),
    }
}

/// Whether the forced `value` is a derivation (a set whose `type` is
/// `"derivation"`); if so it is instantiated (its `drvPath` forced, which
/// writes it) and added, unless this very set was added before.
fn take_derivation(
    evaluator: &Evaluator,
    value: &Value,
    found: &mut Vec<Found>,
    seen: &mut Vec<Attrs>,
) -> Result<bool, Error> {
    let Value::Attrs(set) = value else {
        return Ok(false);
    };
    let is_derivation = evaluator
        .get_attr(value, "type")?
        .is_some_and(|t| t.as_bytes() == Some(b"derivation"));
    if !is_derivation {
        return Ok(false);
    }
    if seen.iter().any(|s| s.ptr_eq(set)) {
        return Ok(true);
    }
    seen.push(set.clone());
    let drv_path = match evaluator.get_attr(value, "drvPath")? {
        Some(path) => path
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Error::other("a derivation's 'drvPath' is not a string".to_string()))?,
        None => {
            return Err(Error::other(
                "derivation does not contain a 'drvPath' attribute".to_string(),
            ))
        }
    };
    let output = match evaluator.get_attr(value, "outputName")? {
        Some(name) => name.as_str().unwrap_or_default().to_string(),
        None => String::new(),
    };
    if output.is_empty() {
        return Err(Error::other(format!(
            "derivation '{drv_path}' lacks an 'outputName' attribute"
        )));
    }
    found.push(Found { drv_path, output });
    Ok(true)
}

/// Nix considers only attributes named like identifiers (letters, digits,
/// `_`, `-`, `+`, not starting with a digit, `-` or `+`).
fn is_plain_attr_name(name: &[u8]) -> bool {
    match name.split_first() {
        Some((first, rest)) => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'+'))
        }
        None => false,
    }
}
