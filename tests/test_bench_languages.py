"""The languages benchmark's pure helpers: normalization, CER, the English-text check,
.lab/.txt readers and the manifest. No downloads, no ASR."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from conftest import REPO

# bench/ is not a package: load bench/languages.py by path under a name that cannot
# collide with an installed module (it imports bench/speech.py as `speech` itself).
_spec = importlib.util.spec_from_file_location("bench_languages",
                                               REPO / "bench" / "languages.py")
languages = importlib.util.module_from_spec(_spec)
sys.modules["bench_languages"] = languages  # dataclasses look their module up by name
_spec.loader.exec_module(languages)


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("Le feu vert signifie que tu peux y aller, si il n'y a pas de risques.", "fr",
     "le feu vert signifie que tu peux y aller si il n y a pas de risques"),
    ("¡No lo tires con el resto de la basura!", "es", "no lo tires con el resto de la basura"),
    ("Жёлтый свет означает, что надо остановится.", "ru",
     "желтый свет означает что надо остановится"),
    ("Vår husläkare börjar i och för sig bli gammal och skröplig,", "sv",
     "vår husläkare börjar i och för sig bli gammal och skröplig"),
    ("Глаза  серо-карие, - с искоркой", "ru", "глаза серо карие с искоркой"),
    ("HE BEGAN 2 THINGS", "en", "he began two things"),  # English: bench/speech.py rules
])
def test_normalize_words(text: str, lang: str, expected: str) -> None:
    assert " ".join(languages.normalize_words(text, lang)) == expected


def test_normalize_chars_drops_japanese_punctuation_and_spaces() -> None:
    chars = languages.normalize_chars("「本を、読んだ。」 いち！ ＡＢ？")
    assert "".join(chars) == "本を読んだいちab"


def test_cer_counts_character_edits() -> None:
    ref = "読むべき本はまだまだいっぱい残っています。"
    assert languages.cer(ref, ref) == 0.0
    assert languages.cer(ref, "読むべき本は、まだまだ いっぱい 残っています") == 0.0
    # one substitution (本 -> 木) and one deletion (す) out of 20 characters
    assert languages.cer(ref, "読むべき木はまだまだいっぱい残っていま") == pytest.approx(2 / 20)
    errors = languages.char_errors("あいう", "あいうえ")
    assert (errors.insertions, errors.ref_words) == (1, 3)
    with pytest.raises(ValueError):
        languages.cer("。", "あ")


def test_errors_for_picks_characters_for_ja_and_zh_only() -> None:
    assert languages.errors_for("零 一 二", "零一三", "zh").ref_words == 3
    errors = languages.errors_for("null eins zwei", "null eins drei", "de")
    assert errors.wer == pytest.approx(1 / 3)


@pytest.mark.parametrize(("text", "english"), [
    ("In England, we eat a special pudding at Christmas.", True),
    ("The green light means that you can go if there is no risk.", True),
    ("Zero, one, two, three, four, five, six, seven, eight, nine.", True),
    ("In England, we eat a pretty special pudding.", True),
    ("Test 1, 2, 3, 4, 5, 6, 7, 8", True),
    ("Null, eins, zwei, drei und vier.", False),
    ("Le pudding est un dessert.", False),
    ("En Angleterre, on mange à Noël un pudding spécialement préparé.", False),
    ("Esto significa que algo puede ser reciclado.", False),
    ("Har du sett våra rara barnbarn som leker och busar ute?", False),
    ("Король может ходить на одну клетку в любом направлении.", False),
    ("真っ昼間なのにキャンプの外れの電柱に電球がともっていた", False),
    ("", False),
])
def test_looks_english(text: str, english: bool) -> None:
    assert languages.looks_english(text) is english


def test_english_evidence_shares() -> None:
    ascii_share, english, foreign = languages.english_evidence("the café et 3")
    assert ascii_share == pytest.approx(8 / 9)
    assert (english, foreign) == (pytest.approx(2 / 4), pytest.approx(1 / 4))
    assert languages.english_evidence("123 !!") == (0.0, 0.0, 0.0)


def test_read_lab(tmp_path) -> None:
    lab = tmp_path / "x.lab"
    lab.write_text("Testar en två\n tre  fyra.\n", encoding="utf-8")
    assert languages.read_lab(lab) == "Testar en två tre fyra."
    assert languages.lab_path("tests/data/wav/a_b.opus") == "tests/data/lab/a_b.lab"


def test_read_tuxpaint_text(tmp_path) -> None:
    txt = tmp_path / "stamp.txt"
    txt.write_text("Zero.\nfr.utf8=Zéro.\nzh_TW.utf8=零\nja.utf8=ぜろ！\n", encoding="utf-8")
    assert languages.read_tuxpaint_text(txt, "fr") == "Zéro."
    assert languages.read_tuxpaint_text(txt, "zh_TW") == "零"
    assert languages.read_tuxpaint_text(txt, "ja") == "ぜろ！"
    assert languages.read_tuxpaint_text(txt, "de") is None


def test_manifest_round_trip(tmp_path) -> None:
    row = {"id": "tux_fr_x", "file": "tuxpaint/x.ogg", "lang": "fr", "text": "Vénus !",
           "kind": "real", "source_package": "Debian tuxpaint-stamps-default 1",
           "path_in_package": "/usr/share/x.ogg", "licence": "GPL-2", "notes": ""}
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps([row], ensure_ascii=False), encoding="utf-8")
    (clip,) = languages.read_manifest(path)
    assert (clip.id, clip.lang, clip.text, clip.kind) == ("tux_fr_x", "fr", "Vénus !", "real")


def test_summarize_pools_per_language_and_keeps_digits_apart() -> None:
    def row(lang, kind, edits, ref, ok, **extra):
        return {"id": f"{lang}{kind}", "lang": lang, "kind": kind, "edits": edits,
                "ref_units": ref, "lang_ok": ok, "audio_s": 10.0, "asr_s": 2.0, **extra}

    rows = [row("en", "real", 1, 10, True, edits_base=0),
            row("ja", "real", 2, 20, True, translation_is_english=True, translate_s=5.0),
            {**row("ja", "real", 0, 10, True, translation_is_english=True, translate_s=5.0),
             "id": "mfa_ja_x"},
            row("ja", "joined_digits", 10, 10, False, translation_is_english=False,
                translate_s=5.0),
            {"id": "bad", "lang": "fr", "kind": "real", "error": "boom"}]
    out = languages.summarize(rows, 1.0)
    assert out["lang_id_accuracy"] == pytest.approx(3 / 4, abs=1e-4)
    assert out["lang_id_accuracy_real"] == 1.0
    # English's own figures come from the shared clean speech; the MFA clips are *_mfa.
    assert "wer_en" not in out and (out["wer_en_mfa"], out["wer_en_base_mfa"]) == (0.1, 0.0)
    assert (out["cer_ja"], out["cer_ja_digits"]) == (pytest.approx(2 / 30, abs=1e-4), 1.0)
    assert out["cer_ja_mfa"] == 0.0  # the earlier three-clip set, apart
    assert out["asr_x_realtime_ja"] == 5.0 and out["asr_x_realtime_en_mfa"] == 5.0
    assert out["translate_english_share"] == pytest.approx(2 / 3, abs=1e-4)
    assert out["translate_english_share_real"] == 1.0
    assert (out["clips"], out["clips_failed"]) == (4, 1)


def test_numerals_read_as_words_where_unambiguous() -> None:
    assert languages.normalize_words("Testar 1, 2, 3, 10 och 11.", "sv") == [
        "testar", "en", "två", "tre", "tio", "och", "11"]
    assert languages.normalize_chars("0 1 2", "zh") == ["零", "一", "二"]
    assert languages.normalize_words("1 2", "ko") == ["1", "2"]
    assert languages.errors_for("null eins zwei", "0, 1, 2", "de").edits == 0


def test_score_row_and_rescore(tmp_path) -> None:
    row = {"id": "x", "lang": "sv", "kind": "real", "text": "Testar en två tre.",
           "hypothesis": "Testar 1, 2, 3.", "detected": "sv", "audio_s": 4.0, "asr_s": 1.0,
           "translate_s": 2.0, "translation": "Testing one, two, three."}
    path = tmp_path / "languages.json"
    path.write_text(json.dumps({"asr_model_load_s": 0.5, "clip_details": [row]}))
    out = languages.rescore(path)
    (scored,) = out["clip_details"]
    assert (scored["edits"], scored["ref_units"], scored["lang_ok"]) == (0, 4, True)
    assert scored["translation_is_english"] is True
    assert (out["wer_sv"], out["translate_english_share"]) == (0.0, 1.0)
    row2 = {**row, "id": "y", "translation": "0, 1, 2, 3."}
    path.write_text(json.dumps({"clip_details": [row, row2]}))
    out = languages.rescore(path)
    assert out["clip_details"][1]["translation_is_english"] is None
    assert (out["translate_english_share"], out["translate_no_letters"]) == (1.0, 1)
