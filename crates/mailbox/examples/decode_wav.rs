//! Decodes a voicemail attachment to a 16-bit PCM WAV file: `decode_wav IN OUT`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = args.as_slice() else {
        eprintln!("usage: decode_wav IN OUT");
        return ExitCode::FAILURE;
    };
    let result = std::fs::read(input)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            voicelamp_mailbox::audio::decode_to_wav(&bytes).map_err(|e| e.to_string())
        })
        .and_then(|audio| std::fs::write(output, audio.to_wav_bytes()).map_err(|e| e.to_string()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{input}: {e}");
            ExitCode::FAILURE
        }
    }
}
