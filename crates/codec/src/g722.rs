//! ITU-T G.722 at 64 kbit/s (mode 1): 16 kHz wideband speech as sub-band ADPCM, one byte per
//! two samples (6 bits for the lower band, 2 for the higher).
//!
//! ```text
//! G722Encoder::new() / encode(&mut self, pcm: &[i16], out: &mut Vec<u8>)   // 16 kHz in, 1 byte per 2 samples
//! G722Decoder::new() / decode(&mut self, data: &[u8], out: &mut Vec<i16>)  // 2 samples per byte out
//! SAMPLE_RATE = 16000, RTP_CLOCK_RATE = 8000 (RFC 3551 keeps G.722's RTP clock at 8 kHz),
//! PAYLOAD_TYPE = 9
//! ```
//! Both are stateful (the ADPCM predictors and the QMF history): one per direction of a call,
//! fed every frame in order. After a lost packet the decoder is fed the next one as usual; the
//! caller conceals the gap (the media crate does) — the predictor resynchronises within a few
//! milliseconds. An odd sample left over by `encode` waits for the next call.

#[path = "g722_band.rs"]
mod band;
#[cfg(test)]
#[path = "g722_tests.rs"]
mod tests;

use band::{Band, QM2, QM4, QM6, QMF, saturate};

/// The audio sample rate.
pub const SAMPLE_RATE: u32 = 16_000;
/// The RTP timestamp rate of G.722 (RFC 3551 §4.5.2: 8000 for historical reasons).
pub const RTP_CLOCK_RATE: u32 = 8_000;
/// The static RTP payload type.
pub const PAYLOAD_TYPE: u8 = 9;

/// Lower band quantizer decision levels (Q6) and the codes for negative and positive
/// differences (ILN, ILP): G.722 Table 7.
const Q6: [i32; 32] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0,
];
const ILN: [i32; 32] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4, 0,
];
const ILP: [i32; 32] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32, 0,
];
/// Higher band codes for negative and positive differences (IHN, IHP).
const IHN: [i32; 3] = [0, 1, 0];
const IHP: [i32; 3] = [0, 3, 2];

/// A G.722 encoder (one per sending direction).
#[derive(Debug, Clone)]
pub struct G722Encoder {
    qmf: [i32; 24],
    low: Band,
    high: Band,
    pending: Option<i16>,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    /// An encoder in the reset state.
    pub fn new() -> Self {
        G722Encoder {
            qmf: [0; 24],
            low: Band::new(32),
            high: Band::new(8),
            pending: None,
        }
    }

    /// Encodes 16 kHz samples, appending one byte per two samples to `out`.
    pub fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) {
        out.reserve(pcm.len().div_ceil(2));
        let mut samples = pcm.iter().copied();
        if let Some(first) = self.pending.take() {
            match samples.next() {
                Some(second) => out.push(self.encode_pair(first, second)),
                None => {
                    self.pending = Some(first);
                    return;
                }
            }
        }
        while let Some(first) = samples.next() {
            match samples.next() {
                Some(second) => out.push(self.encode_pair(first, second)),
                None => self.pending = Some(first),
            }
        }
    }

    fn encode_pair(&mut self, first: i16, second: i16) -> u8 {
        // Transmit QMF: split into a lower and a higher band at 8 kHz.
        self.qmf.copy_within(2.., 0);
        self.qmf[22] = i32::from(first);
        self.qmf[23] = i32::from(second);
        let (mut sum_odd, mut sum_even) = (0i32, 0i32);
        for i in 0..12 {
            sum_odd += self.qmf[2 * i] * QMF[i];
            sum_even += self.qmf[2 * i + 1] * QMF[11 - i];
        }
        let xlow = (sum_even + sum_odd) >> 14;
        let xhigh = (sum_even - sum_odd) >> 14;

        // Lower band: SUBTRA, QUANTL (6 bits), INVQAL (4 bits for the predictor).
        let el = i32::from(saturate(xlow - self.low.s));
        let magnitude = if el >= 0 { el } else { -(el + 1) };
        let level = (1..30)
            .find(|&i| magnitude < (Q6[i] * self.low.det) >> 12)
            .unwrap_or(30);
        let ilow = if el < 0 { ILN[level] } else { ILP[level] };
        let code4 = (ilow >> 2) as usize;
        let dlow = (self.low.det * QM4[code4]) >> 15;
        self.low.adapt_lower(code4);
        self.low.update(dlow);

        // Higher band: SUBTRA, QUANTH (2 bits), INVQAH.
        let eh = i32::from(saturate(xhigh - self.high.s));
        let magnitude = if eh >= 0 { eh } else { -(eh + 1) };
        let mih = if magnitude >= (564 * self.high.det) >> 12 {
            2
        } else {
            1
        };
        let ihigh = if eh < 0 { IHN[mih] } else { IHP[mih] };
        let dhigh = (self.high.det * QM2[ihigh as usize]) >> 15;
        self.high.adapt_higher(ihigh as usize);
        self.high.update(dhigh);

        ((ihigh << 6) | ilow) as u8
    }
}

/// A G.722 decoder (one per receiving direction).
#[derive(Debug, Clone)]
pub struct G722Decoder {
    qmf: [i32; 24],
    low: Band,
    high: Band,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    /// A decoder in the reset state.
    pub fn new() -> Self {
        G722Decoder {
            qmf: [0; 24],
            low: Band::new(32),
            high: Band::new(8),
        }
    }

    /// Decodes G.722 bytes, appending two 16 kHz samples per byte to `out`.
    pub fn decode(&mut self, data: &[u8], out: &mut Vec<i16>) {
        out.reserve(2 * data.len());
        for &code in data {
            let [a, b] = self.decode_byte(code);
            out.push(a);
            out.push(b);
        }
    }

    fn decode_byte(&mut self, code: u8) -> [i16; 2] {
        let ilow = usize::from(code & 0x3F);
        let ihigh = usize::from(code >> 6);

        // Lower band: INVQBL (6 bits) for the output, RECONS, LIMIT; INVQAL (4 bits) to adapt.
        let wd = (self.low.det * QM6[ilow]) >> 15;
        let rlow = (self.low.s + wd).clamp(-16384, 16383);
        let code4 = ilow >> 2;
        let dlow = (self.low.det * QM4[code4]) >> 15;
        self.low.adapt_lower(code4);
        self.low.update(dlow);

        // Higher band: INVQAH, RECONS, LIMIT.
        let dhigh = (self.high.det * QM2[ihigh]) >> 15;
        let rhigh = (dhigh + self.high.s).clamp(-16384, 16383);
        self.high.adapt_higher(ihigh);
        self.high.update(dhigh);

        // Receive QMF: recombine the bands at 16 kHz.
        self.qmf.copy_within(2.., 0);
        self.qmf[22] = rlow + rhigh;
        self.qmf[23] = rlow - rhigh;
        let (mut xout1, mut xout2) = (0i32, 0i32);
        for i in 0..12 {
            xout2 += self.qmf[2 * i] * QMF[i];
            xout1 += self.qmf[2 * i + 1] * QMF[11 - i];
        }
        [saturate(xout1 >> 11), saturate(xout2 >> 11)]
    }
}
