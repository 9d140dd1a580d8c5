//! Server-side errors and how they reach people: detail goes to the log, the person gets a sentence.

use crate::store::StoreError;
use crate::types::AppError;

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "store error");
        AppError::Unavailable
    }
}
