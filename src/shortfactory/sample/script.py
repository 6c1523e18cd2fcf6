"""The script of the bundled sample episode: a list of shots, in order.

Shot durations follow from the synthesized lines (lead + lines with gaps + tail), so
the script has no absolute times. A shorter episode is a prefix of this list (the last
shot shortened), which keeps the opening's content: a fade-in, hard cuts, two talking
characters and a loud reaction within the first 30 s.

A longer episode plays the script again and again, each pass a varied "next day"
(:func:`script_pass`): other lines (``RETAKES``), Mia and Ben trading places, the
picture mirrored, the faces a little larger or smaller. Every pass keeps the shots'
structure, so each one plants the same kinds of moments, and a long-episode test finds
speech, cuts, faces and moments all over its length rather than in the first 2.5 min.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from shortfactory.sample.draw import CharacterStyle, W
from shortfactory.sample.tts import VoiceStyle


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
    mirror: bool = False  # draw the background flipped left-right (a varied pass)


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


# --------------------------------------------------------------------------- long episodes


@dataclass(frozen=True)
class Retake:
    """Other dialogue for one shot, used by the later passes of a long episode.

    A retake keeps what makes its shot's moment (a shout with a crash, a complete
    joke, a sentence cut by a hard cut), so that every pass plants the same kinds of
    moments; ``description`` replaces the moment's when the content changes it.
    """

    lines: tuple[Say, ...]
    description: str | None = None


RETAKES: dict[str, tuple[Retake, ...]] = {
    "park_morning": (
        Retake(
            (
                Say("mia", "Hi Ben! Sorry I am late.", expression="happy"),
                Say("ben", "No problem, Mia. I just got here myself."),
                Say("mia", "Look at the sky. There is not a single cloud today."),
            )
        ),
        Retake(
            (
                Say("mia", "Morning, Ben! Did you sleep well?", expression="happy"),
                Say("ben", "Not really, Mia. The neighbours had a party until two."),
                Say("mia", "Poor you. Let's get some fresh air in the park then."),
            )
        ),
    ),
    "lottery": (
        Retake(
            (
                Say("mia", "Ben, do you remember the painting we bought at the flea market?"),
                Say("ben", "The ugly one with the boat? Sure, why?"),
                Say(
                    "mia",
                    "An expert just called. It is worth a million dollars.",
                    expression="happy",
                ),
                Say(
                    "ben",
                    "A million?! You are kidding!",
                    gap=1.0,
                    shout=True,
                    expression="shocked",
                    sfx="crash",
                    sfx_offset=-0.8,
                ),
                Say(
                    "ben",
                    "We have to sell it right now! Right now!",
                    shout=True,
                    expression="happy",
                ),
                Say("mia", "Calm down! Let's call the expert back first.", expression="happy"),
            ),
            "Mia reveals that their flea-market painting is worth a million; a crash and Ben "
            "shouts 'A million?! You are kidding!' with his face on screen.",
        ),
        Retake(
            (
                Say("mia", "Ben, there is a letter for you from the television studio."),
                Say("ben", "From the studio? Open it, quick."),
                Say(
                    "mia",
                    "You won the quiz show. You are going to be on television!",
                    expression="happy",
                ),
                Say(
                    "ben",
                    "What?! Me? On television?!",
                    gap=1.0,
                    shout=True,
                    expression="shocked",
                    sfx="crash",
                    sfx_offset=-0.8,
                ),
                Say(
                    "ben",
                    "This is the best day of my life! The best!",
                    shout=True,
                    expression="happy",
                ),
                Say(
                    "mia", "I always said you were the smartest person I know.", expression="happy"
                ),
            ),
            "Mia reads that Ben won a television quiz show; a crash and Ben shouts "
            "'What?! Me? On television?!' with his face on screen.",
        ),
    ),
    "street_walk": (
        Retake(
            (
                Say("mia", "Hurry up, the bus is leaving!", expression="happy"),
                Say("ben", "I am coming, I am coming!", gap=0.3),
            )
        ),
        Retake(
            (
                Say("mia", "This way, it is a shortcut!", expression="happy"),
                Say("ben", "Slow down, please!", gap=0.3),
            )
        ),
    ),
    "cafe_joke": (
        Retake(
            (
                Say("ben", "Mia, I heard a really good joke this morning."),
                Say("mia", "Is it as bad as the last one? Fine, tell me."),
                Say("ben", "Why don't skeletons ever fight each other?"),
                Say("mia", "I have no idea. Why don't skeletons fight each other?"),
                Say("ben", "Because they don't have the guts!", expression="happy"),
                Say(
                    "mia",
                    "Ha ha ha! Oh no, that is terrible, and I love it!",
                    gap=1.2,
                    expression="happy",
                    sfx="rimshot",
                    sfx_offset=-1.0,
                ),
                Say("ben", "Ha ha! I saved the best one for you.", expression="happy"),
            ),
            "Setup, question and punchline (the skeleton joke), both faces on screen, "
            "ending in laughter.",
        ),
        Retake(
            (
                Say("ben", "Okay Mia, are you ready for another joke?"),
                Say("mia", "I am never ready. But go on."),
                Say("ben", "What do you call a bear with no teeth?"),
                Say("mia", "I don't know. What do you call a bear with no teeth?"),
                Say("ben", "A gummy bear!", expression="happy"),
                Say(
                    "mia",
                    "Ha ha ha! Okay, that one actually got me!",
                    gap=1.2,
                    expression="happy",
                    sfx="rimshot",
                    sfx_offset=-1.0,
                ),
                Say(
                    "ben", "Ha ha! I have a hundred more where that came from.", expression="happy"
                ),
            ),
            "Setup, question and punchline (the gummy bear joke), both faces on screen, "
            "ending in laughter.",
        ),
    ),
    "library_errand": (
        Retake(
            (
                Say("ben", "Are you hungry? We could get noodles later."),
                Say("mia", "Good idea. But first I have to find a book about birds."),
                Say("ben", "Alright. I will be in the garden."),
            )
        ),
        Retake(
            (
                Say("ben", "Do you want to watch a film tonight?"),
                Say("mia", "Maybe. Let me just pay the fine for this late book."),
                Say("ben", "Okay. I will get the car."),
            )
        ),
    ),
    "beach_sunset": (
        Retake(
            (
                Say("mia", "Listen to the waves. It is so peaceful."),
                Say("ben", "I could sit here all night."),
            )
        ),
        Retake(
            (
                Say("mia", "Look, the sun is almost touching the water."),
                Say("ben", "It is beautiful. I am glad we came."),
            )
        ),
    ),
    "city_narration": (
        Retake(
            (
                Say(
                    "narrator",
                    "Later that night, a cold wind blew in from the harbour and rattled "
                    "the shop signs.",
                ),
                Say(
                    "narrator",
                    "In the apartment blocks, families finished their dinners and switched "
                    "on the evening news, as they always did.",
                    gap=0.25,
                ),
                Say(
                    "narrator",
                    "High above the rooftops, a single bright light moved slowly across the sky.",
                    gap=0.25,
                ),
                Say("narrator", "A few dogs barked at it, and then fell silent.", gap=0.25),
                Say(
                    "narrator",
                    "By the time the clocks struck twelve, the whole city was fast asleep.",
                    gap=0.25,
                ),
            )
        ),
        Retake(
            (
                Say(
                    "narrator",
                    "At the same moment, on the other side of town, the night shift was just "
                    "beginning at the old factory.",
                ),
                Say(
                    "narrator",
                    "Machines hummed, lights flickered in the long corridors, and the workers "
                    "poured their first cups of coffee.",
                    gap=0.25,
                ),
                Say(
                    "narrator", "Outside, the radio tower blinked red, once every second.", gap=0.25
                ),
                Say(
                    "narrator",
                    "Then, for a moment, every light in the district went dark.",
                    gap=0.25,
                ),
                Say(
                    "narrator",
                    "When they came back on, nobody could say what had happened.",
                    gap=0.25,
                ),
            )
        ),
    ),
    "canyon_explosion": (Retake(()), Retake(())),
    "bench_two_shot": (
        Retake(
            (
                Say("ben", "What was that sound just now?"),
                Say("mia", "I don't know. It sounded like thunder."),
                Say("ben", "You look pale. Is everything alright?"),
            )
        ),
        Retake(
            (
                Say("ben", "Did the ground just shake?"),
                Say("mia", "It did. Something is happening over there."),
                Say("ben", "Hey, what is wrong? Talk to me."),
            )
        ),
    ),
    "mia_close_up": (
        Retake(
            (
                Say("mia", "There is something I have wanted to say for a long time."),
                Say(
                    "mia",
                    "When I was little, I lost my best friend, and I never got to say goodbye.",
                    gap=0.7,
                ),
                Say("mia", "I don't want that to happen to us. Not ever.", gap=0.7),
                Say("ben", "It won't, Mia. I am right here.", gap=0.8),
                Say("mia", "I know. Thank you.", gap=0.6, expression="happy"),
            )
        ),
        Retake(
            (
                Say("mia", "Can I tell you something? I have been afraid all week."),
                Say(
                    "mia",
                    "Every night I dream that the house is empty, and I am all alone.",
                    gap=0.7,
                ),
                Say("mia", "Promise me that you will always tell me the truth.", gap=0.7),
                Say("ben", "I promise, Mia. Always.", gap=0.8),
                Say("mia", "Good. That helps.", gap=0.6, expression="happy"),
            )
        ),
    ),
    "station_plan": (
        Retake(
            (
                Say("mia", "Where are we going on Saturday?"),
                Say("ben", "Okay, listen, I have it all worked out."),
                Say(
                    "ben",
                    "We take the bus to the harbour at nine, we rent a small boat, and we "
                    "sail to the island.",
                    gap=0.3,
                ),
                Say("mia", "I love that idea.", expression="happy"),
                Say(
                    "ben",
                    "And on the island there is a tiny restaurant where the fisherman's wife "
                    "makes the best soup you have ever tasted, because",
                    gap=0.3,
                    cut_after=0.62,
                ),
            )
        ),
        Retake(
            (
                Say("mia", "So, how do we get to the festival?"),
                Say("ben", "Right, here is what we do."),
                Say(
                    "ben",
                    "We leave at six, we drive along the coast, and we park behind the old "
                    "stadium.",
                    gap=0.3,
                ),
                Say("mia", "Perfect. I will bring the snacks.", expression="happy"),
                Say(
                    "ben",
                    "And after the concert I want to take you up the hill where you can see "
                    "the whole valley at night, because",
                    gap=0.3,
                    cut_after=0.62,
                ),
            )
        ),
    ),
    "bedroom_night": (
        Retake(
            (
                Say("mia", "I am so tired."),
                Say("ben", "Me too. Sleep well, Mia."),
                Say("mia", "Sleep well, Ben. Good night.", expression="happy"),
            )
        ),
        Retake(
            (
                Say("mia", "Today was full of surprises."),
                Say("ben", "It really was. Good night, Mia."),
                Say("mia", "Good night. See you in the morning.", expression="happy"),
            )
        ),
    ),
}


@dataclass(frozen=True)
class Variation:
    """How one pass of the script differs from the script itself."""

    take: int  # 0: the script's lines; k: RETAKES[shot][k - 1]
    swap: bool  # Mia and Ben trade places, lines and names
    mirror: bool  # picture and blocking flipped left-right
    scale: float  # face (and body) size factor


_TAKES = 3  # the script's lines plus two retakes per shot
_SCALES = (1.0, 0.9, 1.1)


def variation(k: int) -> Variation:
    """The variation of pass ``k`` (0: the script unchanged).

    Lines and the swap cycle together through all six (take, swap) pairs, so speech
    never repeats within six passes while the number of distinct lines to synthesize
    stays bounded; mirror and scale run on other periods, so the pictures of two
    passes with the same speech still differ.
    """
    return Variation(
        take=k % _TAKES,
        swap=k % 2 == 1,
        mirror=(k // 2) % 2 == 1,
        scale=_SCALES[(k // 2) % len(_SCALES)],
    )


_NAMES = {"Mia": "Ben", "Ben": "Mia", "mia": "ben", "ben": "mia"}
_NAME_RE = re.compile(r"\b(Mia|Ben)\b")


def swap_names(text: str) -> str:
    """``text`` with the names Mia and Ben exchanged (whole words only)."""
    return _NAME_RE.sub(lambda m: _NAMES[m.group(1)], text)


def _swap_who(who: str) -> str:
    return _NAMES.get(who, who)


def _vary_say(say: Say, v: Variation) -> Say:
    if not v.swap:
        return say
    return replace(say, who=_swap_who(say.who), text=swap_names(say.text))


def _vary_place(place: Place, v: Variation) -> Place:
    keys = tuple((u, W - x if v.mirror else x, y) for u, x, y in place.keys)
    who = _swap_who(place.who) if v.swap else place.who
    return replace(place, who=who, face_h=int(round(place.face_h * v.scale)), keys=keys)


def _vary_moment(moment: MomentSpec, k: int, v: Variation, description: str | None) -> MomentSpec:
    text = description or moment.description
    return replace(
        moment, name=f"{moment.name}_{k + 1}", description=swap_names(text) if v.swap else text
    )


def vary_shot(spec: ShotSpec, k: int, v: Variation) -> ShotSpec:
    """Shot ``spec`` as played in pass ``k`` (``k`` >= 1) under variation ``v``.

    The shot keeps its location, timing rules, music, effects and moment kind; names
    get the pass number (``lottery_2``) so that shots and moments stay unique.
    """
    retake = RETAKES[spec.name][v.take - 1] if v.take else Retake(spec.lines)
    moment = spec.moment and _vary_moment(spec.moment, k, v, retake.description)
    return replace(
        spec,
        name=f"{spec.name}_{k + 1}",
        actors=tuple(_vary_place(p, v) for p in spec.actors),
        lines=tuple(_vary_say(s, v) for s in retake.lines),
        moment=moment,
        mirror=v.mirror,
    )


def script_pass(k: int, script: tuple[ShotSpec, ...] = SCRIPT) -> tuple[ShotSpec, ...]:
    """Pass ``k`` of a long episode: the script itself for 0, a varied retelling after."""
    if k == 0:
        return script
    v = variation(k)
    return tuple(vary_shot(spec, k, v) for spec in script)
