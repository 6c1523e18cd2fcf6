"""Which comments get no drafted reply, and why.

A drafted reply to spam rewards it, a cheerful reply to abuse reads as a bot, and a
question about money, rights or the channel's people deserves a person's answer. So
these are skipped before any drafting, each with the reason shown in ``replies.csv``.
The lists are deliberately blunt: a false skip costs one unanswered comment (a person
sees it in the review file), a missed one costs the channel's credibility.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from shortfactory.community.retrieve import normalise

LINK = re.compile(
    r"https?://|www\.|\b[\w-]+\.(?:com|net|org|io|ly|gg|me|tv|xyz|link|shop|site|info|"
    r"ru|cn|top|click)\b(?:/|\s|$)|t\.me/|bit\.ly|discord\.gg", re.IGNORECASE)

SPAM = re.compile("|".join((
    r"sub\s*(?:4|for)\s*sub", r"\bcheck (?:out )?my (?:channel|page|profile|videos?)",
    r"\bvisit my (?:channel|page|profile)", r"\bsubscribe to (?:me|my)\b",
    r"\bfollow me\b", r"\bpromo(?:tion)? ?code\b", r"\bgiveaway\b",
    r"\bfree (?:robux|v-?bucks|gift ?cards?|money|followers|subs(?:cribers)?|iphone)",
    r"\b(?:crypto|bitcoin|btc|forex|nft|binary option)s?\b", r"\binvest(?:ing|ment)?\b",
    r"\bwhats ?app\b", r"\btelegram\b", r"\bdm me\b", r"\bearn \$?\d", r"\$\d{3,}",
    r"\bonlyfans\b", r"\bclick (?:here|the link|my)\b", r"\bhot (?:singles|girls)\b",
    r"\b(?:buy|cheap) (?:views|likes|subscribers|followers)\b",
    r"(?:\+\d[\d -]{8,}\d)",
    r"チャンネル登録(?:お願い|して)", r"私のチャンネル", r"副業", r"稼げ", r"儲か", r"仮想通貨",
    r"ライン(?:追加|交換)", r"LINE(?:追加|交換)", r"プロフ(?:ィール)?(?:見て|を見て|のリンク)",
)), re.IGNORECASE)

ABUSE = re.compile("|".join((
    r"\bidiots?\b", r"\bstupid\b", r"\bmorons?\b", r"\bdumb\b", r"\btrash\b", r"\bgarbage\b",
    r"\bretard(?:ed)?\b", r"\bloser\b", r"\bpathetic\b", r"\bdisgusting\b", r"\bugly\b",
    r"\bkys\b", r"\bkill (?:yourself|urself|ur ?self)\b", r"\bgo die\b",
    r"\bi hate (?:you|u|this channel)\b",
    r"\bf+u+c+k+", r"\bf\*+k", r"\bsh[i1*]t\b", r"\bbitch", r"\bcunt", r"\bwhore\b",
    r"\bslut\b", r"\bscum\b", r"\bshut up\b", r"\bcringe\b", r"\bworst channel\b",
    r"\bunsubscrib(?:e|ed|ing)\b", r"\bclickbait\b",
    # Japanese has no word boundaries: lookaheads keep ばかり (only) and カスタム apart.
    r"死ね", r"しね", r"氏ね", r"消えろ", r"うざ", r"きも[いっ]", r"キモ", r"バカ", r"ばか(?!り)",
    r"馬鹿", r"アホ", r"クソ", r"くそ", r"ゴミ", r"ごみ", r"カス(?!タ)", r"つまらな", r"低評価",
)), re.IGNORECASE)

# Questions only a person should answer: business, rights, the channel's people, money,
# and whether the channel is a bot (a drafted "no" would be the deception the loop
# must not do).
NEEDS_HUMAN = re.compile("|".join((
    r"\bcollab(?:oration)?s?\b", r"\bsponsor(?:ship|ed|s)?\b", r"\bbusiness\b", r"\be-?mail\b",
    r"\bcontact\b", r"\bcopyright", r"\bpermission\b", r"\blicen[cs]e\b", r"\brepost",
    r"\bcredit\b", r"\brefund\b", r"\bpaid\b", r"\bpay(?:ment)?\b", r"\bhire\b",
    r"\b(?:are|r) (?:you|u) (?:an? )?(?:ai|bot|robot|real|human)\b", r"\bchatgpt\b",
    r"\bhow (?:do|did) you (?:make|edit)", r"\bwhat (?:software|app|program)\b",
    r"\bwho (?:are|is) (?:you|the voice|behind)", r"\bage\b.*\?", r"\bhow old are you\b",
    r"\bwhere do you live\b", r"\bsuicid", r"\bself[- ]harm\b", r"\bhelp me\b",
    r"コラボ", r"案件", r"依頼", r"メール", r"連絡先", r"著作権", r"無断", r"転載", r"許可",
    r"スポンサー", r"返金", r"ボット", r"\bAI\b", r"使ってる(?:ソフト|アプリ)", r"何歳",
    r"どこに住", r"死にたい", r"助けて",
)), re.IGNORECASE)


@dataclass(slots=True)
class Custom:
    """A recipe's own skip rule."""

    pattern: re.Pattern[str]
    reason: str


def skip_reason(text: str, *, links: bool = True, custom: Sequence[Custom] = ()) -> str:
    """Why ``text`` gets no drafted reply, or '' when it may get one.

    Checked on the raw text and on its normalised form (stretched letters cut, full
    width folded), so "FREEEE ROBUX" and ｗｗｗ．spam．com are caught too.
    """
    if not text.strip():
        return "empty comment"
    folded = normalise(text)
    checks: list[tuple[bool, str]] = [
        (links and _any(LINK, text, folded), "link (never answered by a draft)"),
        (_any(SPAM, text, folded), "spam or self-promotion"),
        (_any(ABUSE, text, folded), "abusive or hostile"),
        (_any(NEEDS_HUMAN, text, folded), "needs a human (business, rights, personal or "
         "is-this-a-bot question)"),
        (_shouting(text), "spam or self-promotion (repeated characters or all capitals)"),
    ]
    for hit, reason in checks:
        if hit:
            return reason
    for rule in custom:
        if rule.pattern.search(text) or rule.pattern.search(folded):
            return rule.reason
    return ""


def _any(pattern: re.Pattern[str], *texts: str) -> bool:
    return any(pattern.search(t) for t in texts)


def _shouting(text: str) -> bool:
    """Flooding: one character 8+ times in a row (not a laugh: ww/ｗ and haha are
    spelt with few distinct letters but are not runs), or 20+ letters all capitals."""
    if re.search(r"([^\sw笑ｗ!！?？.。~〜ー-])\1{7,}", text):
        return True
    letters = [c for c in text if c.isalpha() and c.isascii()]
    return len(letters) >= 20 and all(c.isupper() for c in letters)


def compile_custom(patterns: Sequence[tuple[str, str]]) -> list[Custom]:
    """The recipe's (pattern, reason) pairs, compiled case-insensitively."""
    return [Custom(re.compile(p, re.IGNORECASE), r) for p, r in patterns]
