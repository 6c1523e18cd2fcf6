"""Typed, versioned contracts for every JSON artifact of the line.

One model per file in ``results/<episode>/``. Readers validate on load (see
:func:`shortfactory.core.io.read_model`), so a stale or hand-broken artifact fails loudly
instead of flowing downstream. Each model echoes the options that produced it, so a
person can tell from the file alone how it was made. Times are seconds on the source
timeline unless a field says ``clip-relative``; boxes are ``[x, y, w, h]`` in source
pixels.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shortfactory.core.recipe import (
    AudioSection,
    CameraSection,
    CandidatesSection,
    FaceSection,
    SceneSection,
    TranscribeSection,
)

# The layout version of every artifact. Bump it when a field changes meaning: files
# written under another version are refused by name instead of being misread.
SCHEMA_VERSION = 2  # 2: typed ``options`` (the recipe section, and what the stage added)


class Artifact(BaseModel):
    """Common base: strict keys so a renamed field is caught, not silently dropped, and
    a file from another schema version is refused (delete it to rebuild)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"written with schema version {value}, this version reads "
                             f"{SCHEMA_VERSION}")
        return value


class Strict(BaseModel):
    """Base for nested records."""

    model_config = ConfigDict(extra="forbid")


Box = tuple[float, float, float, float]


# --- what each stage echoes: its recipe section, and what it added -----------------


class WhisperCall(Strict):
    """The arguments faster-whisper's ``transcribe()`` got beyond the audio (the
    section's values as the library takes them: ``None`` for no prompt)."""

    beam_size: int
    vad_filter: bool
    word_timestamps: bool
    condition_on_previous_text: bool
    initial_prompt: str | None
    hotwords: str | None


class TranscriptOptions(TranscribeSection):
    whisper: WhisperCall | None = None


class RefinementSummary(Strict):
    """How many hard cuts moved to their source frame, and why the others did not."""

    refined: int
    by: dict[str, int]
    not_refined: dict[str, str] = Field(description="cut time (s, 3 decimals) -> reason")
    runup_s: float


class SceneOptions(SceneSection):
    refinement: RefinementSummary | None = None
    seam_shots: int | None = Field(None, description="shots with split-screen seams")


class FaceOptions(FaceSection):
    runs: dict[str, int] = Field(default_factory=dict,
                                 description="detector runs by kind (whole frame, near, ...)")
    unavailable: dict[str, str] = Field(
        default_factory=dict, description="backend -> one-line reason it did not load")


# --- ingest ------------------------------------------------------------------------


class VideoStream(Strict):
    """The picture as shown, and how it is stored.

    ``width``/``height`` are the *display* geometry (after the rotation side data and the
    sample aspect ratio are applied): every stage (proxy, faces, camera, render) works in
    display pixels, so a portrait phone video or an anamorphic DVD comes out as it is
    seen, not as it is stored.
    """

    codec: str
    width: int = Field(description="display width, square pixels, after rotation")
    height: int = Field(description="display height, square pixels, after rotation")
    fps: float
    frames: int | None = None
    pix_fmt: str | None = None
    stored_width: int | None = Field(None, description="coded width, before rotation/SAR")
    stored_height: int | None = Field(None, description="coded height, before rotation/SAR")
    rotation: int = Field(0, description="display rotation, degrees counter-clockwise as "
                          "in ffmpeg's display matrix (0/90/180/270)")
    sar: float = Field(1.0, description="sample (pixel) aspect ratio of the stored picture")


class AudioStream(Strict):
    codec: str
    sample_rate: int
    channels: int


class MediaStream(Strict):
    """An audio or subtitle stream of the source, as ffmpeg's ``0:a:N``/``0:s:N`` name it."""

    index: int = Field(description="place among the streams of its kind")
    codec: str
    language: str | None = Field(None, description="the container's tag (ISO 639-1/2)")
    title: str | None = None
    default: bool = False
    channels: int = 0
    text: bool = Field(False, description="a text subtitle (not PGS/DVB pictures)")


class SourceProbe(Artifact):
    """What the source is: the facts every later stage needs about the episode file."""

    episode: str
    path: str
    size_bytes: int
    container: str
    duration_s: float
    video: VideoStream
    audio: AudioStream | None = Field(
        None, description="None: the file has no audio stream; the line runs on a silent "
        "track (visual signals only, no subtitles)")
    audio_streams: list[MediaStream] = Field(default_factory=list)
    subtitle_streams: list[MediaStream] = Field(default_factory=list)


# --- transcript --------------------------------------------------------------------


class Word(Strict):
    word: str
    start: float
    end: float
    probability: float = 1.0


class Segment(Strict):
    id: int
    start: float
    end: float
    text: str
    words: list[Word] = Field(default_factory=list)


class LanguageId(Strict):
    """How the spoken language was told: which model, on how much speech, how sure."""

    model: str
    language: str
    probability: float
    speech_s: float = Field(description="seconds of speech (VAD) it listened to")
    top: dict[str, float] = Field(default_factory=dict, description="the likeliest five")


class Transcript(Artifact):
    """faster-whisper output: segments with word timing; empty for silent episodes.

    ``language`` is the spoken language. With ``task == "translate"`` the segments are
    English (:attr:`text_language`) and ``original`` keeps the spoken text when asked.
    """

    language: str
    language_probability: float = 0.0
    language_id: LanguageId | None = Field(
        None, description="None when the language was forced, or could not be told")
    task: Literal["transcribe", "translate"] = "transcribe"
    text_source: Literal["asr", "subtitles"] = "asr"
    subtitle_stream: int | None = Field(None, description="the source's 0:s:N it was read from")
    duration_s: float
    model: str
    options: TranscriptOptions = Field(default_factory=TranscriptOptions)
    segments: list[Segment] = Field(default_factory=list)
    original: list[Segment] = Field(
        default_factory=list, description="translate + keep_original: the spoken text")

    @property
    def text_language(self) -> str:
        """The language the segments are written in."""
        return "en" if self.task == "translate" else self.language

    def words(self) -> list[Word]:
        """All words in time order."""
        return [w for s in self.segments for w in s.words]


# --- audio features ----------------------------------------------------------------


class AudioFeatures(Artifact):
    """Per-hop audio signals on a fixed grid: ``t[i] = (i + 0.5) * hop_s``."""

    hop_s: float
    duration_s: float
    options: AudioSection = Field(default_factory=AudioSection)
    loudness_lufs: list[float]
    speech: list[float] = Field(description="1 where a transcribed word is spoken")
    energy_delta: list[float]
    onset: list[float] = Field(description="log-spectral flux: where new sounds start")
    voice: list[bool] = Field(description="energy VAD: audible, voice-band dominated")
    silence: list[bool]
    score: list[float] = Field(description="per-hop audio interest in [0, 1]")


# --- vision ------------------------------------------------------------------------


class Cut(Strict):
    time_s: float = Field(description="first frame of the new shot")
    kind: Literal["hard", "fade", "dissolve"] = Field(
        description="hard: a cut; fade: through black, time_s the first frame after black; "
        "dissolve: a cross-fade, time_s where the mix is half done"
    )
    span_s: tuple[float, float] | None = Field(
        None, description="dissolves: from the last frame still (nearly) all old shot to the "
        "first (nearly) all new shot, analysis times"
    )
    score: float = 0.0
    analysis_time_s: float | None = Field(
        None, description="first analysis frame of the new shot, before source refinement"
    )
    refined: bool = Field(
        False, description="time_s is the exact source frame (hard cuts, where cheap)"
    )


class Shot(Strict):
    index: int
    start_s: float
    end_s: float
    duration_s: float = Field(0.0, description="end_s - start_s")
    mean_motion: float = Field(0.0, description="mean grey change between analysis frames, 0-1")
    mean_faces: float = Field(
        0.0, description="mean tracked faces per analysis frame (faces.json's shots; "
        "scene_cuts.json is written before faces are known and leaves it 0)")
    face_share: float = Field(0.0, description="share of analysis frames with a tracked face")
    tracks: int = Field(0, description="face tracks in the shot")
    seams: list[float] = Field(
        default_factory=list, description="x (source px) of static vertical panel borders "
        "in this shot (split-screen layouts); the camera never straddles one")


class SceneCuts(Artifact):
    """Shot boundaries of the episode and per-frame metrics for offline tuning."""

    analysis_fps: float
    duration_s: float
    options: SceneOptions = Field(default_factory=SceneOptions)
    cuts: list[Cut] = Field(default_factory=list)
    shots: list[Shot] = Field(default_factory=list)
    frame_scores: list[float] = Field(
        default_factory=list, description="content distance per analysis frame"
    )


class Detection(Strict):
    box: Box
    score: float
    backend: str
    track_id: int | None = None
    kind: Literal["detected", "tracked", "reused", "interpolated"] = Field(
        "detected",
        description="detected: full-frame detector run; tracked: detector run near where "
        "the face was; reused: frame unchanged since the last run; interpolated: between "
        "two detections of the same track",
    )
    activity: float | None = Field(
        None, description="mouth change of this face (motion-compensated), [0, 1], averaged "
        "along its track over +-0.2 s: the active-speaker signal frame by frame; None where "
        "nothing was measured (a shot's first frame)",
    )


class FaceFrame(Strict):
    t: float
    detections: list[Detection] = Field(default_factory=list)
    activity: float = Field(0.0, description="visual motion energy of the frame, [0, 1]")
    edges: float = Field(0.0, description="edge density of the frame (share of edge "
                         "pixels), [0, 1]: how busy or flat it looks")
    focus: tuple[float, float] | None = Field(
        None, description="fallback focus point (source px) when no face: centre of motion, "
        "else the salient point of a still frame, else the frame centre"
    )


class Track(Strict):
    id: int
    shot: int
    start_s: float
    end_s: float
    times: list[float]
    boxes: list[Box]
    mean_score: float
    mean_size: float = Field(description="mean box height / frame height")
    persistence: float = Field(description="share of the track's span with a detection")
    activity: float = Field(0.0, description="mouth/face change estimate, active-speaker hint")


class Faces(Artifact):
    """Face detections per analysis frame and the tracks that link them."""

    analysis_fps: float
    source_width: int
    source_height: int
    options: FaceOptions = Field(default_factory=FaceOptions)
    backends: dict[str, int] = Field(
        default_factory=dict, description="detections found per backend"
    )
    frames: list[FaceFrame] = Field(default_factory=list)
    tracks: list[Track] = Field(default_factory=list)
    shots: list[Shot] = Field(
        default_factory=list, description="the shots of scene_cuts.json with face stats filled"
    )


# --- candidates --------------------------------------------------------------------


class Clip(Strict):
    id: str = Field(description="stable id from start/end, e.g. c0412-0447")
    rank: int
    start_s: float
    end_s: float
    total: float
    signals: dict[str, float]
    penalties: dict[str, float]
    reasons: list[str]
    text: str = ""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


class Candidates(Artifact):
    """The checkpoint: which clips exist, ranked, each explainable from its parts."""

    episode: str
    duration_s: float
    options: CandidatesSection = Field(default_factory=CandidatesSection)
    clips: list[Clip] = Field(default_factory=list)
    message: str = ""


# --- per clip ----------------------------------------------------------------------


class CameraShot(Strict):
    start: float = Field(description="clip-relative seconds")
    end: float
    mode: Literal["stationary", "panning", "tracking", "letterbox", "split"] = Field(
        description="stationary: one window; panning: one smooth move; tracking: a solved "
        "path; letterbox: the whole frame over a blurred copy (faces too far apart); "
        "split: two stacked windows, (x, y) above and (x2, y2) below (two faces far apart)"
    )
    focus: str = Field(
        description="what the camera mostly showed: face:<id>, speaker:<id>, group, hold, "
        "fallback:motion, fallback:centre"
    )
    focus_spans: list[tuple[float, float, str]] = Field(
        default_factory=list, description="clip-relative (start, end, focus): what when"
    )
    flags: list[str] = Field(
        default_factory=list,
        description="why the camera compromised: face_lost, no_face, speaker_follow, "
        "speaker_unknown, too_wide, target_outside; panels (a split-screen shot), panel_cut "
        "(the window cut between panels), panel_narrow (a panel narrower than the window)",
    )
    switches: int = Field(0, description="changes of target inside the shot")
    outside_share: float = Field(
        0.0, description="share of followed frames with the target's face not fully inside"
    )
    zoom: float | None = Field(
        None, description="this shot's zoom where it differs from the clip's (recipe "
        "zoom_range); below 1 the window is taller than the source and the render fills "
        "above and below it with a blurred copy of the frame"
    )
    crop_width: int | None = Field(
        None, description="this shot's window width, source px, where it differs from the "
        "clip's (a zoomed shot; in a split shot, each panel's)"
    )
    crop_height: int | None = Field(
        None, description="this shot's window height, source px, where it differs from the "
        "clip's; may exceed the source height (zoomed out)"
    )


class CropPath(Artifact):
    """Per output frame, the 9:16 window in source pixels."""

    clip_id: str
    start_s: float
    end_s: float
    fps: float
    source_width: int
    source_height: int
    crop_width: int
    crop_height: int
    options: CameraSection = Field(default_factory=CameraSection)
    x: list[float] = Field(description="left edge per output frame, source px")
    y: list[float] = Field(description="top edge per output frame, source px")
    shots: list[CameraShot] = Field(default_factory=list)
    fallback: list[bool] = Field(default_factory=list, description="no face seen this frame")
    x2: list[float] = Field(
        default_factory=list, description="split shots: the lower panel's left edge per "
        "output frame (elsewhere equal to x); empty when no shot is split"
    )
    y2: list[float] = Field(default_factory=list, description="split shots: the lower "
                            "panel's top edge per output frame")

    @model_validator(mode="after")
    def _one_value_per_frame(self) -> CropPath:
        """Every per-frame array covers the same frames (the optional ones may be empty):
        a short array would make the render hold a stale window or fail mid-encode."""
        frames = len(self.x)
        for name in ("y", "fallback", "x2", "y2"):
            length = len(getattr(self, name))
            if length != frames and not (name != "y" and length == 0):
                raise ValueError(f"{name} has {length} values for {frames} frames")
        return self

    def frame_shots(self) -> list[int]:
        """Index of the shot each output frame belongs to (clip-relative ``i / fps``)."""
        out, k = [], 0
        for i in range(len(self.x)):
            t = i / self.fps
            while k + 1 < len(self.shots) and t >= self.shots[k].end - 1e-6:
                k += 1
            out.append(k)
        return out

    def frame_sizes(self) -> tuple[list[int], list[int]]:
        """Window width and height per output frame (shots may zoom)."""
        ws, hs = [], []
        for k in self.frame_shots():
            shot = self.shots[k] if self.shots else None
            ws.append(shot.crop_width if shot is not None and shot.crop_width
                      else self.crop_width)
            hs.append(shot.crop_height if shot is not None and shot.crop_height
                      else self.crop_height)
        return ws, hs


class HookLine(Strict):
    """One sentence of the clip, scored as a title hook, with the signs that scored it."""

    text: str
    score: float
    reasons: list[str] = Field(default_factory=list, description="each sign and what it "
                               "added, or why the sentence cannot be a title")


class HookPick(Strict):
    """Why the title's hook is the sentence it is: kept so a title can be explained."""

    text: str = Field("", description="the chosen sentence; empty when no sentence qualifies "
                      "(nobody speaks, or only fragments): the fallback title is used")
    score: float = 0.0
    reasons: list[str] = Field(default_factory=list)
    runners_up: list[HookLine] = Field(default_factory=list, description="the next best "
                                       "sentences, best first")


class ClipMetadata(Artifact):
    """What a publisher needs: text, source timecodes and why the clip was chosen."""

    clip_id: str
    episode: str
    title: str
    description: str
    tags: list[str]
    hashtags: list[str]
    start_s: float
    end_s: float
    source_timecode: str
    scores: dict[str, float] = Field(default_factory=dict)
    recipe_hash: str
    hook: HookPick | None = Field(None, description="how the title's hook was picked")


class EmojiAccent(Strict):
    """Emoji drawn as an image above one cue (libass cannot draw emoji)."""

    start_s: float = Field(description="clip-relative source seconds: when its word is said")
    end_s: float = Field(description="clip-relative source seconds: the cue's end")
    emoji: list[str] = Field(description="emoji sequences, left to right")
    y: float = Field(description="vertical centre of the row, share of the frame height")
    size: float = Field(description="emoji height, share of the frame height")


class Moment(Strict):
    """A word worth a visual accent (the punch-in zoom), strongest first in lists."""

    t_s: float = Field(description="clip-relative source seconds: the word's start")
    end_s: float = Field(description="clip-relative source seconds: the word's end")
    word: str
    kind: Literal["trigger", "emoji", "keyword"]
    weight: float = Field(ge=0, description="trigger weight; emoji and keywords count 0.5")


class Accents(Artifact):
    """``clips/<id>/accents.json``: what the subtitles mark for the render beyond text:
    emoji rows and punch-in moments (the render decides, by its own section, which)."""

    clip: str
    emoji: list[EmojiAccent] = Field(default_factory=list)
    moments: list[Moment] = Field(default_factory=list)


class ShortEntry(Strict):
    id: str
    rank: int
    video: str
    metadata: str
    captions: str = Field(description="SRT next to the video, on its timeline: uploaded as "
                          "the Short's caption track")
    thumbnail: str = Field(description="PNG of the Short's best frame, next to the video")
    start_s: float
    end_s: float
    total: float
    title: str


class ShortsIndex(Artifact):
    """``out/<episode>/shorts.json``: the finished Shorts in publishing order."""

    episode: str
    shorts: list[ShortEntry] = Field(default_factory=list)
    message: str = ""
