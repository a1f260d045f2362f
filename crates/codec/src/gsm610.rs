//! GSM 06.10 full-rate speech encoding and decoding (ETSI EN 300 961), written from the
//! specification and bit-exact with the reference implementation (libgsm): the "WAV49" packing
//! that Asterisk attaches to voicemail e-mail (WAVE format tag `0x0031`, 65-byte blocks of two frames) and the standard
//! 33-byte frames of `.gsm` files.

mod arith;
mod encode;
mod frame;
mod synth;

pub use encode::GsmEncoder;
pub use frame::{
    FRAME_BYTES, FRAME_MAGIC, FrameParams, SubframeParams, WAV49_BLOCK_BYTES, pack_frame,
    pack_wav49_block, unpack_frame, unpack_wav49_block,
};
pub use synth::{FRAME_SAMPLES, GsmDecoder};

/// Samples in one WAV49 block (two frames).
pub const WAV49_BLOCK_SAMPLES: usize = 2 * FRAME_SAMPLES;

/// Decodes whole WAV49 blocks, appending `320` samples per block to `out`. Bytes after the last
/// complete block are ignored (the caller decides whether that is an error).
pub fn decode_wav49(data: &[u8], out: &mut Vec<i16>) {
    let mut decoder = GsmDecoder::new();
    let blocks = data.chunks_exact(WAV49_BLOCK_BYTES);
    out.reserve(blocks.len() * WAV49_BLOCK_SAMPLES);
    let mut pcm = [0i16; FRAME_SAMPLES];
    for block in blocks {
        let Ok(block) = <&[u8; WAV49_BLOCK_BYTES]>::try_from(block) else {
            continue;
        };
        for params in &unpack_wav49_block(block) {
            decoder.decode_frame(params, &mut pcm);
            out.extend_from_slice(&pcm);
        }
    }
}

/// A standard frame whose signature nibble is not `0xD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadFrame {
    /// Zero-based index of the offending frame.
    pub index: usize,
}

/// Decodes whole 33-byte standard frames, appending `160` samples per frame to `out`. Bytes after
/// the last complete frame are ignored (the caller decides whether that is an error).
pub fn decode_frames(data: &[u8], out: &mut Vec<i16>) -> Result<(), BadFrame> {
    let mut decoder = GsmDecoder::new();
    let frames = data.chunks_exact(FRAME_BYTES);
    out.reserve(frames.len() * FRAME_SAMPLES);
    let mut pcm = [0i16; FRAME_SAMPLES];
    for (index, frame) in frames.enumerate() {
        let params = <&[u8; FRAME_BYTES]>::try_from(frame)
            .ok()
            .and_then(unpack_frame)
            .ok_or(BadFrame { index })?;
        decoder.decode_frame(&params, &mut pcm);
        out.extend_from_slice(&pcm);
    }
    Ok(())
}

/// Encodes whole 160-sample frames as standard 33-byte frames, appending to `out`. Samples after
/// the last whole frame are left out (the caller pads if it wants them).
pub fn encode_frames(pcm: &[i16], out: &mut Vec<u8>) {
    let mut encoder = GsmEncoder::new();
    let frames = pcm.chunks_exact(FRAME_SAMPLES);
    out.reserve(frames.len() * FRAME_BYTES);
    for frame in frames {
        let Ok(frame) = <&[i16; FRAME_SAMPLES]>::try_from(frame) else {
            continue;
        };
        out.extend_from_slice(&pack_frame(&encoder.encode_frame(frame)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav49_and_standard_packing_decode_to_the_same_samples() {
        let mut frames = Vec::new();
        for n in 0..6u8 {
            let mut p = FrameParams::default();
            for (i, lar) in p.larc.iter_mut().enumerate() {
                *lar = (n * 3 + i as u8) & 0x07;
            }
            for (j, sub) in p.sub.iter_mut().enumerate() {
                sub.nc = 40 + n * 10 + j as u8;
                sub.bc = (n + j as u8) & 3;
                sub.mc = j as u8;
                sub.xmaxc = 20 + n;
                for (i, x) in sub.xmc.iter_mut().enumerate() {
                    *x = ((i + j + usize::from(n)) % 8) as u8;
                }
            }
            frames.push(p);
        }
        let mut wav49 = Vec::new();
        for pair in frames.chunks_exact(2) {
            wav49.extend_from_slice(&pack_wav49_block(&[pair[0], pair[1]]));
        }
        let mut gsm = Vec::new();
        for p in &frames {
            gsm.extend_from_slice(&pack_frame(p));
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        decode_wav49(&wav49, &mut a);
        decode_frames(&gsm, &mut b).expect("valid frames");
        assert_eq!(a.len(), 6 * FRAME_SAMPLES);
        assert_eq!(a, b);
        assert!(a.iter().any(|&s| s != 0));
    }

    #[test]
    fn bad_signature_names_the_frame() {
        let mut gsm = Vec::new();
        gsm.extend_from_slice(&pack_frame(&FrameParams::default()));
        gsm.extend_from_slice(&[0u8; FRAME_BYTES]);
        let mut out = Vec::new();
        assert_eq!(decode_frames(&gsm, &mut out), Err(BadFrame { index: 1 }));
    }
}
