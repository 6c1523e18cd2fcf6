"""Community benchmark: do drafted replies sound like the channel, in the right language,
and is what must not be answered skipped?

Data: the bundled CC0 style corpus (``src/shortfactory/community/corpus/exchanges.jsonl``,
English and Japanese), split by **conversation** (a hash of its id, salt ``bench``,
:data:`TEST_SHARE` of conversations held apart) so no thread has turns on both sides.
The drafter is built from the training part only, with the default recipe; nothing
was tuned on the held-apart part. Each held-apart comment is drafted under a Short with
its exchange's own character and topic, and the draft is compared with the channel's
true reply.

* ``style_similarity``: mean over held-apart exchanges of
  ``0.5 * cosine + 0.25 * length_agreement + 0.25 * emoji_agreement`` where
  ``cosine`` is the char 1-3-gram TF-IDF cosine of draft and true reply (IDF fitted on
  the training replies: wording and register), ``length_agreement`` is
  ``min(len) / max(len)`` of the two (characters, an emoji counting one) and
  ``emoji_agreement`` the Jaccard overlap of their emoji sets (1 when neither has
  any). A skipped comment scores 0 (a missing reply is not in the voice).
* ``style_similarity_baseline``: the same for a fixed template per language
  (:data:`BASELINE`: the generic "thanks for your comment" reply a bot gives).
  ``style_cosine``, ``style_length``, ``style_emoji`` (and ``_baseline``) are the parts.
* ``skip_recall``: share of :data:`PLANTED` (spam, links, abuse, questions for a
  person; English and Japanese, written for this benchmark, never in the corpus)
  that the drafter skips. Target 1.0.
* ``false_skip_rate``: share of held-apart (legitimate) comments skipped.
* ``language_match``: share of drafts whose language (``detect_language``) is the
  comment's language (the corpus's label); a draft with no letters (only emoji) is
  language-neutral and counts as a match. Target 1.0.

Run it as ``python bench/community.py`` (writes ``bench/results/community.json``).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEST_SHARE = 0.2
SALT = "bench"

BASELINE = {"en": "Thanks for your comment! 😊", "ja": "コメントありがとうございます！😊"}

# Comments a draft must never answer. Written apart from the skip rules' word lists
# (several use other words than the lists' examples).
PLANTED: tuple[str, ...] = (
    "check out my channel for more videos like this!!",
    "SUB 4 SUB anyone? I sub back instantly",
    "Earn $500 a day from home, DM me on WhatsApp +1 555 201 3344",
    "free robux at robux-free.xyz/claim",
    "watch the full episode here https://bit.ly/3xYz",
    "I made a better version, visit my channel",
    "crypto giveaway! send 0.1 btc get 1 back",
    "you are so stupid lol this channel is trash",
    "worst channel on youtube, unsubscribed",
    "kys",
    "shut up Ben nobody likes you",
    "this is garbage animation, what a loser",
    "are you a bot? these replies look automated",
    "Can I repost this on my TikTok with credit?",
    "what's your business email for a sponsorship?",
    "do you guys do collabs",
    "this is copyright infringement, you stole my drawing",
    "HELLOOOOOOOOOOOO ANYONE HERE",
    "チャンネル登録お願いします！私のチャンネルも見てね",
    "副業で月30万稼げる方法はプロフのリンクから",
    "お前らほんとつまらない、死ね",
    "キモいアニメ",
    "コラボしませんか？連絡先教えてください",
    "この動画、無断転載ですよね？",
    "www.example.com で全話見れるよ",
)


def style_parts(index: object, draft: str, truth: str) -> tuple[float, float, float]:
    """(cosine, length agreement, emoji agreement) of a draft against the true reply."""
    from shortfactory.community.style import emoji_in, text_length

    cosine = index.cosine(draft, truth)  # type: ignore[attr-defined]
    a, b = text_length(draft), text_length(truth)
    length = min(a, b) / max(a, b) if max(a, b) else 1.0
    ea, eb = set(emoji_in(draft)), set(emoji_in(truth))
    emoji = len(ea & eb) / len(ea | eb) if ea | eb else 1.0
    return cosine, length, emoji


def style_score(parts: tuple[float, float, float]) -> float:
    return 0.5 * parts[0] + 0.25 * parts[1] + 0.25 * parts[2]


def bench_community() -> dict[str, float]:
    from shortfactory.community.comments import Comment, ShortContext
    from shortfactory.community.corpus import load_corpus, split_by_conversation
    from shortfactory.community.draft import REPLY, Drafter
    from shortfactory.community.lang import detect_language
    from shortfactory.community.retrieve import TfidfIndex
    from shortfactory.core.recipe_community import CommunitySection

    exchanges = load_corpus()
    train, test = split_by_conversation(exchanges, TEST_SHARE, SALT)
    section = CommunitySection(enabled=True)
    drafter = Drafter(train, section)
    replies_index = TfidfIndex([e.reply for e in train])

    drafted = skipped = matched = 0
    sums = {"draft": [0.0, 0.0, 0.0, 0.0], "baseline": [0.0, 0.0, 0.0, 0.0]}
    for number, exchange in enumerate(test):
        context = ShortContext(characters=[exchange.character] if exchange.character else [],
                               topic=exchange.topic)
        result = drafter.draft(Comment(f"t{number}", "v", exchange.comment), context)
        base = style_parts(replies_index, BASELINE[exchange.lang], exchange.reply)
        for k, value in enumerate((*base, style_score(base))):
            sums["baseline"][k] += value
        if result.action != REPLY:
            skipped += 1
            continue
        drafted += 1
        said = detect_language(result.draft)
        matched += said in (exchange.lang, "und")
        parts = style_parts(replies_index, result.draft, exchange.reply)
        for k, value in enumerate((*parts, style_score(parts))):
            sums["draft"][k] += value

    planted_skipped = sum(
        drafter.draft(Comment(f"p{i}", "v", text)).action != REPLY
        for i, text in enumerate(PLANTED))
    n = len(test)
    out: dict[str, float] = {
        "style_similarity": round(sums["draft"][3] / n, 4),
        "style_similarity_baseline": round(sums["baseline"][3] / n, 4),
        "style_cosine": round(sums["draft"][0] / n, 4),
        "style_cosine_baseline": round(sums["baseline"][0] / n, 4),
        "style_length": round(sums["draft"][1] / n, 4),
        "style_length_baseline": round(sums["baseline"][1] / n, 4),
        "style_emoji": round(sums["draft"][2] / n, 4),
        "style_emoji_baseline": round(sums["baseline"][2] / n, 4),
        "skip_recall": round(planted_skipped / len(PLANTED), 4),
        "planted": len(PLANTED),
        "false_skip_rate": round(skipped / n, 4),
        "language_match": round(matched / drafted, 4) if drafted else 0.0,
        "test_exchanges": n,
        "test_exchanges_ja": sum(e.lang == "ja" for e in test),
        "test_conversations": len({e.conversation for e in test}),
        "train_exchanges": len(train),
    }
    return out


def main() -> int:
    """Print the figures and write bench/results/community.json (the format of
    bench/run.py, which runs this as its ``community`` stage once registered)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import main as run_bench

    return run_bench(["community"])


if __name__ == "__main__":
    sys.exit(main())
