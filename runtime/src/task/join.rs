//! Awaiting and aborting tasks.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::cell::Cell;
use std::rc::Rc;

/// Why a task produced no output.
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    pub(crate) fn cancelled() -> Self {
        Self {
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(p: Box<dyn Any + Send + 'static>) -> Self {
        Self {
            repr: Repr::Panic(p),
        }
    }

    /// The task was aborted.
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to resume the panic elsewhere.
    ///
    /// # Panics
    /// If the task did not panic.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.repr {
            Repr::Panic(p) => p,
            Repr::Cancelled => panic!("the task was cancelled, it did not panic"),
        }
    }

    fn message(&self) -> String {
        match &self.repr {
            Repr::Cancelled => "task was cancelled".into(),
            Repr::Panic(p) => {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "Box<dyn Any>".into());
                format!("task panicked: {msg}")
            }
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JoinError({})", self.message())
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> Self {
        std::io::Error::other(e.message())
    }
}

/// An owned permission to await a spawned task's output.
///
/// Dropping it detaches the task. [`abort`](Self::abort) cancels it: the
/// handle then yields a cancelled [`JoinError`] (unless the task finished
/// first).
pub struct JoinHandle<T> {
    task: Option<async_task::Task<Result<T, JoinError>>>,
    abort: AbortHandle,
}

/// Cancels a task without owning its output (tokio's `AbortHandle`), from
/// [`JoinHandle::abort_handle`] or [`JoinSet::spawn`](crate::task::JoinSet::spawn).
#[derive(Clone)]
pub struct AbortHandle {
    abort: futures_util::future::AbortHandle,
    finished: Rc<Cell<bool>>,
}

impl AbortHandle {
    /// Cancels the task at its next await point (no effect once it ended).
    pub fn abort(&self) {
        self.abort.abort();
    }

    /// Whether the task has ended (completed, panicked or aborted).
    pub fn is_finished(&self) -> bool {
        self.finished.get()
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(
        task: async_task::Task<Result<T, JoinError>>,
        abort: futures_util::future::AbortHandle,
        finished: Rc<Cell<bool>>,
    ) -> Self {
        Self {
            task: Some(task),
            abort: AbortHandle { abort, finished },
        }
    }

    /// A handle that can abort the task (and tell whether it ended)
    /// without owning its output.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }

    /// Cancels the task at its next await point.
    ///
    /// ```
    /// wasio::block_on(async {
    ///     let h = wasio::spawn(std::future::pending::<()>());
    ///     h.abort();
    ///     assert!(h.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.abort.abort();
    }

    /// Whether the task has finished (completed, panicked or aborted).
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.task.as_mut() {
            Some(t) => Pin::new(t).poll(cx),
            None => panic!("JoinHandle polled after completion"),
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.detach();
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}
