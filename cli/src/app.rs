//! Upstream's dispatch order (`runCLI`), plus the sealwright extensions.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::CommandFactory;
use sealwright_crypto::cert;

use crate::args::{Cli, Command, version};
use crate::certsource;
use crate::error::{CliError, io_error};
use crate::kubeconfig;
use crate::modes::{merge, raw, reencrypt, seal, unseal, validate};
use crate::proxy::Controller;
use crate::sink::Sink;

pub fn run(mut cli: Cli) -> Result<(), CliError> {
    cli.apply_slice_env();
    if let Some(cmd) = &cli.command {
        return subcommand(cmd, &cli);
    }
    // Upstream looks at --version before --help.
    if cli.help && !cli.version {
        crate::help::print_help();
        return Ok(());
    }
    if cli.version {
        crate::outln!("kubeseal version: {}", version());
        return Ok(());
    }
    let a = &cli.seal;
    if !a.from_file.is_empty() && !a.raw {
        return Err(CliError::FromFileRequiresRaw);
    }
    let input_path: Option<PathBuf> = match (&a.secret_file, &cli.input) {
        (Some(_), Some(_)) => return Err(CliError::TwoInputs),
        (Some(f), None) => Some(f.clone()),
        (None, Some(p)) => Some(p.clone()),
        (None, None) => None,
    };
    let input_file = match &input_path {
        Some(p) => Some(std::fs::File::open(p).map_err(|e| {
            if a.secret_file.is_some() {
                CliError::SecretFile
            } else {
                io_error("open", p, &e)
            }
        })?),
        None => {
            if !a.raw && !a.fetch_cert && std::io::stdin().is_terminal() {
                eprintln!("(tty detected: expecting json/yaml k8s resource in stdin)");
            }
            None
        }
    };
    let re_encrypt = a.re_encrypt || a.rotate;
    if a.recovery_unseal && re_encrypt {
        // Upstream writes the opened Secret over the SealedSecret file given with -f.
        return Err(CliError::UnsealWithReEncrypt);
    }
    let mut output_file = a.sealed_secret_file.clone();
    if re_encrypt && output_file.is_none() {
        // In-place re-encryption of the input file (upstream #405).
        output_file = a.secret_file.clone();
    }
    let sink = match output_file {
        Some(p) => Sink::File(p),
        None => Sink::Stdout,
    };
    let format = if sink.forces_yaml() {
        "yaml".to_string()
    } else {
        a.format.clone()
    };
    let cap = a.max_input_size;
    let read_input = |file: Option<std::fs::File>| -> Result<Vec<u8>, CliError> {
        match file {
            Some(f) => crate::input::read_capped(f, cap, "the input"),
            None => crate::input::read_capped(std::io::stdin(), cap, "stdin"),
        }
    };
    // A malformed value is reported where the cluster is contacted; a certificate URL then
    // falls back to the default bound.
    let cert_timeout = kubeconfig::parse_timeout(&cli.kube.request_timeout).unwrap_or(None);
    let controller = Controller {
        namespace: a.controller_namespace.clone(),
        name: a.controller_name.clone(),
    };

    if a.recovery_unseal {
        let input = read_input(input_file)?;
        let text = unseal::run(&input, &a.recovery_private_key, &format)?;
        return sink.commit(text.as_bytes());
    }
    let offline_re_encrypt = re_encrypt && !a.recovery_private_key.is_empty() && !a.cert.is_empty();
    if !a.recovery_private_key.is_empty() && !offline_re_encrypt && std::io::stderr().is_terminal()
    {
        eprintln!(
            "warning: ignoring --recovery-private-key because unseal command not chosen with --recovery-unseal"
        );
    }

    let source = || kubeconfig::load(a.kubeconfig.as_deref());
    if a.validate {
        let input = read_input(input_file)?;
        let src = source()?;
        return block_on(async {
            let client = kubeconfig::client(src, &cli.kube).await?;
            validate::run(&client, &controller, &input).await
        });
    }
    if re_encrypt {
        let input = read_input(input_file)?;
        let text = if offline_re_encrypt {
            let keys = unseal::read_keys(&a.recovery_private_key)?;
            let pem = certsource::open_local(&a.cert, cert_timeout)?;
            let key = parse_key(&pem)?;
            reencrypt::run_offline(&input, &keys, &key, &format)?
        } else {
            let src = source()?;
            block_on(async {
                let client = kubeconfig::client(src, &cli.kube).await?;
                reencrypt::run_online(&client, &controller, &input, &format).await
            })?
        };
        return sink.commit(text.as_bytes());
    }

    // `-w PATH` under a rules file: that file's cluster, unless a certificate or controller
    // was named (then upstream's behaviour, unchanged).
    let rules_target = match &a.sealed_secret_file {
        Some(w) if a.cert.is_empty() && !a.fetch_cert && !crate::args::controller_flags_given() => {
            crate::rules::target_for(w)?
        }
        _ => None,
    };
    let pem = if let Some(t) = &rules_target {
        crate::rules::Certs::default().pem_for(t, &cli.cert_globals())?
    } else if a.cert.is_empty() {
        let src = source()?;
        block_on(async {
            let client = kubeconfig::client(src, &cli.kube).await?;
            certsource::open_cluster(&client, &controller).await
        })?
    } else {
        certsource::open_local(&a.cert, cert_timeout)?
    };
    if a.fetch_cert {
        return sink.commit(&pem);
    }
    let key = parse_key(&pem)?;

    // The kubeconfig namespace, looked up once and only when a Secret needs it.
    let mut cached: Option<(String, bool)> = None;
    let mut kube_args = cli.kube.clone();
    let mut kubeconfig_path = a.kubeconfig.clone();
    // Under a rule, a Secret without a namespace takes the default of that cluster's context.
    if let Some(t) = &rules_target {
        if t.settings.context.is_some() {
            kube_args.context.clone_from(&t.settings.context);
        }
        if let Some(k) = &t.settings.kubeconfig {
            kubeconfig_path = Some(PathBuf::from(k));
        }
    }
    let mut namespace = move || {
        cached
            .get_or_insert_with(|| {
                // Upstream ignores a configuration error here and goes on without a namespace
                // (sealing then fails with `secret must declare a namespace`).
                // A kubeconfig that cannot be loaded hides even `-n`, as in client-go.
                kubeconfig::load(kubeconfig_path.as_deref())
                    .and_then(|src| kubeconfig::namespace(&src, &kube_args))
                    .unwrap_or_default()
            })
            .clone()
    };
    let rule_scope = rules_target
        .as_ref()
        .and_then(|t| t.scope)
        .filter(|_| !crate::args::flags_given(&["scope"]));
    let opts = seal::SealOptions {
        scope: rule_scope.unwrap_or(a.scope),
        allow_empty_data: a.allow_empty_data,
        override_name: a.name.clone(),
        override_namespace: String::new(),
    };

    if let Some(target) = &a.merge_into {
        let input = read_input(input_file)?;
        return merge::run(target, &input, cap, &key, &opts, &format, &mut namespace);
    }
    if a.raw {
        let ns = if a.scope == sealwright_crypto::Scope::ClusterWide {
            String::new()
        } else {
            let src = source()?;
            kubeconfig::namespace(&src, &cli.kube)?.0
        };
        raw::check(a.scope, &ns, &a.name)?;
        let data = match a.from_file.as_slice() {
            [] => {
                if input_file.is_none() && std::io::stdin().is_terminal() {
                    eprintln!("(tty detected: expecting a secret to encrypt in stdin)");
                }
                read_input(None)?
            }
            [one] => {
                let path = raw::from_file_path(one);
                crate::input::read_capped(
                    std::fs::File::open(path).map_err(|e| io_error("open", path, &e))?,
                    a.max_input_size,
                    &path.display().to_string(),
                )?
            }
            _ => return Err(CliError::RawOneFromFile),
        };
        let text = raw::seal(&key, a.scope, &ns, &a.name, &data)?;
        return sink.commit(text.as_bytes());
    }
    let input = read_input(input_file)?;
    let text = seal::run(&input, &key, &opts, &format, &mut namespace)?;
    sink.commit(text.as_bytes())
}

/// `ParseKey`: the first certificate's RSA key, refused once expired.
fn parse_key(pem: &[u8]) -> Result<rsa::PublicKey, CliError> {
    let info = cert::parse_pem(pem)?;
    info.check_not_expired(time::OffsetDateTime::now_utc())?;
    Ok(info.public_key)
}

fn block_on<T>(f: impl std::future::Future<Output = Result<T, CliError>>) -> Result<T, CliError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(f)
}

fn subcommand(cmd: &Command, cli: &Cli) -> Result<(), CliError> {
    let mut out = crate::stdout::Stdout;
    match cmd {
        Command::Completion { shell, .. } => {
            let mut c = Cli::command();
            clap_complete::generate(*shell, &mut c, "kubeseal", &mut out);
            Ok(())
        }
        Command::Man { .. } => crate::manpage::render(&mut out)
            .map_err(|e| CliError::Completion(format!("cannot write the manual page: {e}"))),
        Command::Help { command: None, .. } => {
            crate::help::print_help();
            Ok(())
        }
        Command::Help {
            command: Some(name),
            ..
        } => {
            let mut c = Cli::command().bin_name("kubeseal");
            // Built as a whole, so the subcommand's usage and global flags are filled in.
            c.build();
            let text = c
                .find_subcommand_mut(name)
                .ok_or_else(|| CliError::UnknownCommand(name.clone()))?
                .render_long_help();
            crate::out!("{text}");
            Ok(())
        }
        Command::Keys(keys) => crate::keys::run(keys, &cli.connection()),
        Command::Reencrypt(args) => crate::tree::run(args, &cli.reencrypt_globals()),
        Command::Set(args) => {
            crate::edit::run_set(args, &cli.cert_globals(), cli.seal.max_input_size)
        }
        Command::Unset(args) => crate::edit::run_unset(args),
        Command::Edit(args) => {
            crate::edit::run_edit(args, &cli.cert_globals(), &cli.seal.recovery_private_key)
        }
        Command::Lint(args) => crate::lint::run(args, &cli.lint_globals()),
    }
}
