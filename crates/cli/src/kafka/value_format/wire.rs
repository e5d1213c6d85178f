//! Confluent's wire format: magic byte `0`, the schema id as a 4-byte
//! big-endian int, then the payload; for Protobuf the payload starts with
//! the message-index path (a zig-zag varint count, then zig-zag varint
//! indexes; the common `[0]` is the single byte `0`).

use anyhow::{anyhow, bail};

/// The magic byte of the id-prefixed (v0) framing.
pub(crate) const MAGIC: u8 = 0;

/// Splits a framed value into its schema id and the rest.
pub(crate) fn split(bytes: &[u8]) -> anyhow::Result<(i32, &[u8])> {
    match bytes {
        [] => bail!("empty value: not in the Confluent wire format"),
        [MAGIC, a, b, c, d, rest @ ..] => Ok((i32::from_be_bytes([*a, *b, *c, *d]), rest)),
        [MAGIC, ..] => bail!(
            "value of {} byte(s) is too short for the Confluent wire format (magic byte and 4-byte schema id)",
            bytes.len()
        ),
        [first, ..] => bail!(
            "value is not in the Confluent wire format (first byte 0x{first:02x}, expected the magic byte 0x00)"
        ),
    }
}

/// Prefixes `payload` with the magic byte and `id`.
pub(crate) fn frame(id: i32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    out.push(MAGIC);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Reads the Protobuf message-index path at the start of `bytes`; a count
/// of 0 means `[0]` (the first message of the file).
pub(crate) fn read_message_indexes(bytes: &[u8]) -> anyhow::Result<(Vec<i32>, &[u8])> {
    let (count, mut rest) = read_varint(bytes)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    // Each index takes at least one byte: a count beyond what is left is
    // corrupt, and must not size an allocation.
    let count = usize::try_from(count)
        .ok()
        .filter(|c| *c <= rest.len())
        .ok_or_else(|| anyhow!("protobuf message-index count {count} is invalid"))?;
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        let (index, tail) = read_varint(rest)?;
        if index < 0 {
            bail!("protobuf message index {index} is negative");
        }
        indexes.push(index);
        rest = tail;
    }
    Ok((indexes, rest))
}

/// Writes the message-index path `indexes` (`[0]` as the single byte 0).
pub(crate) fn write_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    write_varint(i32::try_from(indexes.len()).unwrap_or(i32::MAX), out);
    for i in indexes {
        write_varint(*i, out);
    }
}

/// A zig-zag varint of at most 5 bytes (Kafka's `ByteUtils.readVarint`).
fn read_varint(bytes: &[u8]) -> anyhow::Result<(i32, &[u8])> {
    let mut raw: u32 = 0;
    for (i, b) in bytes.iter().enumerate().take(5) {
        raw |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let value = ((raw >> 1) as i32) ^ -((raw & 1) as i32);
            return Ok((value, bytes.get(i + 1..).unwrap_or_default()));
        }
    }
    bail!("truncated or over-long varint in the protobuf message-index path")
}

fn write_varint(value: i32, out: &mut Vec<u8>) {
    let mut raw = ((value << 1) ^ (value >> 31)) as u32;
    while raw >= 0x80 {
        out.push((raw as u8 & 0x7f) | 0x80);
        raw >>= 7;
    }
    out.push(raw as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_back_and_bad_frames_are_refused() {
        let framed = frame(258, b"xy");
        assert_eq!(framed, [0, 0, 0, 1, 2, b'x', b'y']);
        assert_eq!(split(&framed).unwrap(), (258, &b"xy"[..]));
        assert!(split(b"").is_err());
        assert!(split(&[0, 0, 1]).is_err());
        let e = split(b"hello").unwrap_err().to_string();
        assert!(e.contains("0x68"), "{e}");
    }

    #[test]
    fn message_indexes_round_trip() {
        for path in [vec![0], vec![1], vec![2, 0, 3], vec![300]] {
            let mut out = Vec::new();
            write_message_indexes(&path, &mut out);
            out.push(0xaa);
            let (read, rest) = read_message_indexes(&out).unwrap();
            assert_eq!(read, path);
            assert_eq!(rest, [0xaa]);
        }
        // [0] is one zero byte; a count of 0 also reads as [0].
        let mut out = Vec::new();
        write_message_indexes(&[0], &mut out);
        assert_eq!(out, [0]);
        // A count larger than the bytes left is refused, not allocated.
        assert!(read_message_indexes(&[0xfe, 0xff, 0xff, 0xff, 0x07]).is_err());
        assert!(read_message_indexes(&[0x80]).is_err());
    }
}
