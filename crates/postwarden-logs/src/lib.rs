//! Postfix logs: a pure line parser and an incremental, rotation-safe reader.
//!
//! [`parse`] turns one log line (bytes) into a classified [`parse::Record`] without I/O, so
//! it can be fuzzed and benchmarked alone. The reader follows files on disk and hands
//! complete lines to the parser, remembering where it stopped.

pub mod anonymize;
pub mod detect;
pub mod journal;
pub mod parse;
pub mod reader;
