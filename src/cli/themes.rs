//! The themes the console offers: the built-in ones and `themes/*.toml` beside the config.

use crate::config::Config;
use crate::ui::theme::Theme;

/// The built-in themes plus `themes/*.toml` next to the config; returns the chosen index.
pub fn load_themes(
    config: &Config,
    wanted: &str,
    no_color: bool,
) -> Result<(Vec<Theme>, usize), String> {
    let mut themes: Vec<Theme> = Theme::builtin_names()
        .map(|n| Theme::load(n, None, no_color))
        .collect::<Result<_, _>>()?;
    if let Ok(entries) = std::fs::read_dir(config.dir().join("themes")) {
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.path().file_stem()?.to_str().map(str::to_owned))
            .filter(|n| !themes.iter().any(|t| &t.name == n))
            .collect();
        names.sort();
        for n in names {
            match Theme::load(&n, Some(config.dir()), no_color) {
                Ok(t) => themes.push(t),
                Err(e) => tracing::warn!("skipping theme {n}: {e}"),
            }
        }
    }
    if !themes.iter().any(|t| t.name == wanted) {
        themes.push(Theme::load(wanted, Some(config.dir()), no_color)?);
    }
    let index = themes.iter().position(|t| t.name == wanted).unwrap_or(0);
    Ok((themes, index))
}
