//! Unit and property tests for native-histogram operations.
