"""Recipes: strict, located, composable configuration for every stage.

A recipe is YAML. ``extends:`` names a parent recipe (path relative to the child);
the child's mappings are merged key by key over the parent's. The merged document is
validated by :class:`Recipe` (``extra="forbid"`` everywhere), and every problem is
reported at once as ``file:line:col: key.path: reason`` pointing at the file that
set the key, before any job runs. Sections map one-to-one to rules: a rule gets only
its section (:func:`section_params`), so editing one section reruns only its rules.

Validation covers what would otherwise fail only after the expensive stages: encoder
presets, quality and bitrate ranges per codec, loudness ranges, the metadata templates
(syntax, variables, attributes; :func:`shortfactory.clips.metadata.template_problems`), and
the fonts the render will really draw with (:func:`resolve_subtitle_font` asks libass).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import MarkedYAMLError

from shortfactory.core.errors import RecipeError
from shortfactory.core.io import write_text_atomic
from shortfactory.core.recipe_analytics import AnalyticsSection
from shortfactory.core.recipe_community import CommunitySection
from shortfactory.core.recipe_release import NotifySection, PublishSection

Problem = tuple[tuple[Any, ...], str]  # (key path, reason): one line of a RecipeError
Checks = Callable[[dict[str, Any]], list[Problem]]  # merged recipe -> extra problems


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _invalid(reason: str) -> PydanticCustomError:
    """A validation error whose message is ``reason`` verbatim (no "Value error, " prefix).

    The reason goes in as context, not as the template, so braces in it (Jinja
    snippets, ffmpeg syntax) are printed as written.
    """
    return PydanticCustomError("recipe_value", "{reason}", {"reason": reason})


# --- sections ----------------------------------------------------------------------


class IngestSection(Section):
    audio_rate: int = Field(16000, gt=0, description="Hz of audio.wav (Whisper wants 16 kHz)")
    audio_track: str = Field(
        "auto", pattern=r"^(auto|\d+|[A-Za-z]{2,3})$",
        description="which audio stream: auto (the default-flagged one), an index, or a "
        "language such as ja / jpn (dual-audio releases)")
    proxy_height: int = Field(360, ge=64, le=1080, description="analysis proxy height, px")
    proxy_fps: float = Field(6.0, gt=0, le=60, description="analysis proxy frame rate")
    proxy_skip_nonref: bool = Field(
        True, description="decode only reference frames for the proxy (about 2x faster on "
        "B-frame sources; proxy frames may sit a source frame or two off their slot)")
    hwaccel: Literal["auto", "cuda", "none"] = Field(
        "auto", description="decode the source for the proxy on an NVIDIA GPU (NVDEC): "
        "auto when the driver loads, falling back to the CPU on any failure")


class TranscribeSection(Section):
    model: str = Field("bundled:tiny.en", description="model for English speech: "
                       "bundled:tiny.en (fastest), bundled:base, a model name or dir")
    multilingual_model: str = Field(
        "bundled:base", description="identifies the language, and transcribes every other "
        "language (and translates): bundled:base, a model name or dir")
    language: str = Field("auto", description="'auto' (identified on the first speech) or "
                          "an ISO code such as 'en' or 'ja', which wins")
    detect_s: float = Field(30.0, gt=0, le=300,
                            description="seconds of speech (VAD) the language is told from")
    task: Literal["transcribe", "translate"] = Field(
        "transcribe", description="translate: English text from any language (subtitles)")
    source: Literal["auto", "asr", "subtitles"] = Field(
        "auto", description="auto: an embedded text subtitle stream in the language when "
        "the file has one (mkv releases), else ASR; subtitles: require one")
    keep_original: bool = Field(
        False, description="translate also keeps the spoken language's text (for "
        "metadata and search; twice the ASR time)")
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="where CTranslate2 runs: auto = CUDA when a GPU is visible")
    compute_type: str = Field("auto", description="CTranslate2 compute type; auto = fastest")
    beam_size: int = Field(5, ge=1, le=20, description="beam search width; 1 = greedy")
    vad: bool = Field(True, description="skip non-speech with faster-whisper's Silero VAD")
    initial_prompt: str = Field("", description="text that primes spelling (names, slang)")
    hotwords: list[str] = Field(
        default_factory=list, description="words the decoder should favour")
    cpu_threads: int = Field(0, ge=0, description="0 = let CTranslate2 decide")
    chunk_s: float = Field(600.0, ge=30, description="longest audio piece decoded at once")


class AudioWeights(Section):
    speech_density: float = Field(0.45, ge=0, description="share of the last ~2 s in words")
    loudness_peak: float = Field(0.35, ge=0, description="loudness between floor and peak")
    energy_delta: float = Field(0.20, ge=0, description="change of loudness over 0.5 s")


class AudioSection(Section):
    hop_s: float = Field(0.1, gt=0, le=1.0, description="seconds between feature values")
    weights: AudioWeights = Field(
        default_factory=AudioWeights, description="per-hop audio interest = weighted mean")
    silence_lufs: float = Field(-50.0, lt=0, description="below this a hop counts as silent")
    peak_percentile: float = Field(
        95.0, gt=50, le=100, description="loudness percentile that maps to 1.0")
    floor_percentile: float = Field(
        10.0, ge=0, lt=50, description="loudness percentile that maps to 0.0")
    peak_persist_s: float = Field(0.3, ge=0, description="a loudness peak must last this long")
    voice_band_share: float = Field(0.6, ge=0, le=1, description="energy VAD threshold")


class SceneSection(Section):
    threshold: float = Field(2.0, gt=1.0, description="cut if distance > threshold x local median")
    min_distance: float = Field(0.3, gt=0, le=1, description="absolute floor for a cut")
    window_s: float = Field(2.0, gt=0, description="local median window, seconds")
    min_shot_s: float = Field(0.6, ge=0, description="shorter shots are merged, seconds")
    fade_black_level: float = Field(18.0, ge=0, le=255, description="mean luma of 'black'")
    refine: bool = Field(True, description="move hard cuts to their exact source frame")
    refine_max_runup_s: float = Field(
        4.0, ge=0, description="skip refining a cut whose keyframe is further back than this")
    dissolve: bool = Field(
        True, description="also find dissolves (cross-fades that do not go through black)")
    dissolve_max_s: float = Field(
        2.5, gt=0, le=10, description="longest dissolve looked for, s; cost grows with its "
        "square")
    dissolve_max_residual: float = Field(
        0.3, gt=0, le=1, description="how far a frame inside a dissolve may be from the best "
        "mix of the shots before and after, share of their difference (pans, zooms: 0.4-0.5)")
    dissolve_min_distance: float = Field(
        0.3, gt=0, le=1, description="content distance needed between the shots before and "
        "after a dissolve, like min_distance for a cut")
    seams: bool = Field(
        True, description="find static vertical panel borders (split-screen interviews) per "
        "shot, so the camera never shows half of each panel")


class FaceSection(Section):
    backends: list[Literal["animeface", "haar", "mediapipe"]] = Field(
        default_factory=lambda: ["haar"], min_length=1,
        description="face detectors in order of preference")
    use: Literal["all", "first"] = Field(
        "all", description="all: every backend that loads runs, results merged; first: "
        "only the first that loads, the others are fallbacks")
    min_size_px: int = Field(24, ge=8, description="smallest face at analysis scale")
    min_score: float = Field(0.0, ge=0, description="drop detections scored below this")
    track_iou: float = Field(0.2, ge=0, le=1, description="box overlap that continues a track")
    max_gap_s: float = Field(0.7, ge=0, description="bridge missed detections this long, s")
    min_track_s: float = Field(0.4, ge=0, description="drop tracks shorter than this, s")
    detect_every_s: float = Field(
        2.0, ge=0, description="whole-frame detector runs at most this often while faces "
        "are followed (0: every changed frame); in between, faces are searched near where "
        "they were")
    search_every_s: float = Field(
        1.0, ge=0, description="whole-frame detector interval while no face is followed")


class VisionSection(Section):
    scenes: SceneSection = Field(default_factory=SceneSection, description="scene cuts")
    faces: FaceSection = Field(default_factory=FaceSection, description="face tracking")


class CandidateWeights(Section):
    transcript: float = Field(0.30, ge=0, description="lines, questions, triggers, 3 s hook")
    audio: float = Field(0.25, ge=0, description="audio interest from audio_features.json")
    face: float = Field(0.20, ge=0, description="share of time a big-enough face is shown")
    scene: float = Field(0.10, ge=0, description="cut rate and visual activity")
    pacing: float = Field(0.15, ge=0, description="speech rate and pause rhythm")


class Penalties(Section):
    mid_sentence: float = Field(0.3, ge=0, description="a line is cut off by a hard cut")
    partial_shot: float = Field(0.4, ge=0, description="x share of time in partly shown shots")
    scene_break: float = Field(0.4, ge=0, description="for two scene changes inside, half for one")
    long_silence: float = Field(0.2, ge=0, description="more than long_silence_s without speech")
    no_face: float = Field(0.2, ge=0, description="more than no_face_s without a usable face")
    too_many_cuts: float = Field(0.1, ge=0, description="more than max_cuts_per_min")
    length: float = Field(0.2, ge=0, description="scaled by distance from target_length_s")
    empty: float = Field(1.0, ge=0, description="no speech and no sound at all")


class CandidatesSection(Section):
    weights: CandidateWeights = Field(
        default_factory=CandidateWeights, description="weight of each signal in the score")
    penalties: Penalties = Field(
        default_factory=Penalties, description="subtracted from the score when they apply")
    min_score: float = Field(
        0.2, ge=0, le=1, description="evidence floor, 0-1 (max of speech share / 0.5 and "
        "half the audible share times motion): windows below it are not made, so an "
        "episode with nothing worth publishing (silence, a still frame) yields no Short "
        "and says why; 0.2 = speech in 10 % of the window, or sound over moving pictures")
    min_length_s: float = Field(15.0, gt=0, description="shortest clip, seconds")
    max_length_s: float = Field(60.0, gt=0, description="longest clip, seconds")
    target_length_s: float = Field(30.0, gt=0, description="preferred clip length, seconds")
    lead_in_s: float = Field(0.15, ge=0, description="seconds kept before the first word")
    lead_out_s: float = Field(0.35, ge=0, description="seconds kept after the last word")
    min_clips: int = Field(4, ge=0, description="clips per episode at least (when possible)")
    max_clips: int = Field(9, ge=1, description="clips per episode at most")
    minutes_per_clip: float = Field(3.0, gt=0, description="one more clip per this many minutes")
    max_overlap: float = Field(0.25, ge=0, le=1, description="temporal IoU above = duplicate")
    max_text_similarity: float = Field(
        0.6, ge=0, le=1, description="text similarity above = duplicate")
    long_silence_s: float = Field(4.0, gt=0, description="see penalties.long_silence, s")
    scene_break_pause_s: float = Field(1.0, gt=0, description="speech pause at a scene change")
    no_face_s: float = Field(6.0, gt=0, description="see penalties.no_face, s")
    max_cuts_per_min: float = Field(30.0, gt=0, description="see penalties.too_many_cuts")
    order: Literal["score", "story"] = Field(
        "score", description="publish order: score (best first) or story (episode order)")
    triggers: dict[str, float] = Field(default_factory=dict, description="word/phrase -> weight")

    @model_validator(mode="after")
    def _lengths_ordered(self) -> CandidatesSection:
        if not self.min_length_s <= self.target_length_s <= self.max_length_s:
            raise ValueError("need min_length_s <= target_length_s <= max_length_s")
        if self.min_clips > self.max_clips:
            raise ValueError("need min_clips <= max_clips")
        return self


class CameraSection(Section):
    aspect: tuple[int, int] = Field((9, 16), description="output width:height")
    zoom: float = Field(1.0, ge=1.0, le=3.0, description="1 = full source height")
    dead_zone: float = Field(0.12, ge=0, le=0.5, description="share of crop width")
    max_speed_px_s: float = Field(500.0, gt=0, description="fastest pan, source px/s")
    max_accel_px_s2: float = Field(1200.0, gt=0, description="fastest speed change, px/s^2")
    smoothing_s: float = Field(
        0.6, ge=0, description="time scale tau of the path solver, s: speed changes cost "
        "tau x, acceleration changes tau^2 x their size, against travel"
    )
    headroom: float = Field(0.12, ge=0, le=0.5, description="space above a face, crop share")
    multi_face: Literal["group", "speaker", "largest"] = Field(
        "speaker", description="speaker or group: faces together when they fit, else the "
        "active speaker; largest: the biggest face alone"
    )
    min_hold_s: float = Field(1.5, ge=0, description="a new target must last this long")
    lost_face_hold_s: float = Field(1.0, ge=0, description="hold after a face vanishes, s")
    fallback: Literal["motion", "center"] = Field(
        "motion", description="without a face: centre of movement, or the frame centre")
    min_face_s: float = Field(
        0.5, ge=0, description="a face track shorter than this is never followed, s"
    )
    letterbox: bool = Field(
        False, description="show shots whose faces never fit one window whole, letterboxed "
        "over a blurred copy, instead of following one speaker"
    )
    letterbox_min_share: float = Field(
        0.5, gt=0, le=1, description="share of a shot's several-face frames that must be "
        "too wide before the shot is letterboxed"
    )
    zoom_range: tuple[float, float] | None = Field(
        None, description="[min, max] zoom the camera may choose per shot (null: always "
        "`zoom`): out (down to min) to frame two faces together, in (up to max) on a small "
        "lone face. Below 1 the window is taller than the source and the render fills "
        "above and below with a blurred copy; 0.32 shows a 16:9 frame's whole width"
    )
    split_screen: bool = Field(
        False, description="two stacked windows, one per face, in shots where two faces "
        "stay too far apart for one window for at least split_min_s (takes precedence over "
        "letterbox and zoom for those shots)"
    )
    split_min_s: float = Field(
        4.0, gt=0, description="how long two faces must stay too far apart before a shot is "
        "split, s"
    )

    @model_validator(mode="after")
    def _zoom_inside_range(self) -> CameraSection:
        """A zoom range must be ordered, hold the base zoom and stay within 0.3-3."""
        if self.zoom_range is not None:
            lo, hi = self.zoom_range
            if not 0.3 <= lo <= hi <= 3.0:
                raise ValueError("zoom_range must be [min, max] with 0.3 <= min <= max <= 3")
            if not lo <= self.zoom <= hi:
                raise ValueError(f"zoom {self.zoom} lies outside zoom_range [{lo}, {hi}]")
        return self


# Emoji the subtitles draw after common words (a recipe's `subtitles.emoji` replaces it).
DEFAULT_EMOJI: dict[str, str] = {
    "love": "\u2764\ufe0f", "fire": "\U0001f525", "wow": "\U0001f62e", "secret": "\U0001f92b",
    "money": "\U0001f4b0", "laugh": "\U0001f602", "no way": "\U0001f631", "crazy": "\U0001f92f",
    "win": "\U0001f3c6", "music": "\U0001f3b5",
}


class SubtitleSection(Section):
    max_chars_per_line: int = Field(18, ge=6, le=60, description="phone-readable line length")
    max_lines: int = Field(2, ge=1, le=4, description="lines per cue")
    min_duration_s: float = Field(0.7, ge=0, description="shortest cue on screen, s")
    max_duration_s: float = Field(3.5, gt=0, description="longest cue on screen, s")
    max_cps: float = Field(22.0, gt=0, description="characters per second before splitting")
    max_lead_s: float = Field(
        0.5, ge=0, le=2.0,
        description="a cue that needs more reading time (min_duration_s, max_cps) than the "
        "gap after it leaves appears up to this early, in the silence before it, s")
    font: str = Field(
        "DejaVu Sans", description="family, full or PostScript name libass draws with; "
        "checked at load time against the faces the render really gets (a missing font is "
        "an error, never a silent fallback)")
    cjk_font: str = Field(
        "Noto Sans CJK JP", description="words in Chinese, Japanese or Korean are drawn "
        "with this font (bundled: Noto Sans CJK JP Bold); the render refuses a glyph no "
        "font has instead of drawing a box")
    font_size: int = Field(78, ge=10, le=300, description="px at 1080x1920")
    bold: bool = Field(True, description="bold weight (reads better over busy frames)")
    primary_colour: str = Field(
        "#FFFFFF", pattern=r"^#[0-9A-Fa-f]{6}$", description="text colour")
    highlight_colour: str = Field(
        "#FFD400", pattern=r"^#[0-9A-Fa-f]{6}$", description="the word being spoken")
    outline_colour: str = Field(
        "#000000", pattern=r"^#[0-9A-Fa-f]{6}$", description="outline around the letters")
    outline_px: float = Field(5.0, ge=0, description="outline thickness, px at 1080x1920")
    shadow_px: float = Field(2.0, ge=0, description="drop shadow distance, px")
    position_y: float = Field(0.72, ge=0, le=1, description="centre of text, share of height")
    uppercase: bool = Field(False, description="SHOUTY captions")
    karaoke: bool = Field(True, description="highlight each word as it is spoken")
    animation: Literal["static", "pop", "reveal"] = Field(
        "static", description="pop: each cue scales in from 80 % over 80 ms; reveal: "
        "words appear as they are spoken (with karaoke); static: neither")
    keywords: list[str] = Field(default_factory=list, description="always highlighted")
    keyword_colour: str = Field(
        "#4FE3FF", pattern=r"^#[0-9A-Fa-f]{6}$", description="keywords, the candidates' "
        "trigger words, names and numbers: a second colour, apart from the spoken word")
    highlight_names: bool = Field(
        True, description="names: words the episode capitalises mid-sentence, twice or more")
    highlight_numbers: bool = Field(True, description="words with a digit")
    max_highlights_per_cue: int = Field(
        2, ge=0, le=10, description="at most this many highlighted words a cue: more is noise")
    emoji: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_EMOJI), description="word or phrase -> emoji "
        "drawn above the cue from when it is spoken (Twemoji images); {} = none from here "
        "(emoji in the transcript are always drawn)")
    emoji_size: int = Field(120, ge=24, le=400, description="emoji height, px at 1080x1920")
    max_emoji_per_cue: int = Field(2, ge=0, le=6, description="emoji drawn over one cue at most")

    @field_validator("emoji")
    @classmethod
    def _emoji_map_keys(cls, value: dict[str, str]) -> dict[str, str]:
        for word, drawn in value.items():
            if not word.strip() or not drawn.strip():
                raise _invalid(f"'{word}': '{drawn}': both the word and its emoji must be "
                               "given")
        return {" ".join(k.lower().split()): v.strip() for k, v in value.items()}

    @field_validator("font")
    @classmethod
    def _font_fits_an_ass_style(cls, value: str) -> str:
        """The name goes into a comma-separated ASS ``Style:`` line as it is."""
        if not value.strip():
            raise _invalid("must name a font, e.g. DejaVu Sans")
        if "," in value or "\n" in value or value != value.strip():
            raise _invalid(f"'{value}' cannot be written into an ASS style: no commas, "
                           "line breaks or surrounding spaces")
        return value


# ffmpeg's own option values (`ffmpeg -h encoder=libx264`, `-h encoder=h264_nvenc`).
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                "slower", "veryslow", "placebo")
NVENC_PRESETS = ("p1", "p2", "p3", "p4", "p5", "p6", "p7", "fast", "medium", "slow")
PRESETS: dict[str, tuple[str, ...]] = {"libx264": X264_PRESETS, "h264_nvenc": NVENC_PRESETS}
# x264's -crf 0 is lossless; NVENC's -cq 0 means "let the encoder choose", not lossless.
CRF_RANGES: dict[str, tuple[int, int]] = {"libx264": (0, 51), "h264_nvenc": (1, 51)}
# AAC stereo: below 32 kb/s speech smears; ffmpeg's encoder tops out near 512 kb/s.
AUDIO_BITRATE_RANGE = (32_000, 512_000)
_BITRATE_RE = re.compile(r"(\d+(?:\.\d+)?)([kKM]?)")


def parse_bitrate(text: str) -> int | None:
    """Bits per second of an ffmpeg bitrate (``160k``, ``0.5M``, ``160000``), or None.

    Why only k/K/M: ffmpeg reads a lower-case ``m`` as milli, so ``0.2m`` is not 200 kb/s.
    """
    match = _BITRATE_RE.fullmatch(text)
    if match is None:
        return None
    scale = {"": 1, "k": 1000, "K": 1000, "M": 1_000_000}[match.group(2)]
    return round(float(match.group(1)) * scale)


class Watermark(Section):
    text: str = Field(
        "", description="drawn at the top centre with the render's watermark font "
        "(DejaVu Sans Bold, else the bundled Montserrat); empty = no watermark")
    opacity: float = Field(0.6, ge=0, le=1, description="0 = invisible, 1 = opaque (text and "
                           "image)")
    font_size: int = Field(40, ge=8, le=300, description="px at 1080x1920")
    image: str = Field("", description="a logo (PNG, alpha kept), path relative to the "
                       "working directory; empty = none")
    image_width: float = Field(0.18, gt=0, le=1, description="logo width, share of the "
                               "render width (height keeps its aspect)")
    image_position: Literal["top-left", "top", "top-right"] = Field(
        "top-right", description="where the logo sits: the bottom and the right edge below "
        "the top are covered by the Shorts player's buttons")


class Hook(Section):
    enabled: bool = Field(True, description="the clip's title as a banner over its first "
                          "seconds: what makes a viewer stay past the first swipe")
    duration_s: float = Field(2.5, gt=0, le=10, description="seconds shown on the Short")
    position_y: float = Field(0.2, ge=0.1, le=0.9, description="banner centre, share of "
                              "the height (0.2 clears Shorts' top bar and the captions)")
    font: str = Field("DejaVu Sans", description="banner font (bold), as libass names it")
    cjk_font: str = Field("Noto Sans CJK JP", description="font of CJK words in the banner")
    font_size: int = Field(64, ge=10, le=300, description="px at 1080x1920")
    text_colour: str = Field("#111111", pattern=r"^#[0-9a-fA-F]{6}$", description="#RRGGBB")
    box_colour: str = Field("#FFD400", pattern=r"^#[0-9a-fA-F]{6}$",
                            description="#RRGGBB of the box behind the text")
    max_chars: int = Field(60, ge=8, le=100, description="longer titles are cut at a word")


class Effects(Section):
    progress_bar: bool = Field(False, description="a thin bar along the bottom edge that "
                               "fills as the Short plays")
    progress_bar_px: int = Field(12, ge=2, le=80, description="bar height, px at 1920")
    progress_bar_colour: str = Field("#FFFFFF", pattern=r"^#[0-9a-fA-F]{6}$",
                                     description="#RRGGBB")
    fade_out_s: float = Field(0.0, ge=0, le=3, description="fade to black over the last "
                              "seconds of the picture (the sound fades anyway); 0 = off")
    punch_in: bool = Field(False, description="a quick zoom on trigger words and emphasised "
                           "keywords (the moments subtitles mark)")
    punch_in_zoom: float = Field(0.1, ge=0.02, le=0.3, description="how much closer: 0.1 = "
                                 "10 %")
    punch_in_s: float = Field(0.6, ge=0.2, le=3, description="how long each punch-in holds, s")
    max_punch_ins: int = Field(3, ge=1, le=20, description="punch-ins per Short at most, the "
                               "strongest moments first, at least 4 s apart")


class RenderSection(Section):
    width: int = Field(1080, ge=16, le=4096, description="output px (even: H.264 4:2:0)")
    height: int = Field(1920, ge=16, le=4096, description="output px (even: H.264 4:2:0)")
    fps: float = Field(30.0, gt=0, le=120, description="output frame rate")
    codec: Literal["libx264", "h264_nvenc"] = Field(
        "libx264", description="libx264 (CPU) or h264_nvenc (NVIDIA GPU)")
    crf: int = Field(
        20, ge=0, le=51, validate_default=True, description="quality, lower = better and "
        "bigger: x264 -crf 0-51, NVENC -cq 1-51")
    preset: str = Field(
        "veryfast", validate_default=True, description="speed/size trade-off: an x264 "
        "preset (ultrafast..placebo) or, for h264_nvenc, p1..p7")
    audio_bitrate: str = Field(
        "160k", description="AAC bitrate as ffmpeg reads it (160k), 32k-512k")
    loudness_lufs: float = Field(
        -14.0, ge=-70, le=-5, description="integrated loudness target, LUFS (loudnorm's range)")
    true_peak_db: float = Field(
        -1.0, ge=-9, le=0, description="true-peak ceiling, dBTP (loudnorm's range)")
    speed: float = Field(
        1.0, ge=0.5, le=2.0, description="playback speed, pitch kept (one atempo: 0.5-2)")
    watermark: Watermark = Field(default_factory=Watermark, description="optional text mark")
    hook: Hook = Field(default_factory=Hook, description="title banner over the opening")
    effects: Effects = Field(default_factory=Effects, description="cheap finishing effects, "
                             "each off by default")

    @field_validator("width", "height")
    @classmethod
    def _even(cls, value: int) -> int:
        """libx264 and NVENC refuse odd sizes in yuv420p, after all the analysis is done."""
        if value % 2:
            raise _invalid(f"{value} is odd; H.264 in yuv420p needs an even size")
        return value

    @field_validator("crf")
    @classmethod
    def _crf_for_codec(cls, value: int, info: ValidationInfo) -> int:
        codec = info.data.get("codec", "")
        lo, hi = CRF_RANGES.get(codec, (0, 51))
        if not lo <= value <= hi:
            raise _invalid(f"{value} is outside {codec}'s range {lo}-{hi}")
        return value

    @field_validator("preset")
    @classmethod
    def _preset_for_codec(cls, value: str, info: ValidationInfo) -> str:
        codec = info.data.get("codec")
        allowed = PRESETS.get(codec or "")
        if allowed is not None and value not in allowed:
            raise _invalid(f"'{value}' is not a preset of {codec}; use one of "
                           f"{', '.join(allowed)}")
        return value

    @field_validator("audio_bitrate")
    @classmethod
    def _sane_bitrate(cls, value: str) -> str:
        bits = parse_bitrate(value)
        if bits is None:
            raise _invalid(f"'{value}' is not a bitrate; write it like 160k")
        lo, hi = AUDIO_BITRATE_RANGE
        if not lo <= bits <= hi:
            raise _invalid(f"{value} is outside the sane AAC range {lo // 1000}k-{hi // 1000}k")
        return value


# Words that turn a line ("but", "never", "actually"): a hook sign (metadata.contrast_words).
# CJK ones match inside a sentence, since those scripts do not space words.
DEFAULT_CONTRAST_WORDS: tuple[str, ...] = (
    "but", "never", "actually", "however", "instead", "though", "although", "still", "yet",
    "except", "nobody", "nothing", "でも", "しかし", "実は", "けれど", "本当は", "但是", "其实",
    "可是", "从来",
)


class HookWeights(Section):
    """What each sign of a hook adds to a sentence's score when the title is picked."""

    question: float = Field(1.0, ge=0, le=5, description="the sentence asks (ends in ? or ？)")
    exclamation: float = Field(0.8, ge=0, le=5, description="it exclaims (ends in ! or ！)")
    trigger: float = Field(
        1.5, ge=0, le=5, description="times the summed weights of the candidates' trigger "
        "words it holds (candidates.triggers)")
    name: float = Field(0.5, ge=0, le=5, description="it names a character (metadata."
                        "characters) or a name the episode capitalises")
    number: float = Field(0.5, ge=0, le=5, description="it holds a number")
    contrast: float = Field(0.6, ge=0, le=5, description="per contrast word it holds "
                            "(metadata.contrast_words), two at most")
    length: float = Field(
        1.0, ge=0, le=5, description="its display width is within metadata.hook_width; "
        "outside, this share falls linearly (to 0 at width 0, or at twice the maximum)")


class MetadataSection(Section):
    title: str = Field("{{ hook }}", description="Jinja2 template of the Short's title")
    fallback_title: str = Field(
        "Watch this moment from {{ episode_title }} ({{ timecode }})",
        description="title template used when `title` renders empty or only punctuation "
        "(nobody speaks in the clip); must give words without speech")
    description: str = Field(
        "{{ text }}\n\nFrom {{ episode }} at {{ timecode }}.",
        description="Jinja2 template of the description")
    fallback_description: str = Field(
        "A moment from {{ episode_title }} at {{ timecode }}.",
        description="description template used when `description` renders empty; must give "
        "words without speech")
    tags: list[str] = Field(
        default_factory=lambda: ["shorts"], description="fixed search tags (templates "
        "allowed); the clip's characters and keywords follow them")
    hashtags: list[str] = Field(
        default_factory=lambda: ["#Shorts"], description="fixed hashtags (templates allowed); "
        "#Shorts is added when missing")
    max_title_chars: int = Field(
        90, ge=10, le=100, description="titles are cut on a word boundary; YouTube allows 100")
    characters: list[str] = Field(
        default_factory=list, description="the show's character names: tags, hashtags, the "
        "`characters` variable and a hook sign")
    hook_weights: HookWeights = Field(
        default_factory=HookWeights, description="how the title's hook sentence is picked")
    hook_width: tuple[int, int] = Field(
        (20, 70), description="[min, max] display width of a good hook, in Latin columns "
        "(a CJK character counts two)")
    contrast_words: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CONTRAST_WORDS),
        description="words that turn a line, a hook sign")
    max_keywords: int = Field(
        8, ge=0, le=30, description="keywords per clip (TF-IDF over the episode's sentences), "
        "for tags and the `keywords` variable")
    max_hashtags: int = Field(
        3, ge=0, le=10, description="hashtags made from the clip's characters and keywords, "
        "after the fixed ones (YouTube shows three above the title)")

    @field_validator("hook_width")
    @classmethod
    def _width_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        low, high = value
        if not 1 <= low < high <= 100:
            raise _invalid(f"[{low}, {high}]: need 1 <= min < max <= 100 (YouTube allows "
                           "100 characters)")
        return value

    @field_validator("characters", "contrast_words")
    @classmethod
    def _no_blank_words(cls, value: list[str]) -> list[str]:
        if any(not word.strip() for word in value):
            raise _invalid("an empty word: every entry must have text")
        return [" ".join(word.split()) for word in value]


class Recipe(Section):
    extends: str | None = Field(None, description="parent recipe, relative to this file")
    ingest: IngestSection = Field(default_factory=IngestSection, description="probe, proxy")
    transcribe: TranscribeSection = Field(
        default_factory=TranscribeSection, description="speech recognition")
    audio: AudioSection = Field(default_factory=AudioSection, description="audio features")
    vision: VisionSection = Field(default_factory=VisionSection, description="scenes, faces")
    candidates: CandidatesSection = Field(
        default_factory=CandidatesSection, description="which clips exist")
    camera: CameraSection = Field(default_factory=CameraSection, description="the 9:16 path")
    subtitles: SubtitleSection = Field(
        default_factory=SubtitleSection, description="burned-in captions")
    render: RenderSection = Field(default_factory=RenderSection, description="the encode")
    metadata: MetadataSection = Field(
        default_factory=MetadataSection, description="title, description, tags")
    publish: PublishSection = Field(
        default_factory=PublishSection, description="YouTube delivery")
    notify: NotifySection = Field(
        default_factory=NotifySection, description="webhooks")
    analytics: AnalyticsSection = Field(
        default_factory=AnalyticsSection, description="tuning from published metrics")
    community: CommunitySection = Field(
        default_factory=CommunitySection, description="drafted replies to comments")


SECTIONS: tuple[str, ...] = tuple(k for k in Recipe.model_fields if k != "extends")


# --- loading -----------------------------------------------------------------------


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def _read_yaml(path: Path) -> CommentedMap:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(f"{path}: recipe file not found") from None
    try:
        data = _yaml().load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = (err.problem or str(err)).strip()
        raise RecipeError(f"{where}: {problem}") from None
    if data is None:
        return CommentedMap()
    if not isinstance(data, CommentedMap):
        raise RecipeError(f"{path}:1:1: a recipe must be a mapping of sections")
    return data


def _chain(path: Path) -> list[tuple[Path, CommentedMap]]:
    """Files from the recipe itself up to the root of its ``extends`` chain."""
    chain: list[tuple[Path, CommentedMap]] = []
    current: Path | None = path
    while current is not None:
        resolved = current.resolve()
        if any(p.resolve() == resolved for p, _ in chain):
            names = " -> ".join(str(p) for p, _ in chain)
            raise RecipeError(f"{current}: extends forms a cycle ({names} -> {current})")
        data = _read_yaml(current)
        chain.append((current, data))
        parent = data.get("extends")
        if parent is None:
            current = None
            continue
        line, col = _key_position(data, "extends")
        if not isinstance(parent, str) or not parent.strip():
            raise RecipeError(f"{current}:{line}:{col}: extends: must be a recipe file path")
        candidate = current.parent / parent
        if candidate.suffix not in (".yaml", ".yml"):
            candidate = candidate.with_suffix(".yaml")
        if not candidate.is_file():
            raise RecipeError(
                f"{current}:{line}:{col}: extends: recipe '{parent}' not found "
                f"(looked for {candidate})"
            )
        current = candidate
    return chain


def _key_position(mapping: Any, key: Any) -> tuple[int, int]:
    """1-based line/column of ``key`` in a ruamel mapping (1:1 when unknown)."""
    try:
        line, col = mapping.lc.key(key)
        return line + 1, col + 1
    except (AttributeError, KeyError, TypeError):
        try:
            return mapping.lc.line + 1, mapping.lc.col + 1
        except AttributeError:
            return 1, 1


def _item_position(sequence: Any, index: int) -> tuple[int, int]:
    """1-based line/column of item ``index`` of a ruamel sequence (its start when unknown)."""
    try:
        line, col = sequence.lc.item(index)
        return line + 1, col + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return _key_position(sequence, None)


def _locate(chain: list[tuple[Path, CommentedMap]], loc: tuple[Any, ...]) -> str:
    """``file:line:col`` of the deepest existing prefix of ``loc``, child file first.

    A list index in ``loc`` (``metadata.tags.1``) points at that item.
    """
    best: tuple[int, str] | None = None
    for path, data in chain:
        node: Any = data
        depth = 0
        position = (1, 1)
        for key in loc:
            if isinstance(node, dict) and key in node:
                position = _key_position(node, key)
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                position = _item_position(node, key)
            else:
                break
            node = node[key]
            depth += 1
        if depth and (best is None or depth > best[0]):
            best = (depth, f"{path}:{position[0]}:{position[1]}")
    return best[1] if best else f"{chain[0][0]}:1:1"


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_recipe(path: str | Path, checks: Checks | None = None) -> Recipe:
    """Load, merge and validate a recipe, or raise :class:`RecipeError` listing every problem.

    Two passes, reported together: the models' own rules, then ``checks`` (the line's
    are :func:`shortfactory.recipe_checks.load_time_problems`: templates, fonts,
    encoders), which core cannot run itself without importing the stages.
    """
    path = Path(path)
    chain = _chain(path)
    merged: dict[str, Any] = {}
    for _, data in reversed(chain):
        merged = _merge(merged, _plain(data))
    merged.pop("extends", None)
    problems: list[Problem] = []
    recipe: Recipe | None = None
    try:
        recipe = Recipe.model_validate(merged)
    except ValidationError as err:
        problems += [(tuple(e["loc"]), e["msg"]) for e in err.errors()]
    if checks is not None:
        problems += checks(merged)
    if problems or recipe is None:
        located = [(_locate(chain, loc), loc, message) for loc, message in problems]
        lines = [
            f"{where}: {'.'.join(str(p) for p in loc) or '<recipe>'}: {message}"
            for where, loc, message in sorted(located, key=lambda item: _file_order(item[0]))
        ]
        raise RecipeError("invalid recipe\n" + "\n".join(lines))
    return recipe


def _file_order(where: str) -> tuple[str, int, int]:
    """Sort key of ``file:line:col``: problems read top to bottom, file by file."""
    path, line, col = where.rsplit(":", 2)
    return path, int(line), int(col)


def section_params(recipe: Recipe, name: str) -> dict[str, Any]:
    """The plain-dict section a rule receives as ``params`` (stable key order)."""
    if name not in SECTIONS:
        raise KeyError(f"unknown recipe section {name!r}")
    return getattr(recipe, name).model_dump(mode="json")


def recipe_hash(recipe: Recipe, sections: tuple[str, ...] = SECTIONS) -> str:
    """Short content hash of some recipe sections (all by default).

    Clip metadata records the hash of the sections upstream of it only, so that a
    camera or subtitle edit does not rewrite every clip's metadata.
    """
    data = {name: section_params(recipe, name) for name in sections}
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@contextlib.contextmanager
def modify_recipe(path: str | Path, checks: Checks | None = None) -> Iterator[CommentedMap]:
    """Edit a recipe file in place, keeping comments and key order (round-trip).

    The edited document is validated (with its ``extends`` chain) before it replaces
    the file, so a tuning step can never write a recipe the line would reject.
    """
    path = Path(path)
    data = _read_yaml(path)
    yield data
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    tmp = path.with_name(f".{path.name}.check.yaml")
    try:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
        load_recipe(tmp, checks)
    finally:
        tmp.unlink(missing_ok=True)
    write_text_atomic(path, buffer.getvalue())
