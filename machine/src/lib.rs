//! The oxbox PC.
