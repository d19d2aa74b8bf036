//! Whether a flag was given explicitly, which the derived `Cli` cannot tell from a default.

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

use super::Cli;

/// Whether the command line or the environment names a certificate or controller: then the
/// rules file is not consulted, so that upstream's flags mean what they always meant.
pub fn controller_flags_given() -> bool {
    flags_given(&["cert", "controller_name", "controller_namespace", "context"])
}

/// Whether any of the arguments `ids` was set on the command line or in the environment.
pub fn flags_given(ids: &[&str]) -> bool {
    let Ok(matches) = Cli::command().try_get_matches_from(std::env::args_os()) else {
        return false;
    };
    // The derive parse already succeeded on the same arguments; this only checks they agree.
    debug_assert!(Cli::from_arg_matches(&matches).is_ok());
    let explicit = |m: &clap::ArgMatches| {
        ids.iter().any(|id| {
            matches!(
                m.value_source(id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        })
    };
    explicit(&matches) || matches.subcommand().is_some_and(|(_, sub)| explicit(sub))
}
