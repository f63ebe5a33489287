//! PC devices.
#![forbid(unsafe_code)]
