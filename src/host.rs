//! What a stepping evaluation asks of its host, and what the host answers.
//!
//! An [`Evaluation`](crate::Evaluation) runs on a fiber task. When it needs
//! something only the host can give — a file, a directory listing, an
//! environment variable, the answer of an asynchronous builtin, more fuel — it
//! suspends with a [`HostRequest`], from however deep it is, in one stack
//! switch. The host answers with a [`HostReply`] whenever it likes, and the
//! evaluation continues where it stopped.
//!
//! [`HostIo`] is the [`EvalIo`] that turns every I/O call into such a request.

use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::engine::Engine;
use crate::error::{io_cancelled, Error, ErrorKind, Result};
use crate::io::{EvalIo, FileType};
use crate::value::Value;
use crate::vm::Vm;

/// Something an evaluation needs from its host. Each is answered with the
/// [`HostReply`] variant its documentation names, or with
/// [`HostReply::Cancel`].
#[derive(Debug)]
pub enum HostRequest {
    /// The bytes of a file. Answer [`HostReply::File`].
    ReadFile(PathBuf),
    /// The type of a file, not following a final symlink. Answer
    /// [`HostReply::FileType`].
    FileType(PathBuf),
    /// The entries of a directory. Answer [`HostReply::Dir`].
    ReadDir(PathBuf),
    /// Whether a path exists. Answer [`HostReply::Exists`].
    PathExists(PathBuf),
    /// An environment variable. Answer [`HostReply::Env`].
    GetEnv(String),
    /// Seconds since the epoch. Answer [`HostReply::Time`].
    CurrentTime,
    /// A `builtins.trace` message. Answer [`HostReply::Continue`].
    Trace(String),
    /// A call of a builtin declared with
    /// [`EvaluatorBuilder::async_builtin`](crate::EvaluatorBuilder::async_builtin),
    /// with its arguments forced completely. Answer [`HostReply::Value`].
    Call {
        /// The builtin's name.
        name: Rc<str>,
        /// The arguments, deep-forced.
        args: Vec<Value>,
    },
    /// The evaluation used up its steps. Answer [`HostReply::Fuel`] to go on,
    /// or [`HostReply::Cancel`].
    OutOfFuel,
}

/// The host's answer to a [`HostRequest`]. The first
/// [`resume`](crate::Evaluation::resume) of an evaluation takes
/// [`HostReply::Continue`].
#[derive(Debug)]
pub enum HostReply {
    /// Go on: the first resume, and the answer to [`HostRequest::Trace`].
    Continue,
    /// Stop the evaluation: it fails with
    /// [`ErrorKind::Cancelled`], unwinding
    /// normally, and any thunks it was forcing can be forced again later.
    Cancel,
    /// Answers [`HostRequest::ReadFile`].
    File(io::Result<Vec<u8>>),
    /// Answers [`HostRequest::FileType`].
    FileType(io::Result<FileType>),
    /// Answers [`HostRequest::ReadDir`].
    Dir(io::Result<Vec<(Vec<u8>, FileType)>>),
    /// Answers [`HostRequest::PathExists`].
    Exists(io::Result<bool>),
    /// Answers [`HostRequest::GetEnv`].
    Env(io::Result<Option<String>>),
    /// Answers [`HostRequest::CurrentTime`].
    Time(io::Result<i64>),
    /// Answers [`HostRequest::Call`]: the builtin's result.
    Value(Result<Value>),
    /// Answers [`HostRequest::OutOfFuel`]: this many more steps (0 declines,
    /// and the evaluation fails with
    /// [`ErrorKind::OutOfFuel`]).
    Fuel(u64),
}

impl HostRequest {
    /// Answers an I/O request synchronously with `io`; `None` for the
    /// requests that are not I/O ([`HostRequest::Call`],
    /// [`HostRequest::OutOfFuel`]). Handy for hosts that serve only some
    /// requests themselves.
    pub fn serve_io(&self, io: &dyn EvalIo) -> Option<HostReply> {
        Some(match self {
            HostRequest::ReadFile(p) => HostReply::File(io.read_file(p)),
            HostRequest::FileType(p) => HostReply::FileType(io.file_type(p)),
            HostRequest::ReadDir(p) => HostReply::Dir(io.read_dir(p)),
            HostRequest::PathExists(p) => HostReply::Exists(io.path_exists(p)),
            HostRequest::GetEnv(name) => HostReply::Env(io.get_env(name)),
            HostRequest::CurrentTime => HostReply::Time(io.current_time()),
            HostRequest::Trace(message) => {
                io.trace(message);
                HostReply::Continue
            }
            HostRequest::Call { .. } | HostRequest::OutOfFuel => return None,
        })
    }
}

/// Suspends the evaluation the caller runs in with `request`; `None` when
/// the caller does not run in a stepping evaluation.
pub(crate) fn ask(request: HostRequest) -> Option<HostReply> {
    spindle_fiber::suspend::<HostRequest, HostReply>(request).ok()
}

/// The [`EvalIo`] of a host that answers I/O itself: every call suspends the
/// stepping [`Evaluation`](crate::Evaluation) it runs in and hands the host a
/// [`HostRequest`].
///
/// Code that does not run in a stepping evaluation (the synchronous
/// [`Evaluator`](crate::Evaluator) methods) cannot suspend; it uses the
/// fallback I/O, or fails when there is none.
#[derive(Clone, Default)]
pub struct HostIo {
    fallback: Option<Rc<dyn EvalIo>>,
}

impl HostIo {
    /// Host I/O without a fallback.
    pub fn new() -> HostIo {
        HostIo::default()
    }

    /// Host I/O that uses `fallback` where it cannot suspend.
    pub fn with_fallback(fallback: Rc<dyn EvalIo>) -> HostIo {
        HostIo {
            fallback: Some(fallback),
        }
    }

    /// Asks the host, or the fallback outside a stepping evaluation. `pick`
    /// takes the expected answer out of the reply.
    fn ask<R>(
        &self,
        request: HostRequest,
        pick: impl FnOnce(HostReply) -> std::result::Result<io::Result<R>, HostReply>,
        fallback: impl FnOnce(&dyn EvalIo) -> io::Result<R>,
    ) -> io::Result<R> {
        let asked = format!("{request:?}");
        match ask(request) {
            Some(HostReply::Cancel) => Err(io_cancelled()),
            Some(reply) => pick(reply).unwrap_or_else(|other| Err(mismatch(&asked, &other))),
            None => match &self.fallback {
                Some(io) => fallback(io.as_ref()),
                None => Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "this evaluator's I/O is answered by its host: start the evaluation with Evaluator::start_*",
                )),
            },
        }
    }
}

/// The error for a reply that does not answer the request.
fn mismatch(request: &str, reply: &HostReply) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the host answered {request} with {reply:?}"),
    )
}

impl EvalIo for HostIo {
    fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.ask(
            HostRequest::ReadFile(path.to_path_buf()),
            |reply| match reply {
                HostReply::File(r) => Ok(r),
                other => Err(other),
            },
            |io| io.read_file(path),
        )
    }

    fn file_type(&self, path: &Path) -> io::Result<FileType> {
        self.ask(
            HostRequest::FileType(path.to_path_buf()),
            |reply| match reply {
                HostReply::FileType(r) => Ok(r),
                other => Err(other),
            },
            |io| io.file_type(path),
        )
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<(Vec<u8>, FileType)>> {
        self.ask(
            HostRequest::ReadDir(path.to_path_buf()),
            |reply| match reply {
                HostReply::Dir(r) => Ok(r),
                other => Err(other),
            },
            |io| io.read_dir(path),
        )
    }

    fn path_exists(&self, path: &Path) -> io::Result<bool> {
        self.ask(
            HostRequest::PathExists(path.to_path_buf()),
            |reply| match reply {
                HostReply::Exists(r) => Ok(r),
                other => Err(other),
            },
            |io| io.path_exists(path),
        )
    }

    fn get_env(&self, name: &str) -> io::Result<Option<String>> {
        self.ask(
            HostRequest::GetEnv(name.to_string()),
            |reply| match reply {
                HostReply::Env(r) => Ok(r),
                other => Err(other),
            },
            |io| io.get_env(name),
        )
    }

    fn current_time(&self) -> io::Result<i64> {
        self.ask(
            HostRequest::CurrentTime,
            |reply| match reply {
                HostReply::Time(r) => Ok(r),
                other => Err(other),
            },
            |io| io.current_time(),
        )
    }

    fn trace(&self, message: &str) {
        // A trace has no answer, so a cancellation or a stray reply changes
        // nothing: the evaluation notices cancellation at its next step.
        let _ = self.ask(
            HostRequest::Trace(message.to_string()),
            |_| Ok(Ok(())),
            |io| {
                io.trace(message);
                Ok(())
            },
        );
    }
}

/// The implementation of a builtin the host answers: deep-force the
/// arguments, then suspend with [`HostRequest::Call`].
pub(crate) fn async_builtin(name: Rc<str>) -> impl Fn(&mut Vm, &[Value]) -> Result<Value> {
    move |vm, args| {
        let mut forced = Vec::with_capacity(args.len());
        for arg in args {
            forced.push(vm.deep_force(arg.clone())?);
        }
        let request = HostRequest::Call {
            name: name.clone(),
            args: forced,
        };
        match ask(request) {
            Some(HostReply::Value(result)) => vm.force(result?),
            Some(HostReply::Cancel) => Err(Error::new(ErrorKind::Cancelled)),
            Some(other) => Err(Error::other(format!(
                "the host answered the call of '{name}' with {other:?}"
            ))),
            None => Err(Error::other(format!(
                "the builtin '{name}' is answered by the host: start the evaluation with Evaluator::start_*"
            ))),
        }
    }
}
