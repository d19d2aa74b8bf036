//! `kubeseal man`: the manual page (roff), with the version, examples and the environment,
//! and no references to pages that do not exist (subcommands point at `--help`).

use std::io::Write;

use clap::CommandFactory;

use crate::args::{Cli, version};
use crate::help::{EXAMPLES, SLICE_ENV};

/// Roff text: backslashes and hyphens escaped, lines starting with `.` or `'` protected.
fn roff(s: &str) -> String {
    let escaped = s.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

pub fn render(w: &mut dyn Write) -> std::io::Result<()> {
    // clap_mangen writes the version with its own leading `v`.
    let cmd = Cli::command().version(version().trim_start_matches('v'));
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;

    writeln!(w, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        writeln!(w, ".TP\n\\fBkubeseal {}\\fR", roff(sub.get_name()))?;
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        writeln!(w, "{}", roff(&about))?;
    }
    writeln!(
        w,
        ".PP\nSee \\fBkubeseal <command> \\-\\-help\\fR for each command's flags."
    )?;

    writeln!(w, ".SH EXAMPLES")?;
    for (what, command) in EXAMPLES {
        writeln!(
            w,
            ".PP\n{}\n.PP\n.RS 4\n.nf\n{}\n.fi\n.RE",
            roff(what),
            roff(command)
        )?;
    }

    writeln!(w, ".SH ENVIRONMENT")?;
    writeln!(
        w,
        "Every flag can also be set with an environment variable \\fBSEALED_SECRETS_\\fR<FLAG> (upper case, \\- as _); a flag on the command line wins. List flags from the environment come before those on the command line."
    )?;
    let mut vars: Vec<(String, String)> = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| {
            let var = a.get_env()?.to_string_lossy().into_owned();
            Some((var, format!("--{}", a.get_long()?)))
        })
        .chain(
            SLICE_ENV
                .iter()
                .map(|(var, flag)| (var.to_string(), flag.to_string())),
        )
        .collect();
    vars.sort();
    for (var, flag) in vars {
        writeln!(w, ".TP\n\\fB{}\\fR\nas {}", roff(&var), roff(&flag))?;
    }
    writeln!(
        w,
        ".TP\n\\fBKUBECONFIG\\fR\nthe kubeconfig files to merge when --kubeconfig is not given"
    )?;
    man.render_version_section(w)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_no_dangling_references() {
        let mut out = Vec::new();
        assert!(render(&mut out).is_ok());
        let text = String::from_utf8_lossy(&out);
        for section in [
            ".SH EXAMPLES",
            ".SH ENVIRONMENT",
            ".SH VERSION",
            "SEALED_SECRETS_CERT",
        ] {
            assert!(text.contains(section), "{section}");
        }
        assert!(!text.contains("kubeseal\\-keys(1)"));
        assert!(text.contains(version().trim_start_matches('v')));
    }
}
