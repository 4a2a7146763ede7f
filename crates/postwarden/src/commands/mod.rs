//! One module per command group, each with its clap arguments and its `run`.

pub mod config;
pub mod db;
pub mod filter;
pub mod generate;
pub mod geo;
pub mod health;
pub mod ip;
pub mod logs;
pub mod notify;
pub mod quarantine;
pub mod report;
pub mod route;
pub mod setup;
pub mod users;
pub mod web;
pub mod worker;
