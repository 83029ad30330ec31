//! Awaiting and aborting tasks.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wrap::Tracked;
use super::Id;

/// Why a task produced no output.
pub struct JoinError {
    repr: Repr,
    id: Id,
}

enum Repr {
    Cancelled,
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> Self {
        Self {
            repr: Repr::Cancelled,
            id,
        }
    }

    pub(crate) fn panic(id: Id, p: Box<dyn Any + Send + 'static>) -> Self {
        Self {
            repr: Repr::Panic(p),
            id,
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

    /// The id of the task.
    pub fn id(&self) -> Id {
        self.id
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

    /// The panic payload, if the task panicked.
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(p),
            Repr::Cancelled => Err(self),
        }
    }

    /// The panic's message, when its payload is a string.
    fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic(p) => p
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| p.downcast_ref::<String>().map(String::as_str)),
            Repr::Cancelled => None,
        }
    }
}

impl fmt::Debug for JoinError {
    /// As tokio's: `JoinError::Cancelled(Id(1))`,
    /// `JoinError::Panic(Id(1), "message", ...)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => write!(f, "JoinError::Cancelled({:?})", self.id),
            (Repr::Panic(_), Some(m)) => write!(f, "JoinError::Panic({:?}, {m:?}, ...)", self.id),
            (Repr::Panic(_), None) => write!(f, "JoinError::Panic({:?}, ...)", self.id),
        }
    }
}

impl fmt::Display for JoinError {
    /// As tokio's: `task 1 was cancelled`, `task 1 panicked with message
    /// "message"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled, _) => write!(f, "task {} was cancelled", self.id),
            (Repr::Panic(_), Some(m)) => write!(f, "task {} panicked with message {m:?}", self.id),
            (Repr::Panic(_), None) => write!(f, "task {} panicked", self.id),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(e: JoinError) -> Self {
        std::io::Error::other(e.to_string())
    }
}

/// An owned permission to await a spawned task's output.
///
/// Dropping it detaches the task. [`abort`](Self::abort) cancels it: the
/// handle then yields a cancelled [`JoinError`] (unless the task finished
/// first).
pub struct JoinHandle<T> {
    task: Option<async_task::Task<Result<T, JoinError>, Id>>,
    abort: AbortHandle,
}

/// Cancels a task without owning its output (tokio's `AbortHandle`), from
/// [`JoinHandle::abort_handle`] or [`JoinSet::spawn`](crate::task::JoinSet::spawn).
#[derive(Clone)]
pub struct AbortHandle {
    task: Tracked,
    id: Id,
}

impl AbortHandle {
    /// Cancels the task at its next await point (no effect once it ended).
    pub fn abort(&self) {
        self.task.abort();
    }

    /// Whether the task has ended (completed, panicked or aborted).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
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
        task: async_task::Task<Result<T, JoinError>, Id>,
        id: Id,
        tracked: &Tracked,
    ) -> Self {
        Self {
            task: Some(task),
            abort: AbortHandle {
                task: tracked.clone(),
                id,
            },
        }
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.abort.id
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
            // An output not taken is dropped here, as the task's.
            let _running = super::id::Running::new(self.abort.id);
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
