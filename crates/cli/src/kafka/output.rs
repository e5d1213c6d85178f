//! Printing: tables shaped like the `confluent` CLI's, or JSON / YAML.

use std::io::Write;

use serde::Serialize;

use super::args::Output;

/// Writes `value` as JSON or YAML, or calls `human` for the table form.
pub(crate) fn emit<T: Serialize>(
    out: &mut dyn Write,
    format: Output,
    value: &T,
    human: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match write_value(out, format, value, human) {
        // The reader went away (`| head`): not an error worth reporting.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        r => r,
    }
}

fn write_value<T: Serialize>(
    out: &mut dyn Write,
    format: Output,
    value: &T,
    human: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match format {
        Output::Human => human(out)?,
        Output::Json => {
            let text = serde_json::to_string_pretty(value)?;
            writeln!(out, "{text}")?;
        }
        Output::Yaml => {
            let text = serde_norway::to_string(value)?;
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}

/// A column table with a header rule:
/// ```text
///   Name   | Partitions
/// ---------+-------------
///   orders |          3
/// ```
pub(crate) fn write_table(
    out: &mut dyn Write,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        cells
            .zip(&widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect::<Vec<_>>()
            .join("|")
            .trim_end()
            .to_owned()
    };
    writeln!(out, "{}", line(&mut header.iter().copied()))?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("+")
    )?;
    for row in rows {
        writeln!(out, "{}", line(&mut row.iter().map(String::as_str)))?;
    }
    Ok(())
}

/// A two-column key/value box, as `confluent … describe` prints.
pub(crate) fn write_key_values(
    out: &mut dyn Write,
    rows: &[(&str, String)],
) -> std::io::Result<()> {
    let kw = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let vw = rows
        .iter()
        .map(|(_, v)| v.chars().count())
        .max()
        .unwrap_or(0);
    let rule = format!("+{}+{}+", "-".repeat(kw + 2), "-".repeat(vw + 2));
    writeln!(out, "{rule}")?;
    for (k, v) in rows {
        writeln!(out, "| {k:<kw$} | {v:<vw$} |")?;
    }
    writeln!(out, "{rule}")
}

/// `-` for a missing number, as Kafka's tools print.
pub(crate) fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let mut out = Vec::new();
        write_table(
            &mut out,
            &["Name", "Partitions"],
            &[
                vec!["orders".into(), "3".into()],
                vec!["a".into(), "12".into()],
            ],
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            " Name   | Partitions\n--------+------------\n orders | 3\n a      | 12\n"
        );
    }
}
