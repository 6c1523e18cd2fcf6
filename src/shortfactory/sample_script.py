"""The script of the bundled sample episode: a list of shots, in order.

Shot durations follow from the synthesized lines (lead + lines with gaps + tail), so
the script has no absolute times. A shorter episode is a prefix of this list (the last
shot shortened), which keeps the opening's content: a fade-in, hard cuts, two talking
characters and a loud reaction within the first 30 s.
"""

from __future__ import annotations

from dataclasses import dataclass

from .sample_draw import CharacterStyle
from .sample_tts import VoiceStyle


@dataclass(frozen=True)
class Role:
    """A character (or an off-screen voice) and how it looks and sounds."""

    id: str
    name: str
    voice: VoiceStyle
    style: CharacterStyle | None  # None: never on screen (narrator)


MIA = CharacterStyle(
    id="mia",
    name="Mia",
    skin=(190, 215, 250),
    hair=(90, 60, 200),
    iris=(140, 90, 30),
    shirt=(160, 150, 40),
    hair_style="long",
)
BEN = CharacterStyle(
    id="ben",
    name="Ben",
    skin=(160, 195, 235),
    hair=(90, 50, 30),
    iris=(40, 90, 60),
    shirt=(40, 190, 230),
    hair_style="spiky",
)

ROLES: dict[str, Role] = {
    "mia": Role("mia", "Mia", VoiceStyle(pitch=1.22, length_scale=1.12), MIA),
    "ben": Role("ben", "Ben", VoiceStyle(pitch=0.97, length_scale=1.0), BEN),
    "narrator": Role("narrator", "Narrator", VoiceStyle(pitch=0.86, length_scale=0.86), None),
}
SHOUT_GAIN_DB = 3.0


@dataclass(frozen=True)
class Say:
    who: str
    text: str
    gap: float = 0.4  # silence before the line (after the previous one ends)
    expression: str | None = None  # speaker's expression from this line on
    shout: bool = False
    cut_after: float | None = None  # hard cut this fraction into the line's audio
    sfx: str | None = None  # sound effect that starts with the line (e.g. a crash)
    sfx_offset: float = 0.0  # seconds relative to the line start


@dataclass(frozen=True)
class Place:
    """An actor in a shot: face height in pixels and face-centre keyframes.

    ``keys`` are (fraction of the shot's natural duration, x, y); motion between keys
    is eased; before the first/after the last key the actor holds still.
    """

    who: str
    face_h: int
    keys: tuple[tuple[float, float, float], ...]
    expression: str = "neutral"


@dataclass(frozen=True)
class MomentSpec:
    name: str
    kind: str  # "strong" | "decoy"
    label: str
    description: str


@dataclass(frozen=True)
class ShotSpec:
    name: str
    location: str
    framing: str  # "medium" | "wide" | "close" | "empty"
    actors: tuple[Place, ...] = ()
    lines: tuple[Say, ...] = ()
    lead: float = 0.8
    tail: float = 1.0
    min_dur: float = 0.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    music: str | None = "happy"
    music_db: float = -27.0
    ambience: str = "room"
    sfx: tuple[tuple[str, float, float], ...] = ()  # (kind, at s from shot start, gain dB)
    explosion_at: float | None = None  # seconds from shot start
    moment: MomentSpec | None = None


def _still(x: float, y: float) -> tuple[tuple[float, float, float], ...]:
    return ((0.0, x, y),)


SCRIPT: tuple[ShotSpec, ...] = (
    ShotSpec(
        name="park_morning",
        location="park",
        framing="medium",
        fade_in=1.0,
        lead=1.4,
        actors=(
            Place("mia", 230, ((0.0, -320, 430), (0.3, 700, 430))),
            Place("ben", 240, _still(1300, 420)),
        ),
        lines=(
            Say("mia", "Good morning, Ben!", expression="happy"),
            Say("ben", "Oh, good morning, Mia. You look happy today."),
            Say("mia", "I am. The sun is out, and the birds are singing."),
        ),
        sfx=(("bird", 0.5, -24.0), ("bird", 4.5, -26.0)),
        ambience="park",
    ),
    ShotSpec(
        name="lottery",
        location="living_room",
        framing="medium",
        min_dur=16.0,
        tail=1.4,
        actors=(
            Place("ben", 260, _still(620, 410)),
            Place("mia", 250, ((0.0, 1330, 420), (0.15, 1280, 420))),
        ),
        lines=(
            Say("mia", "Ben, did you check the lottery numbers today?"),
            Say("ben", "Not yet. Why do you ask?"),
            Say("mia", "Because our ticket just won the grand prize.", expression="happy"),
            Say(
                "ben",
                "What?! No way!",
                gap=1.0,
                shout=True,
                expression="shocked",
                sfx="crash",
                sfx_offset=-0.8,
            ),
            Say("ben", "We are rich! We are actually rich!", shout=True, expression="happy"),
            Say("mia", "I know! I still can't believe it!", expression="happy"),
        ),
        music="warm",
        moment=MomentSpec(
            "loud_reaction",
            "strong",
            "loud reaction",
            "Mia reveals the winning lottery ticket; a crash and Ben shouts "
            "'What?! No way!' with his face on screen.",
        ),
    ),
    ShotSpec(
        name="street_walk",
        location="street",
        framing="wide",
        tail=0.6,
        actors=(
            Place("ben", 170, ((0.0, 760, 560), (0.45, 760, 560), (1.0, 2250, 560))),
            Place("mia", 165, ((0.0, 420, 565), (0.5, 420, 565), (1.0, 2000, 565))),
        ),
        lines=(
            Say("mia", "Come on, let's go and tell everyone!", expression="happy"),
            Say("ben", "Wait for me!", gap=0.3),
        ),
        min_dur=6.5,
        ambience="city",
    ),
    ShotSpec(
        name="cafe_joke",
        location="cafe",
        framing="medium",
        min_dur=16.0,
        tail=1.5,
        actors=(
            Place("ben", 270, _still(640, 400)),
            Place("mia", 255, _still(1290, 410)),
        ),
        lines=(
            Say("ben", "Hey Mia, I have a new joke for you."),
            Say("mia", "Oh no. Okay, go ahead."),
            Say("ben", "Why did the scarecrow win an award?"),
            Say("mia", "I don't know. Why did the scarecrow win an award?"),
            Say("ben", "Because he was outstanding in his field!", expression="happy"),
            Say(
                "mia",
                "Ha ha ha! That is so bad that it is actually good!",
                gap=1.2,
                expression="happy",
                sfx="rimshot",
                sfx_offset=-1.0,
            ),
            Say("ben", "Ha ha! I knew you would like it.", expression="happy"),
        ),
        music="happy",
        moment=MomentSpec(
            "joke",
            "strong",
            "complete joke",
            "Setup, question and punchline (the scarecrow joke), both faces on screen, "
            "ending in laughter.",
        ),
    ),
    ShotSpec(
        name="library_errand",
        location="library",
        framing="medium",
        tail=0.4,
        actors=(
            Place("mia", 245, _still(1250, 420)),
            Place("ben", 240, ((0.0, 700, 425), (0.68, 700, 425), (1.0, -450, 425))),
        ),
        lines=(
            Say("ben", "Do you want to get pizza later?"),
            Say("mia", "Sure. But first I need to return these books."),
            Say("ben", "Okay. I will wait for you outside."),
        ),
        min_dur=10.0,
        music="happy",
        music_db=-30.0,
    ),
    ShotSpec(
        name="beach_sunset",
        location="beach",
        framing="medium",
        fade_out=1.0,
        tail=1.6,
        actors=(
            Place("mia", 220, _still(700, 440), expression="happy"),
            Place("ben", 230, _still(1200, 430)),
        ),
        lines=(
            Say("mia", "The sea is so calm this evening."),
            Say("ben", "It is. Let's stay here a little longer."),
        ),
        music="warm",
        ambience="sea",
    ),
    ShotSpec(
        name="city_narration",
        location="night_city",
        framing="empty",
        fade_in=1.0,
        lead=1.2,
        tail=0.8,
        lines=(
            Say(
                "narrator",
                "Meanwhile, across the city, the evening traffic crawled along the old bridge.",
            ),
            Say(
                "narrator",
                "Thousands of windows lit up one by one, and the last trains "
                "rolled out of the station on time.",
                gap=0.25,
            ),
            Say("narrator", "Nobody noticed the strange light above the hills.", gap=0.25),
            Say("narrator", "Nobody heard the short warning on the radio.", gap=0.25),
            Say("narrator", "And by midnight, the streets were almost completely empty.", gap=0.25),
        ),
        music="night",
        ambience="city",
        moment=MomentSpec(
            "narration_no_face",
            "decoy",
            "dense talk, no face",
            "Off-screen narration over an empty night skyline: lots of speech, no face.",
        ),
    ),
    ShotSpec(
        name="canyon_explosion",
        location="canyon",
        framing="empty",
        lead=0.0,
        tail=0.0,
        min_dur=7.0,
        music=None,
        ambience="wind",
        sfx=(("rumble", 0.0, -18.0), ("explosion", 2.0, 0.0)),
        explosion_at=2.0,
        moment=MomentSpec(
            "explosion",
            "decoy",
            "loud, no speech, no face",
            "A very loud explosion in an empty canyon: no speech, no face.",
        ),
    ),
    ShotSpec(
        name="bench_two_shot",
        location="bench",
        framing="medium",
        actors=(
            Place("ben", 240, _still(660, 420)),
            Place("mia", 235, _still(1260, 425), expression="sad"),
        ),
        lines=(
            Say("ben", "Did you hear that noise?"),
            Say("mia", "I did. It came from the hills."),
            Say("ben", "Are you okay? You look worried."),
        ),
        music="sad",
        ambience="park",
    ),
    ShotSpec(
        name="mia_close_up",
        location="bench_close",
        framing="close",
        lead=1.0,
        tail=1.5,
        min_dur=16.0,
        actors=(Place("mia", 560, ((0.0, 945, 480), (1.0, 985, 470)), expression="sad"),),
        lines=(
            Say("mia", "I never told anyone this, but I was scared. Really scared."),
            Say("mia", "When you left last winter, I thought you were never coming back.", gap=0.7),
            Say("mia", "Please, promise me that you will never do that again.", gap=0.7),
            Say("ben", "I promise, Mia. I promise.", gap=0.8),
            Say("mia", "Thank you.", gap=0.6, expression="happy"),
        ),
        music="sad",
        ambience="park",
        moment=MomentSpec(
            "close_face",
            "strong",
            "emotional close-up",
            "Mia in close-up (face about 45% of the frame height) speaking emotionally.",
        ),
    ),
    ShotSpec(
        name="station_plan",
        location="station",
        framing="medium",
        lead=0.6,
        actors=(
            Place("mia", 235, _still(600, 425)),
            Place("ben", 245, ((0.0, 1250, 415), (0.5, 1330, 415), (1.0, 1270, 415))),
        ),
        lines=(
            Say("mia", "So, what is the plan?"),
            Say("ben", "Okay, here is the plan for tomorrow."),
            Say(
                "ben",
                "We meet here at seven, we buy the tickets, and we take the early "
                "train to the mountains.",
                gap=0.3,
            ),
            Say("mia", "That sounds really nice.", expression="happy"),
            Say(
                "ben",
                "And when we get to the top, I want to show you the old lighthouse "
                "that my grandfather built before the war, because",
                gap=0.3,
                cut_after=0.62,
            ),
        ),
        sfx=(("chime", 0.2, -22.0),),
        music="happy",
        ambience="city",
        moment=MomentSpec(
            "cut_mid_sentence",
            "decoy",
            "cut mid-sentence",
            "Ben's long sentence is interrupted by a hard cut to another location.",
        ),
    ),
    ShotSpec(
        name="bedroom_night",
        location="bedroom",
        framing="medium",
        lead=1.0,
        tail=0.8,
        actors=(
            Place("mia", 240, _still(620, 425)),
            Place("ben", 245, ((0.0, 1280, 420), (0.72, 1280, 420), (1.0, 2300, 420))),
        ),
        lines=(
            Say("mia", "What a long day."),
            Say("ben", "It really was. Good night, Mia."),
            Say("mia", "Good night, Ben. See you tomorrow.", expression="happy"),
        ),
        min_dur=9.0,
        music="night",
    ),
)
