"""A local fake of the YouTube Data API and Google's OAuth endpoints, for the release
tests: no real network. It speaks the resumable upload protocol (session POST with a
``Location``, chunk PUTs answered 308 + ``Range``, the status query ``bytes */N``, a
final 200 with the video resource), captions.insert, thumbnails.set, the token
endpoint and the consent redirect, and fails on purpose when told to (a status, or a
connection dropped after the request arrived)."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import urllib.parse
import urllib.request
import webbrowser
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from shortfactory.core.artifacts import ClipMetadata, ShortEntry, ShortsIndex
from shortfactory.core.io import write_model
from shortfactory.core.media import ffmpeg_exe

ACCESS = "fake-access-token-SECRET"
REFRESH = "fake-refresh-token-SECRET"
SCOPE = ("https://www.googleapis.com/auth/youtube.upload "
         "https://www.googleapis.com/auth/youtube.force-ssl")


@dataclass
class Fault:
    method: str
    path: str  # prefix
    kind: str  # "status" or "drop"
    status: int = 503
    times: int = 1
    after: int = 0  # let this many matching requests through first
    store: bool = True  # a dropped chunk still arrived at the server


@dataclass
class Seen:
    method: str
    path: str
    content_range: str = ""
    length: int = 0
    authorized: bool = False
    body: bytes = b""


@dataclass
class Session:
    metadata: dict[str, Any]
    total: int
    data: bytearray = field(default_factory=bytearray)
    video_id: str = ""


class FakeYouTube:
    """The server's state; ``url`` is its root (the recipe's api_url and token_url)."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.faults: list[Fault] = []
        self.sessions: dict[str, Session] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.captions: list[dict[str, Any]] = []
        self.thumbnails: list[str] = []
        self.hooks: list[Any] = []
        self.tokens_issued = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def __enter__(self) -> FakeYouTube:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, path: str, kind: str = "status", **kw: Any) -> None:
        self.faults.append(Fault(method, path, kind, **kw))

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and path.startswith(fault.path):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.times -= 1
                    return fault
        return None

    def api_requests(self) -> list[Seen]:
        """Requests other than the token endpoint's."""
        return [r for r in self.requests if r.path not in ("/token", "/hook")]

    def chunk_puts(self) -> list[Seen]:
        return [r for r in self.requests
                if r.method == "PUT" and r.content_range and "*" not in r.content_range]


def _handler(fake: FakeYouTube) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:  # noqa: N802
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._serve("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._serve("PUT")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urllib.parse.urlsplit(self.path)
            auth = self.headers.get("Authorization", "")
            seen = Seen(method, url.path, self.headers.get("Content-Range", ""), len(body),
                        auth == f"Bearer {ACCESS}", body)
            fake.requests.append(seen)
            fault = fake.take_fault(method, url.path)
            if fault is not None and fault.kind == "status":
                return self._json(fault.status, {"error": {"code": fault.status,
                                                           "message": "planned failure"}})
            if fault is not None:  # drop: maybe process, never answer
                if fault.store:
                    self._route(method, url, body, seen, answer=False)
                self.close_connection = True
                return
            self._route(method, url, body, seen, answer=True)

        def _route(self, method: str, url: urllib.parse.SplitResult, body: bytes,
                   seen: Seen, answer: bool) -> None:
            query = dict(urllib.parse.parse_qsl(url.query))
            if url.path.startswith("/upload/") and not seen.authorized:
                result: Result = (401, {}, {"error": {"message": "no valid token"}})
            elif url.path == "/token":
                result = _token(fake, body)
            elif url.path == "/auth":
                result = _consent(query)
            elif url.path == "/upload/youtube/v3/videos" and method == "POST":
                result = _open_session(fake, self.headers, body)
            elif url.path.startswith("/upload/session/"):
                result = _chunk(fake, url.path.rsplit("/", 1)[1],
                                self.headers.get("Content-Range", ""), body)
            elif url.path == "/upload/youtube/v3/captions":
                result = _caption(fake, body)
            elif url.path == "/upload/youtube/v3/thumbnails/set":
                result = _thumbnail(fake, query.get("videoId", ""))
            elif url.path == "/hook":
                fake.hooks.append(json.loads(body))
                result = (200, {}, {"ok": True})
            else:
                result = (404, {}, {"error": {"message": f"no route {url.path}"}})
            if answer:
                status, headers, payload = result
                self._json(status, payload, headers)

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None,
                  ) -> None:
            data = json.dumps(payload).encode() if payload is not None else b""
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


Result = tuple[int, dict[str, str], Any]


def _token(fake: FakeYouTube, body: bytes) -> Result:
    form = dict(urllib.parse.parse_qsl(body.decode()))
    if form.get("grant_type") == "refresh_token" and form.get("refresh_token") != REFRESH:
        return 400, {}, {"error": "invalid_grant"}
    if form.get("grant_type") == "authorization_code" and form.get("code") != "fake-code":
        return 400, {}, {"error": "invalid_grant"}
    fake.tokens_issued += 1
    token = {"access_token": ACCESS, "expires_in": 3600, "token_type": "Bearer",
             "scope": SCOPE}
    if form.get("grant_type") == "authorization_code":
        token["refresh_token"] = REFRESH
    return 200, {}, token


def _consent(query: dict[str, str]) -> Result:
    target = f"{query['redirect_uri']}?code=fake-code&state={query['state']}&scope=" \
             + urllib.parse.quote(SCOPE)
    return 302, {"Location": target}, None


def _open_session(fake: FakeYouTube, headers: Any, body: bytes) -> Result:
    with fake.lock:
        key = str(len(fake.sessions) + 1)
        fake.sessions[key] = Session(json.loads(body), int(headers["X-Upload-Content-Length"]))
    host = headers["Host"]
    return 200, {"Location": f"http://{host}/upload/session/{key}?upload_id=u{key}"}, None


def _chunk(fake: FakeYouTube, key: str, content_range: str, body: bytes) -> Result:
    session = fake.sessions.get(key)
    if session is None:
        return 404, {}, {"error": {"message": "no such session"}}
    match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", content_range)
    if match and int(match.group(1)) <= len(session.data):
        del session.data[int(match.group(1)):]
        session.data += body
    if len(session.data) >= session.total:
        return 200, {}, _video(fake, key, session)
    headers = {"Range": f"bytes=0-{len(session.data) - 1}"} if session.data else {}
    return 308, headers, None


def _video(fake: FakeYouTube, key: str, session: Session) -> dict[str, Any]:
    with fake.lock:
        if not session.video_id:
            session.video_id = f"vid{key}"
            fake.videos[session.video_id] = {"id": session.video_id, **session.metadata}
    return fake.videos[session.video_id]


def _caption(fake: FakeYouTube, body: bytes) -> Result:
    match = re.search(rb"\{.*\}", body)
    snippet = json.loads(match.group(0))["snippet"] if match else {}
    if snippet.get("videoId") not in fake.videos:
        return 404, {}, {"error": {"message": "video not found"}}
    fake.captions.append({**snippet, "srt": b"-->" in body})
    return 200, {}, {"id": f"cap{len(fake.captions)}", "snippet": snippet}


def _thumbnail(fake: FakeYouTube, video_id: str) -> Result:
    if video_id not in fake.videos:
        return 404, {}, {"error": {"message": "video not found"}}
    fake.thumbnails.append(video_id)
    return 200, {}, {"items": [{"default": {"url": "http://x/t.png"}}]}


# --- a fake browser for the consent page ------------------------------------------------


class FakeBrowser(webbrowser.BaseBrowser):
    """Follows the consent URL (the fake redirects to the local flow's server), as a
    user clicking "Allow" would, from a thread (the flow waits for the redirect)."""

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read(),
                         daemon=True).start()
        return True


# --- an episode's finished Shorts ------------------------------------------------------


def make_video(path: Path, seconds: float = 2.0) -> Path:
    """A real, lossless (so about 1 MB: several 256 KiB chunks) H.264 mp4."""
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size=640x360:rate=30:duration={seconds}", "-c:v",
                    "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
                    str(path)], check=True)
    return path


def make_episode(root: Path, video: Path, episode: str = "ep1", count: int = 1,
                 srt: str = "1\n00:00:00,000 --> 00:00:01,000\nNot yet.\n") -> Path:
    """``out/<episode>/shorts.json`` with ``count`` Shorts (files relative to ``root``)."""
    from PIL import Image

    out = root / "out" / episode
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for rank in range(1, count + 1):
        clip = f"c{rank * 100:04d}-{rank * 100 + 20:04d}"
        (out / f"{clip}.mp4").write_bytes(video.read_bytes())
        (out / f"{clip}.srt").write_text(srt, encoding="utf-8")
        Image.new("RGB", (90, 160), (200, 40, 40)).save(out / f"{clip}.png")
        meta = ClipMetadata(clip_id=clip, episode=episode, title=f"Moment {rank}",
                            description=f"What happened {rank}.", tags=["shorts", "anime"],
                            hashtags=["#shorts", "#anime"], start_s=rank * 100.0,
                            end_s=rank * 100.0 + 20, source_timecode="00:01:40",
                            recipe_hash="abc")
        write_model(out / f"{clip}.json", meta)
        entries.append(ShortEntry(
            id=clip, rank=rank, video=f"out/{episode}/{clip}.mp4",
            metadata=f"out/{episode}/{clip}.json", captions=f"out/{episode}/{clip}.srt",
            thumbnail=f"out/{episode}/{clip}.png", start_s=rank * 100.0,
            end_s=rank * 100.0 + 20, total=0.9 - rank / 100, title=meta.title))
    write_model(out / "shorts.json", ShortsIndex(episode=episode, shorts=entries))
    return out / "shorts.json"
