//! Avro decimals: the unscaled value as big-endian two's complement bytes,
//! shown as decimal text (`"-12.30"` for -1230 at scale 2). Values up to
//! 16 bytes (38 digits) are handled, which covers any precision Avro
//! decimals use in practice; longer ones are shown as their base64 bytes.

use base64::Engine as _;

/// Renders the unscaled `bytes` at `scale` as decimal text.
pub(crate) fn render(bytes: &[u8], scale: usize) -> String {
    let Some(unscaled) = to_i128(bytes) else {
        return base64::engine::general_purpose::STANDARD.encode(bytes);
    };
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

/// Parses decimal `text` to the unscaled bytes at `scale`, sign-extended
/// to `size` bytes for a `fixed` decimal.
pub(crate) fn parse(text: &str, scale: usize, size: Option<usize>) -> Result<Vec<u8>, String> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
        return Err(format!("\"{text}\" is not a decimal number"));
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > scale {
        return Err(format!(
            "\"{text}\" has more than {scale} fractional digit(s) (the schema's scale)"
        ));
    }
    let digits = format!("{int}{frac:0<scale$}");
    let magnitude: i128 = if digits.is_empty() {
        0
    } else {
        digits
            .parse()
            .map_err(|_| format!("\"{text}\" is too large for a decimal of 38 digits"))?
    };
    let unscaled = if negative { -magnitude } else { magnitude };
    let full = unscaled.to_be_bytes();
    // Minimal two's complement: drop leading bytes that only repeat the sign.
    let mut start = 0;
    while start + 1 < full.len() {
        let (b, next) = (full[start], full[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    let minimal = &full[start..];
    match size {
        None => Ok(minimal.to_vec()),
        Some(size) if minimal.len() > size => Err(format!(
            "\"{text}\" does not fit the decimal's {size} byte(s)"
        )),
        Some(size) => {
            let fill = if unscaled < 0 { 0xff } else { 0 };
            let mut out = vec![fill; size - minimal.len()];
            out.extend_from_slice(minimal);
            Ok(out)
        }
    }
}

fn to_i128(bytes: &[u8]) -> Option<i128> {
    if bytes.len() > 16 {
        return None;
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
    let mut full = [if negative { 0xff } else { 0 }; 16];
    full[16 - bytes.len()..].copy_from_slice(bytes);
    Some(i128::from_be_bytes(full))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip_through_bytes() {
        for (text, scale, shown) in [
            ("12.3", 2, "12.30"),
            ("-12.30", 2, "-12.30"),
            ("0.05", 2, "0.05"),
            ("-0.05", 2, "-0.05"),
            ("0", 0, "0"),
            ("128", 0, "128"),
            ("-129", 0, "-129"),
            (
                "99999999999999999999999999999999999999",
                0,
                "99999999999999999999999999999999999999",
            ),
        ] {
            let bytes = parse(text, scale, None).unwrap();
            assert_eq!(render(&bytes, scale), shown, "{text}");
            let fixed = parse(text, scale, Some(16)).unwrap();
            assert_eq!(fixed.len(), 16);
            assert_eq!(render(&fixed, scale), shown);
        }
        assert_eq!(parse("128", 0, None).unwrap(), [0, 0x80]);
        assert_eq!(parse("-1", 0, None).unwrap(), [0xff]);
        assert!(parse("1.234", 2, None).is_err());
        assert!(parse("1e3", 0, None).is_err());
        assert!(parse("70000", 0, Some(2)).is_err());
        assert!(parse("", 0, None).is_err());
    }
}
