//! Rendering objects exactly as upstream kubeseal prints them (`resourceOutput`).

pub mod json;
pub mod objects;
pub mod yaml;
mod yaml_resolve;

use serde_json::Value;

use crate::error::CliError;

/// `-o`: `json` (also the empty string) or `yaml`, case-insensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    /// Upstream only rejects an unknown format when it prints, so this is called there.
    pub fn parse(s: &str) -> Result<Format, CliError> {
        match s.to_ascii_lowercase().as_str() {
            "json" | "" => Ok(Format::Json),
            "yaml" => Ok(Format::Yaml),
            _ => Err(CliError::UnsupportedFormat(s.to_string())),
        }
    }
}

/// One document: JSON with a trailing newline, or `---\n` and YAML.
pub fn render(value: &Value, format: Format) -> Result<String, CliError> {
    Ok(match format {
        Format::Json => {
            let mut s = json::to_go_json(value);
            s.push('\n');
            s
        }
        Format::Yaml => {
            let mut s = String::from("---\n");
            s.push_str(&yaml::to_go_yaml(value).map_err(CliError::Render)?);
            s
        }
    })
}
