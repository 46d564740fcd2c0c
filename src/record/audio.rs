//! The input's audio, copied into the output without re-encoding.
//!
//! In: an MP4 path. [`AudioSource::from_mp4`] reads the first sound track's tables with the `mp4`
//! crate (and the raw bytes of its sample entry, so the `esds` goes through untouched); the
//! [`super::VideoWriter`] then copies the samples byte for byte, with the same timescale and
//! durations, interleaved with the video as frames arrive. Runs on the writer's thread (it reads
//! the input file with its own handle; no allocation per sample).
//!
//! Policy: AAC (`mp4a` with an MPEG-4 or MPEG-2 AAC object type) is copied. A file without sound,
//! a file that is not MP4, or audio the copy cannot handle (another codec, fragmented MP4, several
//! sample descriptions) gives `Ok(None)` with a `log::warn!` naming the file and the reason: the
//! video is still written, silent. A file that cannot be opened or read, or whose audio tables
//! point past its end (truncation), is an error ([`RecordError::Audio`]).
//!
//! Timing: the input's edit list (AAC priming, audio starting late) is honoured, the output gets
//! an equivalent edit list, and audio is cut to the video: the output audio plays from the first
//! frame's pts to the end of the last frame.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::RecordError;
use super::mux::{AudioHeader, Mp4Muxer};

/// Largest `moov` read to find the raw sample entry.
const MAX_MOOV_BYTES: u64 = 256 << 20;

#[derive(Debug, Clone, Copy)]
struct AudioSample {
    offset: u64,
    size: u32,
    /// Decode time in ticks of the track's timescale.
    dts: u64,
    duration: u32,
}

/// The audio track of an input MP4, ready to be copied (AAC only).
pub struct AudioSource {
    path: PathBuf,
    file: File,
    timescale: u32,
    samples: Vec<AudioSample>,
    /// Presentation time of a sample = `dts + shift` (ticks), from the input's edit list.
    shift: i64,
    /// The `mp4a` box as it is in the input.
    sample_entry: Vec<u8>,
    description: String,
}

impl std::fmt::Debug for AudioSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioSource")
            .field("path", &self.path)
            .field("description", &self.description)
            .field("timescale", &self.timescale)
            .field("samples", &self.samples.len())
            .field("shift", &self.shift)
            .finish_non_exhaustive()
    }
}

impl AudioSource {
    /// The AAC track of the MP4 at `path`; `Ok(None)` when there is none or it cannot be copied
    /// (see the module doc for what is an error and what is a warning).
    pub fn from_mp4(path: impl AsRef<Path>) -> Result<Option<Self>, RecordError> {
        let path = path.as_ref();
        let fail = |reason: String| RecordError::Audio { path: path.to_path_buf(), reason };
        let skip = |reason: &str| {
            log::warn!("{}: audio not copied: {reason}", path.display());
            Ok(None)
        };
        let mut file = File::open(path).map_err(|e| fail(format!("cannot open: {e}")))?;
        let file_len = file.metadata().map_err(|e| fail(format!("cannot read: {e}")))?.len();
        let mut head = [0u8; 8];
        let is_mp4 = file.read_exact(&mut head).is_ok()
            && [b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"].iter().any(|b| head[4..8] == b[..]);
        if !is_mp4 {
            return skip("not an MP4 file");
        }
        file.seek(SeekFrom::Start(0)).map_err(|e| fail(format!("cannot read: {e}")))?;

        let handle = file.try_clone().map_err(|e| fail(format!("cannot read: {e}")))?;
        let reader = std::io::BufReader::new(handle);
        let parsed = crate::quiet_panic::catch_quietly(|| mp4::Mp4Reader::read_header(reader, file_len));
        let mp4 = match parsed {
            Ok(Ok(mp4)) => mp4,
            Ok(Err(e)) => return skip(&format!("the MP4 demuxer cannot read it ({e})")),
            Err(_) => return skip("the MP4 demuxer rejected its structure"),
        };
        let Some(trak) = mp4.moov.traks.iter().find(|t| t.mdia.hdlr.handler_type.value == *b"soun") else {
            return Ok(None);
        };
        let stbl = &trak.mdia.minf.stbl;
        let timescale = trak.mdia.mdhd.timescale;
        if timescale == 0 {
            return Err(fail("corrupt MP4: audio timescale is 0".into()));
        }
        if stbl.stsz.sample_count == 0 {
            let why = if mp4.moofs.is_empty() { "the audio track is empty" } else { "fragmented MP4" };
            return skip(why);
        }

        let moov = read_moov(&mut file, file_len).map_err(fail)?;
        let Some(sample_entry) = raw_sample_entry(&moov, trak.tkhd.track_id) else {
            return skip("cannot find the audio sample description");
        };
        let fourcc = String::from_utf8_lossy(&sample_entry[4..8]).into_owned();
        let Some(mp4a) = &stbl.stsd.mp4a else {
            return skip(&format!("'{}' audio; only AAC is copied", fourcc.trim()));
        };
        let Some(esds) = &mp4a.esds else {
            return skip("mp4a audio without an esds descriptor");
        };
        let object_type = esds.es_desc.dec_config.object_type_indication;
        // 0x40: MPEG-4 audio (AAC, HE-AAC); 0x66-0x68: MPEG-2 AAC profiles.
        if !matches!(object_type, 0x40 | 0x66..=0x68) {
            let codec = match object_type {
                0x69 | 0x6b => "MP3".to_string(),
                0xa5 => "AC-3".to_string(),
                0xa6 => "E-AC-3".to_string(),
                other => format!("object type 0x{other:02x}"),
            };
            return skip(&format!("{codec} audio; only AAC is copied"));
        }
        if stbl.stsc.entries.iter().any(|e| e.sample_description_index != 1) {
            return skip("several audio sample descriptions");
        }

        let tables = Tables {
            sample_size: stbl.stsz.sample_size,
            sample_count: stbl.stsz.sample_count,
            sample_sizes: &stbl.stsz.sample_sizes,
            chunk_offsets: match (&stbl.stco, &stbl.co64) {
                (Some(stco), _) => stco.entries.iter().map(|&o| u64::from(o)).collect(),
                (None, Some(co64)) => co64.entries.clone(),
                (None, None) => Vec::new(),
            },
            chunks: stbl.stsc.entries.iter().map(|e| (e.first_chunk, e.samples_per_chunk)).collect(),
            durations: stbl.stts.entries.iter().map(|e| (e.sample_count, e.sample_delta)).collect(),
        };
        let samples = tables.samples(file_len).map_err(fail)?;
        let edits: Vec<(u64, Option<u64>)> = trak
            .edts
            .iter()
            .flat_map(|e| &e.elst)
            .flat_map(|elst| {
                let empty = if elst.version == 1 { u64::MAX } else { u64::from(u32::MAX) };
                elst.entries.iter().map(move |e| (e.segment_duration, (e.media_time != empty).then_some(e.media_time)))
            })
            .collect();
        let shift = edit_shift(&edits, mp4.moov.mvhd.timescale, timescale);
        let spec = &esds.es_desc.dec_config.dec_specific;
        let profile = match spec.profile {
            1 => "Main",
            2 => "LC",
            5 => "HE",
            29 => "HEv2",
            _ => "",
        };
        // The AudioSpecificConfig is authoritative (MP4 writers put 2 in the sample entry's
        // channel count whatever the layout).
        const RATES: [u32; 13] =
            [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
        let rate = RATES.get(usize::from(spec.freq_index)).copied().unwrap_or(u32::from(mp4a.samplerate.value()));
        let channels = match spec.chan_conf {
            1..=6 => u16::from(spec.chan_conf),
            7 => 8,
            _ => mp4a.channelcount,
        };
        let description = format!(
            "AAC{}{profile}, {rate} Hz, {channels} channel{}",
            if profile.is_empty() { "" } else { " " },
            if channels == 1 { "" } else { "s" }
        );
        Ok(Some(Self { path: path.to_path_buf(), file, timescale, samples, shift, sample_entry, description }))
    }

    /// The input file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// E.g. "AAC LC, 44100 Hz, 2 channels".
    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn sample_count(&self) -> usize {
        self.samples.len()
    }

    /// Presented duration of the whole track.
    pub fn duration(&self) -> Duration {
        let first = self.samples.first().map_or(0, |s| self.pres(s).max(0));
        let end = self.samples.last().map_or(0, |s| self.pres(s) + i64::from(s.duration));
        ticks_to_duration((end - first).max(0) as u64, self.timescale)
    }

    fn pres(&self, s: &AudioSample) -> i64 {
        s.dts as i64 + self.shift
    }
}

/// The copy in progress: which samples go out, relative to the output's time zero.
pub(crate) struct AudioCopy {
    source: AudioSource,
    /// Input presentation tick that becomes output time zero.
    origin: i64,
    first: usize,
    next: usize,
    buf: Vec<u8>,
}

impl AudioCopy {
    /// Start copying so that input time `start` (the first frame's pts) is output time zero. One
    /// sample before it is kept as decoder pre-roll and hidden by the edit list.
    pub fn new(source: AudioSource, start: Duration) -> Self {
        let origin = duration_to_ticks(start, source.timescale) as i64;
        let containing = source.samples.iter().rposition(|s| source.pres(s) <= origin);
        let first = containing.map_or(0, |k| k.saturating_sub(1));
        Self { source, origin, first, next: first, buf: Vec::new() }
    }

    pub fn source(&self) -> &AudioSource {
        &self.source
    }

    /// Output presentation time of sample `k` (ticks).
    fn rel(&self, k: usize) -> i64 {
        self.source.pres(&self.source.samples[k]) - self.origin
    }

    /// Whether a sample starting before output time `t` is still waiting.
    pub fn behind(&self, t: Duration) -> bool {
        self.next < self.source.samples.len()
            && self.rel(self.next) < duration_to_ticks(t, self.source.timescale) as i64
    }

    /// Copy every remaining sample that starts before output time `t`.
    pub fn copy_until(&mut self, t: Duration, mux: &mut Mp4Muxer, output: &Path) -> Result<(), RecordError> {
        let limit = duration_to_ticks(t, self.source.timescale) as i64;
        while self.next < self.source.samples.len() && self.rel(self.next) < limit {
            let s = self.source.samples[self.next];
            self.buf.resize(s.size as usize, 0);
            self.source
                .file
                .seek(SeekFrom::Start(s.offset))
                .and_then(|_| self.source.file.read_exact(&mut self.buf))
                .map_err(|e| RecordError::Audio {
                path: self.source.path.clone(),
                reason: format!("cannot read audio sample {}: {e}", self.next + 1),
            })?;
            mux.write_audio(&self.buf, s.duration)
                .map_err(|io| RecordError::Write { path: output.to_path_buf(), io })?;
            self.next += 1;
        }
        Ok(())
    }

    /// The output track's header (sample entry and the start of its edit list), known from the
    /// first frame on; `None` when the input has no audio from the clip's start.
    pub fn header(&self, movie_timescale: u32) -> Option<AudioHeader<'_>> {
        if self.first >= self.source.samples.len() {
            return None;
        }
        let start = self.rel(self.first);
        Some(AudioHeader {
            timescale: self.source.timescale,
            sample_entry: &self.source.sample_entry,
            delay: rescale(start.max(0) as u64, self.source.timescale, movie_timescale),
            media_time: (-start).max(0) as u64,
        })
    }

    /// How long the output audio plays (movie ticks) for a video ending at `video_end`: cut to
    /// the video. `None`: nothing was copied.
    pub fn play(&self, video_end: Duration, movie_timescale: u32) -> Option<u64> {
        if self.next == self.first {
            return None;
        }
        let ts = self.source.timescale;
        let start = self.rel(self.first);
        let last = self.source.samples[self.next - 1];
        let end = (self.rel(self.next - 1) + i64::from(last.duration)).min(duration_to_ticks(video_end, ts) as i64);
        let play = end - start.max(0);
        (play > 0).then(|| rescale(play as u64, ts, movie_timescale))
    }
}

/// `ticks` of `from` in units of `to`, rounded to nearest.
pub(crate) fn rescale(ticks: u64, from: u32, to: u32) -> u64 {
    let v = (u128::from(ticks) * u128::from(to) + u128::from(from) / 2) / u128::from(from);
    u64::try_from(v).unwrap_or(u64::MAX)
}

pub(crate) fn duration_to_ticks(d: Duration, timescale: u32) -> u64 {
    let v = (d.as_nanos() * u128::from(timescale) + 500_000_000) / 1_000_000_000;
    u64::try_from(v).unwrap_or(u64::MAX)
}

pub(crate) fn ticks_to_duration(ticks: u64, timescale: u32) -> Duration {
    let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(timescale.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// `dts + shift` = presentation time, from the track's edit list (segment duration in movie ticks,
/// media time or `None` for an empty edit): leading empty edits delay the track, the first real
/// edit's media time skips priming. Further edits are ignored.
fn edit_shift(edits: &[(u64, Option<u64>)], movie_timescale: u32, timescale: u32) -> i64 {
    let mut delay = 0u64;
    for (i, &(segment, media_time)) in edits.iter().enumerate() {
        let Some(media_time) = media_time else {
            delay += rescale(segment, movie_timescale.max(1), timescale);
            continue;
        };
        if edits.len() > i + 1 {
            log::debug!("audio edit list has {} entries; only the first one that plays is used", edits.len());
        }
        return delay as i64 - media_time as i64;
    }
    delay as i64
}

/// The sample tables of the sound track, copied out of the `mp4` crate's boxes (whose types it
/// does not export).
struct Tables<'a> {
    /// Size of every sample when constant, else 0 and `sample_sizes` lists them.
    sample_size: u32,
    sample_count: u32,
    sample_sizes: &'a [u32],
    chunk_offsets: Vec<u64>,
    /// (first chunk, 1-based; samples per chunk) from that chunk on.
    chunks: Vec<(u32, u32)>,
    /// (sample count, duration in ticks) runs.
    durations: Vec<(u32, u32)>,
}

impl Tables<'_> {
    /// Offsets, sizes and decode times of every sample, checked against the file length.
    fn samples(&self, file_len: u64) -> Result<Vec<AudioSample>, String> {
        let count = self.sample_count as usize;
        let fixed = self.sample_size;
        if fixed == 0 && self.sample_sizes.len() < count {
            return Err("corrupt MP4: audio sample size table is short".into());
        }
        let offsets = &self.chunk_offsets;
        if offsets.is_empty() {
            return Err("corrupt MP4: audio track has no chunk offsets".into());
        }
        let mut samples = Vec::with_capacity(count);
        'runs: for (i, &(first, per_chunk)) in self.chunks.iter().enumerate() {
            let first = first as usize;
            let end = self.chunks.get(i + 1).map_or(offsets.len() + 1, |next| next.0 as usize);
            if first == 0 || end < first || end > offsets.len() + 1 {
                return Err("corrupt MP4: audio chunk table is inconsistent".into());
            }
            for &chunk in &offsets[first - 1..end - 1] {
                let mut offset = chunk;
                for _ in 0..per_chunk {
                    if samples.len() == count {
                        break 'runs;
                    }
                    let size = if fixed > 0 { fixed } else { self.sample_sizes[samples.len()] };
                    let end_byte = offset.saturating_add(u64::from(size));
                    if end_byte > file_len {
                        return Err(format!(
                            "truncated MP4: audio sample {} ends at byte {end_byte}, the file has {file_len} bytes",
                            samples.len() + 1
                        ));
                    }
                    samples.push(AudioSample { offset, size, dts: 0, duration: 0 });
                    offset = end_byte;
                }
            }
        }
        if samples.len() < count {
            return Err(format!("corrupt MP4: audio chunks hold {} of {count} samples", samples.len()));
        }
        let mut durations = self.durations.iter().flat_map(|&(n, delta)| std::iter::repeat_n(delta, n as usize));
        let mut dts = 0u64;
        let mut last = 1024;
        for s in &mut samples {
            last = durations.next().unwrap_or(last);
            s.dts = dts;
            s.duration = last;
            dts += u64::from(last);
        }
        Ok(samples)
    }
}

/// Read the top-level `moov` box body.
fn read_moov(file: &mut File, file_len: u64) -> Result<Vec<u8>, String> {
    let io = |e: std::io::Error| format!("cannot read: {e}");
    let mut pos = 0u64;
    while pos + 8 <= file_len {
        let mut header = [0u8; 16];
        file.seek(SeekFrom::Start(pos)).map_err(io)?;
        file.read_exact(&mut header[..8]).map_err(io)?;
        let mut size = u64::from(u32::from_be_bytes([header[0], header[1], header[2], header[3]]));
        let mut header_len = 8;
        if size == 1 {
            file.read_exact(&mut header[8..]).map_err(io)?;
            size = u64::from_be_bytes(header[8..16].try_into().unwrap_or_default());
            header_len = 16;
        } else if size == 0 {
            size = file_len - pos;
        }
        if size < header_len || pos + size > file_len {
            return Err("corrupt MP4: a top-level box overruns the file".into());
        }
        if header[4..8] == *b"moov" {
            if size > MAX_MOOV_BYTES {
                return Err(format!("moov box of {size} bytes is too large"));
            }
            let mut body = vec![0; (size - header_len) as usize];
            file.read_exact(&mut body).map_err(io)?;
            return Ok(body);
        }
        pos += size;
    }
    Err("corrupt MP4: no moov box".into())
}

/// Child boxes of a box body: (type, whole box, body).
fn children(mut data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8], &[u8])> {
    std::iter::from_fn(move || {
        if data.len() < 8 {
            return None;
        }
        let size32 = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        let kind = [data[4], data[5], data[6], data[7]];
        let (size, header) = match size32 {
            0 => (data.len(), 8),
            1 if data.len() >= 16 => (usize::try_from(u64::from_be_bytes(data[8..16].try_into().ok()?)).ok()?, 16),
            1 => return None,
            n => (n as usize, 8),
        };
        if size < header || size > data.len() {
            return None;
        }
        let (whole, rest) = data.split_at(size);
        data = rest;
        Some((kind, whole, &whole[header..]))
    })
}

fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(data).find(|c| &c.0 == kind).map(|c| c.2)
}

/// The first sample entry (whole box) of track `track_id` in a `moov` body.
fn raw_sample_entry(moov: &[u8], track_id: u32) -> Option<Vec<u8>> {
    for (_, _, trak) in children(moov).filter(|c| &c.0 == b"trak") {
        let tkhd = child(trak, b"tkhd")?;
        let id_at = if tkhd.first() == Some(&1) { 20 } else { 12 };
        let id = u32::from_be_bytes(tkhd.get(id_at..id_at + 4)?.try_into().ok()?);
        if id != track_id {
            continue;
        }
        let stbl = [b"mdia", b"minf", b"stbl"].iter().try_fold(trak, |data, kind| child(data, kind))?;
        let stsd = child(stbl, b"stsd")?;
        let (_, entry, _) = children(stsd.get(8..)?).next()?;
        return Some(entry.to_vec());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_are_walked() {
        let mut data = Vec::new();
        data.extend_from_slice(&[0, 0, 0, 12]);
        data.extend_from_slice(b"abcd");
        data.extend_from_slice(&[1, 2, 3, 4]);
        data.extend_from_slice(&[0, 0, 0, 8]);
        data.extend_from_slice(b"efgh");
        let kids: Vec<_> = children(&data).map(|c| (c.0, c.2.len())).collect();
        assert_eq!(kids, vec![(*b"abcd", 4), (*b"efgh", 0)]);
        // A box claiming more than there is ends the walk instead of panicking.
        let bad = [0u8, 0, 0, 99, b'x', b'x', b'x', b'x'];
        assert_eq!(children(&bad).count(), 0);
    }

    #[test]
    fn rescaling_rounds() {
        assert_eq!(rescale(1024, 44100, 90000), 2090);
        assert_eq!(duration_to_ticks(Duration::from_millis(1001) / 30, 30000), 1001);
        assert_eq!(ticks_to_duration(3003, 90000), Duration::from_nanos(33_366_666));
    }
}
