//! Linear PCM passthrough: 8-bit unsigned and 16-bit little-endian signed samples to 16-bit.

/// Converts unsigned 8-bit samples (bias 128) to 16-bit by centring and scaling by 256.
pub fn decode_u8(data: &[u8], out: &mut Vec<i16>) {
    out.extend(data.iter().map(|&b| i16::from(b as i8 ^ i8::MIN) << 8));
}

/// Reads 16-bit little-endian samples; a trailing odd byte is ignored (the caller checks alignment).
pub fn decode_s16le(data: &[u8], out: &mut Vec<i16>) {
    out.extend(
        data.chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]])),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u8_is_centred_and_scaled() {
        let mut out = Vec::new();
        decode_u8(&[0, 128, 255, 127], &mut out);
        assert_eq!(out, [-32768, 0, 32512, -256]);
    }

    #[test]
    fn s16le_reads_little_endian() {
        let mut out = Vec::new();
        decode_s16le(&[0x34, 0x12, 0xFF, 0xFF, 0x00, 0x80, 0x01], &mut out);
        assert_eq!(out, [0x1234, -1, -32768]);
    }
}
