//! The few protobuf encodings the host writes (wasmd's `Msg...Response` data), by hand: two
//! field kinds are not worth a codegen dependency.

/// Minimal protobuf: field `n` as a varint.
pub(super) fn proto_varint(field: u32, v: u64, out: &mut Vec<u8>) {
    if v == 0 {
        return;
    }
    out.push((field << 3) as u8);
    varint(v, out);
}

/// An unsigned LEB128 varint: the value of a varint field and the length of a bytes field.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
}

/// Minimal protobuf: field `n` as length-delimited bytes.
pub(super) fn proto_bytes(field: u32, bytes: &[u8], out: &mut Vec<u8>) {
    if bytes.is_empty() {
        return;
    }
    out.push(((field << 3) | 2) as u8);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_known_bytes() {
        let enc = |field, v| {
            let mut out = Vec::new();
            proto_varint(field, v, &mut out);
            out
        };
        // proto3 omits a default (zero) scalar.
        assert_eq!(enc(1, 0), Vec::<u8>::new());
        assert_eq!(enc(1, 1), [0x08, 0x01]);
        // The protobuf encoding guide's example: 300 = 0xac 0x02.
        assert_eq!(enc(1, 300), [0x08, 0xac, 0x02]);
        assert_eq!(enc(2, 127), [0x10, 0x7f]);
        assert_eq!(enc(2, 128), [0x10, 0x80, 0x01]);
        let mut max = vec![0x08];
        max.extend([0xff; 9]);
        max.push(0x01);
        assert_eq!(enc(1, u64::MAX), max);
    }

    #[test]
    fn bytes_known_bytes() {
        let enc = |field, b: &[u8]| {
            let mut out = Vec::new();
            proto_bytes(field, b, &mut out);
            out
        };
        assert_eq!(enc(1, b""), Vec::<u8>::new());
        assert_eq!(enc(2, b"abc"), [0x12, 0x03, b'a', b'b', b'c']);
        // A length over 127 takes a two-byte varint: 200 = 0xc8 0x01.
        let long = [7u8; 200];
        let out = enc(1, &long);
        assert_eq!(out[..3], [0x0a, 0xc8, 0x01]);
        assert_eq!(out[3..], long);
    }

    #[test]
    fn store_code_response() {
        // MsgStoreCodeResponse { code_id = 1, checksum = 32 bytes }, as wasmd's Go encoder writes it.
        let checksum = [0xab; 32];
        let mut out = Vec::new();
        proto_varint(1, 1, &mut out);
        proto_bytes(2, &checksum, &mut out);
        let mut want = vec![0x08, 0x01, 0x12, 0x20];
        want.extend(checksum);
        assert_eq!(out, want);
    }
}
