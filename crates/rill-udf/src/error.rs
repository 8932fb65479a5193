//! Errors from loading a UDF module; every one names the module file, since a broken module
//! may have no readable function names.

/// A module could not be loaded or registered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("UDF module {file}: {reason}")]
pub struct LoadError {
    /// The module file (or directory) as given.
    pub file: String,
    /// What is wrong.
    pub reason: String,
}

impl LoadError {
    /// An error about `file`.
    pub fn new(file: impl Into<String>, reason: impl Into<String>) -> Self {
        LoadError {
            file: file.into(),
            reason: reason.into(),
        }
    }
}

/// Result of loading.
pub type Result<T> = std::result::Result<T, LoadError>;
