//! A minimal fragmented MP4 (ISO BMFF) writer for one H.264 video track and an optional copied
//! audio track.
//!
//! In: encoded samples in decode order (video: MP4-format H.264 access units with their tick
//! times; audio: samples copied verbatim with their durations). Out: a fragmented MP4: `ftyp`,
//! then `moov` (sample entries, `mvex`/`trex`, no samples) written with the first video sample,
//! then one `moof`+`mdat` pair per fragment. A fragment closes at every keyframe and at least
//! every [`FRAGMENT_MAX`] of video; it holds the video samples of that span and the audio samples
//! that arrived meanwhile (the caller interleaves them by time), and is written in one piece,
//! then flushed and synced (`sync_data`). So a process killed at any point, or a machine losing
//! power, leaves a file that players open, holding every completed fragment.
//!
//! [`Mp4Muxer::finish`] writes the last fragment, an `mfra` (random access index), and patches the
//! durations in the header (`mvhd`, `mehd`, `tkhd`, the audio edit list) and the comment that was
//! reserved in `moov`. Without it the header's durations are 0 ("unknown", allowed in fragmented
//! files: players take the duration from the fragments).
//!
//! A write error truncates the file back to the end of the last complete fragment (so a full
//! disk keeps a playable file) and is returned; the caller stops writing.
//!
//! Own writer rather than `mp4::Mp4Writer` (0.14): it writes the input's audio sample entry byte
//! for byte (its `esds` with the full AudioSpecificConfig) and edit lists (AAC priming).

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

/// Longest span of video in one fragment, in seconds: at most this much is lost in a crash.
pub(crate) const FRAGMENT_MAX_SECS: u64 = 1;
/// Bytes reserved in `moov` for the comment [`Mp4Muxer::finish`] may write.
const COMMENT_SPACE: usize = 256;

/// Video sample flags: sync (depends on nothing) and non-sync (depends on others).
const SYNC_FLAGS: u32 = 0x0200_0000;
const NON_SYNC_FLAGS: u32 = 0x0101_0000;

const VIDEO_TRACK: u32 = 1;
const AUDIO_TRACK: u32 = 2;

/// The file being written, with an optional size limit (a test hook simulating a full disk).
pub(crate) struct Output {
    file: File,
    /// Bytes that may still be written (`None`: no limit).
    room: Option<u64>,
}

impl Output {
    pub fn new(file: File, max_bytes: Option<u64>) -> Self {
        Self { file, room: max_bytes }
    }

    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        if let Some(room) = &mut self.room
            && data.len() as u64 > *room
        {
            let fits = *room as usize;
            self.file.write_all(&data[..fits])?;
            *room = 0;
            return Err(io::Error::new(io::ErrorKind::StorageFull, "No space left on device (write limit reached)"));
        }
        self.file.write_all(data)?;
        if let Some(room) = &mut self.room {
            *room -= data.len() as u64;
        }
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.flush()?;
        match self.file.sync_data() {
            // character devices (/dev/null, /dev/full) and some pipes cannot sync: not an error
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
            other => other,
        }
    }
}

/// What the `moov` needs.
#[derive(Debug)]
pub(crate) struct HeaderInfo<'a> {
    /// Video track timescale, also used as the movie timescale.
    pub timescale: u32,
    /// Coded picture size.
    pub width: u32,
    pub height: u32,
    pub sps: &'a [u8],
    pub pps: &'a [u8],
    pub audio: Option<AudioHeader<'a>>,
}

#[derive(Debug)]
pub(crate) struct AudioHeader<'a> {
    pub timescale: u32,
    /// The input's sample entry box (`mp4a` with its `esds`), written unchanged.
    pub sample_entry: &'a [u8],
    /// Time before the audio starts, in movie ticks (an empty edit).
    pub delay: u64,
    /// First audio tick that plays (skips encoder priming).
    pub media_time: u64,
}

/// What [`Mp4Muxer::finish`] patches into the header.
#[derive(Debug, Default)]
pub(crate) struct Ending<'a> {
    /// Duration of the last video sample (ticks).
    pub last_duration: u32,
    /// How long the audio plays, in movie ticks (`None`: as long as its samples).
    pub audio_play: Option<u64>,
    /// Stored as the file's comment (`udta`/`©cmt`; ffprobe shows it as the `comment` tag).
    pub comment: Option<&'a str>,
}

/// Where the header's patchable fields are (file offsets).
#[derive(Debug, Default)]
struct Patches {
    mvhd_duration: u64,
    mehd_duration: u64,
    tkhd_duration: Vec<u64>,
    /// The audio edit's segment duration and the empty edit before it.
    audio_elst_play: Option<u64>,
    audio_delay: u64,
    comment: u64,
}

/// Samples of one track in the fragment being built.
#[derive(Debug, Default)]
struct Run {
    /// (duration, size, flags) per sample.
    samples: Vec<(u32, u32, u32)>,
    data: Vec<u8>,
    /// Decode time of the first sample (track ticks).
    start: u64,
    /// Decode time after the last sample with a known duration.
    end: u64,
}

impl Run {
    fn clear(&mut self) {
        self.samples.clear();
        self.data.clear();
        self.start = self.end;
    }
}

pub(crate) struct Mp4Muxer {
    out: Output,
    /// Bytes written so far (the position in the file).
    pos: u64,
    /// End of the last complete fragment (or of the header): the file is cut back here after a
    /// failed write.
    good: u64,
    timescale: u32,
    patches: Option<Patches>,
    has_audio: bool,
    /// Fragment sequence number (from 1).
    seq: u32,
    video: Run,
    audio: Run,
    /// Tick of the latest video sample (its duration is known when the next one comes).
    video_last_tick: Option<u64>,
    video_samples: usize,
    audio_samples: usize,
    /// (tick, moof offset) of fragments that start with a keyframe, for the `mfra`.
    keyframes: Vec<(u64, u64)>,
    /// The fragment being written (`moof` + `mdat`), reused.
    scratch: Vec<u8>,
}

impl Mp4Muxer {
    /// Take the file; nothing is written until the first video sample (with [`Self::write_header`]).
    pub fn start(out: Output) -> Self {
        Self {
            out,
            pos: 0,
            good: 0,
            timescale: 0,
            patches: None,
            has_audio: false,
            seq: 1,
            video: Run::default(),
            audio: Run::default(),
            video_last_tick: None,
            video_samples: 0,
            audio_samples: 0,
            keyframes: Vec::new(),
            scratch: Vec::new(),
        }
    }

    pub fn has_header(&self) -> bool {
        self.patches.is_some()
    }

    /// Write `ftyp` and `moov` (no samples; `mvex` announces the fragments), synced.
    pub fn write_header(&mut self, info: &HeaderInfo<'_>) -> io::Result<()> {
        let mut b = Vec::with_capacity(2048);
        let ftyp = open(&mut b, b"ftyp");
        b.extend_from_slice(b"isom");
        put_u32(&mut b, 0x200);
        for brand in [b"isom", b"iso6", b"avc1", b"mp41"] {
            b.extend_from_slice(brand);
        }
        close(&mut b, ftyp);
        let (moov, mut patches) = build_moov(info, b.len() as u64);
        b.extend_from_slice(&moov);
        self.timescale = info.timescale;
        self.has_audio = info.audio.is_some();
        patches.audio_delay = info.audio.as_ref().map_or(0, |a| a.delay);
        self.emit(&b)?;
        self.patches = Some(patches);
        Ok(())
    }

    /// Write `data` at the end of the file, flush and sync; on failure cut the file back to the
    /// last complete piece.
    fn emit(&mut self, data: &[u8]) -> io::Result<()> {
        let result = self.out.write_all(data).and_then(|()| self.out.sync());
        match result {
            Ok(()) => {
                self.pos += data.len() as u64;
                self.good = self.pos;
                Ok(())
            }
            Err(e) => {
                // best effort (fails on devices like /dev/full); the error is the write's
                let _ = self.out.file.set_len(self.good);
                let _ = self.out.file.seek(SeekFrom::Start(self.good));
                let _ = self.out.file.sync_data();
                Err(e)
            }
        }
    }

    /// Append a video sample presented at `tick` (strictly after the previous one; the caller
    /// checks, and that the gap fits 32 bits). A keyframe, or a fragment holding a second of
    /// video, closes the fragment so far and writes it out. The header must be written.
    pub fn write_video(&mut self, data: &[u8], tick: u64, sync: bool) -> io::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| io::Error::other("sample over 4 GiB"))?;
        if let Some(last) = self.video_last_tick {
            let duration = (tick - last) as u32;
            if let Some(s) = self.video.samples.last_mut() {
                s.0 = duration;
            }
            self.video.end = tick;
            let full = tick - self.video.start >= FRAGMENT_MAX_SECS * u64::from(self.timescale);
            if sync || full {
                self.flush_fragment()?;
            }
        } else {
            self.video.start = tick;
            self.video.end = tick;
        }
        self.video.samples.push((0, size, if sync { SYNC_FLAGS } else { NON_SYNC_FLAGS }));
        self.video.data.extend_from_slice(data);
        self.video_last_tick = Some(tick);
        self.video_samples += 1;
        Ok(())
    }

    /// Append an audio sample lasting `duration` ticks of the audio timescale (goes out with the
    /// next fragment).
    pub fn write_audio(&mut self, data: &[u8], duration: u32) -> io::Result<()> {
        let size = u32::try_from(data.len()).map_err(|_| io::Error::other("sample over 4 GiB"))?;
        self.audio.samples.push((duration, size, 0));
        self.audio.data.extend_from_slice(data);
        self.audio.end += u64::from(duration);
        self.audio_samples += 1;
        Ok(())
    }

    pub fn video_samples(&self) -> usize {
        self.video_samples
    }

    pub fn audio_samples(&self) -> usize {
        self.audio_samples
    }

    /// Write the fragment built so far (every video sample's duration must be known).
    fn flush_fragment(&mut self) -> io::Result<()> {
        if self.video.samples.is_empty() && self.audio.samples.is_empty() {
            return Ok(());
        }
        if self.patches.is_none() {
            return Err(io::Error::other("fragment before the MP4 header"));
        }
        let mut b = std::mem::take(&mut self.scratch);
        b.clear();
        let moof_start = self.pos;
        let moof = open(&mut b, b"moof");
        let at = open_full(&mut b, b"mfhd", 0, 0);
        put_u32(&mut b, self.seq);
        close(&mut b, at);
        let mut offsets = Vec::with_capacity(2);
        let mut mdat_offset = 0u64;
        let audio = self.has_audio.then_some((AUDIO_TRACK, &self.audio));
        for (track, run) in [(VIDEO_TRACK, &self.video)].into_iter().chain(audio) {
            if run.samples.is_empty() {
                continue;
            }
            let video = track == VIDEO_TRACK;
            let traf = open(&mut b, b"traf");
            let at = open_full(&mut b, b"tfhd", 0, 0x02_0000); // default-base-is-moof
            put_u32(&mut b, track);
            close(&mut b, at);
            let at = open_full(&mut b, b"tfdt", 1, 0);
            put_u64(&mut b, run.start);
            close(&mut b, at);
            // data offset, sample duration, size (and flags for video)
            let flags = 0x001 | 0x100 | 0x200 | if video { 0x400 } else { 0 };
            let at = open_full(&mut b, b"trun", 0, flags);
            put_u32(&mut b, run.samples.len() as u32);
            offsets.push((b.len(), mdat_offset));
            put_u32(&mut b, 0); // data offset, patched below
            for &(duration, size, sample_flags) in &run.samples {
                put_u32(&mut b, duration);
                put_u32(&mut b, size);
                if video {
                    put_u32(&mut b, sample_flags);
                }
            }
            close(&mut b, at);
            close(&mut b, traf);
            mdat_offset += run.data.len() as u64;
        }
        close(&mut b, moof);
        let moof_size = b.len() as u64;
        let audio_data = if self.has_audio { &self.audio.data[..] } else { &[] };
        let payload = (self.video.data.len() + audio_data.len()) as u64;
        let mdat_header = if payload + 8 > u64::from(u32::MAX) { 16 } else { 8 };
        for (at, offset) in offsets {
            let data_offset =
                u32::try_from(moof_size + mdat_header + offset).map_err(|_| io::Error::other("fragment over 4 GiB"))?;
            b[at..at + 4].copy_from_slice(&data_offset.to_be_bytes());
        }
        if mdat_header == 16 {
            put_u32(&mut b, 1);
            b.extend_from_slice(b"mdat");
            put_u64(&mut b, payload + 16);
        } else {
            put_u32(&mut b, (payload + 8) as u32);
            b.extend_from_slice(b"mdat");
        }
        b.extend_from_slice(&self.video.data);
        b.extend_from_slice(audio_data);
        let written = self.emit(&b);
        self.scratch = b;
        written?;

        if self.video.samples.first().is_some_and(|s| s.2 == SYNC_FLAGS) {
            self.keyframes.push((self.video.start, moof_start));
        }
        self.seq += 1;
        self.video.clear();
        self.audio.clear();
        Ok(())
    }

    /// Write the last fragment and the `mfra`, patch the header's durations and comment, sync.
    /// Returns the file size.
    pub fn finish(mut self, ending: &Ending<'_>) -> io::Result<u64> {
        if let Some(s) = self.video.samples.last_mut() {
            s.0 = ending.last_duration;
            self.video.end += u64::from(ending.last_duration);
        }
        self.flush_fragment()?;
        let Some(patches) = self.patches.take() else {
            return Err(io::Error::other("no video was written"));
        };

        // mfra: where the keyframes are.
        let mut b = Vec::with_capacity(64 + 19 * self.keyframes.len());
        let mfra = open(&mut b, b"mfra");
        let at = open_full(&mut b, b"tfra", 1, 0);
        put_u32(&mut b, VIDEO_TRACK);
        put_u32(&mut b, 0); // 1-byte traf, trun and sample numbers
        put_u32(&mut b, self.keyframes.len() as u32);
        for &(tick, offset) in &self.keyframes {
            put_u64(&mut b, tick);
            put_u64(&mut b, offset);
            b.extend_from_slice(&[1, 1, 1]);
        }
        close(&mut b, at);
        let at = open_full(&mut b, b"mfro", 0, 0);
        let mfra_size = (b.len() + 4 - mfra) as u32;
        put_u32(&mut b, mfra_size);
        close(&mut b, at);
        close(&mut b, mfra);
        self.emit(&b)?;

        // Durations, in movie ticks.
        let video = self.video.end;
        let audio = ending.audio_play.map(|play| patches.audio_delay + play);
        let movie = video.max(audio.unwrap_or(0));
        let file = &mut self.out.file;
        let mut patch = |at: u64, bytes: &[u8]| -> io::Result<()> {
            file.seek(SeekFrom::Start(at))?;
            file.write_all(bytes)
        };
        patch(patches.mvhd_duration, &movie.to_be_bytes())?;
        patch(patches.mehd_duration, &movie.to_be_bytes())?;
        patch(patches.tkhd_duration[0], &video.to_be_bytes())?;
        if let (Some(&at), Some(total)) = (patches.tkhd_duration.get(1), audio) {
            patch(at, &total.to_be_bytes())?;
        }
        if let (Some(at), Some(play)) = (patches.audio_elst_play, ending.audio_play) {
            patch(at, &play.to_be_bytes())?;
        }
        if let Some(text) = ending.comment {
            patch(patches.comment, &comment_boxes(text))?;
        }
        file.seek(SeekFrom::End(0))?;
        self.out.sync()?;
        Ok(self.pos)
    }
}

/// `udta` with a QuickTime-style `©cmt` (ffprobe: the `comment` tag), padded with `free` to
/// exactly [`COMMENT_SPACE`] bytes.
fn comment_boxes(text: &str) -> Vec<u8> {
    let mut text = text;
    while 8 + 8 + 4 + text.len() + 8 > COMMENT_SPACE {
        let mut cut = text.len() - 1;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text = &text[..cut];
    }
    let mut b = Vec::with_capacity(COMMENT_SPACE);
    let udta = open(&mut b, b"udta");
    let cmt = open(&mut b, b"\xa9cmt");
    put_u16(&mut b, text.len() as u16);
    put_u16(&mut b, 0x55c4); // "und"
    b.extend_from_slice(text.as_bytes());
    close(&mut b, cmt);
    close(&mut b, udta);
    let free = open(&mut b, b"free");
    b.resize(COMMENT_SPACE, 0);
    close(&mut b, free);
    b
}

/// The `moov` for a file starting at `base`, and where its patchable fields are.
fn build_moov(info: &HeaderInfo<'_>, base: u64) -> (Vec<u8>, Patches) {
    let now = mp4_time_now();
    let tracks = 1 + u32::from(info.audio.is_some());
    let mut patches = Patches::default();
    let mut b = Vec::with_capacity(2048);
    let moov = open(&mut b, b"moov");

    let at = open_full(&mut b, b"mvhd", 1, 0);
    put_u64(&mut b, now);
    put_u64(&mut b, now);
    put_u32(&mut b, info.timescale);
    patches.mvhd_duration = base + b.len() as u64;
    put_u64(&mut b, 0);
    put_u32(&mut b, 0x0001_0000); // rate 1.0
    put_u16(&mut b, 0x0100); // volume 1.0
    b.extend_from_slice(&[0; 10]);
    put_matrix(&mut b);
    b.extend_from_slice(&[0; 24]);
    put_u32(&mut b, tracks + 1);
    close(&mut b, at);

    // Video track.
    let trak = open(&mut b, b"trak");
    patches.tkhd_duration.push(base + put_tkhd(&mut b, VIDEO_TRACK, false, info.width, info.height, now));
    let mdia = open(&mut b, b"mdia");
    put_mdhd(&mut b, now, info.timescale);
    put_hdlr(&mut b, b"vide", "VideoHandler");
    let minf = open(&mut b, b"minf");
    let at = open_full(&mut b, b"vmhd", 0, 1);
    b.extend_from_slice(&[0; 8]);
    close(&mut b, at);
    put_dinf(&mut b);
    let stbl = open(&mut b, b"stbl");
    let stsd = open_full(&mut b, b"stsd", 0, 0);
    put_u32(&mut b, 1);
    put_avc1(&mut b, info);
    close(&mut b, stsd);
    put_empty_tables(&mut b);
    close(&mut b, stbl);
    close(&mut b, minf);
    close(&mut b, mdia);
    close(&mut b, trak);

    // Audio track.
    if let Some(a) = &info.audio {
        let trak = open(&mut b, b"trak");
        patches.tkhd_duration.push(base + put_tkhd(&mut b, AUDIO_TRACK, true, 0, 0, now));
        // Edit list: the delay (an empty edit), then the media from `media_time`; its length is
        // 0 ("to the end") until finish knows it.
        let edts = open(&mut b, b"edts");
        let at = open_full(&mut b, b"elst", 1, 0);
        put_u32(&mut b, 1 + u32::from(a.delay > 0));
        if a.delay > 0 {
            put_u64(&mut b, a.delay);
            put_u64(&mut b, u64::MAX); // -1: empty
            put_u32(&mut b, 0x0001_0000);
        }
        patches.audio_elst_play = Some(base + b.len() as u64);
        put_u64(&mut b, 0);
        put_u64(&mut b, a.media_time);
        put_u32(&mut b, 0x0001_0000);
        close(&mut b, at);
        close(&mut b, edts);
        let mdia = open(&mut b, b"mdia");
        put_mdhd(&mut b, now, a.timescale);
        put_hdlr(&mut b, b"soun", "SoundHandler");
        let minf = open(&mut b, b"minf");
        let at = open_full(&mut b, b"smhd", 0, 0);
        put_u32(&mut b, 0); // balance, reserved
        close(&mut b, at);
        put_dinf(&mut b);
        let stbl = open(&mut b, b"stbl");
        let stsd = open_full(&mut b, b"stsd", 0, 0);
        put_u32(&mut b, 1);
        b.extend_from_slice(a.sample_entry);
        close(&mut b, stsd);
        put_empty_tables(&mut b);
        close(&mut b, stbl);
        close(&mut b, minf);
        close(&mut b, mdia);
        close(&mut b, trak);
    }

    let mvex = open(&mut b, b"mvex");
    let at = open_full(&mut b, b"mehd", 1, 0);
    patches.mehd_duration = base + b.len() as u64;
    put_u64(&mut b, 0);
    close(&mut b, at);
    for track in 1..=tracks {
        let at = open_full(&mut b, b"trex", 0, 0);
        put_u32(&mut b, track);
        put_u32(&mut b, 1); // sample description
        put_u32(&mut b, 0); // duration, size, flags: given per fragment
        put_u32(&mut b, 0);
        put_u32(&mut b, 0);
        close(&mut b, at);
    }
    close(&mut b, mvex);

    // Room for the comment finish may write.
    patches.comment = base + b.len() as u64;
    let free = open(&mut b, b"free");
    b.resize(b.len() + COMMENT_SPACE - 8, 0);
    close(&mut b, free);
    close(&mut b, moov);
    (b, patches)
}

/// `tkhd` (version 1, duration 0 for now); returns the duration's offset in `b`.
fn put_tkhd(b: &mut Vec<u8>, id: u32, audio: bool, width: u32, height: u32, now: u64) -> u64 {
    // flags: enabled, in movie, in preview
    let at = open_full(b, b"tkhd", 1, 3);
    put_u64(b, now);
    put_u64(b, now);
    put_u32(b, id);
    put_u32(b, 0);
    let duration_at = b.len() as u64;
    put_u64(b, 0);
    b.extend_from_slice(&[0; 8]);
    put_u16(b, 0); // layer
    put_u16(b, u16::from(audio)); // alternate group
    put_u16(b, if audio { 0x0100 } else { 0 }); // volume
    put_u16(b, 0);
    put_matrix(b);
    put_u32(b, width << 16);
    put_u32(b, height << 16);
    close(b, at);
    duration_at
}

fn put_mdhd(b: &mut Vec<u8>, now: u64, timescale: u32) {
    let at = open_full(b, b"mdhd", 0, 0);
    put_u32(b, now as u32);
    put_u32(b, now as u32);
    put_u32(b, timescale);
    put_u32(b, 0); // samples are in the fragments
    put_u16(b, 0x55c4); // "und"
    put_u16(b, 0);
    close(b, at);
}

/// The sample tables of a fragmented track: present, empty.
fn put_empty_tables(b: &mut Vec<u8>) {
    for kind in [b"stts", b"stsc", b"stco"] {
        let at = open_full(b, kind, 0, 0);
        put_u32(b, 0);
        close(b, at);
    }
    let at = open_full(b, b"stsz", 0, 0);
    put_u32(b, 0);
    put_u32(b, 0);
    close(b, at);
}

fn put_hdlr(b: &mut Vec<u8>, handler: &[u8; 4], name: &str) {
    let at = open_full(b, b"hdlr", 0, 0);
    put_u32(b, 0);
    b.extend_from_slice(handler);
    b.extend_from_slice(&[0; 12]);
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    close(b, at);
}

fn put_dinf(b: &mut Vec<u8>) {
    let dinf = open(b, b"dinf");
    let dref = open_full(b, b"dref", 0, 0);
    put_u32(b, 1);
    let url = open_full(b, b"url ", 0, 1); // flag 1: media in this file
    close(b, url);
    close(b, dref);
    close(b, dinf);
}

fn put_avc1(b: &mut Vec<u8>, info: &HeaderInfo<'_>) {
    let at = open(b, b"avc1");
    b.extend_from_slice(&[0; 6]);
    put_u16(b, 1); // data reference index
    b.extend_from_slice(&[0; 16]);
    put_u16(b, info.width as u16);
    put_u16(b, info.height as u16);
    put_u32(b, 0x0048_0000); // 72 dpi
    put_u32(b, 0x0048_0000);
    put_u32(b, 0);
    put_u16(b, 1); // frames per sample
    let mut name = [0u8; 32];
    let label = b"webtoonme openh264";
    name[0] = label.len() as u8;
    name[1..=label.len()].copy_from_slice(label);
    b.extend_from_slice(&name);
    put_u16(b, 0x0018); // depth: colour, no alpha
    put_u16(b, 0xffff); // pre-defined -1
    let avcc = open(b, b"avcC");
    b.push(1); // configuration version
    b.extend_from_slice(&info.sps[1..4]); // profile, compatibility, level
    b.push(0xfc | 3); // 4-byte NAL lengths
    b.push(0xe0 | 1);
    put_u16(b, info.sps.len() as u16);
    b.extend_from_slice(info.sps);
    b.push(1);
    put_u16(b, info.pps.len() as u16);
    b.extend_from_slice(info.pps);
    close(b, avcc);
    let pasp = open(b, b"pasp"); // square pixels
    put_u32(b, 1);
    put_u32(b, 1);
    close(b, pasp);
    close(b, at);
}

fn put_matrix(b: &mut Vec<u8>) {
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        put_u32(b, v);
    }
}

/// Seconds since 1904-01-01 (MP4 time), 0 if the clock is before 1970.
fn mp4_time_now() -> u64 {
    let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    unix + 2_082_844_800
}

fn open(b: &mut Vec<u8>, kind: &[u8; 4]) -> usize {
    let at = b.len();
    put_u32(b, 0);
    b.extend_from_slice(kind);
    at
}

fn open_full(b: &mut Vec<u8>, kind: &[u8; 4], version: u8, flags: u32) -> usize {
    let at = open(b, kind);
    put_u32(b, (u32::from(version) << 24) | (flags & 0x00ff_ffff));
    at
}

fn close(b: &mut [u8], at: usize) {
    let size = (b.len() - at) as u32;
    b[at..at + 4].copy_from_slice(&size.to_be_bytes());
}

fn put_u16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_be_bytes());
}

fn put_u32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_be_bytes());
}

fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_be_bytes());
}
