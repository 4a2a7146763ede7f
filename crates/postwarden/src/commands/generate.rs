//! `postwarden generate`: the files a package ships, made from this binary so they cannot
//! drift from it — manual pages from the CLI definition (clap_mangen, one page per command,
//! as git does: `man postwarden-logs-scan`), shell completions (clap_complete), and the
//! configuration and systemd unit `postwarden setup` writes with its defaults.
//! `scripts/package` calls it; an administrator may too (`postwarden generate completions
//! zsh`).

use anyhow::{Context, Result};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum GenerateCommand {
    /// Write the manual pages (section 1, one per command) into DIR
    Man {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Print the completion script for SHELL (the package ships bash, zsh and fish)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the systemd unit the package installs (what `postwarden setup` writes by default)
    Unit,
    /// Print the configuration the package installs (what `postwarden setup -y` writes)
    Config,
}

pub fn run(command: GenerateCommand, cli: clap::Command) -> Result<ExitCode> {
    match command {
        GenerateCommand::Man { dir } => {
            let written = man_pages(cli, &dir)?;
            println!("wrote {written} manual pages into {}", dir.display());
        }
        GenerateCommand::Completions { shell } => {
            let mut cli = cli;
            clap_complete::generate(shell, &mut cli, "postwarden", &mut std::io::stdout());
        }
        GenerateCommand::Unit => print!("{}", super::setup::packaged_files()?.1),
        GenerateCommand::Config => print!("{}", super::setup::packaged_files()?.0),
    }
    Ok(ExitCode::SUCCESS)
}

/// One page per command and subcommand (`postwarden.1`, `postwarden-logs.1`,
/// `postwarden-logs-scan.1`, …), hidden ones and `help` left out. Returns how many.
fn man_pages(cli: clap::Command, dir: &Path) -> Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut cli = cli.disable_help_subcommand(true);
    cli.build();
    let mut count = 0;
    write_page(&cli, dir, &mut count)?;
    Ok(count)
}

fn write_page(command: &clap::Command, dir: &Path, count: &mut usize) -> Result<()> {
    let name = command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_owned();
    let page = clap_mangen::Man::new(command.clone())
        .title(name.to_uppercase())
        .section("1")
        .manual("postwarden manual")
        .source(format!("postwarden {}", env!("CARGO_PKG_VERSION")));
    let mut text = Vec::new();
    page.render(&mut text)
        .with_context(|| format!("cannot render the page of {name}"))?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    *count += 1;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_page(sub, dir, count)?;
    }
    Ok(())
}
