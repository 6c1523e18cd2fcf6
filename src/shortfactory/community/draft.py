"""Drafting one reply in the channel's voice, or saying why there is none.

The method is retrieval, then adaptation: the past comment most like this one (char
n-gram TF-IDF, :mod:`.retrieve`) lends its reply, in the comment's own language. The
reply is adapted to this Short (a character or topic the old Short had is swapped for
this one's), put through the recipe's Jinja2 template for the language, and fitted to
the corpus's habits: no longer than its long replies, with an emoji if most of its
replies carry one. Why retrieval and not generation: the channel's real replies are
the voice; a reply rebuilt from one is that voice by construction, offline, and can
be traced to its source in the review file. An OpenAI-compatible endpoint may rewrite
it when configured (:mod:`.generator`), under the same checks.

What is not answered (spam, links, abuse, questions for a person, a language the
corpus lacks, a thread already answered) is skipped with the reason (:mod:`.skip`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from shortfactory.community import generator
from shortfactory.community.comments import Comment, ShortContext
from shortfactory.community.corpus import Exchange
from shortfactory.community.lang import UNDETERMINED, detect_language
from shortfactory.community.retrieve import TfidfIndex
from shortfactory.community.skip import compile_custom, skip_reason
from shortfactory.community.style import StyleProfile, emoji_in, profile, without_emoji
from shortfactory.core.recipe_community import CommunitySection, render_reply_template
from shortfactory.core.text import sentence_ends

REPLY, SKIP = "reply", "skip"


@dataclass(slots=True)
class Draft:
    """A drafted reply (``action`` reply) or a skip, with why and where it came from."""

    comment: Comment
    lang: str
    action: str
    draft: str
    reason: str
    similarity: float = 0.0
    source: Exchange | None = None
    context: ShortContext | None = None


class Drafter:
    """Drafts replies from one corpus: one TF-IDF index and one style profile per
    language, built once."""

    def __init__(self, exchanges: Sequence[Exchange], section: CommunitySection) -> None:
        self.section = section
        by_lang: dict[str, list[Exchange]] = {}
        for exchange in exchanges:
            by_lang.setdefault(exchange.lang, []).append(exchange)
        allowed = set(section.languages) or set(by_lang)
        self.exchanges = {lang: ex for lang, ex in by_lang.items() if lang in allowed}
        self.indexes = {lang: TfidfIndex([e.comment for e in ex])
                        for lang, ex in self.exchanges.items()}
        self.profiles: dict[str, StyleProfile] = {
            lang: profile([e.reply for e in ex]) for lang, ex in self.exchanges.items()}
        counts = Counter({lang: len(ex) for lang, ex in self.exchanges.items()})
        self.main_language = counts.most_common(1)[0][0] if counts else "en"
        self.custom = compile_custom([(p.pattern, p.reason) for p in section.skip_patterns])

    # --- the steps ------------------------------------------------------------------

    def draft(self, comment: Comment, context: ShortContext | None = None) -> Draft:
        """The reply to ``comment`` (under the Short ``context``, if known), or a skip."""
        lang = detect_language(comment.text)
        if lang == "zh" and "zh" not in self.exchanges and "ja" in self.exchanges:
            lang = "ja"  # kanji-only comments (草, 神回) are common in Japanese
        why = self.skip_reason(comment, lang)
        if why:
            return Draft(comment, lang, SKIP, "", why, context=context)
        if lang == UNDETERMINED:
            lang = self.main_language  # only emoji or a name: answer in the main voice
        source, similarity = self.pick(comment.text, lang, context)
        text = self.compose(comment, lang, source, similarity, context)
        if self.section.endpoint.url:
            text = self._generated(comment, lang, context) or text
        # A past reply with a longer name swapped in is still the voice: never cut it.
        keep = len(adapt(source, context, self.section.mention) or "") if source else 0
        text = self.fit_style(text, lang, keep)
        if detect_language(text) not in (lang, UNDETERMINED):
            return Draft(comment, lang, SKIP, "", f"could not draft a reply in {lang}",
                         context=context)
        if not text:
            return Draft(comment, lang, SKIP, "", "the template rendered an empty reply",
                         context=context)
        how = (f"adapted from {source.id} (similarity {similarity:.2f})" if source
               else "no similar past exchange: fallback template")
        return Draft(comment, lang, REPLY, text, how, round(similarity, 3), source, context)

    def skip_reason(self, comment: Comment, lang: str) -> str:
        """Why ``comment`` gets no draft ('' when it gets one)."""
        section = self.section
        if section.channel_id and comment.author_channel_id == section.channel_id:
            return "the channel's own comment"
        if comment.answered:
            return "already answered by the channel"
        if not comment.can_reply:
            return "replies are turned off on this thread"
        why = skip_reason(comment.text, links=section.skip_links, custom=self.custom)
        if why:
            return why
        if lang != UNDETERMINED and lang not in self.exchanges:
            return f"language {lang}: the style corpus has no replies in it (needs a human)"
        return ""

    def pick(self, text: str, lang: str, context: ShortContext | None,
             ) -> tuple[Exchange | None, float]:
        """The most similar past exchange whose reply fits this Short, and its cosine;
        (None, 0.0) below ``min_similarity`` (the fallback template is used)."""
        exchanges = self.exchanges[lang]
        for index, similarity in self.indexes[lang].nearest(text, self.section.neighbours):
            if similarity < self.section.min_similarity:
                break
            if adapt(exchanges[index], context, self.section.mention) is not None:
                return exchanges[index], similarity
        return None, 0.0

    def compose(self, comment: Comment, lang: str, source: Exchange | None, similarity: float,
                context: ShortContext | None) -> str:
        """The recipe's template (or fallback) for ``lang``, rendered."""
        templates = self.section.templates if source else self.section.fallbacks
        template = templates.get(lang) or templates.get("*") or (
            "{{ reply }}" if source else self.section.fallbacks.get(self.main_language, ""))
        reply = (adapt(source, context, self.section.mention) or "") if source else ""
        variables = {
            "reply": reply, "comment": comment.text, "author": comment.author, "lang": lang,
            "character": (context.characters[0] if context and context.characters else ""),
            "topic": context.topic if context else "",
            "title": context.title if context else "",
            "emoji": self.profiles[lang].top_emoji, "similarity": round(similarity, 3)}
        return render_reply_template(template, variables)

    def fit_style(self, text: str, lang: str, keep: int = 0) -> str:
        """Cut to the corpus's long-reply length (but not below ``keep``) and
        ``max_chars``; add or drop emoji by the corpus's habit."""
        habits = self.profiles[lang]
        limit = self.section.max_chars
        corpus_long = habits.length_at(self.section.length_quantile)
        if corpus_long:
            limit = min(limit, max(corpus_long, keep))
        text = shorten(text, limit)
        if not self.section.match_emoji:
            return text
        if habits.emoji_rate >= 0.5 and not emoji_in(text) and habits.top_emoji:
            joiner = "" if lang in ("ja", "zh") else " "
            text = shorten(text, limit - 2) + joiner + habits.top_emoji
        elif habits.emoji_rate < 0.15 and emoji_in(text):
            text = without_emoji(text)
        return text

    def _generated(self, comment: Comment, lang: str, context: ShortContext | None,
                   ) -> str | None:
        endpoint = self.section.endpoint
        examples = [self.exchanges[lang][i] for i, _ in
                    self.indexes[lang].nearest(comment.text, endpoint.examples)]
        about = ""
        if context and (context.characters or context.topic):
            about = (f" The Short is about {context.topic or context.title}"
                     f"{' with ' + ', '.join(context.characters) if context.characters else ''}.")
        limit = self.profiles[lang].length_at(self.section.length_quantile) or \
            self.section.max_chars
        chat = generator.messages(comment.text, lang, examples, limit, about)
        return generator.generate(endpoint, chat)


def adapt(exchange: Exchange, context: ShortContext | None, mention: bool) -> str | None:
    """``exchange``'s reply made to fit this Short, or None when it cannot.

    A reply that names its own Short's character is about that character: under a
    Short with another one it gets that one's name (``mention``), under a Short with
    none known it does not fit (a wrong name is worse than no reply). Its topic is
    swapped the same way where this Short has one.
    """
    reply = exchange.reply
    if exchange.character and _mentions(reply, exchange.character):
        characters = context.characters if context else []
        if exchange.character in characters:
            pass
        elif mention and characters:
            reply = _swap(reply, exchange.character, characters[0])
        else:
            return None
    if exchange.topic and _mentions(reply, exchange.topic) and context and context.topic \
            and mention:
        reply = _swap(reply, exchange.topic, context.topic)
    return reply


def _mentions(text: str, name: str) -> bool:
    return bool(re.search(_word_pattern(name), text, re.IGNORECASE))


def _swap(text: str, old: str, new: str) -> str:
    return re.sub(_word_pattern(old), lambda _: new, text, flags=re.IGNORECASE)


def _word_pattern(name: str) -> str:
    """``name`` as a whole word in spaced scripts; anywhere in Japanese (no spaces)."""
    escaped = re.escape(name)
    return rf"(?<!\w){escaped}(?!\w)" if name.isascii() else escaped


def shorten(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters: cut after the last sentence end that
    fits, else at the last space, else (unspaced scripts) hard; never mid-emoji."""
    if limit <= 0 or len(text) <= limit:
        return text
    head = text[:limit]
    ends = sentence_ends(head)
    if ends and ends[-1] >= limit // 3:
        return head[: ends[-1]].strip()
    if " " in head.strip():
        return head[: head.rstrip().rfind(" ")].rstrip(" ,、")
    # A cut inside a ZWJ sequence leaves a joiner or selector dangling: drop it.
    return head.rstrip("\u200d\ufe0f").strip()
