"""The HTML report: one page per episode and an index linking them.

One page per episode (not one for the whole run) so that an episode's page is rebuilt
alone when its Shorts change, and a page with a dozen inline videos stays light. Each
page's pictures (small thumbnails for the contact sheet, crop-path plots) sit in
``report/<episode>_files/``; videos and posters are linked where the line wrote them
(``out/<episode>/``), by relative path, so ``report/`` and ``out/`` zip together.
The template is an inline string: nothing to ship as package data.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import jinja2
from PIL import Image

from shortfactory.core.artifacts import Candidates, CropPath, Faces, ShortsIndex
from shortfactory.core.errors import InputError
from shortfactory.core.io import read_model, write_text_atomic
from shortfactory.report.gather import (
    EpisodeView,
    IndexEntry,
    Links,
    episode_view,
    relative_url,
    timecode,
)
from shortfactory.report.plots import plot_crop_path

THUMB_SIZE = (180, 320)  # contact-sheet thumbnail, px (9:16)

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:16px;
 color:#222;background:#fafafa}
h1{margin:.2em 0}a{color:#2a5db0}
.strip{position:relative;background:#e4e4e4;border-radius:3px;margin:8px 0 16px}
.strip a{position:absolute;height:14px;line-height:14px;background:#4c78a8;opacity:.75;color:#fff;
 font-size:11px;text-align:center;overflow:hidden;border-right:1px solid #fff}
.sheet{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px}
.card{display:flex;gap:10px;background:#fff;border:1px solid #ddd;border-radius:6px;
 padding:8px}
.card img{width:90px;height:160px;object-fit:cover;border-radius:4px;background:#000}
.card .info{flex:1;min-width:0}
.bar{display:flex;align-items:center;gap:6px;font-size:12px}
.bar .name{width:92px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.bar .track{flex:1;height:8px;background:#eee;border-radius:4px}
.bar .fill{height:8px;border-radius:4px;background:#54a24b}
.bar.penalty .fill{background:#e45756}
.bar .val{width:44px;text-align:right;font-variant-numeric:tabular-nums}
ul.reasons{margin:4px 0 0;padding-left:18px;font-size:12px;color:#555}
.clip{display:flex;gap:16px;flex-wrap:wrap;background:#fff;border:1px solid #ddd;
 border-radius:6px;padding:12px;margin:16px 0}
.clip video{width:270px;height:480px;background:#000}
.clip .detail{flex:1;min-width:320px}.clip .detail img{max-width:100%}
.muted{color:#777}
"""

_EPISODE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,">
<title>{{ ep.episode }}: Shorts report</title>
<style>{{ style }}</style></head>
<body>
<p><a href="index.html">All episodes</a></p>
<h1>{{ ep.episode }}</h1>
<p class="muted">{{ timecode(ep.duration_s) }} long; {{ ep.clips|length }} candidate(s)
{%- if ep.message %}; {{ ep.message }}{% endif %}</p>
{% if ep.clips %}
<div class="strip" title="where the clips lie in the episode (one row per clip)"
 style="height:{{ ep.clips|length * 16 }}px">
{%- for c in ep.clips %}
<a href="#{{ c.id }}" style="top:{{ loop.index0 * 16 + 1 }}px;left:{{ c.left_pct }}%;
width:{{ c.width_pct }}%"
 title="#{{ c.rank }} {{ c.id }} {{ c.span }}">{{ c.rank }}</a>
{%- endfor %}
</div>
<h2>Contact sheet</h2>
<div class="sheet">
{%- for c in ep.clips %}
<div class="card">
 <a href="#{{ c.id }}">{% if c.links.thumb %}<img src="{{ c.links.thumb }}"
  alt="thumbnail of {{ c.id }}">{% endif %}</a>
 <div class="info">
  <b>#{{ c.rank }} <a href="#{{ c.id }}">{{ c.id }}</a></b>
  <span class="muted">{{ c.span }} ({{ '%.1f'|format(c.duration_s) }} s),
   score {{ '%.3f'|format(c.total) }}</span>
  {% if c.title %}<div>{{ c.title }}</div>{% endif %}
  {%- for b in c.bars %}
  <div class="bar{% if b.penalty %} penalty{% endif %}">
   <span class="name" title="{{ b.name }}">{% if b.penalty %}&minus;{% endif %}{{ b.name }}</span>
   <span class="track"><span class="fill" style="display:block;width:{{ b.width_pct }}%">
   </span></span>
   <span class="val">{{ '%.2f'|format(b.value) }}</span>
  </div>
  {%- endfor %}
  <ul class="reasons">{% for r in c.reasons %}<li>{{ r }}</li>{% endfor %}</ul>
 </div>
</div>
{%- endfor %}
</div>
<h2>Shorts</h2>
{%- for c in ep.clips %}
<section class="clip" id="{{ c.id }}">
 {% if c.links.video %}<video controls preload="metadata" src="{{ c.links.video }}"
  {%- if c.links.poster %} poster="{{ c.links.poster }}"{% endif %}></video>
 {% else %}<p class="muted">not rendered</p>{% endif %}
 <div class="detail">
  <h3>#{{ c.rank }} {{ c.id }}{% if c.title %}: {{ c.title }}{% endif %}</h3>
  <p class="muted">source {{ c.span }}; camera: {{ c.camera }}</p>
  {% if c.links.plot %}<img src="{{ c.links.plot }}"
   alt="crop path of {{ c.id }} over time, with face tracks">{% endif %}
  {% if c.text %}<p>{{ c.text }}</p>{% endif %}
 </div>
</section>
{%- endfor %}
{% endif %}
</body></html>
"""

_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<link rel="icon" href="data:,">
<title>Shorts report</title>
<style>{{ style }}</style></head>
<body>
<h1>Shorts report</h1>
<ul>
{%- for e in entries %}
<li><a href="{{ e.href }}">{{ e.episode }}</a>: {{ e.shorts }} Short(s)
{%- if e.top_title %}; best: {{ e.top_title }}{% endif %}</li>
{%- endfor %}
</ul>
</body></html>
"""

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                          loader=jinja2.DictLoader({"episode": _EPISODE, "index": _INDEX}))


def render_episode(view: EpisodeView) -> str:
    """The episode page's HTML (escaped: titles and reasons come from speech)."""
    return _ENV.get_template("episode").render(ep=view, style=_STYLE, timecode=timecode)


def render_index(entries: Sequence[IndexEntry]) -> str:
    return _ENV.get_template("index").render(entries=entries, style=_STYLE)


def write_thumbnail(png: str | Path, out: Path) -> None:
    """A small JPEG of the Short's thumbnail: the contact sheet loads a dozen at once,
    the full-size PNG stays the video's poster."""
    png = Path(png)
    if not png.is_file():
        raise InputError(f"{png}: the Short's thumbnail is missing (listed in shorts.json)")
    with Image.open(png) as image:
        small = image.convert("RGB")
        small.thumbnail(THUMB_SIZE)
        small.save(out, "JPEG", quality=85)


def write_episode_report(candidates_path: str | Path, faces_path: str | Path,
                         shorts_path: str | Path, crop_paths: Sequence[str | Path],
                         html_out: str | Path, files_out: str | Path) -> Path:
    """Write ``html_out`` and its pictures folder ``files_out``; returns the page.

    The pictures are made in a temporary folder and renamed in before the page is
    written, so a killed job leaves neither a page with missing images nor a folder
    that looks finished.
    """
    html_out, files_out = Path(html_out), Path(files_out)
    candidates = read_model(candidates_path, Candidates)
    faces = read_model(faces_path, Faces)
    index = read_model(shorts_path, ShortsIndex)
    crops = {crop.clip_id: crop for crop in (read_model(p, CropPath) for p in crop_paths)}
    page_dir = html_out.parent
    files_out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{files_out.name}.", dir=files_out.parent))
    try:
        links: dict[str, Links] = {}
        entries = {entry.id: entry for entry in index.shorts}
        for clip in candidates.clips:
            link = Links()
            entry = entries.get(clip.id)
            if entry is not None:
                write_thumbnail(entry.thumbnail, stage / f"{clip.id}.jpg")
                link.thumb = relative_url(files_out / f"{clip.id}.jpg", page_dir)
                link.video = relative_url(entry.video, page_dir)
                link.poster = relative_url(entry.thumbnail, page_dir)
            if clip.id in crops:
                plot_crop_path(crops[clip.id], faces, stage / f"{clip.id}-crop.png")
                link.plot = relative_url(files_out / f"{clip.id}-crop.png", page_dir)
            links[clip.id] = link
        html = render_episode(episode_view(candidates, index, crops, links))
        os.chmod(stage, 0o755)  # mkdtemp makes 0700: a served report must be readable
        if files_out.exists():
            shutil.rmtree(files_out)
        os.replace(stage, files_out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    write_text_atomic(html_out, html)
    return html_out


def write_index(pages: Sequence[str | Path], shorts_paths: Sequence[str | Path],
                out: str | Path) -> Path:
    """``report/index.html``: one line per episode page (same order as ``pages``)."""
    out = Path(out)
    entries = []
    for page, shorts_path in zip(pages, shorts_paths, strict=True):
        index = read_model(shorts_path, ShortsIndex)
        top = index.shorts[0].title if index.shorts else ""
        entries.append(IndexEntry(index.episode, relative_url(page, out.parent),
                                  len(index.shorts), top))
    write_text_atomic(out, render_index(entries))
    return out
