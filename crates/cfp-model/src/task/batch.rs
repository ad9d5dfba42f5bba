//! Task batches: the tasks one create call made, and how far they are.

use serde::{Deserialize, Serialize};

use crate::ids::{TaskBatchId, TaskId};
use crate::time::UnixTime;

/// A task batch: the tasks one create call made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskBatch {
    /// The batch.
    pub id: TaskBatchId,
    /// When it was created.
    pub created_at: UnixTime,
    /// When it starts (or started).
    pub execute_at: UnixTime,
    /// When it finished; `0` while it has not.
    pub finished_at: UnixTime,
    /// How many tasks it has.
    pub num_tasks: u64,
    /// How many finished successfully.
    pub num_tasks_ok: u64,
    /// How many finished with an error.
    pub num_tasks_failed: u64,
    /// How many were cancelled.
    pub num_tasks_cancelled: u64,
    /// Its tasks.
    pub task_ids: Vec<TaskId>,
}

impl TaskBatch {
    /// Tasks that have ended, whatever the outcome.
    pub fn num_tasks_ended(&self) -> u64 {
        self.num_tasks_ok
            .saturating_add(self.num_tasks_failed)
            .saturating_add(self.num_tasks_cancelled)
    }

    /// Every task has ended (or the batch has a finish time).
    pub fn is_finished(&self) -> bool {
        !self.finished_at.is_unset() || self.num_tasks_ended() >= self.num_tasks
    }

    /// Some task failed or was cancelled.
    pub fn has_failures(&self) -> bool {
        self.num_tasks_failed > 0 || self.num_tasks_cancelled > 0
    }

    /// Ended tasks as a percentage of all (100 for an empty batch).
    pub fn percent(&self) -> u8 {
        if self.num_tasks == 0 {
            return 100;
        }
        let pct = u128::from(self.num_tasks_ended().min(self.num_tasks)) * 100
            / u128::from(self.num_tasks);
        u8::try_from(pct).unwrap_or(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_progress_and_outcome() {
        let b = TaskBatch {
            id: TaskBatchId(1),
            created_at: UnixTime::from_secs(1).unwrap(),
            execute_at: UnixTime::from_secs(1).unwrap(),
            finished_at: UnixTime::from_secs(0).unwrap(),
            num_tasks: 4,
            num_tasks_ok: 2,
            num_tasks_failed: 1,
            num_tasks_cancelled: 0,
            task_ids: vec![],
        };
        assert_eq!(b.percent(), 75);
        assert!(!b.is_finished());
        assert!(b.has_failures());
    }
}
