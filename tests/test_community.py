"""Community loop, drafting side: readers, language, skip rules, retrieval and
adaptation on the bundled corpus, and draft_replies end to end on files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shortfactory.community.comments import Comment, ShortContext, load_comments
from shortfactory.community.corpus import Exchange, load_corpus, split_by_conversation
from shortfactory.community.draft import REPLY, SKIP, Drafter, shorten
from shortfactory.community.lang import detect_language
from shortfactory.community.replies import draft_replies, read_replies
from shortfactory.community.style import emoji_in, profile, text_length
from shortfactory.core.artifacts import ClipMetadata
from shortfactory.core.errors import InputError, ShortfactoryError
from shortfactory.core.io import write_model
from shortfactory.core.recipe_community import CommunitySection
from shortfactory.release.ledger import Ledger, Row

# Comments written for these tests, not in the corpus.
NEW_EN = ["Ben's dance at the end had me dying 😂", "Mia is the smartest one here",
          "I can't stop rewatching this part", "this one made me so happy today",
          "the pancakes look so burnt lol", "Grandpa Joe is hilarious"]
NEW_JA = ["ミアの顔がかわいすぎる", "ベンのジャンプ失敗して笑った", "毎日見てます！",
          "おじいちゃんの踊り最高", "このシーン泣ける"]
BAD = {
    "check out my channel, I post every day!": "spam",
    "free v-bucks here: tinyurl.com/x": "link",
    "win an iPhone http://example.org": "link",
    "you're an idiot and this is trash": "abusive",
    "KILL YOURSELF": "abusive",
    "are you a bot or a real person?": "needs a human",
    "what's your email? I want to sponsor a video": "needs a human",
    "チャンネル登録お願いします！": "spam",
    "お前ら死ね": "abusive",
    "この動画を転載してもいいですか？": "needs a human",
}


@pytest.fixture(scope="module")
def corpus() -> list[Exchange]:
    return load_corpus()


@pytest.fixture(scope="module")
def drafter(corpus: list[Exchange]) -> Drafter:
    return Drafter(corpus, CommunitySection(enabled=True))


def test_bundled_corpus_is_english_and_japanese_with_emoji_habits(
        corpus: list[Exchange]) -> None:
    langs = {e.lang for e in corpus}
    assert langs == {"en", "ja"} and len(corpus) >= 250
    assert len({e.conversation for e in corpus}) < len(corpus)  # multi-turn threads exist
    for lang in langs:
        habits = profile([e.reply for e in corpus if e.lang == lang])
        assert habits.emoji_rate > 0.8 and habits.top_emoji == "😂"
    train, test = split_by_conversation(corpus, 0.2, "x")
    assert not {e.conversation for e in train} & {e.conversation for e in test}
    assert 0.1 < len(test) / len(corpus) < 0.3


@pytest.mark.parametrize("text, lang", [
    ("the best scene in the whole episode", "en"), ("ミアかわいい", "ja"),
    ("草", "zh"), ("me encanta este video, es muy bueno", "es"),
    ("c'est trop drôle, j'adore", "fr"), ("😂😂", "und"), ("안녕하세요", "ko"),
])
def test_language_is_told_from_script_and_function_words(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_drafts_are_in_the_comments_language_and_the_corpus_length_range(
        drafter: Drafter, corpus: list[Exchange]) -> None:
    for lang, comments in (("en", NEW_EN), ("ja", NEW_JA)):
        lengths = [text_length(e.reply) for e in corpus if e.lang == lang]
        for text in comments:
            draft = drafter.draft(Comment("c", "v", text),
                                  ShortContext(characters=["Mia"], topic="lottery ticket"))
            assert draft.action == REPLY, (text, draft.reason)
            assert draft.lang == lang and detect_language(draft.draft) in (lang, "und")
            assert min(lengths) <= text_length(draft.draft) <= max(lengths), draft.draft
            assert emoji_in(draft.draft)  # the corpus puts an emoji on nearly every reply
            assert draft.source is not None and draft.source.lang == lang


def test_kanji_only_comment_is_answered_in_japanese(drafter: Drafter) -> None:
    draft = drafter.draft(Comment("c", "v", "神回"))
    assert draft.action == REPLY and draft.lang == "ja"


@pytest.mark.parametrize("text, why", list(BAD.items()))
def test_spam_links_abuse_and_human_questions_are_skipped(drafter: Drafter, text: str,
                                                          why: str) -> None:
    draft = drafter.draft(Comment("c", "v", text))
    assert draft.action == SKIP and draft.draft == "" and why in draft.reason


def test_japanese_words_that_contain_an_insult_are_not_skipped(drafter: Drafter) -> None:
    for text in ("見たばかりなのにもう一回見た", "カスタムの衣装かわいい"):
        assert drafter.draft(Comment("c", "v", text)).action == REPLY, text


def test_language_the_corpus_lacks_is_left_to_a_human(drafter: Drafter) -> None:
    draft = drafter.draft(Comment("c", "v", "me encanta este video, es muy bueno"))
    assert draft.action == SKIP and "language es" in draft.reason


def test_a_reply_naming_another_character_is_adapted_or_not_used() -> None:
    exchanges = [Exchange("a", "Ben falls over every time 😂", "Ben never learns 😂", "en",
                          character="Ben", id="a#1")]
    section = CommunitySection(enabled=True, min_similarity=0.1)
    drafter = Drafter(exchanges, section)
    comment = Comment("c", "v", "Luna falls over every time 😂")
    adapted = drafter.draft(comment, ShortContext(characters=["Luna"]))
    assert adapted.draft == "Luna never learns 😂" and adapted.source is exchanges[0]
    # Under a Short with no known character a reply about Ben would be wrong: fallback.
    unknown = drafter.draft(comment, ShortContext())
    assert "Ben" not in unknown.draft and unknown.source is None
    assert "fallback" in unknown.reason
    kept = Drafter(exchanges, CommunitySection(enabled=True, mention=False))
    assert kept.draft(comment, ShortContext(characters=["Luna"])).source is None


def test_recipe_template_wraps_the_reply() -> None:
    section = CommunitySection(enabled=True, templates={"en": "{{ reply }} ({{ topic }})"})
    drafter = Drafter(load_corpus(), section)
    draft = drafter.draft(Comment("c", "v", "the pancakes look so burnt lol"),
                          ShortContext(characters=["Ben"], topic="burnt pancakes"))
    assert "(burnt pancakes)" in draft.draft
    assert section.templates["ja"] == "{{ reply }}"  # a language left out keeps its default


def test_bad_templates_and_patterns_fail_at_load() -> None:
    with pytest.raises(ValueError, match="en: template error"):
        CommunitySection(templates={"en": "{{ replyy }}"})
    with pytest.raises(ValueError, match="not a regex"):
        CommunitySection(skip_patterns=[{"pattern": "(", "reason": "x"}])
    with pytest.raises(ValueError, match="endpoint.model"):
        CommunitySection(endpoint={"url": "http://localhost:1/v1"})


def test_custom_skip_pattern_gives_its_reason() -> None:
    section = CommunitySection(enabled=True,
                               skip_patterns=[{"pattern": r"\bspoiler", "reason": "spoilers"}])
    drafter = Drafter(load_corpus(), section)
    draft = drafter.draft(Comment("c", "v", "spoiler: Mia wins at the end"))
    assert (draft.action, draft.reason) == (SKIP, "spoilers")


def test_shorten_cuts_at_sentence_then_word() -> None:
    assert shorten("haha yes. this is a long second sentence", 20) == "haha yes."
    assert shorten("one two three four five", 12) == "one two"
    assert len(shorten("あいうえおかきくけこ", 4)) == 4


# --- readers ---------------------------------------------------------------------------


def _thread(cid: str, text: str, video: str = "vid1", replies: list[str] | None = None,
            ) -> dict[str, object]:
    return {"kind": "youtube#commentThread", "id": cid, "snippet": {
        "videoId": video, "canReply": True, "topLevelComment": {"id": cid, "snippet": {
            "videoId": video, "textOriginal": text, "authorDisplayName": "@fan",
            "authorChannelId": {"value": "UCfan"}}}},
        "replies": {"comments": [{"id": f"{cid}.r", "snippet": {
            "textOriginal": "thanks!", "authorChannelId": {"value": r}}}
            for r in replies or []]}}


def test_comment_threads_json_and_csv_are_read(tmp_path: Path) -> None:
    pages = [{"items": [_thread("a", "Ben is so funny lol")]},
             {"items": [_thread("b", "so good", replies=["UCme"])]}]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(pages), encoding="utf-8")
    comments = load_comments(path, channel_id="UCme")
    assert [(c.id, c.video_id, c.answered) for c in comments] == [("a", "vid1", False),
                                                                    ("b", "vid1", True)]
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("comment_id,video_id,text\nx1,v9,\"hi, Mia\"\n", encoding="utf-8")
    (only,) = load_comments(csv_path)
    assert (only.id, only.video_id, only.text) == ("x1", "v9", "hi, Mia")
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "x"}', encoding="utf-8")
    with pytest.raises(InputError, match="bad.json: page 1 is not a commentThreads"):
        load_comments(bad)


def test_corpus_formats_csv_jsonl_messages_and_chat(tmp_path: Path) -> None:
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("comment,reply,conversation\nlove it,thanks!! 🙌,t1\n",
                        encoding="utf-8")
    (one,) = load_corpus(csv_path)
    assert (one.comment, one.reply, one.lang, one.id) == ("love it", "thanks!! 🙌", "en",
                                                          "t1#1")
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(json.dumps({"messages": [
        {"role": "user", "content": "so cute"}, {"role": "assistant", "content": "right?! ❤️"},
        {"role": "user", "content": "more please"},
        {"role": "assistant", "content": "soon 👀"}]}) + "\n", encoding="utf-8")
    assert [(e.comment, e.reply) for e in load_corpus(jsonl)] == [
        ("so cute", "right?! ❤️"), ("more please", "soon 👀")]
    chat = tmp_path / "chat.txt"
    chat.write_text("[12:01] viewer: the ending!!\n[12:02] Studio: right?? 😭\n\n"
                    "2024/05/01 10:00 fan: ミアかわいい\n2024/05/01 10:05 Studio: ありがとう😊\n",
                    encoding="utf-8")
    pairs = load_corpus(chat, channel_name="studio")
    assert [(e.comment, e.reply, e.lang) for e in pairs] == [
        ("the ending!!", "right?? 😭", "en"), ("ミアかわいい", "ありがとう😊", "ja")]
    assert pairs[0].conversation != pairs[1].conversation
    with pytest.raises(InputError, match="no line by 'channel'"):
        load_corpus(chat)


# --- draft_replies on files ------------------------------------------------------------


def test_draft_replies_writes_the_review_file(tmp_path: Path) -> None:
    meta = ClipMetadata(clip_id="c0100-0120", episode="ep1", title="Not yet.",
                        description="d", tags=["shorts", "grand prize", "ticket", "Ben"],
                        hashtags=["#shorts"], start_s=100, end_s=120,
                        source_timecode="00:01:40", recipe_hash="abc")
    write_model(tmp_path / "out" / "ep1" / "c0100-0120.json", meta)
    ledger = Ledger(tmp_path / "published.csv")
    ledger.put(Row("ep1", "c0100-0120", state="done", video_id="vid1", title="Not yet."))
    threads = [_thread("a", "Mia's face when she saw the numbers 😂"),
               _thread("b", "sub4sub? check my channel"),
               _thread("c", "ベンの顔最高"), _thread("d", "so good", replies=["UCme"])]
    (tmp_path / "community").mkdir()
    (tmp_path / "community" / "comments.json").write_text(json.dumps({"items": threads}),
                                                          encoding="utf-8")
    section = {"enabled": True, "channel_id": "UCme"}
    out = tmp_path / "community" / "2025-06-01" / "replies.csv"
    lines: list[str] = []
    draft_replies(section, out, root=tmp_path, say=lines.append)
    rows = {r.comment_id: r for r in read_replies(out)}
    assert [rows[c].action for c in "abcd"] == ["reply", "skip", "reply", "skip"]
    assert (rows["a"].episode, rows["a"].clip_id) == ("ep1", "c0100-0120")
    assert rows["a"].source_id and rows["a"].source_reply and rows["a"].similarity > 0.1
    assert "Mia" not in rows["a"].draft  # this Short's character is Ben, not Mia
    assert rows["c"].lang == "ja" and detect_language(rows["c"].draft) == "ja"
    assert rows["b"].reason.startswith("spam") and rows["d"].reason.startswith("already")
    assert all(r.approved == "" for r in rows.values())
    assert "2 draft(s), 2 skipped" in lines[0]
    with pytest.raises(ShortfactoryError, match="opt-in"):
        draft_replies({}, tmp_path / "x.csv", root=tmp_path)
    assert not (tmp_path / "x.csv").exists()
