"""Emoji drawn as images (libass draws boxes): real sequences from the bundled Twemoji."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from shortfactory.clips.emoji import emoji_strip, missing_emoji, rasterise, twemoji_file
from shortfactory.clips.subtitles import build_cues, plan_accents, split_emoji
from shortfactory.core.artifacts import Segment, Transcript, Word
from shortfactory.core.recipe import SubtitleSection

THUMBS = "\U0001f44d"
DARK = "\U0001f3ff"
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
JAPAN = "\U0001f1ef\U0001f1f5"
KEYCAP_1 = "1\ufe0f\u20e3"


def rgba(emoji: str, size: int = 96) -> np.ndarray:
    return np.asarray(emoji_strip([emoji], size))


@pytest.mark.parametrize("emoji", [THUMBS + DARK, RAINBOW_FLAG, FAMILY, JAPAN, KEYCAP_1, "❤️"])
def test_sequences_find_their_own_artwork(emoji):
    path = twemoji_file(emoji)
    assert path is not None
    # The whole sequence, never its first component (a family is not a man).
    assert path.stem.count("-") >= len([c for c in emoji if c not in "\ufe0f"]) - 1


def test_skin_tone_changes_the_picture():
    plain, dark = rgba(THUMBS), rgba(THUMBS + DARK)
    opaque = (plain[..., 3] > 200) & (dark[..., 3] > 200)
    assert opaque.mean() > 0.2
    # Twemoji's default thumb is yellow, the darkest tone brown: far darker on average.
    assert plain[opaque][:, :3].mean() - dark[opaque][:, :3].mean() > 60


def test_flags_and_zwj_sequences_are_one_image_each():
    japan, rainbow = rgba(JAPAN), rgba(RAINBOW_FLAG)
    h, w = japan.shape[:2]
    centre = japan[h // 2 - 5: h // 2 + 5, w // 2 - 5: w // 2 + 5, :3].reshape(-1, 3)
    assert (centre[:, 0] > 180).all() and (centre[:, 1] < 80).all()  # the red disc
    # The rainbow flag's stripes: red on top, violet at the bottom.
    col = rainbow[:, rainbow.shape[1] // 2, :3].astype(int)
    painted = col[rainbow[:, rainbow.shape[1] // 2, 3] > 200]
    assert painted[3][0] > 200 and painted[3][2] < 80
    assert painted[-4][2] > painted[-4][1]
    # One sequence draws one picture the size asked, not three people side by side.
    assert rgba(FAMILY).shape[1] <= 100


def test_strip_lays_emoji_side_by_side_at_the_size_asked():
    strip = emoji_strip([THUMBS, JAPAN, KEYCAP_1], 80)
    assert strip.mode == "RGBA" and 78 <= strip.height <= 82
    assert 3 * 80 <= strip.width <= 3 * 80 + 2 * 12 + 4


def test_svg_is_rasterised_sharp_at_large_sizes():
    data = rasterise("\U0001f525", 240)
    assert data is not None
    image = Image.open(__import__("io").BytesIO(data))
    assert image.size == (240, 240)
    # Sharp edges: many fully opaque and fully clear pixels, few in between.
    alpha = np.asarray(image)[..., 3]
    assert ((alpha > 0) & (alpha < 255)).mean() < 0.05


def test_unknown_emoji_is_refused_not_drawn_as_something_else():
    assert missing_emoji(["\U0001f9cc\U0001f9cc"]) == ["\U0001f9cc\U0001f9cc"]
    with pytest.raises(ValueError, match="no Twemoji artwork"):
        emoji_strip(["\U0001f9cc\U0001f9cc"], 64)


def _transcript(words: list[tuple[str, float, float]]) -> Transcript:
    ws = [Word(word=" " + t, start=a, end=b) for t, a, b in words]
    return Transcript(language="en", duration_s=20.0, model="test", segments=[
        Segment(id=0, start=ws[0].start, end=ws[-1].end, text=" ".join(t for t, _, _ in words),
                words=ws)])


def test_accents_put_map_and_transcript_emoji_above_their_cue():
    tr = _transcript([("This", 1.0, 1.3), ("is", 1.3, 1.5), ("fire!", 1.6, 2.0),
                      ("No", 4.0, 4.2), ("way", 4.2, 4.5), (f"{JAPAN}", 4.5, 4.6),
                      ("Tokyo.", 4.6, 5.2)])
    section = SubtitleSection()
    cues = build_cues(tr, 0.5, 6.0, section, triggers=["no way"])
    accents = plan_accents(cues, section, {"no way": 1.0}, clip="c")
    rows = {tuple(r.emoji): r for r in accents.emoji}
    fire, way = rows[("\U0001f525",)], rows[("\U0001f631", JAPAN)]
    assert fire.start_s == pytest.approx(1.1, abs=0.01)  # when "fire" is said, clip time
    assert way.start_s == pytest.approx(3.5, abs=0.01)
    for row, cue in ((fire, cues[0]), (way, cues[-1])):
        assert row.end_s == pytest.approx(cue.end)
        assert row.y + row.size / 2 < section.position_y  # above the text block
    assert [m.kind for m in accents.moments][:1] == ["trigger"]
    assert accents.moments[0].t_s == pytest.approx(3.5, abs=0.01)
    # The SRT keeps emoji for players that draw them; the ASS text never has them.
    assert split_emoji(cues[-1].text)[1] == []
