//! `ferry tls create-certs`: a throwaway CA and a server certificate it
//! signs, for tests, demos and first steps with TLS listeners.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand};

/// Subcommands of `ferry tls`.
#[derive(Debug, Subcommand)]
pub(crate) enum TlsCommand {
    /// Generate a CA and a server certificate for the given host names.
    CreateCerts(CreateCertsArgs),
}

/// `ferry tls create-certs`.
#[derive(Debug, Args)]
pub(crate) struct CreateCertsArgs {
    /// Directory to write into (created if missing).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// A name clients will connect to (DNS name or IP address); repeatable.
    /// Defaults to `localhost` and `127.0.0.1`.
    #[arg(long = "hostname", value_name = "HOST")]
    hostnames: Vec<String>,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

/// The CA certificate, for clients to trust.
const CA: &str = "ca.pem";
/// The server certificate followed by the CA's.
const CHAIN: &str = "server.pem";
/// The server's private key (mode 0600).
const KEY: &str = "server-key.pem";
/// Chain and key in one PEM, for `ssl.keystore.location` (mode 0600).
const KEYSTORE: &str = "server-keystore.pem";

/// Runs a `tls` subcommand, printing to stdout.
pub(crate) fn run(cmd: TlsCommand) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    run_to(cmd, &mut out)
}

fn run_to(cmd: TlsCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match cmd {
        TlsCommand::CreateCerts(args) => create_certs(args, out),
    }
}

fn create_certs(args: CreateCertsArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let hostnames = if args.hostnames.is_empty() {
        vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
    } else {
        args.hostnames
    };
    let certs = ferry_auth::tls::generate_ca_and_server(&hostnames)?;
    let keystore = format!("{}{}", certs.server_cert_pem, certs.server_key_pem);
    let files: [(&str, &str, bool); 4] = [
        (CA, &certs.ca_pem, false),
        (CHAIN, &certs.server_cert_pem, false),
        (KEY, &certs.server_key_pem, true),
        (KEYSTORE, &keystore, true),
    ];
    if !args.force {
        for (name, _, _) in &files {
            let path = args.dir.join(name);
            if path.exists() {
                anyhow::bail!("{} exists; pass --force to overwrite", path.display());
            }
        }
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    for (name, contents, secret) in &files {
        let path = args.dir.join(name);
        write_file(&path, contents, *secret)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let dir = args.dir.display();
    writeln!(
        out,
        "Wrote {CA}, {CHAIN}, {KEY} and {KEYSTORE} (chain + key) to {dir} for: {}",
        hostnames.join(", ")
    )?;
    writeln!(out, "Broker (server.properties):")?;
    writeln!(out, "  ssl.keystore.type=PEM")?;
    writeln!(out, "  ssl.keystore.location={dir}/{KEYSTORE}")?;
    writeln!(out, "Clients: trust {dir}/{CA}")?;
    writeln!(
        out,
        "  (librdkafka/kcat: ssl.ca.location; Java: ssl.truststore.type=PEM, ssl.truststore.location)"
    )?;
    Ok(())
}

/// Writes a file, with owner-only permissions if it is `secret`.
fn write_file(path: &Path, contents: &str, secret: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, if secret { 0o600 } else { 0o644 });
    let mut file = options.open(path)?;
    // `mode` applies only to new files; tighten one being overwritten too.
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: TlsCommand,
    }

    fn run_args(args: &[&str]) -> anyhow::Result<String> {
        let cli = Cli::try_parse_from(std::iter::once("tls").chain(args.iter().copied()))?;
        let mut out = Vec::new();
        run_to(cli.cmd, &mut out)?;
        Ok(String::from_utf8(out)?)
    }

    #[test]
    fn writes_usable_files_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("certs");
        let d = d.to_str().unwrap();
        let text = run_args(&[
            "create-certs",
            "--dir",
            d,
            "--hostname",
            "broker.test",
            "--hostname",
            "10.1.2.3",
        ])
        .unwrap();
        assert!(text.contains("broker.test, 10.1.2.3"), "{text}");
        let read = |name: &str| std::fs::read(Path::new(d).join(name)).unwrap();
        // The broker's config accepts the keystore (chain + key in one PEM)
        // and a client accepts the CA.
        let keystore = read(KEYSTORE);
        ferry_auth::tls::server_config(&keystore, &keystore, None).unwrap();
        ferry_auth::tls::server_config(&read(CHAIN), &read(KEY), None).unwrap();
        ferry_auth::tls::client_config(Some(&read(CA)), false).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |name: &str| {
                std::fs::metadata(Path::new(d).join(name))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode(KEY), 0o600);
            assert_eq!(mode(KEYSTORE), 0o600);
            assert_eq!(mode(CA), 0o644);
        }

        let before = read(CA);
        let err = run_args(&["create-certs", "--dir", d]).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(read(CA), before);
        run_args(&["create-certs", "--dir", d, "--force"]).unwrap();
        assert_ne!(read(CA), before);
    }
}
