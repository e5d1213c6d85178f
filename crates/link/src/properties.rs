//! `link-config.properties` and `--config k=v,…`, parsed as the `confluent`
//! CLI parses them (reference §2.4), so a file or flag that works with
//! `confluent kafka link create` works with ferry unchanged.
//!
//! # Format
//! - Lines are trimmed; empty lines and lines starting with `#` are skipped.
//! - A `\` at the very end of a line continues it: the backslash and the
//!   newline are removed, nothing else (leading blanks of the next line stay,
//!   as in the CLI; unlike Java properties). `\` before a CRLF counts too.
//! - Each line is `key=value`, split at the first `=`; the key is not trimmed
//!   any further. In values, `\n`, `\r` and `\t` become the real characters.
//! - A later line with the same key wins.
//! - A UTF-8 byte-order mark at the start is dropped (editors on Windows
//!   write one; it would otherwise become part of the first key).
//!
//! `--config` takes one file path, or comma-separated `key=value` items whose
//! pieces without `=` are glued back onto the previous item, so JSON values
//! keep their commas. Escapes are not expanded in `--config` items (the CLI
//! only expands them in files).

use std::collections::BTreeMap;

/// A parse failure, naming the line or item at fault (never its value,
/// which may be a secret).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct PropertiesError(pub String);

/// Parses the text of a properties file into `(key, value)` pairs in file
/// order (duplicates kept; the caller's map keeps the last).
///
/// # Errors
/// A non-empty, non-comment line without `=`, or with an empty key; the
/// message names the (first physical) line number.
pub fn parse_properties(text: &str) -> Result<Vec<(String, String)>, PropertiesError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    for (number, line) in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| {
            PropertiesError(format!(
                "line {number}: failed to parse \"key=value\" pattern: the line has no '='"
            ))
        })?;
        if key.is_empty() {
            return Err(PropertiesError(format!(
                "line {number}: empty key before '='"
            )));
        }
        out.push((key.to_string(), unescape(value)));
    }
    Ok(out)
}

/// Joins continued lines (`\` at the end) and numbers each logical line with
/// the number of its first physical line (1-based).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let raws: Vec<&str> = text.split('\n').collect();
    let last = raws.len().saturating_sub(1);
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in raws.into_iter().enumerate() {
        // A CRLF file: the `\r` is not part of the line for continuation.
        let body = raw.strip_suffix('\r').unwrap_or(raw);
        let (start, mut acc) = pending.take().unwrap_or((index + 1, String::new()));
        match body.strip_suffix('\\') {
            // The CLI removes backslash-newline; the last line has no newline.
            Some(head) if index != last => {
                acc.push_str(head);
                pending = Some((start, acc));
            }
            _ => {
                acc.push_str(raw);
                out.push((start, acc));
            }
        }
    }
    out
}

/// Turns the two-character escapes `\n`, `\r`, `\t` into real characters;
/// every other backslash stays as written.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let real = match chars.peek() {
                Some('n') => Some('\n'),
                Some('r') => Some('\r'),
                Some('t') => Some('\t'),
                _ => None,
            };
            if let Some(real) = real {
                chars.next();
                out.push(real);
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Parses `--config`: clap may hand over the flag's values already split at
/// commas, or as one string; both are joined, split at commas, and pieces
/// without `=` are glued back onto the previous item (with the comma), so
/// `consumer.offset.group.filters={"groupFilters":[{"name":"*","patternType":"LITERAL"}]}`
/// arrives whole. A single item without `=` is the path of a properties file
/// (read with [`parse_properties`]). A later item with the same key wins.
///
/// # Errors
/// A first piece without `=` among several, an empty key, or a file that
/// cannot be read or parsed.
pub fn parse_config_args(items: &[String]) -> Result<BTreeMap<String, String>, PropertiesError> {
    if let [one] = items
        && !one.contains('=')
    {
        let text = std::fs::read_to_string(one)
            .map_err(|e| PropertiesError(format!("reading config file '{one}': {e}")))?;
        return parse_properties(&text)
            .map(|pairs| pairs.into_iter().collect())
            .map_err(|e| PropertiesError(format!("config file '{one}': {e}")));
    }
    Ok(split_config_items(items)?.into_iter().collect())
}

/// The `key=value` items of `--config` (not a file), in order, glued as
/// [`parse_config_args`] describes.
///
/// # Errors
/// The first piece has no `=`, or a key is empty.
pub fn split_config_items(items: &[String]) -> Result<Vec<(String, String)>, PropertiesError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let joined = items.join(",");
    let mut glued: Vec<String> = Vec::new();
    for piece in joined.split(',') {
        if piece.contains('=') {
            glued.push(piece.to_string());
        } else if let Some(previous) = glued.last_mut() {
            previous.push(',');
            previous.push_str(piece);
        } else {
            return Err(PropertiesError(format!(
                "--config: failed to parse \"key=value\" pattern from '{piece}' (give one file path, or key=value items separated by commas)"
            )));
        }
    }
    glued
        .into_iter()
        .map(|item| match item.split_once('=') {
            Some(("", _)) | None => Err(PropertiesError(
                "--config: empty key before '='".to_string(),
            )),
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
        })
        .collect()
}

/// The CLI's echo of configs: `"key"="value"` lines sorted by key, as
/// `confluent kafka link create` prints them after "with configs:".
pub fn format_key_values(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    sorted
        .into_iter()
        .map(|(k, v)| format!("\"{k}\"=\"{v}\"\n"))
        .collect()
}

#[cfg(test)]
mod tests;
