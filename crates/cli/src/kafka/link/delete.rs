//! `ferry kafka link delete <link>… [--force]`.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use serde::Serialize;

use crate::kafka::output::emit;
use crate::kafka::rest_client::{RestArgs, RestClient};

/// `ferry kafka link delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// Names of the links.
    #[arg(required = true)]
    links: Vec<String>,
    /// Skip the confirmation prompt (required when stdin is not a terminal).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    rest: RestArgs,
}

/// `"a"`, `"a" and "b"`, `"a", "b" and "c"`.
fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

fn noun(n: usize) -> &'static str {
    if n == 1 {
        "cluster link"
    } else {
        "cluster links"
    }
}

/// Asks on the terminal; without one, `--force` is required.
fn confirm(links: &[String]) -> anyhow::Result<bool> {
    let stdin = std::io::stdin();
    anyhow::ensure!(
        stdin.is_terminal(),
        "refusing to delete {} {} without confirmation: stdin is not a terminal; pass --force",
        noun(links.len()),
        quoted_list(links)
    );
    let mut err = std::io::stderr().lock();
    write!(
        err,
        "Are you sure you want to delete {} {}? (y/n): ",
        noun(links.len()),
        quoted_list(links)
    )?;
    err.flush()?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

#[derive(Debug, Serialize)]
struct Deleted<'a> {
    deleted: &'a [String],
}

pub(crate) async fn run(args: DeleteArgs) -> anyhow::Result<()> {
    crate::kafka::rest_client::base_url(&args.rest)?;
    if !args.force && !confirm(&args.links)? {
        anyhow::bail!("not deleted");
    }
    let client = RestClient::connect(&args.rest).await?;
    let mut deleted = Vec::new();
    let mut failures = Vec::new();
    for link in &args.links {
        match client.delete_link(link).await {
            Ok(()) => deleted.push(link.clone()),
            Err(e) => failures.push(format!("\"{link}\": {e:#}")),
        }
    }
    if !deleted.is_empty() {
        emit(
            &mut std::io::stdout().lock(),
            args.rest.output.output,
            &Deleted { deleted: &deleted },
            |out: &mut dyn Write| {
                writeln!(
                    out,
                    "Deleted {} {}.",
                    noun(deleted.len()),
                    quoted_list(&deleted)
                )
            },
        )?;
    }
    if !failures.is_empty() {
        anyhow::bail!(
            "could not delete {}: {}",
            noun(failures.len()),
            failures.join("; ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_listed_as_the_confluent_cli_does() {
        let v = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(quoted_list(&v(&["a"])), "\"a\"");
        assert_eq!(quoted_list(&v(&["a", "b"])), "\"a\" and \"b\"");
        assert_eq!(quoted_list(&v(&["a", "b", "c"])), "\"a\", \"b\" and \"c\"");
    }
}
